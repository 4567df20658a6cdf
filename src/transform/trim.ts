/**
 * `trim`: what is cut off the source before resizing, `flip` and `rotate` (Cloudflare Images,
 * https://developers.cloudflare.com/images/optimization/features/#trim).
 *
 * - Pixels (`trim=top;right;bottom;left`, `trim.width`, `trim.height`): CSS pixels × `dpr`, in
 *   the upright source (after EXIF orientation), known from the header: the window is planned
 *   before decoding, so shrink-on-load still applies.
 * - `trim=border`: libvips' find_trim (libvips/arithmetic/find_trim.c, as sharp's `trim()`
 *   calls it): any alpha is flattened over the background colour, each band median-filtered
 *   (3x3, edges copied), and a pixel is content when any band differs from the background by
 *   more than the tolerance, or when its median-filtered alpha differs from the background's
 *   alpha by more than it (sharp's second search, on the alpha band); the box is the bounding
 *   box of the content, grown by `keep` on each side. The background is `trim.border.color`,
 *   else the upright top-left pixel. Nothing is trimmed when every pixel is background.
 *   It needs the decoded pixels, at full resolution (transform/pipeline.ts): the box is exact.
 *   An animation is trimmed by its first frame's box, every frame alike.
 *
 * Cost of {@link findTrim}: it scans inward from each edge and stops at the first content
 * row or column, so it reads the trimmed border plus one line per side (each read a 3x3 median
 * per band), not the whole image, unless the image is all background.
 */
import type { RawImage } from '../codecs/types';
import type { Rect, Size } from './geometry';
import { fromExif, orientSize, rectToSource } from './orient';
import { deviceSide, type BorderTrim, type PixelTrim, type Rgba, type TransformSpec } from './spec';

/** The header facts a trim window needs: stored size and EXIF orientation. */
export interface TrimSource extends Size {
  readonly orientation: number;
}

/** The whole image as a rectangle. */
export const fullRect = (s: Size): Rect => ({ left: 0, top: 0, width: s.width, height: s.height });

/**
 * The pixel trim as a rectangle of the upright image of size `upright`: sides × `dpr`
 * (rounded), then `width`/`height` keep at most that much from the left/top edge left. A trim
 * that would leave nothing is cut short so that one pixel row or column remains.
 */
export function pixelTrimRect(upright: Size, t: PixelTrim, dpr: number): Rect {
  const d = (n: number) => deviceSide(n, dpr);
  const left = Math.min(upright.width - 1, d(t.left));
  const top = Math.min(upright.height - 1, d(t.top));
  let width = Math.max(1, upright.width - left - d(t.right));
  let height = Math.max(1, upright.height - top - d(t.bottom));
  if (t.width !== undefined) width = Math.max(1, Math.min(width, d(t.width)));
  if (t.height !== undefined) height = Math.max(1, Math.min(height, d(t.height)));
  return { left, top, width, height };
}

/** EXIF orientation whose mapping undoes `o`'s (6 and 8 are each other's; the rest self-inverse). */
const inverseExif = (o: number) => (o === 6 ? 8 : o === 8 ? 6 : o);

/**
 * The part of the stored image a spec keeps before resizing (stored frame): the pixel trim
 * mapped through the EXIF orientation, else the whole image (also for `trim=border`, whose
 * window is only known after decoding: {@link findTrim}).
 */
export function trimWindow(src: TrimSource, spec: TransformSpec): Rect {
  if (spec.trim?.kind !== 'pixels') return fullRect(src);
  const exif = fromExif(src.orientation);
  return rectToSource(exif, src, pixelTrimRect(orientSize(exif, src), spec.trim, spec.dpr));
}

/** A stored-frame window as a rectangle of the upright image (for the focal point). */
export function uprightWindow(src: TrimSource, window: Rect): Rect {
  const exif = fromExif(src.orientation);
  return rectToSource(fromExif(inverseExif(src.orientation)), orientSize(exif, src), window);
}

/** The stored pixel shown at the upright image's top-left corner: find_trim's background. */
export function uprightCorner(src: TrimSource): readonly [number, number] {
  const r = rectToSource(fromExif(src.orientation), src, { left: 0, top: 0, width: 1, height: 1 });
  return [r.left, r.top];
}

/** Compare-exchange pairs of the classic 19-step median-of-9 network (N. Devillard, 1998). */
const MEDIAN9: readonly (readonly [number, number])[] = [
  [1, 2],
  [4, 5],
  [7, 8],
  [0, 1],
  [3, 4],
  [6, 7],
  [1, 2],
  [4, 5],
  [7, 8],
  [0, 3],
  [5, 8],
  [4, 7],
  [3, 6],
  [1, 4],
  [2, 5],
  [4, 7],
  [4, 2],
  [6, 4],
  [4, 2],
];

/** Median of nine values (a sorting network; the array is reordered). */
function median9(v: Float64Array): number {
  const s = (i: number, j: number) => {
    if (v[i]! > v[j]!) {
      const t = v[i]!;
      v[i] = v[j]!;
      v[j] = t;
    }
  };
  for (const [i, j] of MEDIAN9) s(i, j);
  return v[4]!;
}

/**
 * The content box of `img` (RGBA8, straight alpha) for `trim=border` (see the module doc), in
 * its pixels. `corner` is the pixel whose colour is the background when `trim.color` is
 * absent; `hasAlpha` false skips the alpha search (every alpha is 255). Returns the whole
 * image when every pixel is background.
 */
export function findTrim(
  img: RawImage,
  trim: BorderTrim,
  corner: readonly [number, number],
  hasAlpha: boolean,
): Rect {
  const { width: W, height: H, data } = img;
  const at = (corner[1] * W + corner[0]) * 4;
  const bg: Rgba = trim.color ?? {
    r: data[at]!,
    g: data[at + 1]!,
    b: data[at + 2]!,
    a: data[at + 3]!,
  };
  const bgBand = [bg.r, bg.g, bg.b];
  const t = trim.tolerance;
  const win = new Float64Array(9);
  /** Band `c` (0..2 colour flattened over the background, 3 alpha) at (x, y), edges copied. */
  const band = (x: number, y: number, c: number) => {
    const i = ((y < 0 ? 0 : y >= H ? H - 1 : y) * W + (x < 0 ? 0 : x >= W ? W - 1 : x)) * 4;
    if (c === 3 || !hasAlpha) return data[i + c]!;
    const a = data[i + 3]!;
    return Math.trunc((data[i + c]! * a) / 255 + (bgBand[c]! * (255 - a)) / 255); // vips_flatten
  };
  const content = (x: number, y: number) => {
    for (let c = hasAlpha ? 3 : 2; c >= 0; c--) {
      let k = 0;
      for (let dy = -1; dy <= 1; dy++)
        for (let dx = -1; dx <= 1; dx++) win[k++] = band(x + dx, y + dy, c);
      if (Math.abs(median9(win) - (c === 3 ? bg.a : bgBand[c]!)) > t) return true;
    }
    return false;
  };
  const rowHas = (y: number) => {
    for (let x = 0; x < W; x++) if (content(x, y)) return true;
    return false;
  };
  let top = 0;
  while (top < H && !rowHas(top)) top++;
  if (top === H) return fullRect(img);
  let bottom = H - 1;
  while (bottom > top && !rowHas(bottom)) bottom--;
  const colHas = (x: number) => {
    for (let y = top; y <= bottom; y++) if (content(x, y)) return true;
    return false;
  };
  let left = 0;
  while (!colHas(left)) left++;
  let right = W - 1;
  while (right > left && !colHas(right)) right--;
  const k = trim.keep;
  const l = Math.max(0, left - k);
  const tp = Math.max(0, top - k);
  return {
    left: l,
    top: tp,
    width: Math.min(W, right + 1 + k) - l,
    height: Math.min(H, bottom + 1 + k) - tp,
  };
}
