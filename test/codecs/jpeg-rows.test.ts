/**
 * The rows JPEG encoder (src/codecs/jpeg-rows.ts, wasm/jpeg_turbo_enc.wasm: libjpeg-turbo's
 * compressor): its files decode to the size written and close to the pixels (PSNR), progressive
 * and baseline; rows out of order or left out are refused; the instance's memory stays within
 * the planner's figure (transform/jpeg-rows-cost.ts); the whole-buffer form makes the same file
 * as rows; the file drained out of wasm as it is written is the one jpeg_mem_dest made; the
 * single pass is baseline, decodes to the two passes' pixels and holds no coefficients; and the
 * row sink (codecs/row-sink.ts) keeps WebP's bytes.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { dropCodecs, wasmMemory } from '../../wasm/instances';
import { decodeImage } from '../../src/codecs/decode';
import { encodeImage } from '../../src/codecs/encode';
import { encodeJpegFilled, encodeJpegRows } from '../../src/codecs/jpeg-rows';
import { decodeJpegTurbo } from '../../src/codecs/jpeg-turbo';
import { rowSink } from '../../src/codecs/row-sink';
import type { RawImage } from '../../src/codecs/types';
import { JPEG_ROWS_FIXED_MB, jpegRowsEncodeMb } from '../../src/transform/jpeg-rows-cost';
import { fixture, psnr } from '../helpers';

const MiB = 1024 * 1024;
let img: RawImage; // Carrie.jpg at 3/8: 1125x1500

beforeAll(async () => {
  img = decodeJpegTurbo(await fixture('images/large/Carrie.jpg'), 3);
});

/** Encodes `src` row by row, in order. */
const fromRows = (src: RawImage, quality: number, progressive = true) =>
  encodeJpegRows(
    src.width,
    src.height,
    (rowAt) => {
      const n = src.width * 4;
      for (let y = 0; y < src.height; y++) rowAt(y).set(src.data.subarray(y * n, (y + 1) * n));
    },
    { quality, progressive },
  );

describe('encodeJpegRows', () => {
  it.each([true, false])(
    'makes a JPEG that decodes close to its rows (progressive %s)',
    async (p) => {
      dropCodecs();
      const jpg = fromRows(img, 82, p);
      expect([...jpg.subarray(0, 3)]).toEqual([0xff, 0xd8, 0xff]);
      // SOF2 (progressive) or SOF0 (baseline) marker.
      const sof = p ? [0xff, 0xc2] : [0xff, 0xc0];
      expect(jpg.findIndex((b, i) => b === sof[0] && jpg[i + 1] === sof[1])).toBeGreaterThan(0);
      const back = await decodeImage(jpg, 'jpeg');
      expect([back.width, back.height]).toEqual([1125, 1500]);
      expect(psnr(back.data, img.data)).toBeGreaterThan(36);
      // Within the planner's figure (the instance: fixed + coefficients + output).
      const held = (wasmMemory().jpegRowsEnc ?? 0) / MiB;
      expect(held).toBeGreaterThan(0);
      expect(held).toBeLessThanOrEqual(
        JPEG_ROWS_FIXED_MB + jpegRowsEncodeMb((1125 * 1500) / 1e6, 82, false),
      );
    },
  );

  it('gets better and larger with quality', async () => {
    const low = fromRows(img, 40);
    const high = fromRows(img, 95);
    expect(high.length).toBeGreaterThan(2 * low.length);
    const [l, h] = [await decodeImage(low, 'jpeg'), await decodeImage(high, 'jpeg')];
    expect(psnr(h.data, img.data)).toBeGreaterThan(psnr(l.data, img.data) + 4);
  });

  it('makes the same file from the whole image written at once', () => {
    const whole = encodeJpegFilled(img.width, img.height, (px) => px.set(img.data), {
      quality: 82,
    });
    expect(whole).toEqual(fromRows(img, 82));
  });

  it('drains the same bytes jpeg_mem_dest gave (two-pass, progressive and baseline)', async () => {
    // sha256 of the files the module made with jpeg_mem_dest (wasm sha 0bc8431a…, session 12).
    const sha = async (b: Uint8Array) =>
      [...new Uint8Array(await crypto.subtle.digest('SHA-256', b))]
        .map((x) => x.toString(16).padStart(2, '0'))
        .join('');
    expect([await sha(fromRows(img, 82, true)), await sha(fromRows(img, 95, false))]).toEqual([
      '4e0f621e0c31aa34677ed09eae8f9437a03eddb29c8ac06e3257e02e23f5bdab',
      '36d045453e16831df3a91eee8ecdf734289d9a9aaeb4ea8e6dd894d2b60b634c',
    ]);
  });

  it('in one pass: baseline, the same pixels as two passes, a few % larger, no coefficients held', async () => {
    dropCodecs();
    const one = encodeJpegRows(
      img.width,
      img.height,
      (rowAt) => {
        const n = img.width * 4;
        for (let y = 0; y < img.height; y++) rowAt(y).set(img.data.subarray(y * n, (y + 1) * n));
      },
      { quality: 82, singlePass: true },
    );
    // The instance: 1 MiB initial memory, the band of 32 rows, libjpeg's state and one 256 KiB
    // segment; no coefficients (4.8 MiB for this image in two passes).
    const held = (wasmMemory().jpegRowsEnc ?? 0) / MiB;
    expect(held).toBeGreaterThan(0);
    expect(held).toBeLessThanOrEqual(2);
    expect(one.findIndex((b, i) => b === 0xff && one[i + 1] === 0xc0)).toBeGreaterThan(0);
    // Only the Huffman coding differs: the same quantised coefficients, so the same pixels.
    const two = fromRows(img, 82, true);
    const [a, b] = [await decodeImage(one, 'jpeg'), await decodeImage(two, 'jpeg')];
    expect(psnr(a.data, img.data)).toBeCloseTo(psnr(b.data, img.data), 2);
    expect(one.length).toBeGreaterThan(two.length);
    expect(one.length).toBeLessThan(two.length * 1.12);
    // Within the planner's one-pass figure (fixed + output).
    expect(held).toBeLessThanOrEqual(
      JPEG_ROWS_FIXED_MB + jpegRowsEncodeMb((1125 * 1500) / 1e6, 82, false, true),
    );
  });

  it('refuses rows out of order or left out, and keeps working afterwards', () => {
    const rgba = new Uint8ClampedArray(64 * 4);
    expect(() => encodeJpegRows(64, 64, (rowAt) => void rowAt(1), { quality: 80 })).toThrow(
      RangeError,
    );
    expect(() => encodeJpegRows(64, 64, (rowAt) => rowAt(0).set(rgba), { quality: 80 })).toThrow(
      /1 of 64 rows/,
    );
    expect(() => encodeJpegRows(0, 64, () => undefined, { quality: 80 })).toThrow(RangeError);
    expect(() => encodeJpegRows(8, 8, () => undefined, { quality: 0 })).toThrow(RangeError);
    const small = { data: img.data.subarray(0, 1125 * 4 * 40), width: 1125, height: 40 };
    expect(fromRows(small, 80).length).toBeGreaterThan(1000);
  });
});

describe('rowSink', () => {
  it('keeps WebP bytes: the same file as encodeImage', async () => {
    const small = { data: img.data.slice(0, 1125 * 4 * 100), width: 1125, height: 100 };
    const n = small.width * 4;
    const sunk = rowSink({ format: 'webp' }, 80).rows(small.width, small.height, (rowAt) => {
      for (let y = small.height - 1; y >= 0; y--)
        rowAt(y).set(small.data.subarray(y * n, (y + 1) * n));
    });
    expect(sunk).toEqual(await encodeImage(small, 'webp', { quality: 80 }));
  });

  it('takes JPEG rows top to bottom only', () => {
    const sink = rowSink({ format: 'jpeg', progressive: true }, undefined);
    expect(sink.anyOrder).toBe(false);
    expect(() => sink.rows(8, 64, (rowAt) => void rowAt(63))).toThrow(RangeError);
  });
});
