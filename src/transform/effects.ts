/**
 * Pixel effects on the resized image: crop, blur, sharpen, pad and flatten. Each is one or a
 * few linear passes over RGBA8 pixels; they run after resizing, on output-sized images.
 */
import type { RawImage } from '../codecs/types';
import type { Point, Rect, Size } from './geometry';
import type { Rgba } from './spec';

/**
 * Crops in place: rows are moved to the front of the same buffer and a view of the result is
 * returned (no new allocation). The input must not be used afterwards. `r` must lie inside.
 */
export function cropInPlace(img: RawImage, r: Rect): RawImage {
  if (r.left === 0 && r.top === 0 && r.width === img.width && r.height === img.height) return img;
  const px = new Uint32Array(img.data.buffer, img.data.byteOffset, img.width * img.height);
  for (let y = 0; y < r.height; y++) {
    const start = (y + r.top) * img.width + r.left;
    px.copyWithin(y * r.width, start, start + r.width);
  }
  return {
    data: new Uint8ClampedArray(img.data.buffer, img.data.byteOffset, r.width * r.height * 4),
    width: r.width,
    height: r.height,
  };
}

/** One box-blur pass of radius `r` along rows (`horizontal`) or columns, all four channels. */
function boxPass(
  src: Uint8ClampedArray,
  dst: Uint8ClampedArray,
  w: number,
  h: number,
  r: number,
  horizontal: boolean,
) {
  const [len, lines, step, lineStep] = horizontal ? [w, h, 4, w * 4] : [h, w, w * 4, 4];
  const norm = 1 / (2 * r + 1);
  for (let line = 0; line < lines; line++) {
    const base = line * lineStep;
    for (let c = 0; c < 4; c++) {
      // Running sum with edge clamping.
      let sum = 0;
      for (let i = -r; i <= r; i++)
        sum += src[base + Math.min(len - 1, Math.max(0, i)) * step + c]!;
      for (let i = 0; i < len; i++) {
        dst[base + i * step + c] = sum * norm + 0.5;
        const add = Math.min(len - 1, i + r + 1);
        const sub = Math.max(0, i - r);
        sum += src[base + add * step + c]! - src[base + sub * step + c]!;
      }
    }
  }
}

/**
 * Gaussian-like blur: three box passes per axis (a close approximation of a Gaussian with
 * sigma ≈ radius / 2). Cost: 6 passes over the pixels whatever the radius. Returns a new image.
 */
export function blur(img: RawImage, radius: number): RawImage {
  const sigma = radius / 2;
  // Box radius for three passes giving this sigma (W. Jarosz, "Fast Image Convolutions").
  const r = Math.max(1, Math.round((Math.sqrt(4 * sigma * sigma + 1) - 1) / 2));
  const { width: w, height: h } = img;
  let a = new Uint8ClampedArray(img.data);
  let b = new Uint8ClampedArray(a.length);
  for (let pass = 0; pass < 3; pass++) {
    boxPass(a, b, w, h, r, true);
    [a, b] = [b, a];
    boxPass(a, b, w, h, r, false);
    [a, b] = [b, a];
  }
  return { data: a, width: w, height: h };
}

/**
 * Unsharp mask: out = in + amount × (in − blur₁(in)) on RGB, alpha untouched, with
 * amount = strength / 4 (strength 0..10 as in Cloudflare Images' `sharpen`). Returns a new image.
 */
export function sharpen(img: RawImage, strength: number): RawImage {
  const soft = blur(img, 2);
  const amount = strength / 4;
  const out = new Uint8ClampedArray(img.data.length);
  const s = img.data;
  for (let i = 0; i < s.length; i += 4) {
    out[i] = s[i]! + amount * (s[i]! - soft.data[i]!);
    out[i + 1] = s[i + 1]! + amount * (s[i + 1]! - soft.data[i + 1]!);
    out[i + 2] = s[i + 2]! + amount * (s[i + 2]! - soft.data[i + 2]!);
    out[i + 3] = s[i + 3]!;
  }
  return { data: out, width: img.width, height: img.height };
}

/**
 * Composites `img` over a canvas of `canvas` size filled with `bg`, at `offset`
 * ("source over", straight alpha). With an opaque `bg` the result is opaque. Used for
 * `fit=pad` and to flatten alpha (canvas = image size, offset 0). Returns a new image.
 */
export function composite(img: RawImage, canvas: Size, offset: Point, bg: Rgba): RawImage {
  const out = new Uint8ClampedArray(canvas.width * canvas.height * 4);
  const fill = new Uint32Array(out.buffer);
  fill.fill(new Uint32Array(new Uint8Array([bg.r, bg.g, bg.b, bg.a]).buffer)[0]!);
  const s = img.data;
  for (let y = 0; y < img.height; y++) {
    let si = y * img.width * 4;
    let di = ((y + offset.top) * canvas.width + offset.left) * 4;
    for (let x = 0; x < img.width; x++, si += 4, di += 4) {
      const a = s[si + 3]! / 255;
      if (a === 1) {
        out[di] = s[si]!;
        out[di + 1] = s[si + 1]!;
        out[di + 2] = s[si + 2]!;
        out[di + 3] = 255;
        continue;
      }
      const ba = (out[di + 3]! / 255) * (1 - a);
      const oa = a + ba;
      if (oa === 0) continue;
      out[di] = (s[si]! * a + out[di]! * ba) / oa;
      out[di + 1] = (s[si + 1]! * a + out[di + 1]! * ba) / oa;
      out[di + 2] = (s[si + 2]! * a + out[di + 2]! * ba) / oa;
      out[di + 3] = oa * 255;
    }
  }
  return { data: out, width: canvas.width, height: canvas.height };
}
