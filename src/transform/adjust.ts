/**
 * Colour adjustments: `brightness`, `contrast`, `gamma`, `saturation` (Cloudflare Images,
 * https://developers.cloudflare.com/images/optimization/features/): factors, 1 = unchanged.
 * Cloudflare does not say in which space they work; here all four act on the sRGB-encoded
 * values v in 0..1 (as CSS filter functions and sharp's `linear`/`recomb` do), in this order,
 * each result clamped to 0..1:
 *
 * - brightness b: v × b (0.5 = half as bright, 2 = twice);
 * - contrast c: (v − 0.5) × c + 0.5 around mid-grey (0.5 = low contrast, 2 = high);
 * - gamma g: v^(1/g), so 2 lightens and 0.5 darkens, as @cloudflare/workers-types documents
 *   `gamma` ("Increase exposure by a factor… 0.5 darkens the image, and a value of 2.0 lightens
 *   the image"; one newer docs page states the opposite direction);
 * - saturation s: each channel moved from the pixel's luma y = 0.213 R + 0.715 G + 0.072 B by
 *   the factor (y + s × (v − y): the CSS Filter Effects `saturate()` matrix; 0 = grey).
 *
 * Cost: one pass over the pixels for all four. The first three are one 256-entry table per
 * run (a lookup per channel); saturation adds a 3x3 mix per pixel. Alpha is untouched.
 */
import type { RawImage } from '../codecs/types';
import type { TransformSpec } from './spec';

/** CSS Filter Effects `saturate()` luma weights (Rec. 709, rounded as the spec writes them). */
const LUMA = [0.213, 0.715, 0.072] as const;

/** True when the spec asks for any colour adjustment. */
export function hasAdjustments(spec: TransformSpec): boolean {
  return (
    spec.brightness !== undefined ||
    spec.contrast !== undefined ||
    spec.gamma !== undefined ||
    spec.saturation !== undefined
  );
}

/** The brightness → contrast → gamma curve as a table of 256 values in 0..255 (unrounded). */
function toneTable(spec: TransformSpec): Float64Array {
  const lut = new Float64Array(256);
  const clamp = (v: number) => (v < 0 ? 0 : v > 1 ? 1 : v);
  for (let i = 0; i < 256; i++) {
    let v = i / 255;
    if (spec.brightness !== undefined) v = clamp(v * spec.brightness);
    if (spec.contrast !== undefined) v = clamp((v - 0.5) * spec.contrast + 0.5);
    if (spec.gamma !== undefined) v = v ** (1 / spec.gamma);
    lut[i] = v * 255;
  }
  return lut;
}

/** Applies the spec's colour adjustments to `img` in place (RGBA8; see the module doc). */
export function adjustColours(img: RawImage, spec: TransformSpec): void {
  const d = img.data;
  const lut = toneTable(spec);
  const s = spec.saturation;
  if (s === undefined) {
    const table = Uint8ClampedArray.from(lut);
    for (let i = 0; i < d.length; i += 4) {
      d[i] = table[d[i]!]!;
      d[i + 1] = table[d[i + 1]!]!;
      d[i + 2] = table[d[i + 2]!]!;
    }
    return;
  }
  for (let i = 0; i < d.length; i += 4) {
    const r = lut[d[i]!]!;
    const g = lut[d[i + 1]!]!;
    const b = lut[d[i + 2]!]!;
    const y = LUMA[0] * r + LUMA[1] * g + LUMA[2] * b;
    d[i] = y + s * (r - y); // Uint8ClampedArray clamps and rounds
    d[i + 1] = y + s * (g - y);
    d[i + 2] = y + s * (b - y);
  }
}
