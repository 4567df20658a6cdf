/**
 * wasm/webp_rs.wasm through src/codecs/webp-rs.ts: exact lossless pixels, lossy colour close
 * to libwebp's, animation refused, and hostile bytes that only ever give a DecodeError.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeImage } from '../../src/codecs/decode';
import { probe } from '../../src/codecs/probe';
import { resizeImage } from '../../src/codecs/resize';
import { DecodeError, type RawImage } from '../../src/codecs/types';
import { decodeWebpRs, webpRsMemoryBytes } from '../../src/codecs/webp-rs';
import { webpLosslessReason } from '../../src/security/webp-lossless';
import { withCodec } from '../../wasm';
import { encodeWebp, fixture } from '../helpers';

/** Index of the first differing byte, -1 when equal (toEqual is slow on megabytes). */
const firstDiff = (a: Uint8ClampedArray, b: Uint8ClampedArray) =>
  a.length !== b.length ? 0 : a.findIndex((v, i) => v !== b[i]);

/** PSNR over the RGB channels, dB. */
function psnr(a: RawImage, b: RawImage): number {
  let se = 0;
  for (let i = 0; i < a.data.length; i += 4)
    for (let c = 0; c < 3; c++) se += (a.data[i + c]! - b.data[i + c]!) ** 2;
  return 10 * Math.log10((255 * 255) / (se / ((a.data.length / 4) * 3)));
}

describe('decodeWebpRs', () => {
  let photo: RawImage; // kodim03, 768x512, with a left-to-right alpha ramp
  beforeAll(async () => {
    photo = await decodeImage(await fixture('images/kodak/kodim03.png'), 'png');
    for (let i = 0; i < photo.data.length; i += 4)
      photo.data[i + 3] = Math.round((((i / 4) % photo.width) * 255) / (photo.width - 1));
  });

  it('gives the exact pixels of a lossless file', async () => {
    // `exact`: keep the colour of fully transparent pixels (libwebp drops it by default).
    const bytes = await encodeWebp(photo, { lossless: 1, exact: 1 });
    expect(webpLosslessReason(bytes)).toBe('VP8L');
    const img = decodeWebpRs(bytes);
    expect([img.width, img.height]).toEqual([768, 512]);
    expect(firstDiff(img.data, photo.data)).toBe(-1);
  });

  it('decodes lossy colour close to libwebp, with an exact lossless alpha plane', async () => {
    const bytes = await encodeWebp(photo, { quality: 80 });
    expect(webpLosslessReason(bytes)).toBe('ALPH');
    const mine = decodeWebpRs(bytes);
    // libwebp on our own file, for the reference (uploads of this kind never reach it).
    const ref = await withCodec('webpDec', (c) => c.decode(bytes));
    if (!ref) throw new Error('libwebp refused the reference');
    // Measured 45.3 dB: image-rs upsamples chroma without libwebp's "fancy" filter.
    expect(psnr(mine, ref)).toBeGreaterThan(40);
    const alphaDiff = mine.data.findIndex((v, i) => i % 4 === 3 && v !== photo.data[i]);
    expect(alphaDiff).toBe(-1);
  });

  it('gives alpha 255 for a lossless file without alpha, and keeps a small instance', async () => {
    const opaque = await resizeImage(
      await decodeImage(await fixture('images/alpha/blackbug.png'), 'png'),
      1024,
      768,
    );
    for (let i = 3; i < opaque.data.length; i += 4) opaque.data[i] = 255;
    const img = decodeWebpRs(await encodeWebp(opaque, { lossless: 1 }));
    expect(firstDiff(img.data, opaque.data)).toBe(-1);
    expect(webpRsMemoryBytes()).toBeGreaterThan(0); // under 32 MiB: the instance is kept
  });

  it('refuses animated files before decoding, and empty or foreign bytes', async () => {
    const frame = await encodeWebp(photo, { lossless: 1 });
    // VP8X with the animation flag, then the VP8L chunk: refused on the flag alone.
    const vp8x = [
      ...'VP8X'.split('').map((c) => c.charCodeAt(0)),
      10,
      0,
      0,
      0,
      0x02,
      0,
      0,
      0,
      ...[767 & 255, 767 >> 8, 0, 511 & 255, 511 >> 8, 0],
    ];
    const body = [...vp8x, ...frame.subarray(12)];
    const riff = new Uint8Array([
      ...'RIFF'.split('').map((c) => c.charCodeAt(0)),
      ...[(body.length + 4) & 255, ((body.length + 4) >> 8) & 255, (body.length + 4) >> 16, 0],
      ...'WEBP'.split('').map((c) => c.charCodeAt(0)),
      ...body,
    ]);
    expect(() => decodeWebpRs(riff)).toThrow(/animated/);
    expect(() => decodeWebpRs(new Uint8Array())).toThrow(DecodeError);
    expect(() => decodeWebpRs(new TextEncoder().encode('RIFF....WEBPVP8L'))).toThrow(DecodeError);
  });

  it('survives mutated and truncated files the probe accepts: a DecodeError or an image', async () => {
    const small = await resizeImage(photo, 96, 64);
    const seeds = [
      await encodeWebp(small, { lossless: 1 }),
      await encodeWebp(small, { quality: 70 }), // lossy + lossless alpha
    ];
    const good = seeds[0]!;
    fc.assert(
      fc.property(
        fc.nat(),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 12 }),
        fc.option(fc.nat(), { nil: undefined }),
        (which, edits, cut) => {
          const seed = seeds[which % seeds.length]!;
          const b = seed.slice(
            0,
            cut === undefined ? seed.length : 12 + (cut % (seed.length - 11)),
          );
          for (const [at, v] of edits) b[12 + (at % (b.length - 12))] = v;
          // As in production: only what the probe accepts, within a pixel limit, is decoded
          // (image-rs allocates the bitstream's size as it reads the headers).
          let facts: ReturnType<typeof probe>;
          try {
            facts = probe(b);
          } catch {
            return;
          }
          if (facts.format !== 'webp' || facts.width * facts.height > 1 << 22) return;
          try {
            const img = decodeWebpRs(b);
            expect(img.data.length).toBe(img.width * img.height * 4);
          } catch (err) {
            expect(err).toBeInstanceOf(DecodeError);
          }
        },
      ),
      { numRuns: 200 },
    );
    // A trap replaced the instance: the next decode still works.
    expect(decodeWebpRs(good).width).toBe(96);
  });
});
