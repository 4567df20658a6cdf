/**
 * decodeJpegResized (src/codecs/jpeg-scaled.ts): decode at 1/denom + crop + lanczos3 in one
 * jpeg_scaled.wasm call, against the path it replaces (decodeJpegScaled, a JS crop, then
 * resizeImage); sizes, errors and instance recovery, and its wasm memory.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeJpegResized, decodeJpegScaled, JpegDecodeError } from '../../src/codecs/jpeg-scaled';
import type { PixelRect } from '../../src/codecs/types';
import { dropCodecs, wasmMemory } from '../../wasm/instances';
import { resizeImage } from '../../src/codecs/resize';
import type { RawImage } from '../../src/codecs/types';
import { fixture, psnr } from '../helpers';

const MiB = 1024 * 1024;

let carrie: Uint8Array; // 3000x4000 baseline 4:2:0; 1500x2000 at 1/2
let cmyk: Uint8Array; // 80x16 YCCK, five colour patches (test/fixtures/README.md)

beforeAll(async () => {
  carrie = await fixture('images/large/Carrie.jpg');
  cmyk = await fixture('local/cmyk.jpg');
});

/** A copy of `r` from `img`. */
function cropRgba(img: RawImage, r: PixelRect): RawImage {
  const data = new Uint8ClampedArray(r.width * r.height * 4);
  for (let y = 0; y < r.height; y++) {
    const s = ((r.top + y) * img.width + r.left) * 4;
    data.set(img.data.subarray(s, s + r.width * 4), y * r.width * 4);
  }
  return { data, width: r.width, height: r.height };
}

const allOpaque = (d: Uint8ClampedArray) => d.every((v, i) => i % 4 !== 3 || v === 255);

describe('decodeJpegResized', () => {
  it.each([
    [2, { left: 0, top: 0, width: 1500, height: 2000 }, 800, 1067],
    [2, { left: 317, top: 611, width: 500, height: 500 }, 200, 200],
    [4, { left: 0, top: 0, width: 750, height: 1000 }, 750, 1], // one axis unchanged
    [8, { left: 0, top: 0, width: 375, height: 500 }, 1, 1],
    [8, { left: 374, top: 499, width: 1, height: 1 }, 1, 1],
  ] as const)('1/%i, crop %o → %ix%i', (denom, crop, w, h) => {
    const out = decodeJpegResized(carrie, denom, crop, w, h);
    expect([out.width, out.height]).toEqual([w, h]);
    expect(out.data).toBeInstanceOf(Uint8ClampedArray);
    expect(out.data.length).toBe(w * h * 4);
    expect(allOpaque(out.data)).toBe(true);
  });

  it('matches decodeJpegScaled + resizeImage (lanczos3): Carrie 1/2 → 800x1067', async () => {
    const full = { left: 0, top: 0, width: 1500, height: 2000 };
    const got = decodeJpegResized(carrie, 2, full, 800, 1067);
    const ref = await resizeImage(decodeJpegScaled(carrie, 2), 800, 1067, { premultiply: false });
    // Measured: identical while resizeImage was @jsquash/resize (PSNR ∞, no channel differs;
    // workerd and Node); wasm/resize.wasm resamples in f32 (wasm/README.md).
    expect(psnr(got.data, ref.data)).toBeGreaterThanOrEqual(45);
  });

  it('matches a JS crop + resizeImage for a 500x500 window at an offset', async () => {
    const crop = { left: 1000, top: 1311, width: 500, height: 500 };
    const got = decodeJpegResized(carrie, 2, crop, 333, 251);
    const ref = await resizeImage(cropRgba(decodeJpegScaled(carrie, 2), crop), 333, 251, {
      premultiply: false,
    });
    // Measured: identical (the filter window is cut at the crop's edges, as for a JS crop).
    expect(psnr(got.data, ref.data)).toBeGreaterThanOrEqual(45);
  });

  it('copies the crop exactly when the size is unchanged', () => {
    const crop = { left: 11, top: 7, width: 123, height: 45 };
    const got = decodeJpegResized(carrie, 4, crop, 123, 45);
    expect(got.data).toEqual(cropRgba(decodeJpegScaled(carrie, 4), crop).data);
  });

  it('converts CMYK (YCCK) like decodeJpegScaled', async () => {
    const full = { left: 0, top: 0, width: 80, height: 16 };
    const got = decodeJpegResized(cmyk, 1, full, 40, 8);
    const ref = await resizeImage(decodeJpegScaled(cmyk, 1), 40, 8, { premultiply: false });
    expect(psnr(got.data, ref.data)).toBeGreaterThanOrEqual(45);
    // The no-ink patch (last 8 columns) stays white.
    const i = (4 * 40 + 36) * 4;
    expect([...got.data.subarray(i, i + 4)]).toEqual([255, 255, 255, 255]);
  });

  it.each([
    ['truncated', () => carrie.subarray(0, 100_000), 'malformed'],
    ['garbage', () => new Uint8Array(5000).fill(7), 'malformed'],
    ['SOI only', () => Uint8Array.of(0xff, 0xd8), 'malformed'],
  ] as const)('%s input: JpegDecodeError, then the next call works', (_, bytes, code) => {
    const full = { left: 0, top: 0, width: 1500, height: 2000 };
    let err: unknown;
    try {
      decodeJpegResized(bytes(), 2, full, 800, 1067);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(JpegDecodeError);
    expect((err as JpegDecodeError).code).toBe(code);
    expect(
      decodeJpegResized(carrie, 8, { left: 0, top: 0, width: 375, height: 500 }, 75, 100),
    ).toMatchObject({ width: 75, height: 100 });
  });

  it('refuses bad arguments with RangeError', () => {
    const full = { left: 0, top: 0, width: 1500, height: 2000 };
    expect(() => decodeJpegResized(carrie, 2, { ...full, left: 1 }, 800, 1067)).toThrow(
      /outside the decoded image/,
    );
    expect(() => decodeJpegResized(carrie, 2, full, 1501, 1067)).toThrow(RangeError);
    expect(() => decodeJpegResized(carrie, 2, { ...full, height: 0 }, 1, 1)).toThrow(RangeError);
    expect(() => decodeJpegResized(carrie, 2, { ...full, left: 0.5 }, 1, 1)).toThrow(RangeError);
    // @ts-expect-error: 3 is not a JpegScale
    expect(() => decodeJpegResized(carrie, 3, full, 1, 1)).toThrow(RangeError);
    expect(() => decodeJpegResized(carrie, 2, full, 800, 1067, 11_999_999)).toThrow(
      expect.objectContaining({ code: 'too-large' }),
    );
  });

  it('Carrie 1/2 → 800x1067 needs at most 24 MiB of wasm memory', () => {
    dropCodecs(); // a fresh instance: its memory afterwards is this call's peak
    decodeJpegResized(carrie, 2, { left: 0, top: 0, width: 1500, height: 2000 }, 800, 1067);
    // Measured: 17.1 MiB (decodeJpegScaled alone: 20.0 MiB, plus 40.4 MiB in
    // @jsquash/resize, the resize step then). Below the 32 MiB drop threshold: the instance stays.
    expect(wasmMemory().jpegScaled).toBeGreaterThan(0);
    expect(wasmMemory().jpegScaled).toBeLessThanOrEqual(24 * MiB);
  });
});
