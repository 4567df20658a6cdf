/**
 * CSS colour values for `background` beyond hex (Cloudflare Images accepts "any CSS color"):
 * named colours (CSS Color 4 §6.1, the table from the color-name package), `transparent`, and
 * `rgb()`/`rgba()` in the legacy comma syntax and the CSS Color 4 space syntax with an
 * optional `/ alpha` (CSS Color 4 §5.1), as it arrives in a URL (`%20`, `%2C`, `%28`… decoded
 * here). Hex forms are parsed by the option parser (transform/spec.ts).
 */
// eslint-disable-next-line @typescript-eslint/triple-slash-reference -- packages/* tsconfigs do not include src/*.d.ts
/// <reference path="../color-name.d.ts" />
import names from 'color-name';

/** An sRGB colour with alpha, each channel an integer 0..255 (spec.ts's `Rgba`). */
export interface CssColour {
  r: number;
  g: number;
  b: number;
  a: number;
}

const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(%?)$/;

/** One channel or alpha component: a number or a percentage, clamped as CSS does. */
function component(text: string, scale: number): number | null {
  const m = NUMBER.exec(text);
  if (!m) return null;
  const n = parseFloat(text);
  const v = m[1] ? (n / 100) * scale : n;
  return Math.round(Math.min(scale, Math.max(0, v)) * (scale === 1 ? 255 : 1));
}

/**
 * The colour `value` denotes, or null when it is not a name, `transparent`, or an
 * `rgb()`/`rgba()` function. Channels are 0..255 (numbers) or 0%..100%; alpha is 0..1 or
 * 0%..100%; out-of-range values are clamped (CSS Color 4 §5.1). Case-insensitive.
 */
export function parseCssColour(value: string): CssColour | null {
  let text = value;
  try {
    text = decodeURIComponent(value);
  } catch {
    // not percent-encoded (`rgb(100% 0% 0%)`): taken as written
  }
  text = text.trim().toLowerCase();
  if (text === 'transparent') return { r: 0, g: 0, b: 0, a: 0 };
  const named = Object.hasOwn(names, text) ? names[text] : undefined;
  if (named) return { r: named[0], g: named[1], b: named[2], a: 255 };
  const fn = /^rgba?\(\s*([^()]*)\)$/.exec(text);
  if (!fn) return null;
  const body = fn[1]!.trim();
  let parts: string[];
  let alpha: string | undefined;
  if (body.includes(',')) {
    parts = body.split(',').map((p) => p.trim());
    if (parts.length === 4) alpha = parts.pop();
  } else {
    const [rgb, a, ...rest] = body.split('/').map((p) => p.trim());
    if (rest.length > 0) return null;
    parts = rgb!.split(/\s+/);
    alpha = a;
  }
  if (parts.length !== 3) return null;
  const [r, g, b] = parts.map((p) => component(p, 255));
  const a = alpha === undefined ? 255 : component(alpha, 1);
  if (r == null || g == null || b == null || a == null) return null;
  return { r, g, b, a };
}
