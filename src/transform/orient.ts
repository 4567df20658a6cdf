/**
 * Orientation as one of the eight symmetries of a rectangle (the dihedral group D4): EXIF
 * orientation, `flip` and `rotate` compose into one {@link Orientation}, so the pipeline
 * crops and resizes in the stored (coded) frame and turns only the small result, once.
 *
 * An orientation maps an output pixel (x', y') to the stored pixel it shows. With output size
 * (W', H'): u = flipX ? W'-1-x' : x', v = flipY ? H'-1-y' : y'; the stored pixel is (v, u)
 * when `transpose`, else (u, v). EXIF values follow EXIF 2.32 / TIFF 6.0 tag 0x0112.
 */
import type { RawImage } from '../codecs/types';
import type { Rect, Size } from './geometry';
import type { Flip, Rotation } from './spec';

/** One of the eight orientations (see the module doc for the exact mapping). */
export interface Orientation {
  readonly transpose: boolean;
  readonly flipX: boolean;
  readonly flipY: boolean;
}

const O = (transpose: boolean, flipX: boolean, flipY: boolean): Orientation => ({
  transpose,
  flipX,
  flipY,
});

/** EXIF orientation 1..8 → the orientation that displays the stored pixels upright. */
const EXIF: readonly Orientation[] = [
  O(false, false, false), // 1 upright
  O(false, true, false), // 2 mirrored horizontally
  O(false, true, true), // 3 rotated 180°
  O(false, false, true), // 4 mirrored vertically
  O(true, false, false), // 5 transposed
  O(true, true, false), // 6 rotated 90° clockwise
  O(true, true, true), // 7 transversed
  O(true, false, true), // 8 rotated 270° clockwise
];
const ALL = EXIF;

/** The identity orientation. */
export const UPRIGHT: Orientation = EXIF[0]!;

/** The orientation for an EXIF value; 1 (upright) for anything outside 1..8. */
export const fromExif = (value: number): Orientation => EXIF[value - 1] ?? UPRIGHT;

/** Output size of `o` applied to an image of size `size`. */
export const orientSize = (o: Orientation, size: Size): Size =>
  o.transpose
    ? { width: size.height, height: size.width }
    : { width: size.width, height: size.height };

/** The stored pixel shown at output (x, y) for an input of size `src` (pixels). */
function sourceOf(o: Orientation, src: Size, x: number, y: number): [number, number] {
  const out = orientSize(o, src);
  const u = o.flipX ? out.width - 1 - x : x;
  const v = o.flipY ? out.height - 1 - y : y;
  return o.transpose ? [v, u] : [u, v];
}

/**
 * `second` applied after `first`, as one orientation. Found by comparing the eight
 * candidates on a 2×3 probe image (all eight act differently on it).
 */
export function compose(first: Orientation, second: Orientation): Orientation {
  const src = { width: 2, height: 3 };
  const mid = orientSize(first, src);
  const out = orientSize(second, mid);
  for (const candidate of ALL) {
    let same = orientSize(candidate, src).width === out.width;
    for (let y = 0; same && y < out.height; y++)
      for (let x = 0; same && x < out.width; x++) {
        const [mx, my] = sourceOf(second, mid, x, y);
        const [sx, sy] = sourceOf(first, src, mx, my);
        const [cx, cy] = sourceOf(candidate, src, x, y);
        same = sx === cx && sy === cy;
      }
    if (same) return candidate;
  }
  throw new Error('orient: composition outside D4'); // unreachable: D4 is closed
}

/**
 * The orientation from stored pixels to the final output: EXIF orientation, then `flip`,
 * then clockwise `rotate` (Cloudflare Images flips before rotating).
 */
export function outputOrientation(
  exif: number,
  flip: Flip | undefined,
  rotate: Rotation,
): Orientation {
  let o = fromExif(exif);
  if (flip) o = compose(o, flip === 'h' ? EXIF[1]! : flip === 'v' ? EXIF[3]! : EXIF[2]!);
  if (rotate) o = compose(o, rotate === 90 ? EXIF[5]! : rotate === 180 ? EXIF[2]! : EXIF[7]!);
  return o;
}

/**
 * Maps a rectangle in the output frame back to the stored frame (a D4 symmetry maps
 * axis-aligned rectangles to axis-aligned rectangles). `src` is the stored size.
 */
export function rectToSource(o: Orientation, src: Size, r: Rect): Rect {
  const [x0, y0] = sourceOf(o, src, r.left, r.top);
  const [x1, y1] = sourceOf(o, src, r.left + r.width - 1, r.top + r.height - 1);
  return {
    left: Math.min(x0, x1),
    top: Math.min(y0, y1),
    width: Math.abs(x1 - x0) + 1,
    height: Math.abs(y1 - y0) + 1,
  };
}

/**
 * Applies `o` to an image: one pass over its pixels (32-bit moves). Returns the input itself
 * when `o` is upright. Cost: width × height reads and writes; run it on the resized image.
 */
export function applyOrientation(img: RawImage, o: Orientation): RawImage {
  if (!o.transpose && !o.flipX && !o.flipY) return img;
  const out = orientSize(o, img);
  const data = new Uint8ClampedArray(out.width * out.height * 4);
  orientInto(img, o, data);
  return { data, width: out.width, height: out.height };
}

/**
 * Writes `img` with `o` applied into `dst` (RGBA8 of size `orientSize(o, img)`, 4-byte
 * aligned; an upright `o` copies). `img` may be a view into a decoder's memory, aligned or not.
 * @throws RangeError when `dst` is not that size or not aligned.
 */
export function orientInto(img: RawImage, o: Orientation, dst: Uint8ClampedArray): void {
  const place = rowPlacer(o, img, dst);
  const n = img.width * 4;
  for (let y = 0; y < img.height; y++) place(img.data.subarray(y * n, (y + 1) * n), y);
}

/**
 * Where the rows of a stored-frame image of size `src` go in `dst`, the RGBA8 image with `o`
 * applied (size `orientSize(o, src)`): the returned function puts stored row `y` (RGBA8,
 * `src.width` pixels) in its place, so a stage that produces rows one at a time (a resampler)
 * writes the turned image directly. Rows may come in any order; each pixel moves once.
 * @throws RangeError when `dst` is not that size.
 */
export function rowPlacer(
  o: Orientation,
  src: Size,
  dst: Uint8ClampedArray,
): (row: Uint8ClampedArray, y: number) => void {
  const out = orientSize(o, src);
  if (dst.length !== out.width * out.height * 4)
    throw new RangeError(`orient: ${dst.length} bytes for ${out.width}x${out.height} RGBA`);
  if (!o.transpose && !o.flipX && !o.flipY) return (row, y) => dst.set(row, y * src.width * 4);
  // Stored (x, y) shows at output (x', y'): the inverse of `sourceOf`. Along a stored row the
  // output index moves by `step` from `first(y)`.
  const W = out.width;
  const H = out.height;
  const px = asWords(dst);
  const step = o.transpose ? (o.flipY ? -W : W) : o.flipX ? -1 : 1;
  const first = (y: number) =>
    o.transpose
      ? (o.flipY ? (H - 1) * W : 0) + (o.flipX ? W - 1 - y : y)
      : (o.flipY ? H - 1 - y : y) * W + (o.flipX ? W - 1 : 0);
  let scratch = new Uint32Array(0);
  return (row, y) => {
    let words: Uint32Array;
    if (row.byteOffset % 4 === 0) words = asWords(row);
    else {
      // An unaligned row (a decoder's buffer): copy it to aligned words first.
      if (scratch.length !== row.length / 4) scratch = new Uint32Array(row.length / 4);
      new Uint8Array(scratch.buffer).set(row);
      words = scratch;
    }
    for (let x = 0, i = first(y); x < words.length; x++, i += step) px[i] = words[x]!;
  };
}

/** 32-bit words over RGBA8 bytes (one pixel each), aligned or copied (see {@link rowPlacer}). */
function asWords(px: Uint8ClampedArray): Uint32Array {
  if (px.byteOffset % 4 === 0) return new Uint32Array(px.buffer, px.byteOffset, px.length / 4);
  throw new RangeError('orient: the output buffer is not 4-byte aligned');
}
