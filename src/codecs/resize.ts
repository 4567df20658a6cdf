/**
 * Resampling of RGBA8 images with squoosh's resize codec (Rust `resize` 0.3 crate, shipped in
 * @jsquash/resize), called directly rather than through @jsquash/resize's `resize()`, which
 * crops for `fitMethod` and copies the input again.
 */
import { withCodec } from '../../wasm';
import type { RawImage } from './types';

/** Resampling filters, in the order the wasm `resize` export numbers them. */
const METHODS = ['triangle', 'catrom', 'mitchell', 'lanczos3'] as const;

/** Filter names accepted by {@link resizeImage}. */
export type ResizeMethod = (typeof METHODS)[number];

/** Options for {@link resizeImage}. */
export interface ResizeOptions {
  /** Filter (default `lanczos3`). */
  method?: ResizeMethod;
  /** Resample in linear light instead of on sRGB-encoded values (default false). */
  linear?: boolean;
  /**
   * Premultiply colour by alpha while resampling, so transparent pixels' colours do not bleed
   * into edges (halos). Default: true when any pixel has alpha < 255. Pass the probe's
   * `hasAlpha` to skip that scan.
   */
  premultiply?: boolean;
}

/** True when some pixel of `data` (RGBA8) has alpha < 255. */
export function hasTransparency(data: Uint8ClampedArray): boolean {
  for (let i = 3; i < data.length; i += 4) if (data[i]! < 255) return true;
  return false;
}

/**
 * Box-filter shrink by an integer factor `k` into a new buffer: output pixel (x, y) is the mean of the
 * k×k input block at (kx, ky) (blocks at the right and bottom edges are partial and averaged
 * over the pixels they have). With `premultiply`, colour is weighted by alpha so transparent
 * pixels do not darken edges. One read of every input pixel; the output is 1/k² the size.
 * This is libvips' `shrink` step before its `reduce`.
 */
export function boxShrink(img: RawImage, k: number, premultiply: boolean): RawImage {
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

/**
 * The integer box-shrink factor before lanczos3 for a reduction from `src` to `dst` pixels:
 * the largest that leaves lanczos3 at least a 1.5x reduction. Measured with `npm run bench`
 * on Carrie.jpg 12 MP → 800x1067 against sharp's lanczos3: leaving ≥ 2x (libvips' rule; no
 * shrink at 3.75x) gives SSIM 0.9992 in 236 ms with 99 MiB of resize memory; ≥ 1.5x (k = 2)
 * gives 0.9982 in 172 ms with 40 MiB; ≥ 1.2x (k = 3) drops to 0.9894.
 */
export const preShrinkFactor = (srcW: number, srcH: number, dstW: number, dstH: number) =>
  Math.max(1, Math.floor(Math.min(srcW / dstW, srcH / dstH) / 1.5));

/**
 * Resizes `img` to exactly `width x height` pixels (no aspect-ratio handling: the caller picks
 * the size). Returns `img` itself when the size is unchanged. The result's `data` is a fresh
 * buffer. Large reductions box-shrink first (see {@link preShrinkFactor}).
 * @throws RangeError for a non-integer or non-positive size or a malformed RawImage; Error
 *   when the codec traps (e.g. out of memory; its instance is replaced for the next call).
 */
export async function resizeImage(
  img: RawImage,
  width: number,
  height: number,
  opts: ResizeOptions = {},
): Promise<RawImage> {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1)
    throw new RangeError(`resize: bad target size ${width}x${height}`);
  if (img.data.length !== img.width * img.height * 4 || img.width < 1 || img.height < 1)
    throw new RangeError(`resize: ${img.data.length} bytes for ${img.width}x${img.height} RGBA`);
  if (width === img.width && height === img.height) return img;
  const method = METHODS.indexOf(opts.method ?? 'lanczos3');
  if (method < 0) throw new RangeError(`resize: unknown method ${String(opts.method)}`);
  const premultiply = opts.premultiply ?? hasTransparency(img.data);
  // Large reductions: a cheap box shrink first, lanczos3 for the rest.
  const k = preShrinkFactor(img.width, img.height, width, height);
  if (k >= 2) img = boxShrink(img, k, premultiply);
  const src = new Uint8Array(img.data.buffer, img.data.byteOffset, img.data.byteLength);
  const data = await withCodec('resize', (c) =>
    c.resize(src, img.width, img.height, width, height, method, premultiply, opts.linear ?? false),
  );
  if (data.length !== width * height * 4)
    throw new Error(`resize: codec returned ${data.length} bytes for ${width}x${height}`);
  return { data, width, height };
}
