/**
 * The attention point of an image: where `gravity=auto` centres its crops. Our own
 * implementation of the model of libvips' `attention` smartcrop strategy, the one sharp's
 * `position: 'attention'` runs (libvips/conversion/smartcrop.c, libvips 8.x):
 *
 * 1. area-average the upright image (alpha premultiplied) onto a 32x32 grid, whatever its
 *    aspect; the grid sets the precision of the point;
 * 2. per cell, in CIE XYZ (D65, Y 0..100): edge energy = 5 × |Laplacian of Y| (4-neighbour);
 *    skin = 100 − 100 × the distance of the unit XYZ vector from the skin direction
 *    (0.78, 0.57, 0.44); saturation = CIE Lab a*; skin and saturation only where Y > 5;
 * 3. sum the three, Gaussian-blur the sum with sigma = max(1, the crop's diagonal in grid
 *    cells / 10), and take the position of the maximum (the top-left corner of its cell).
 *
 * libvips ties the blur to the requested crop; we compute the point once per original (in
 * the queue consumer, from a ≤ 256 px copy) for the largest square crop, the common `g=auto`
 * case (avatars). Measured against sharp: docs/url-format.md, test/images/attention.test.ts.
 */
import type { RawImage } from '../codecs/types';

/** A point as fractions of the upright image: x 0 = left … 1 = right, y 0 = top … 1 = bottom. */
export interface FocalPoint {
  x: number;
  y: number;
}

/** Side of the analysis grid, cells (libvips shrinks to 32 × 32). */
const GRID = 32;
const CELLS = GRID * GRID;
/** The skin direction in XYZ (unit length), the skin score's reference. */
const SKIN = [0.78, 0.57, 0.44] as const;

/** Area-average of RGBA pixels (alpha premultiplied) onto the grid: RGB 0..255 per cell. */
function toGrid(img: RawImage): Float64Array {
  const sums = new Float64Array(CELLS * 3);
  const counts = new Float64Array(CELLS);
  const d = img.data;
  for (let y = 0; y < img.height; y++) {
    const row = Math.min(GRID - 1, Math.floor((y * GRID) / img.height)) * GRID;
    for (let x = 0; x < img.width; x++) {
      const c = row + Math.min(GRID - 1, Math.floor((x * GRID) / img.width));
      const i = (y * img.width + x) * 4;
      const a = d[i + 3]! / 255;
      for (let k = 0; k < 3; k++) sums[c * 3 + k] = sums[c * 3 + k]! + d[i + k]! * a;
      counts[c] = counts[c]! + 1;
    }
  }
  for (let c = 0; c < CELLS; c++)
    for (let k = 0; k < 3; k++) sums[c * 3 + k] = sums[c * 3 + k]! / (counts[c]! || 1);
  return sums;
}

const linear = (v: number) => {
  const s = v / 255;
  return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
};
const labF = (t: number) => (t > 216 / 24389 ? Math.cbrt(t) : ((24389 / 27) * t + 16) / 116);

/** sRGB 0..255 to CIE XYZ (D65; Y 0..100). */
function toXyz(r8: number, g8: number, b8: number): [number, number, number] {
  const r = linear(r8);
  const g = linear(g8);
  const b = linear(b8);
  return [
    100 * (0.4124 * r + 0.3576 * g + 0.1805 * b),
    100 * (0.2126 * r + 0.7152 * g + 0.0722 * b),
    100 * (0.0193 * r + 0.1192 * g + 0.9505 * b),
  ];
}

/** Separable Gaussian blur of the grid, edges extended. */
function blur(map: Float64Array, sigma: number): Float64Array {
  const radius = Math.max(1, Math.ceil(sigma * 3));
  const kernel: number[] = [];
  for (let i = -radius; i <= radius; i++) kernel.push(Math.exp(-(i * i) / (2 * sigma * sigma)));
  const total = kernel.reduce((s, k) => s + k, 0);
  const at = (n: number) => Math.min(GRID - 1, Math.max(0, n));
  const pass = (src: Float64Array, horizontal: boolean) => {
    const out = new Float64Array(CELLS);
    for (let y = 0; y < GRID; y++)
      for (let x = 0; x < GRID; x++) {
        let s = 0;
        for (let i = -radius; i <= radius; i++) {
          const v = horizontal ? src[y * GRID + at(x + i)]! : src[at(y + i) * GRID + x]!;
          s += v * kernel[i + radius]!;
        }
        out[y * GRID + x] = s / total;
      }
    return out;
  };
  return pass(pass(map, true), false);
}

/**
 * The attention point of upright RGBA pixels (any size ≥ 1x1; a ≤ 256 px copy is what the
 * card computation passes). Transparent pixels count as black.
 * @returns the point as fractions of the image, each in [0, 1).
 */
export function attentionPoint(img: RawImage): FocalPoint {
  const rgb = toGrid(img);
  const Y = new Float64Array(CELLS);
  const score = new Float64Array(CELLS);
  for (let c = 0; c < CELLS; c++) {
    const [x, y, z] = toXyz(rgb[c * 3]!, rgb[c * 3 + 1]!, rgb[c * 3 + 2]!);
    Y[c] = y;
    if (y <= 5) continue;
    const m = Math.hypot(x, y, z);
    const skin = 100 - 100 * Math.hypot(x / m - SKIN[0], y / m - SKIN[1], z / m - SKIN[2]);
    const a = 500 * (labF(x / 95.047) - labF(y / 100));
    score[c] = skin + a;
  }
  const at = (x: number, y: number) =>
    Y[Math.min(GRID - 1, Math.max(0, y)) * GRID + Math.min(GRID - 1, Math.max(0, x))]!;
  for (let y = 0; y < GRID; y++)
    for (let x = 0; x < GRID; x++) {
      const laplacian = 4 * at(x, y) - at(x - 1, y) - at(x + 1, y) - at(x, y - 1) - at(x, y + 1);
      score[y * GRID + x] = score[y * GRID + x]! + 5 * Math.abs(laplacian);
    }
  // The largest square crop covers min(w, h) of each side: in grid cells, GRID·min/side.
  const side = Math.min(img.width, img.height);
  const sigma = Math.max(1, Math.hypot((GRID * side) / img.width, (GRID * side) / img.height) / 10);
  const blurred = blur(score, sigma);
  let best = 0;
  for (let c = 1; c < CELLS; c++) if (blurred[c]! > blurred[best]!) best = c;
  return { x: (best % GRID) / GRID, y: Math.floor(best / GRID) / GRID };
}
