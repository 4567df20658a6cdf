/**
 * The attention point of an image: where `gravity=auto` centres its crops. Our own
 * implementation of the idea of libvips' `attention` smartcrop strategy (the one sharp's
 * `position: 'attention'` runs; libvips/conversion/smartcrop.c):
 *
 * 1. scale the upright image to a 32x32 grid (the grid sets the precision of the point);
 * 2. in CIE Lab (D65): edge energy = |Sobel x| + |Sobel y| of L; a skin mask (a in [3, 22],
 *    b in [4, 31], L ≥ 15) and a saturation mask (chroma > 60), each 255 where true;
 * 3. sum the three maps, Gaussian-blur the sum with a sigma tied to the crop size, and take
 *    the position of the maximum.
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

/** Area-average of RGBA pixels onto a GRID × GRID grid, premultiplied by alpha; RGB 0..255. */
function toGrid(img: RawImage): Float64Array {
  const sums = new Float64Array(GRID * GRID * 4);
  const d = img.data;
  for (let y = 0; y < img.height; y++) {
    const gy = Math.min(GRID - 1, Math.floor((y * GRID) / img.height));
    for (let x = 0; x < img.width; x++) {
      const gx = Math.min(GRID - 1, Math.floor((x * GRID) / img.width));
      const i = (y * img.width + x) * 4;
      const a = d[i + 3]! / 255;
      const c = (gy * GRID + gx) * 4;
      for (let k = 0; k < 3; k++) sums[c + k] = sums[c + k]! + d[i + k]! * a;
      sums[c + 3] = sums[c + 3]! + 1;
    }
  }
  const rgb = new Float64Array(GRID * GRID * 3);
  for (let c = 0; c < GRID * GRID; c++) {
    const n = sums[c * 4 + 3]! || 1;
    for (let k = 0; k < 3; k++) rgb[c * 3 + k] = sums[c * 4 + k]! / n;
  }
  return rgb;
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
 * The attention point of upright RGBA pixels (any size ≥ 1x1; the card's ≤ 100 px copy is
 * enough, as libvips works on 32x32). Transparent pixels count as black.
 * @returns the point as fractions of the image, each in [0, 1).
 */
export function attentionPoint(img: RawImage): FocalPoint {
  const rgb = toGrid(img);
  const L = new Float64Array(GRID * GRID);
  const score = new Float64Array(GRID * GRID);
  for (let c = 0; c < GRID * GRID; c++) {
    const [l, a, b] = toLab(rgb[c * 3]!, rgb[c * 3 + 1]!, rgb[c * 3 + 2]!);
    L[c] = l;
    const skin = a >= 3 && a <= 22 && b >= 4 && b <= 31 && l >= 15;
    const saturated = Math.hypot(a, b) > 60;
    score[c] = (skin ? 255 : 0) + (saturated ? 255 : 0);
  }
  const at = (x: number, y: number) =>
    L[Math.min(GRID - 1, Math.max(0, y)) * GRID + Math.min(GRID - 1, Math.max(0, x))]!;
  for (let y = 0; y < GRID; y++)
    for (let x = 0; x < GRID; x++) {
      const gx =
        at(x + 1, y - 1) + 2 * at(x + 1, y) + at(x + 1, y + 1) -
        (at(x - 1, y - 1) + 2 * at(x - 1, y) + at(x - 1, y + 1));
      const gy =
        at(x - 1, y + 1) + 2 * at(x, y + 1) + at(x + 1, y + 1) -
        (at(x - 1, y - 1) + 2 * at(x, y - 1) + at(x + 1, y - 1));
      score[y * GRID + x] = score[y * GRID + x]! + Math.abs(gx) + Math.abs(gy);
    }
  // The largest square crop covers min(w, h) of each side: in grid cells, GRID·min/side.
  const side = Math.min(img.width, img.height);
  const cw = (GRID * side) / img.width;
  const ch = (GRID * side) / img.height;
  const sigma = Math.max(1, Math.hypot(cw, ch) / 10);
  const blurred = blur(score, sigma);
  let best = 0;
  for (let c = 1; c < blurred.length; c++) if (blurred[c]! > blurred[best]!) best = c;
  return { x: (best % GRID) / GRID, y: Math.floor(best / GRID) / GRID };
}
