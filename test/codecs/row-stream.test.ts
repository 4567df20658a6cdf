/** codecs/row-stream.ts `pulledRows` over a fake decoder of 2-row bands. */
import { describe, expect, it } from 'vitest';
import { pulledRows } from '../../src/codecs/row-stream';
import { DecodeError } from '../../src/codecs/types';

/** A 1-pixel-wide image of `rows` rows whose row y is [y, y, y, 255], decoded 2 rows a call. */
function fake(rows: number, endsAfter = rows) {
  const mem = new ArrayBuffer(64);
  let y = 0;
  let reads = 0;
  const read = () => {
    reads++;
    const n = Math.max(0, Math.min(2, endsAfter - y));
    for (let i = 0; i < n; i++) new Uint8Array(mem, 8 + 4 * i, 4).set([y + i, y + i, y + i, 255]);
    y += n;
    return Uint32Array.of(0, 1, n, 8);
  };
  return { stream: pulledRows('fake', 1, rows, () => mem, read), reads: () => reads };
}

describe('pulledRows', () => {
  it('decodes a band only when a row past the held one is asked for, and runs onBand first', () => {
    const { stream, reads } = fake(5);
    const bands: number[] = [];
    stream.onBand = (b) => bands.push(b.height);
    expect(Array.from(stream.row(0))).toEqual([0, 0, 0, 255]);
    expect(Array.from(stream.row(1))).toEqual([1, 1, 1, 255]);
    expect(reads()).toBe(1);
    expect(Array.from(stream.row(4))).toEqual([4, 4, 4, 255]); // skips the band of rows 2-3
    expect(bands).toEqual([2, 2, 1]);
  });

  it('refuses a row out of order, and an image that ends early', () => {
    const { stream } = fake(4, 3);
    stream.row(2);
    expect(() => stream.row(1)).toThrow(RangeError);
    expect(() => stream.row(3)).toThrow(DecodeError);
  });
});
