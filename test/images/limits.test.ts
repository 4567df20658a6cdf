/**
 * Source limits at upload (images/ingest.ts checkHeader, src/config.ts): up to 12,000 px a
 * side and 100 MP, as Cloudflare Images; over either, a 422 problem naming the limit, decided
 * from the header alone (these files are a PNG signature and IHDR, no pixels).
 */
import { describe, expect, it } from 'vitest';
import { upload } from '../helpers';

/** A PNG of only its signature and IHDR (8-bit RGB): enough for the header probe. */
function pngHeader(width: number, height: number): Uint8Array {
  const b = new Uint8Array(8 + 25);
  b.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const v = new DataView(b.buffer);
  v.setUint32(8, 13);
  b.set([0x49, 0x48, 0x44, 0x52], 12); // IHDR
  v.setUint32(16, width);
  v.setUint32(20, height);
  b.set([8, 2, 0, 0, 0], 24);
  return b;
}

describe('source limits', () => {
  it('refuses a side over 12,000 px with a 422 naming the limit', async () => {
    const { res, json } = await upload(pngHeader(12_001, 100));
    expect(res.status).toBe(422);
    expect(json).toMatchObject({ limit: 12_000, width: 12_001, height: 100 });
  });

  it('refuses more than 100 MP with a 422 naming the limit', async () => {
    const { res, json } = await upload(pngHeader(10_000, 10_001));
    expect(res.status).toBe(422);
    expect(json).toMatchObject({ limit: 100_000_000, pixels: 100_010_000 });
  });
});
