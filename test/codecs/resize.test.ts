/**
 * resizeImage: exact output sizes, identity, premultiplied alpha (no halos), linear light,
 * argument validation; and lazy codec instantiation (this file never touches AVIF or WebP).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeImage } from '../../src/codecs/decode';
import { hasTransparency, resizeImage, type ResizeMethod } from '../../src/codecs/resize';
import type { RawImage } from '../../src/codecs/types';
import { wasmMemory } from '../../wasm/instances';
import { fixture } from '../helpers';

let photo: RawImage; // kodim01, 768x512

beforeAll(async () => {
  photo = await decodeImage(await fixture('images/kodak/kodim01.png'), 'png');
});

/** Left half opaque red, right half fully transparent green. */
function redAndClear(width: number, height: number): RawImage {
  const data = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++)
      data.set(x < width / 2 ? [255, 0, 0, 255] : [0, 255, 0, 0], (y * width + x) * 4);
  return { data, width, height };
}

describe('codec instances', () => {
  it('are created lazily: decoding PNG and resizing never instantiates the others', async () => {
    await resizeImage(photo, 100, 50);
    const names = Object.keys(wasmMemory()).sort();
    expect(names).toEqual(['pngCodec', 'resize']);
  });
});

describe('resizeImage', () => {
  it.each([
    [300, 200],
    [1000, 700],
    [123, 45],
    [1, 1],
    [768, 1],
    [1, 512],
  ])('gives exactly %ix%i', async (width, height) => {
    const out = await resizeImage(photo, width, height);
    expect([out.width, out.height]).toEqual([width, height]);
    expect(out.data).toBeInstanceOf(Uint8ClampedArray);
    expect(out.data.length).toBe(width * height * 4);
  });

  it.each(['lanczos3', 'mitchell', 'catrom', 'triangle'] as ResizeMethod[])(
    'supports %s',
    async (method) => {
      const out = await resizeImage(photo, 200, 150, { method });
      expect(out.data.length).toBe(200 * 150 * 4);
      // A fair downscale keeps the mean brightness.
      const mean = (img: RawImage) => img.data.reduce((s, v) => s + v, 0) / img.data.length;
      expect(Math.abs(mean(out) - mean(photo))).toBeLessThan(2);
    },
  );

  it('returns the input itself when the size is unchanged', async () => {
    expect(await resizeImage(photo, 768, 512)).toBe(photo);
  });

  it('does not alter its input and accepts a view into a larger buffer', async () => {
    const backing = new Uint8ClampedArray(photo.data.length + 40);
    backing.set(photo.data, 40);
    const view: RawImage = { ...photo, data: backing.subarray(40) };
    const a = await resizeImage(view, 64, 64);
    const b = await resizeImage(photo, 64, 64);
    expect(a.data.every((v, i) => v === b.data[i])).toBe(true);
    expect(backing.subarray(40).every((v, i) => v === photo.data[i])).toBe(true);
  });

  it('premultiplies alpha, so transparent colour does not bleed into edges', async () => {
    const img = redAndClear(64, 8);
    const straight = await resizeImage(img, 20, 4, { premultiply: false });
    const premul = await resizeImage(img, 20, 4, { premultiply: true });
    let bleedStraight = 0;
    let bleedPremul = 0;
    for (let i = 0; i < premul.data.length; i += 4) {
      if (premul.data[i + 3]! > 0) bleedPremul = Math.max(bleedPremul, premul.data[i + 1]!);
      if (straight.data[i + 3]! > 0) bleedStraight = Math.max(bleedStraight, straight.data[i + 1]!);
    }
    expect(bleedStraight).toBeGreaterThan(60); // green halo on the red edge
    expect(bleedPremul).toBeLessThan(8);
  });

  it('premultiplies by default only when some pixel is transparent', async () => {
    const img = redAndClear(64, 8);
    expect(hasTransparency(img.data)).toBe(true);
    expect(hasTransparency(photo.data)).toBe(false);
    const byDefault = await resizeImage(img, 20, 4);
    const premul = await resizeImage(img, 20, 4, { premultiply: true });
    expect(byDefault.data).toEqual(premul.data);
  });

  it('resamples sRGB values unless linear is set', async () => {
    // 1-pixel black/white columns averaged 2:1 → sRGB mean 128, linear-light mean ≈ 188.
    const width = 64;
    const data = new Uint8ClampedArray(width * 4 * 4);
    for (let i = 0; i < width * 4; i++)
      data.set(i % 2 ? [255, 255, 255, 255] : [0, 0, 0, 255], i * 4);
    const img = { data, width, height: 4 };
    const srgb = await resizeImage(img, width / 2, 2, { method: 'triangle' });
    const linear = await resizeImage(img, width / 2, 2, { method: 'triangle', linear: true });
    const mid = (r: RawImage) => r.data[(r.width + r.width / 2) * 4]!;
    expect(Math.abs(mid(srgb) - 128)).toBeLessThan(6);
    expect(Math.abs(mid(linear) - 188)).toBeLessThan(6);
  });

  it('rejects bad sizes and malformed images with RangeError', async () => {
    for (const [w, h] of [
      [0, 10],
      [10, -1],
      [10.5, 10],
      [NaN, 10],
    ])
      await expect(resizeImage(photo, w!, h!)).rejects.toThrow(RangeError);
    await expect(resizeImage({ ...photo, width: 767 }, 10, 10)).rejects.toThrow(RangeError);
  });
});
