import { describe, expect, it } from 'vitest';
import { readAtLeast, readAtMost } from '../../src/http/stream';

/** A stream of the given chunk sizes (bytes valued by position), and how far it was pulled. */
function chunks(...sizes: number[]) {
  let pulled = 0;
  let at = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      const n = sizes[pulled++];
      if (n === undefined) return controller.close();
      controller.enqueue(Uint8Array.from({ length: n }, () => at++ & 255));
    },
  });
  return { reader: stream.getReader(), pulled: () => pulled };
}

describe('bounded stream reads', () => {
  it('readAtLeast stops at the first chunk that reaches the count', async () => {
    const s = chunks(3, 3, 3);
    const { bytes, done } = await readAtLeast(s.reader, 4);
    expect(Array.from(bytes)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(done).toBe(false);
  });

  it('readAtMost returns a stream of at most the bound whole', async () => {
    const bytes = await readAtMost(chunks(2, 2).reader, 4);
    expect(Array.from(bytes!)).toEqual([0, 1, 2, 3]);
  });

  it('readAtMost gives null past the bound without reading the rest', async () => {
    const s = chunks(3, 3, 3, 3);
    expect(await readAtMost(s.reader, 5)).toBeNull();
    expect(s.pulled()).toBeLessThan(4);
  });
});
