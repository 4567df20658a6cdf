/**
 * wasm/avif.wasm (dav1d 1.5.1 + libavif 1.4.2) through src/codecs/avif.ts: pixels as sharp
 * (libheif) decodes them, the banded box shrink equal to boxShrink on the full decode, crops,
 * alpha, 10-bit, the nclx code points, and hostile bytes that only ever give a DecodeError.
 * Fixtures are made by sharp in vitest.config.ts (`http://fixtures/avif/…`).
 */
import { env } from 'cloudflare:test';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeAvif } from '../../src/codecs/avif';
import { decodeImage } from '../../src/codecs/decode';
import { probe } from '../../src/codecs/probe';
import { resizeImage } from '../../src/codecs/resize';
import { DecodeError, type RawImage } from '../../src/codecs/types';
import { avifModuleMb } from '../../src/transform/avif-cost';
import { cropInPlace } from '../../src/transform/effects';
import { wasmMemory } from '../../wasm/instances';
import { fixture, psnr } from '../helpers';

/**
 * Reference box shrink by an integer factor `k` (what src/codecs/resize.ts did in JS before
 * wasm/resize.wasm): output pixel (x, y) is the mean of the k×k input block at (kx, ky)
 * (partial blocks at the right and bottom edges averaged over the pixels they have); with
 * `premultiply`, colour is weighted by alpha. Rounded to 8 bits.
 */
function boxShrink(img: RawImage, k: number, premultiply: boolean): RawImage {
  const { width: w, height: h } = img;
  const ow = Math.ceil(w / k);
  const oh = Math.ceil(h / k);
  const d = img.data;
  const out = new Uint8ClampedArray(ow * oh * 4);
  for (let oy = 0; oy < oh; oy++) {
    const y0 = oy * k;
    const y1 = Math.min(h, y0 + k);
    for (let ox = 0; ox < ow; ox++) {
      const x0 = ox * k;
      const x1 = Math.min(w, x0 + k);
      let r = 0;
      let g = 0;
      let b = 0;
      let a = 0;
      for (let y = y0; y < y1; y++) {
        let i = (y * w + x0) * 4;
        for (let x = x0; x < x1; x++, i += 4) {
          const wt = premultiply ? d[i + 3]! : 1;
          r += d[i]! * wt;
          g += d[i + 1]! * wt;
          b += d[i + 2]! * wt;
          a += d[i + 3]!;
        }
      }
      const n = (y1 - y0) * (x1 - x0);
      const norm = premultiply ? (a > 0 ? 1 / a : 0) : 1 / n;
      const o = (oy * ow + ox) * 4;
      out[o] = r * norm + 0.5;
      out[o + 1] = g * norm + 0.5;
      out[o + 2] = b * norm + 0.5;
      out[o + 3] = a / n + 0.5;
    }
  }
  return { data: out, width: ow, height: oh };
}

/** Largest difference of any channel (alpha included). */
function maxDiff(a: Uint8ClampedArray, b: Uint8ClampedArray): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** sharp's decode of `bytes` (libheif), raw RGBA8 at its own size, no colour conversion. */
async function sharpRaw(bytes: Uint8Array, w: number, h: number): Promise<Uint8Array> {
  const url = `http://fixtures/sharp/?w=${w}&h=${h}&icc=ignore`;
  // One retry: on a loaded machine the service binding to Node has dropped a long request.
  const res = await env.FIXTURES.fetch(url, { method: 'POST', body: bytes }).catch(() =>
    env.FIXTURES.fetch(url, { method: 'POST', body: bytes }),
  );
  expect(res.status).toBe(200);
  return new Uint8Array(await res.arrayBuffer());
}

/** An AVIF fixture; retried once (the binding to Node has dropped a request after a 48 MB one). */
const avif = (name: string) => fixture(`avif/${name}`).catch(() => fixture(`avif/${name}`));

let photo: Uint8Array;
beforeAll(async () => {
  photo = await avif('12mp.avif');
});

describe('decodeAvif', () => {
  it('decodes a 12 MP AVIF as sharp does, and the banded box shrink equals boxShrink', async () => {
    const full = decodeAvif(photo);
    expect([full.width, full.height, full.depth, full.alpha]).toEqual([4032, 3024, 8, false]);
    expect(psnr(full, await sharpRaw(photo, 4032, 3024))).toBeGreaterThan(50);
    for (const k of [2, 5]) {
      const small = decodeAvif(photo, { box: k });
      const want = boxShrink(full, k, false);
      expect([small.width, small.height]).toEqual([want.width, want.height]);
      expect(maxDiff(small.data, want.data), `k=${k}`).toBeLessThanOrEqual(1);
    }
    // A crop at odd offsets, shrunk by 3: the same pixels as cropping the full decode.
    const rect = { left: 1001, top: 333, width: 1501, height: 997 };
    const cropped = decodeAvif(photo, { rect, box: 3 });
    const want = boxShrink(cropInPlace(full, rect), 3, false);
    expect([cropped.width, cropped.height]).toEqual([501, 333]);
    expect(maxDiff(cropped.data, want.data)).toBeLessThanOrEqual(1);
  });

  it('decodes alpha and weights colour by it when shrinking', async () => {
    const bytes = await avif('alpha.avif');
    const full = decodeAvif(bytes);
    expect(full.alpha).toBe(true);
    // The gradient: alpha grows from 0 at the left edge to 255 at the right one.
    const row = 700 * full.width * 4;
    expect(full.data[row + 3]).toBeLessThan(8);
    expect(full.data[row + (full.width - 1) * 4 + 3]).toBeGreaterThan(247);
    const small = decodeAvif(bytes, { box: 4 });
    expect(maxDiff(small.data, boxShrink(full, 4, true).data)).toBeLessThanOrEqual(1);
    expect(probe(bytes).hasAlpha).toBe(true);
  });

  it('scales a crop as YUV, freeing the decoder before the output, with the same facts', async () => {
    // The grid's 2000 cover: the 3024x3024 middle of the 12 MP 4:4:4 photo scaled to 2000x2000.
    const rect = { left: 504, top: 0, width: 3024, height: 3024 };
    const size = { width: 2000, height: 2000 };
    let wasm = 0;
    const scaled = decodeAvif(photo, { rect, size }, (img) => {
      wasm = wasmMemory().avifDec ?? 0; // read while the instance is live (it is dropped after)
      return { ...img, data: img.data.slice() };
    });
    expect([scaled.width, scaled.height, scaled.depth, scaled.alpha]).toEqual([
      2000,
      2000,
      8,
      false,
    ]);
    expect(scaled.cicp).toEqual(decodeAvif(photo, { rect, box: 64 }).cicp);
    // Pixels: the full decode's crop resampled (lanczos3 against libyuv's bilinear).
    const full = cropInPlace(decodeAvif(photo), rect);
    expect(psnr(scaled, await resizeImage(full, 2000, 2000))).toBeGreaterThan(35);
    // The RGBA output (15.3 MiB) takes the memory of dav1d's freed frame: the module holds no
    // more than the planner charges (src/transform/avif-cost.ts; 71.1 MiB before, 55.3 after).
    const src = { ...probe(photo), bytes: photo.byteLength };
    const charged = 1 + avifModuleMb(src, size.width * size.height, 0, true);
    expect(wasm / 2 ** 20).toBeGreaterThan(40);
    expect(wasm / 2 ** 20).toBeLessThanOrEqual(charged);
    expect(charged).toBeLessThan(1 + avifModuleMb(src, size.width * size.height, 1, false));

    // Alpha and 10-bit files scaled: the header facts of the freed decoder are kept.
    const alpha = await avif('alpha.avif');
    const a = decodeAvif(alpha, { size: { width: 1000, height: 750 } });
    expect([a.width, a.height, a.alpha]).toEqual([1000, 750, true]);
    expect(a.data[375 * 1000 * 4 + 3]).toBeLessThan(8); // the gradient's transparent edge
    expect(a.data[(375 * 1000 + 999) * 4 + 3]).toBeGreaterThan(247);
    const deep = decodeAvif(await avif('10bit.avif'), { size: { width: 500, height: 300 } });
    expect([deep.width, deep.height, deep.depth]).toEqual([500, 300, 10]);

    // A size equal to the rectangle is not scaled: the decoder's own planes are converted (4:4:4,
    // so the rectangle's start is not moved to a chroma grid).
    const odd = { left: 1001, top: 333, width: 301, height: 197 };
    const same = decodeAvif(photo, { rect: odd, size: { width: 301, height: 197 } });
    const boxed = decodeAvif(photo, { rect: odd, box: 1 });
    expect(maxDiff(same.data, boxed.data)).toBe(0);
  });

  it('reads the AV1 coding from av1C, and the planner prices the decoder frame by it', async () => {
    expect(probe(photo).avifCoding).toEqual({ bitDepth: 8, chroma: '4:4:4' });
    expect(probe(await avif('10bit.avif')).avifCoding).toEqual({ bitDepth: 10, chroma: '4:2:0' });
    const deep = await avif('10bit-444.avif');
    const facts = { ...probe(deep), bytes: deep.byteLength };
    expect(facts.avifCoding).toEqual({ bitDepth: 10, chroma: '4:4:4' });
    // A 10-bit 4:4:4 frame takes 6 bytes a pixel: more than an 8-bit 4:4:4 one is charged.
    for (const [opts, out, box, scaled] of [
      [{ box: 8 }, 128 * 96, 8, false],
      [{ size: { width: 800, height: 600 } }, 800 * 600, 0, true],
    ] as const) {
      let wasm = 0;
      decodeAvif(deep, opts, (img) => {
        wasm = (wasmMemory().avifDec ?? 0) / 2 ** 20;
        return img;
      });
      const shallow = { ...facts, avifCoding: { bitDepth: 8, chroma: '4:4:4' } } as const;
      expect(wasm).toBeGreaterThan(1 + avifModuleMb(shallow, out, box, scaled));
      expect(wasm).toBeLessThanOrEqual(1 + avifModuleMb(facts, out, box, scaled));
      // Unknown (rows stored before it was recorded): the largest frame.
      const unknown = { ...facts, avifCoding: undefined };
      expect(avifModuleMb(unknown, out, box, scaled)).toBeGreaterThanOrEqual(
        avifModuleMb(facts, out, box, scaled),
      );
    }
  });

  it('decodes 10-bit AVIFs to 8-bit RGBA', async () => {
    const bytes = await avif('10bit.avif');
    const img = decodeAvif(bytes);
    expect([img.depth, img.width]).toEqual([10, 1024]);
    // sharp's prebuilt libheif cannot decode 10-bit: compare with the 8-bit source resized.
    const src = await env.FIXTURES.fetch(
      `http://fixtures/sharp/images/phone/IMG_1063.JPG?w=${img.width}&h=${img.height}&icc=ignore`,
    );
    expect(psnr(img, new Uint8Array(await src.arrayBuffer()))).toBeGreaterThan(30);
  });

  it('reports the nclx code points', async () => {
    const img = decodeAvif(await avif('p3-nclx.avif'));
    expect(img.cicp).toEqual({ primaries: 12, transfer: 13 });
    expect(
      decodeAvif(photo, { rect: { left: 0, top: 0, width: 8, height: 8 } }).cicp.primaries,
    ).not.toBe(12);
  });

  it('is what decodeImage returns for AVIF', async () => {
    const img = await decodeImage(await avif('10bit.avif'), 'avif');
    expect(img.width).toBe(1024);
  });

  it('rejects a rectangle outside the image and a bad factor', () => {
    expect(() =>
      decodeAvif(photo, { rect: { left: 4000, top: 0, width: 100, height: 10 } }),
    ).toThrow(DecodeError);
    expect(() => decodeAvif(photo, { box: 0 })).toThrow(RangeError);
    expect(() => decodeAvif(photo, { box: 65 })).toThrow(RangeError);
  });

  it('refuses images above the pixel limit before decoding', () => {
    expect(() => decodeAvif(photo, { maxPixels: 1_000_000 })).toThrow(/too-large/);
  });

  it('gives only DecodeErrors or images for truncated and mutated files, and keeps working', async () => {
    const small = await avif('10bit.avif');
    for (let n = 1; n < small.length; n = Math.ceil(n * 1.7)) {
      expect(() => decodeAvif(small.subarray(0, n))).toThrow(DecodeError);
    }
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), {
          minLength: 1,
          maxLength: 12,
        }),
        (edits) => {
          const bytes = small.slice();
          for (const [at, v] of edits) bytes[at % bytes.length] = v;
          try {
            const img = decodeAvif(bytes, { box: 2 });
            return img.data.length === img.width * img.height * 4;
          } catch (err) {
            return err instanceof DecodeError;
          }
        },
      ),
      { numRuns: 60, seed: 13 },
    );
    expect(decodeAvif(small).width).toBe(1024);
  });
});
