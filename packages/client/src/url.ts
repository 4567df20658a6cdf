/**
 * Delivery URLs: a typed builder over the Worker's own option table and parser
 * (src/transform/spec.ts), so a URL built here is exactly the Worker's canonical URL, and an
 * option the Worker would refuse with a 400 is refused here, with the same message, before
 * any request. Option names follow Cloudflare Images (docs/url-format.md).
 */
import {
  canonicalTransform,
  isPresetName,
  MAX_SIDE,
  OPTION_NAMES,
  parseTransform,
  type Fit,
  type Flip,
  type GravityName,
  type OptionName,
  type OutputFormat,
  type QualityLevel,
  type Rotation,
} from '../../../src/transform/spec';
import { HttpError } from '../../../src/errors';
import { signPath, type SigningKey } from '../../../src/security/signature';

export type { Fit, Flip, GravityName, OutputFormat, QualityLevel, Rotation, SigningKey };

/**
 * Transform options with Cloudflare Images names. Sizes are CSS pixels; `dpr` multiplies them.
 * Bounds (checked by the Worker's parser): width/height 1..8192 and ×dpr ≤ 8192, dpr 1..4,
 * quality 1..100, blur 0..250, sharpen 0..10, focal point coordinates 0..1.
 */
export interface TransformOptions {
  /** CSS pixels, or `auto` (from client hints; docs/url-format.md). */
  width?: number | 'auto';
  height?: number;
  dpr?: number;
  fit?: Fit;
  /** A named gravity, or a focal point (`x` 0 = left … 1 = right, `y` 0 = top … 1 = bottom). */
  gravity?: GravityName | { x: number; y: number };
  rotate?: Rotation;
  flip?: Flip;
  /** CSS colour: hex (`#rgb`…`#rrggbbaa`, `#` optional), a name (`red`), `rgb()`/`rgba()`. */
  background?: string;
  blur?: number;
  sharpen?: number;
  quality?: number | QualityLevel;
  format?: OutputFormat;
  /** `false`: an animated original gives its first frame. Default `true` (keep animation). */
  anim?: boolean;
  /** `border`, or `top;right;bottom;left` in pixels (× dpr), cut before resizing. */
  trim?: string;
  'trim.top'?: number;
  'trim.right'?: number;
  'trim.bottom'?: number;
  'trim.left'?: number;
  'trim.width'?: number;
  'trim.height'?: number;
  /** Hex colour of the border to trim (with `trim: 'border'`); default the top-left pixel. */
  'trim.border.color'?: string;
  /** 0..255, default 10: how far from the border colour still counts as border. */
  'trim.border.tolerance'?: number;
  /** Pixels of border kept on each side. */
  'trim.border.keep'?: number;
  /** Factors 0..10, 1 = unchanged. */
  brightness?: number;
  contrast?: number;
  gamma?: number;
  saturation?: number;
  /** Hex colour of the border added outside the resized image (needed with a width). */
  'border.color'?: string;
  /** Border width on every side, CSS pixels (× dpr); or per side below. */
  'border.width'?: number;
  'border.top'?: number;
  'border.right'?: number;
  'border.bottom'?: number;
  'border.left'?: number;
  /** With `gravity: 'face'`; no face is detected here, so it changes nothing. */
  zoom?: number;
  /** Quality on a slow connection (client hints; docs/url-format.md). */
  'slow-connection-quality'?: number | QualityLevel;
  compression?: 'fast';
  /** Default `none`. */
  metadata?: 'keep' | 'copyright' | 'none';
  /** `redirect`: a failure that is not the client's fault answers 302 to the original. */
  onerror?: 'redirect';
}

/** Compile-time guard: {@link TransformOptions} has exactly the Worker's option names. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;
const sameKeys: Same<keyof TransformOptions, OptionName> = true;
void sameKeys;

/** An option the Worker would refuse; `option` names it as the Worker's 400 problem does. */
export class TransformError extends RangeError {
  constructor(
    message: string,
    /** The offending option (`width`, `dpr`…), or `transform` for the string as a whole. */
    readonly option: string | undefined,
  ) {
    super(message);
    this.name = 'TransformError';
  }
}

/** Writes a number in the grammar: integers as is, others with at most 8 decimals. */
function formatNumber(n: number): string {
  if (Number.isInteger(n)) return String(n);
  return Number.isFinite(n) ? n.toFixed(8).replace(/\.?0+$/, '') : String(n);
}

/** One option's value as written in a URL (before the Worker's parser validates it). */
function writeValue(name: OptionName, value: unknown): string {
  if (name === 'gravity' && typeof value === 'object' && value !== null) {
    const { x, y } = value as { x: number; y: number };
    return `${formatNumber(x)}x${formatNumber(y)}`;
  }
  if ((name === 'background' || name.endsWith('.color')) && typeof value === 'string')
    return value.replace(/^#/, '');
  return typeof value === 'number' ? formatNumber(value) : String(value);
}

/** Runs the Worker's parser and canonical form over a written transform string. */
function canonical(text: string): string {
  try {
    return canonicalTransform(parseTransform(text));
  } catch (err) {
    if (err instanceof HttpError)
      throw new TransformError(err.detail ?? err.title, err.extras.option as string | undefined);
    throw err;
  }
}

/**
 * The canonical form of a written transform string (any spelling the Worker accepts:
 * aliases, any order), e.g. `f=auto,w=800` → `width=800,format=auto`.
 * @throws TransformError for a string the Worker would refuse.
 */
export function canonicalOptions(text: string): string {
  return canonical(text);
}

/**
 * The canonical transform string for `options`: what the Worker derives from any spelling of
 * the same options (full names, fixed order, defaults omitted), e.g.
 * `{ format: 'auto', width: 800 }` → `width=800,format=auto`. All defaults give `''`.
 * @throws TransformError for an option the Worker would refuse (same message and option).
 */
export function transformString(options: TransformOptions): string {
  const parts: string[] = [];
  for (const name of OPTION_NAMES) {
    const value = options[name];
    if (value !== undefined) parts.push(`${name}=${writeValue(name, value)}`);
  }
  return canonical(parts.join(','));
}

/**
 * What to deliver: transform options, the name of a preset (`thumbnail`, `hero`…), or a
 * written transform string (`w=800,f=auto`).
 */
export type Variant = TransformOptions | string;

/**
 * The path of a variant: `/img/{id}/{canonical options}`, `/img/{id}/{preset}`, or
 * `/img/{id}/original` when no option differs from the defaults.
 * @throws TransformError for refused options or a malformed preset name.
 */
export function variantPath(id: string, variant: Variant): string {
  let segment: string;
  if (typeof variant === 'string' && variant.includes('=')) {
    segment = canonical(variant) || 'original';
  } else if (typeof variant === 'string') {
    if (variant !== 'original' && !isPresetName(variant))
      throw new TransformError(`${JSON.stringify(variant)} is not a preset name.`, 'preset');
    segment = variant;
  } else {
    segment = transformString(variant) || 'original';
  }
  return `/img/${encodeURIComponent(id)}/${segment}`;
}

/** When a signed URL stops working: absolute unix seconds, or seconds from now. */
export type Expiry = { exp: number } | { expiresIn: number };

/** Unix seconds of an {@link Expiry} (undefined: no expiry). */
export function expirySeconds(expiry: Expiry | undefined, nowMs = Date.now()): number | undefined {
  if (!expiry) return undefined;
  return 'exp' in expiry ? expiry.exp : Math.floor(nowMs / 1000) + expiry.expiresIn;
}

/**
 * Signs a path (or the path of an absolute URL) exactly as the Worker verifies it
 * (src/security/signature.ts: HMAC-SHA256, `exp`, `kid`, `sig`). Web Crypto only.
 * @returns the signed path with its query, or the absolute URL when given one.
 * @throws RangeError for a bad key, kid or expiry (see `signPath`).
 */
export async function signUrl(target: string, key: SigningKey, expiry?: Expiry): Promise<string> {
  const absolute = /^https?:\/\//i.test(target);
  const url = new URL(target, 'http://sign.invalid');
  const signed = await signPath(url.pathname, key, expirySeconds(expiry));
  return absolute ? `${url.origin}${signed}` : signed;
}

/** Builder settings: where the service is, and (server side only) a key to sign with. */
export interface UrlBuilderOptions {
  /** The service's origin, e.g. `https://images.example.com` (no trailing slash needed). */
  baseUrl: string;
  /** Signs URLs in {@link ImageUrls.signed}; keep secrets on the server. */
  signingKey?: SigningKey;
}

/** A srcset request: widths (CSS px, `w` descriptors) or densities (`x` descriptors). */
export type SrcsetOptions = TransformOptions &
  ({ widths: readonly number[] } | { densities: readonly number[]; width: number });

/** The breakpoints widely used by image components (Next.js `deviceSizes`), CSS px. */
export const DEFAULT_WIDTHS: readonly number[] = [640, 750, 828, 1080, 1200, 1920, 2048, 3840];

/**
 * A `sizes` attribute from `[media, size]` pairs and a final default, e.g.
 * `sizes([['(max-width: 640px)', '100vw']], '50vw')` → `(max-width: 640px) 100vw, 50vw`.
 */
export function sizes(
  conditions: readonly (readonly [string, string])[],
  fallback: string,
): string {
  return [...conditions.map(([media, size]) => `${media} ${size}`), fallback].join(', ');
}

/** URL builder bound to one service (see {@link createUrlBuilder}). */
export interface ImageUrls {
  /** Absolute URL of a variant (unsigned). @throws TransformError */
  url(id: string, variant?: Variant): string;
  /** Absolute signed URL. @throws Error without a signing key; TransformError */
  signed(id: string, variant?: Variant, expiry?: Expiry): Promise<string>;
  /**
   * A `srcset` value: one URL per width (`800w`) or per density (`2x`, via `dpr`). `format`
   * defaults to `auto`. With both `width` and `height`, each width keeps that aspect ratio.
   * Widths above 8192 / dpr are dropped, as the Worker would refuse them.
   * @throws TransformError for refused options.
   */
  srcset(id: string, options: SrcsetOptions): string;
}

/** Creates a URL builder for one service. */
export function createUrlBuilder(options: UrlBuilderOptions): ImageUrls {
  const base = options.baseUrl.replace(/\/+$/, '');
  const url = (id: string, variant: Variant = {}) => base + variantPath(id, variant);
  return {
    url,
    async signed(id, variant = {}, expiry) {
      if (!options.signingKey) throw new Error('No signing key configured.');
      return base + (await signUrl(variantPath(id, variant), options.signingKey, expiry));
    },
    srcset(id, opts) {
      const { format = 'auto', ...rest } = opts as TransformOptions & {
        widths?: readonly number[];
        densities?: readonly number[];
      };
      const { widths, densities, ...transform } = rest;
      if (densities)
        return densities
          .map((d) => `${url(id, { ...transform, format, dpr: d })} ${formatNumber(d)}x`)
          .join(', ');
      return [...new Set(widths ?? DEFAULT_WIDTHS)]
        .sort((a, b) => a - b)
        .filter((w) => w * (transform.dpr ?? 1) <= MAX_SIDE)
        .map((w) => {
          // A box keeps its aspect ratio at every width.
          const { width, height } = transform;
          const h =
            typeof width === 'number' && height
              ? Math.max(1, Math.round((height * w) / width))
              : height;
          return `${url(id, { ...transform, format, width: w, height: h })} ${w}w`;
        })
        .join(', ');
    },
  };
}
