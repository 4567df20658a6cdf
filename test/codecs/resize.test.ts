/**
 * resizeImage (wasm/resize.wasm): exact output sizes in both directions, identity, pixels
 * close to sharp's lanczos3 (reductions, the box pre-shrink, alpha), premultiplied alpha (no
 * halos), wasm memory of rows only (source and output are streamed by rows), argument
 * validation; lazy instantiation; and WebP/GIF sources resized through the Worker.
 */
import { env } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeImage } from '../../src/codecs/decode';
import { encodeImage } from '../../src/codecs/encode';
import { hasTransparency, resizeImage, resizeRows } from '../../src/codecs/resize';
import type { RawImage } from '../../src/codecs/types';
import { wasmMemory } from '../../wasm/instances';
import { call, fixture, upload } from '../helpers';

const MiB = 1024 * 1024;
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

/** sharp's lanczos3 resize of a ../shared file (or of `body`) to exactly w x h, RGBA8. */
async function sharpResize(source: string | Uint8Array, width: number, height: number) {
  const q = `w=${width}&h=${height}&icc=ignore`;
  const res =
    typeof source === 'string'
      ? await env.FIXTURES.fetch(`http://fixtures/sharp/${source}?${q}`)
      : await env.FIXTURES.fetch(`http://fixtures/sharp/?${q}`, { method: 'POST', body: source });
  expect(res.status).toBe(200);
  return { data: new Uint8ClampedArray(await res.arrayBuffer()), width, height };
}

/**
 * Mean absolute difference per channel (0-255) of two RGBA8 images of one size: colour
 * weighted by the smaller alpha (a transparent pixel's colour is not seen), alpha as is.
 */
function meanDiff(a: RawImage, b: RawImage): { colour: number; alpha: number } {
  expect([a.width, a.height]).toEqual([b.width, b.height]);
  let colour = 0;
  let alpha = 0;
  for (let i = 0; i < a.data.length; i += 4) {
    const w = Math.min(a.data[i + 3]!, b.data[i + 3]!) / 255;
    for (let c = 0; c < 3; c++) colour += Math.abs(a.data[i + c]! - b.data[i + c]!) * w;
    alpha += Math.abs(a.data[i + 3]! - b.data[i + 3]!);
  }
  const n = a.data.length / 4;
  return { colour: colour / (3 * n), alpha: alpha / n };
}

/**
 * Largest green (the transparent half's colour) in any visible pixel: a halo where colour
 * is resampled without premultiplying.
 */
function greenBleed(img: RawImage): number {
  let bleed = 0;
  for (let i = 0; i < img.data.length; i += 4)
    if (img.data[i + 3]! > 0) bleed = Math.max(bleed, img.data[i + 1]!);
  return bleed;
}

describe('codec instances', () => {
  it('are created lazily: decoding PNG and resizing instantiate no other codec', async () => {
    await resizeImage(photo, 100, 50);
    expect(Object.keys(wasmMemory()).sort()).toEqual(['pngCodec', 'resize']);
  });
});

describe('resizeImage', () => {
  it.each([
    [300, 200],
    [1000, 700], // enlargement
    [1000, 300], // wider and shorter
    [123, 45],
    [96, 64], // 8x: box pre-shrink by 5
    [1, 1],
    [768, 1],
    [1, 512],
    [3000, 2], // 2 rows, 4x wider
  ])('gives exactly %ix%i, keeping the mean brightness', async (width, height) => {
    const out = await resizeImage(photo, width, height);
    expect([out.width, out.height]).toEqual([width, height]);
    expect(out.data).toBeInstanceOf(Uint8ClampedArray);
    expect(out.data.length).toBe(width * height * 4);
    const mean = (img: RawImage) => img.data.reduce((s, v) => s + v, 0) / img.data.length;
    expect(Math.abs(mean(out) - mean(photo))).toBeLessThan(width * height > 2 ? 3 : 40);
  });

  it.each([
    [300, 200],
    [1000, 700],
  ])(
    'resizeRows to %ix%i pausing (JSPI): the same rows, a pause per slice of source rows',
    async (width, height) => {
      const whole = await resizeImage(photo, width, height, { premultiply: false });
      const rows = new Uint8ClampedArray(width * height * 4);
      let pauses = 0;
      let written = 0;
      const resized = resizeRows(
        photo,
        width,
        height,
        (row, y) => {
          written++;
          rows.set(row, y * width * 4);
        },
        false,
        {
          rows: 64,
          pause: async () => {
            pauses++;
            await new Promise<void>((r) => setTimeout(r, 0));
          },
        },
      );
      expect(resized).toBeInstanceOf(Promise);
      await resized;
      expect(written).toBe(height);
      expect(pauses).toBe(Math.floor(photo.height / 64)); // 512 source rows
      expect(rows.findIndex((v, i) => v !== whole.data[i])).toBe(-1);
    },
  );

  it('returns the input itself when the size is unchanged', async () => {
    expect(await resizeImage(photo, 768, 512)).toBe(photo);
  });

  it('copies an unchanged axis exactly', async () => {
    const out = await resizeImage(photo, 768, 300);
    // Column 5 of the output is the lanczos3 of column 5 of the input only.
    const col = await resizeImage(
      {
        data: Uint8ClampedArray.from(
          { length: 512 * 4 },
          (_, i) => photo.data[(Math.floor(i / 4) * 768 + 5) * 4 + (i % 4)]!,
        ),
        width: 1,
        height: 512,
      },
      1,
      300,
    );
    for (let y = 0; y < 300; y++)
      expect([...out.data.subarray((y * 768 + 5) * 4, (y * 768 + 6) * 4)]).toEqual([
        ...col.data.subarray(y * 4, y * 4 + 4),
      ]);
  });

  it('does not alter its input and accepts a view into a larger buffer', async () => {
    const backing = new Uint8ClampedArray(photo.data.length + 40);
    backing.set(photo.data, 40);
    const view: RawImage = { ...photo, data: backing.subarray(40) };
    const a = await resizeImage(view, 64, 64);
    const b = await resizeImage(photo, 64, 64);
    expect(a.data).toEqual(b.data);
    expect(backing.subarray(40).every((v, i) => v === photo.data[i])).toBe(true);
  });

  it('premultiplies alpha, so transparent colour does not bleed into edges', async () => {
    for (const [w, h] of [
      [20, 4], // 3.2x
      [7, 1], // 9x: box pre-shrink by 6
      [200, 20], // enlargement
    ]) {
      const img = redAndClear(64, 8);
      const straight = await resizeImage(img, w!, h!, { premultiply: false });
      const premul = await resizeImage(img, w!, h!, { premultiply: true });
      expect(greenBleed(straight), `${w}x${h}`).toBeGreaterThan(40); // a green halo
      expect(greenBleed(premul), `${w}x${h}`).toBe(0);
    }
  });

  it('premultiplies by default only when some pixel is transparent', async () => {
    const img = redAndClear(64, 8);
    expect(hasTransparency(img.data)).toBe(true);
    expect(hasTransparency(photo.data)).toBe(false);
    const byDefault = await resizeImage(img, 20, 4);
    const premul = await resizeImage(img, 20, 4, { premultiply: true });
    expect(byDefault.data).toEqual(premul.data);
  });

  it('rejects bad sizes and malformed images with RangeError', async () => {
    for (const [w, h] of [
      [0, 10],
      [10, -1],
      [10.5, 10],
      [NaN, 10],
      [20000, 20000], // above 2^28 pixels: refused before anything is allocated
    ])
      await expect(resizeImage(photo, w!, h!)).rejects.toThrow(RangeError);
    await expect(resizeImage({ ...photo, width: 767 }, 10, 10)).rejects.toThrow(RangeError);
    expect(await resizeImage(photo, 10, 10)).toMatchObject({ width: 10, height: 10 });
  });
});

describe('pixels against sharp (lanczos3)', () => {
  // Measured (mean |Δ| colour / alpha): kodim01 → 300x200 0.24 / 0; kodim05 → 400x267 (box
  // 1) and blackbug → 400x300 (box 3) and the alpha demo → 200x150 (box 2) within 0.7 / 0.1.
  // sharp's own pre-shrink rule differs (it leaves lanczos3 ≥ 2x, ours ≥ 1.5x), and sharp
  // enlarges with a bicubic interpolator, not lanczos3, so only reductions are compared.
  it.each([
    ['images/kodak/kodim01.png', 300, 200, 0.5],
    ['images/kodak/kodim05.png', 400, 267, 0.8],
    ['images/alpha/blackbug.png', 400, 300, 1],
    ['images/alpha/PNG_transparency_demonstration_1.png', 200, 150, 1],
  ])('%s → %ix%i within mean %f', async (file, width, height, bound) => {
    const src = await decodeImage(await fixture(file), 'png');
    const ours = await resizeImage(src, width, height);
    const d = meanDiff(ours, await sharpResize(file, width, height));
    expect(d.colour).toBeLessThan(bound);
    expect(d.alpha).toBeLessThan(0.5);
  });
});

describe('wasm memory', () => {
  it('holds rows only, never the source or the output, in either direction', async () => {
    // Memory never shrinks, so the instance's size is its high-water mark over this file's
    // calls: rows only (the largest so far are 3000 px wide), far below any image here.
    const held = async (img: RawImage, width: number, height: number) => {
      const out = await resizeImage(img, width, height);
      expect(wasmMemory().resize ?? 0).toBeGreaterThan(0);
      expect(wasmMemory().resize ?? 0).toBeLessThan(2 * MiB);
      return out;
    };
    // 3000x2000 (24 MB of RGBA) → 800x533 (1.7 MB): the source is streamed in by rows.
    const big: RawImage = {
      data: new Uint8ClampedArray(3000 * 2000 * 4).fill(200),
      width: 3000,
      height: 2000,
    };
    expect((await held(big, 800, 533)).data.every((v) => v === 200)).toBe(true);
    // 2x2 → 300x4000 (4.8 MB out), 2000x taller: the output goes out row by row, and the
    // window of filtered rows is the filter's source rows (at most 7; not all 4000 output
    // rows, whose windows are all open at once: 19 MB of f32x4).
    const grey: RawImage = { data: new Uint8ClampedArray(16).fill(90), width: 2, height: 2 };
    expect((await held(grey, 300, 4000)).data.every((v) => v === 90)).toBe(true);
    // 1000x700 → 3000x2100 (25 MB out).
    expect(
      (
        await held(
          { ...big, width: 1000, height: 700, data: big.data.subarray(0, 2.8e6) },
          3000,
          2100,
        )
      ).width,
    ).toBe(3000);
  });
});

describe('sources resized outside the decoders, through the Worker', () => {
  /** Uploads a ../shared file and fetches `options` as PNG, decoded. */
  async function variant(file: string, options: string): Promise<RawImage> {
    const { res, json } = await upload(await fixture(file));
    expect([200, 201]).toContain(res.status);
    const out = await call(`/img/${json.id as string}/${options},f=png`);
    expect(out.status).toBe(200);
    expect(out.headers.get('content-type')).toBe('image/png');
    return decodeImage(new Uint8Array(await out.arrayBuffer()), 'png');
  }

  it('a lossy WebP with alpha (decoded whole, then resampled) is close to sharp, without halos', async () => {
    // 300x300 → 200x200: less than 2x, so libwebp decodes it whole and resizeImage resamples.
    // sharp gets our decode as a PNG (from the WebP itself it would shrink on load instead).
    // Measured: 0.36 / 0.09 (sharp's lanczos3 runs in libvips' premultiplied float path).
    const file = 'images/alpha/5_webp_a.webp';
    const got = await variant(file, 'w=200');
    expect([got.width, got.height]).toEqual([200, 200]);
    const full = await decodeImage(await fixture(file), 'webp');
    const d = meanDiff(got, await sharpResize(await encodeImage(full, 'png'), 200, 200));
    expect(d.colour).toBeLessThan(0.6);
    expect(d.alpha).toBeLessThan(0.2);
  });

  it('a GIF frame is resampled (premultiplied: its transparent pixels do not bleed)', async () => {
    const file = 'images/animated/rotating-squares.gif';
    const first = await decodeImage(await fixture(file), 'gif');
    const w = Math.round(first.width / 3);
    const h = Math.round((first.height * w) / first.width);
    const got = await variant(file, `w=${w},anim=false`);
    expect([got.width, got.height]).toEqual([w, h]);
    const want = await resizeImage(first, w, h, { premultiply: true });
    expect(meanDiff(got, want).colour).toBeLessThan(0.01);
  });
});
