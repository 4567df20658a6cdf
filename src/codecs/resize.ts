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
 * Resizes `img` to exactly `width x height` pixels (no aspect-ratio handling: the caller picks
 * the size). Returns `img` itself when the size is unchanged. The result's `data` is a fresh
 * buffer.
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
  const src = new Uint8Array(img.data.buffer, img.data.byteOffset, img.data.byteLength);
  const data = await withCodec('resize', (c) =>
    c.resize(src, img.width, img.height, width, height, method, premultiply, opts.linear ?? false),
  );
  if (data.length !== width * height * 4)
    throw new Error(`resize: codec returned ${data.length} bytes for ${width}x${height}`);
  return { data, width, height };
}
