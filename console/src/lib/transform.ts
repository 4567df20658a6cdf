/**
 * The playground's options and the `/img` transform string they make (option names as in
 * docs/url-format.md, Cloudflare Images' names). Pure: unit-tested in console/test.
 */

/** How the image fits the width × height box. */
export const FITS = ['scale-down', 'contain', 'cover', 'crop', 'pad'] as const;
/** Named gravities; `focal` means the focal point in `focalX`/`focalY`. */
export const GRAVITIES = ['center', 'auto', 'top', 'bottom', 'left', 'right', 'focal'] as const;
/** Output formats; `auto` picks AVIF, WebP or JPEG/PNG from the request's Accept. */
export const FORMATS = ['auto', 'avif', 'webp', 'jpeg', 'png'] as const;
/** Rotations in degrees clockwise. */
export const ROTATIONS = [0, 90, 180, 270] as const;
/** Flips: none, horizontal, vertical, both. */
export const FLIPS = ['', 'h', 'v', 'hv'] as const;

/** Everything the playground can set. Empty strings and nulls mean "not set". */
export interface PlaygroundOptions {
  /** CSS pixels, 1..8192, or null. */
  width: number | null;
  height: number | null;
  fit: (typeof FITS)[number];
  gravity: (typeof GRAVITIES)[number];
  /** Focal point as fractions of the source (0 = left/top, 1 = right/bottom). */
  focalX: number;
  focalY: number;
  /** Device pixel ratio, 1..4 (0.5 steps in the UI). */
  dpr: number;
  /** Encoder quality 1..100, or null for the encoder's default. */
  quality: number | null;
  format: (typeof FORMATS)[number];
  rotate: (typeof ROTATIONS)[number];
  flip: (typeof FLIPS)[number];
  /** Gaussian blur radius 0..250 (0 = none). */
  blur: number;
  /** Sharpen amount 0..10 (0 = none). */
  sharpen: number;
  /** Background colour `#rrggbb` for `fit=pad` and transparent areas, or '' for none. */
  background: string;
}

/** A fresh playground: an 800 px wide variant in the best format the browser accepts. */
export const DEFAULT_OPTIONS: PlaygroundOptions = {
  width: 800,
  height: null,
  fit: 'scale-down',
  gravity: 'center',
  focalX: 0.5,
  focalY: 0.5,
  dpr: 1,
  quality: null,
  format: 'auto',
  rotate: 0,
  flip: '',
  blur: 0,
  sharpen: 0,
  background: '',
};

/** Rounds to at most `places` decimals and drops trailing zeros (`0.50` → `0.5`). */
const num = (n: number, places: number) => String(Number(n.toFixed(places)));

/**
 * The transform string for `/img/{id}/{transform}`: only options that differ from the
 * service's defaults, in a fixed order, e.g. `w=400,h=300,fit=cover,g=0.25x0.6,f=webp`.
 * Returns `f=auto` when nothing is set (the path segment cannot be empty).
 */
export function toTransform(o: PlaygroundOptions): string {
  const parts: string[] = [];
  if (o.width) parts.push(`w=${Math.round(o.width)}`);
  if (o.height) parts.push(`h=${Math.round(o.height)}`);
  if (o.dpr !== 1) parts.push(`dpr=${num(o.dpr, 2)}`);
  if (o.fit !== 'scale-down') parts.push(`fit=${o.fit}`);
  if (o.gravity === 'focal') parts.push(`g=${num(o.focalX, 3)}x${num(o.focalY, 3)}`);
  else if (o.gravity !== 'center') parts.push(`g=${o.gravity}`);
  if (o.rotate) parts.push(`rotate=${o.rotate}`);
  if (o.flip) parts.push(`flip=${o.flip}`);
  if (o.background) parts.push(`background=${o.background.replace(/^#/, '').toLowerCase()}`);
  if (o.blur > 0) parts.push(`blur=${num(o.blur, 2)}`);
  if (o.sharpen > 0) parts.push(`sharpen=${num(o.sharpen, 2)}`);
  if (o.quality) parts.push(`q=${Math.round(o.quality)}`);
  parts.push(`f=${o.format}`);
  return parts.join(',');
}

/**
 * The focal point for a click at (`x`, `y`) CSS pixels inside a displayed image of
 * `width` × `height` CSS pixels, as fractions clamped to [0, 1] with 3 decimals.
 */
export function focalFromClick(
  x: number,
  y: number,
  width: number,
  height: number,
): { x: number; y: number } {
  const clamp = (v: number) => Math.min(1, Math.max(0, Number(v.toFixed(3))));
  if (width <= 0 || height <= 0) return { x: 0.5, y: 0.5 };
  return { x: clamp(x / width), y: clamp(y / height) };
}
