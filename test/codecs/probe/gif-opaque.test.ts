/**
 * A GIF whose graphic control extension sets the transparency flag on an index no pixel uses
 * (as cgif, sharp's GIF writer, does on opaque images; the grid's 2 MP GIF) is opaque to the
 * probe (src/codecs/probe/gif.ts), and its WebP carries no alpha: no ALPH chunk and no alpha
 * flag in VP8X (libwebp checks the pixels itself).
 */
import { describe, expect, it } from 'vitest';
import { probe } from '../../../src/codecs/probe';
import { runPipeline } from '../../../src/transform/pipeline';
import { parseTransform } from '../../../src/transform/spec';
import { fixture } from '../../helpers';
import { env } from 'cloudflare:test';

/** The RIFF chunk ids of a WebP file, and the VP8X flags byte (0 without VP8X). */
function webpChunks(b: Uint8Array): { ids: string[]; vp8xFlags: number } {
  const ids: string[] = [];
  let vp8xFlags = 0;
  for (let pos = 12; pos + 8 <= b.length;) {
    const id = String.fromCharCode(...b.subarray(pos, pos + 4));
    const size = b[pos + 4]! | (b[pos + 5]! << 8) | (b[pos + 6]! << 16) | (b[pos + 7]! << 24);
    ids.push(id);
    if (id === 'VP8X') vp8xFlags = b[pos + 8]!;
    pos += 8 + size + (size & 1);
  }
  return { ids, vp8xFlags };
}

describe('an opaque GIF with the transparency flag', () => {
  it('is opaque to the probe, and its WebP has no alpha', async () => {
    const sources = (await (await env.FIXTURES.fetch('http://fixtures/grid/')).json()) as {
      label: string;
      path: string;
    }[];
    const gif = sources.find((s) => s.label === '2 MP GIF')!;
    const bytes = await fixture(gif.path);
    // The flag is set (packed fields bit 0) in the first graphic control extension …
    const gce = bytes.findIndex((v, i) => v === 0x21 && bytes[i + 1] === 0xf9);
    expect(bytes[gce + 3]! & 1).toBe(1);
    // … yet no pixel uses the index.
    const facts = probe(bytes);
    expect(facts.hasAlpha).toBe(false);

    const out = await runPipeline(bytes, facts, parseTransform('w=400'), 'webp');
    const { ids, vp8xFlags } = webpChunks(out.bytes);
    expect(ids).not.toContain('ALPH');
    expect(vp8xFlags & 0x10).toBe(0);
  });
});
