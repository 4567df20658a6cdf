/**
 * The attention point of an image: where `gravity=auto` centres its crops. Our own
 * implementation of the idea of libvips' `attention` smartcrop strategy (the one sharp's
 * `position: 'attention'` runs; libvips/conversion/smartcrop.c):
 *
 * 1. per pixel, in CIE Lab (D65): edge energy = |Sobel x| + |Sobel y| of L; a skin mask
 *    (a in [3, 22], b in [4, 31], L ≥ 15) and a saturation mask (chroma > 60), each 255
 *    where true;
 * 2. sum the three maps and area-average the sum onto a 32x32 grid (the grid sets the
 *    precision of the point);
 * 3. Gaussian-blur the grid with sigma = the crop's diagonal in grid cells / 6, and take the
 *    position of the maximum (the top-left corner of its cell, as libvips does).
 *
 * libvips ties the blur to the requested crop; we compute the point once per original (in
 * the queue consumer) for the largest square crop, the common `g=auto` case (avatars).
 */
import type { RawImage } from '../codecs/types';

/** A point as fractions of the upright image: x 0 = left … 1 = right, y 0 = top … 1 = bottom. */
export interface FocalPoint {
  x: number;
  y: number;
}

/** Side of the analysis grid, cells (libvips shrinks to 32 × 32). */
const GRID = 32;

/** Blur: sigma = the crop's diagonal in grid cells over this. */
const SIGMA_DIV = 6;

/** Area-average of a per-pixel map onto a GRID × GRID grid. */
function toGrid(map: Float64Array, width: number, height: number): Float64Array {
  const sums = new Float64Array(GRID * GRID);
  const counts = new Float64Array(GRID * GRID);
  for (let y = 0; y < height; y++) {
    const gy = Math.min(GRID - 1, Math.floor((y * GRID) / height));
    for (let x = 0; x < width; x++) {
      const c = gy * GRID + Math.min(GRID - 1, Math.floor((x * GRID) / width));
      sums[c] = sums[c]! + map[y * width + x]!;
      counts[c] = counts[c]! + 1;
    }
  }
  for (let c = 0; c < GRID * GRID; c++) sums[c] = sums[c]! / (counts[c]! || 1);
  return sums;
}

const linear = (v: number) => {
  const s = v / 255;
  return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
};
const labF = (t: number) => (t > 216 / 24389 ? Math.cbrt(t) : ((24389 / 27) * t + 16) / 116);

/** sRGB 0..255 to CIE Lab (D65 white). */
function toLab(r8: number, g8: number, b8: number): [number, number, number] {
  const r = linear(r8);
  const g = linear(g8);
  const b = linear(b8);
  const x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047;
  const y = 0.2126 * r + 0.7152 * g + 0.0722 * b;
  const z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883;
  const fx = labF(x);
  const fy = labF(y);
  const fz = labF(z);
  return [116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)];
}

/** Separable Gaussian blur of a GRID × GRID map, edges extended. */
function blur(map: Float64Array, sigma: number): Float64Array {
  const radius = Math.max(1, Math.ceil(sigma * 3));
  const kernel: number[] = [];
  for (let i = -radius; i <= radius; i++) kernel.push(Math.exp(-(i * i) / (2 * sigma * sigma)));
  const total = kernel.reduce((s, k) => s + k, 0);
  const at = (n: number) => Math.min(GRID - 1, Math.max(0, n));
  const pass = (src: Float64Array, horizontal: boolean) => {
    const out = new Float64Array(src.length);
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
 * The attention point of upright RGBA pixels (any size ≥ 1x1; the card's ≤ 100 px copy).
 * Transparent pixels count as black (premultiplied, as libvips does).
 * @returns the point as fractions of the image, each in [0, 1).
 */
export function attentionPoint(img: RawImage): FocalPoint {
  const { width, height, data } = img;
  const n = width * height;
  const L = new Float64Array(n);
  const score = new Float64Array(n);
  for (let p = 0; p < n; p++) {
    const alpha = data[p * 4 + 3]! / 255;
    const [l, a, b] = toLab(
      data[p * 4]! * alpha,
      data[p * 4 + 1]! * alpha,
      data[p * 4 + 2]! * alpha,
    );
    L[p] = l;
    const skin = a >= 3 && a <= 22 && b >= 4 && b <= 31 && l >= 15;
    const saturated = Math.hypot(a, b) > 60;
    score[p] = (skin ? 255 : 0) + (saturated ? 255 : 0);
  }
  const at = (x: number, y: number) =>
    L[Math.min(height - 1, Math.max(0, y)) * width + Math.min(width - 1, Math.max(0, x))]!;
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const gx =
        at(x + 1, y - 1) +
        2 * at(x + 1, y) +
        at(x + 1, y + 1) -
        (at(x - 1, y - 1) + 2 * at(x - 1, y) + at(x - 1, y + 1));
      const gy =
        at(x - 1, y + 1) +
        2 * at(x, y + 1) +
        at(x + 1, y + 1) -
        (at(x - 1, y - 1) + 2 * at(x, y - 1) + at(x + 1, y - 1));
      score[y * width + x] = score[y * width + x]! + Math.abs(gx) + Math.abs(gy);
    }
  // The largest square crop covers min(w, h) of each side: in grid cells, GRID·min/side.
  const side = Math.min(width, height);
  const sigma = Math.max(1, Math.hypot((GRID * side) / width, (GRID * side) / height) / SIGMA_DIV);
  const blurred = blur(toGrid(score, width, height), sigma);
  let best = 0;
  for (let c = 1; c < blurred.length; c++) if (blurred[c]! > blurred[best]!) best = c;
  return { x: (best % GRID) / GRID, y: Math.floor(best / GRID) / GRID };
}
