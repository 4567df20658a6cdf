/**
 * Output geometry from `fit`, `gravity`, `dpr`, `width` and `height`, following Cloudflare
 * Images (https://developers.cloudflare.com/images/transform-images/transform-via-url/#fit).
 * Pure arithmetic: no pixels are touched here.
 *
 * Frame of reference: everything is in the source as displayed after EXIF orientation AND
 * the spec's `rotate` (90 and 270 swap the axes), because `width`/`height` refer to the axes after
 * rotation. The pipeline therefore orients and rotates (or maps the crop rectangle back
 * through both), crops, resizes, pads, then flips (flip does not change the geometry and
 * gravity refers to the unflipped image).
 */
import type { ImageRecord } from '../storage/images-db';
import { deviceSide, MAX_SIDE, type Gravity, type TransformSpec } from './spec';

/** A size in pixels. */
export interface Size {
  readonly width: number;
  readonly height: number;
}

/** A position in pixels from the top-left corner. */
export interface Point {
  readonly left: number;
  readonly top: number;
}

/** An axis-aligned rectangle in pixels. */
export type Rect = Point & Size;

/**
 * The plan for one variant. All members are integers; sizes are ≥ 1; `resize` and `canvas`
 * are at most {@link MAX_SIDE} on each side.
 */
export interface Geometry {
  /** The source rectangle to keep (oriented pixels), always inside the source; crop first. */
  readonly crop: Rect;
  /** The size the cropped rectangle is scaled to. */
  readonly resize: Size;
  /** The final output size: equal to `resize` except for `fit=pad`. */
  readonly canvas: Size;
  /** Where the resized image sits on the canvas: (0, 0) except for `fit=pad`. */
  readonly offset: Point;
}

/**
 * Gravity as a focal point in fractions of the source (0 = left/top, 1 = right/bottom);
 * `auto` is the image's attention point, passed as `auto` (the centre when none is known).
 */
function focalPoint(g: Gravity, auto: readonly [number, number]): readonly [number, number] {
  switch (g.kind) {
    case 'focal':
      return [g.x, g.y];
    case 'top':
      return [0.5, 0];
    case 'bottom':
      return [0.5, 1];
    case 'left':
      return [0, 0.5];
    case 'right':
      return [1, 0.5];
    case 'top-left':
      return [0, 0];
    case 'top-right':
      return [1, 0];
    case 'bottom-left':
      return [0, 1];
    case 'bottom-right':
      return [1, 1];
    case 'auto':
      return auto;
    case 'center':
      return [0.5, 0.5];
  }
}

const clamp = (n: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, n));

/** Start of a window of `size` centred on `at × total`, kept inside [0, total]. */
const place = (total: number, size: number, at: number) =>
  clamp(Math.round(at * total - size / 2), 0, total - size);

function checkSide(n: number, name: string): number {
  if (!Number.isInteger(n) || n < 1)
    throw new RangeError(`planGeometry: source ${name} must be a positive integer, got ${n}`);
  return n;
}

const ORIGIN: Point = { left: 0, top: 0 };

/**
 * Plans crop, resize and padding for `spec` on a source of size `src` (pixels after EXIF
 * orientation and `rotate`: 90 and 270 swap the axes). The box is `width × dpr` by
 * `height × dpr` device pixels (rounded).
 *
 * - Only one of width/height: the other follows the aspect ratio; every fit then acts as
 *   `contain` (`scale-down` and `crop` never enlarge), `pad` adds no padding. Neither: the
 *   source size (`dpr` does nothing).
 * - `scale-down`: fit inside the box keeping the aspect ratio, never enlarging.
 * - `contain`: fit inside the box keeping the aspect ratio, enlarging if needed.
 * - `cover`: fill the box exactly, cropping the overflow around the gravity point.
 * - `crop`: as `cover` but never enlarging; where the source is smaller than the box on an
 *   axis, the output is smaller on that axis (a source smaller on both keeps its size).
 * - `pad`: as `contain`, on a canvas of exactly the box; the image is placed by gravity
 *   (centred by default; `left` aligns left; a focal point x,y places it at that fraction of
 *   the free space). Cloudflare always centres; placement by gravity is our extension.
 * - Gravity `auto` centres on `auto`, the image's attention point in this frame
 *   (images/attention.ts, mapped through `rotate` by the caller); the centre when omitted.
 * - A result that would exceed {@link MAX_SIDE} on a side is scaled down to fit.
 * @throws RangeError when `src` is not a positive integer size (a caller bug).
 */
export function planGeometry(
  src: Size,
  spec: TransformSpec,
  auto: readonly [number, number] = [0.5, 0.5],
): Geometry {
  const sw = checkSide(src.width, 'width');
  const sh = checkSide(src.height, 'height');
  const full: Rect = { left: 0, top: 0, width: sw, height: sh };
  const box = (side: number | undefined) =>
    side === undefined ? undefined : clamp(deviceSide(side, spec.dpr), 1, MAX_SIDE);
  const bw = box(spec.width);
  const bh = box(spec.height);
  const [fx, fy] = focalPoint(spec.gravity, auto);
  const noEnlarge = spec.fit === 'scale-down' || spec.fit === 'crop';

  if (bw === undefined || bh === undefined) {
    let s = bw !== undefined ? bw / sw : bh !== undefined ? bh / sh : 1;
    if (noEnlarge) s = Math.min(s, 1);
    s = Math.min(s, MAX_SIDE / sw, MAX_SIDE / sh);
    const resize: Size = {
      width: clamp(Math.round(sw * s), 1, MAX_SIDE),
      height: clamp(Math.round(sh * s), 1, MAX_SIDE),
    };
    return { crop: full, resize, canvas: resize, offset: ORIGIN };
  }

  if (spec.fit === 'cover' || spec.fit === 'crop') {
    let s = Math.max(bw / sw, bh / sh);
    if (noEnlarge) s = Math.min(s, 1);
    const resize: Size = {
      width: clamp(Math.round(sw * s), 1, bw),
      height: clamp(Math.round(sh * s), 1, bh),
    };
    const cw = clamp(Math.round(resize.width / s), 1, sw);
    const ch = clamp(Math.round(resize.height / s), 1, sh);
    const crop: Rect = { left: place(sw, cw, fx), top: place(sh, ch, fy), width: cw, height: ch };
    return { crop, resize, canvas: resize, offset: ORIGIN };
  }

  // scale-down, contain, pad
  let s = Math.min(bw / sw, bh / sh);
  if (noEnlarge) s = Math.min(s, 1);
  const resize: Size = {
    width: clamp(Math.round(sw * s), 1, bw),
    height: clamp(Math.round(sh * s), 1, bh),
  };
  if (spec.fit !== 'pad') return { crop: full, resize, canvas: resize, offset: ORIGIN };
  return {
    crop: full,
    resize,
    canvas: { width: bw, height: bh },
    offset: {
      left: Math.round((bw - resize.width) * fx),
      top: Math.round((bh - resize.height) * fy),
    },
  };
}

/** What `gravity_used` says while `g=auto` falls back to the centre. */
export const GRAVITY_PENDING = 'center (focal point pending)';

/** True when `spec` asks for `g=auto` and the image's attention point is not computed yet. */
export function focalPending(rec: Pick<ImageRecord, 'focal'>, spec: TransformSpec): boolean {
  return spec.gravity.kind === 'auto' && !rec.focal;
}
