/**
 * Transform options: parse, validate and canonicalise the `{transform}` part of
 * `GET /img/{id}/{transform}`. The grammar follows Cloudflare Images' URL options
 * (https://developers.cloudflare.com/images/transform-images/transform-via-url/):
 * comma-separated `key=value` pairs, e.g. `w=800,h=600,fit=cover,g=auto,q=75,f=auto,dpr=2`.
 *
 * Every option is bounded; anything unknown, repeated, empty, malformed or out of range is a
 * 400 problem whose `option` member names the offending option as written. The canonical
 * string ({@link canonicalTransform}) is the variant's cache identity.
 */
import { badRequest } from '../errors';
import { parseCssColour } from './css-colour';
import { QUALITY_LEVELS, type QualityLevel } from './quality';

/** How the image fits the `width`×`height` box (Cloudflare Images `fit`). */
export type Fit = 'scale-down' | 'contain' | 'cover' | 'crop' | 'pad' | 'squeeze' | 'aspect-crop';

/**
 * Named gravities. `auto` centres on the image's attention point (images/attention.ts);
 * `face` has no face detector offline and falls back to that same point (docs/url-format.md).
 */
export type GravityName =
  | 'center'
  | 'auto'
  | 'face'
  | 'top'
  | 'bottom'
  | 'left'
  | 'right'
  | 'top-left'
  | 'top-right'
  | 'bottom-left'
  | 'bottom-right';

/**
 * Which part of the image to keep when cropping (`cover`, `crop`) or where to place it
 * (`pad`). A focal point has `x` (0 = left, 1 = right) and `y` (0 = top, 1 = bottom) as
 * fractions of the (oriented) source; focal points equal to a named gravity (`0.5x0.5`,
 * `0x0`, `0.5x1`…) are parsed as that name, so both spellings share one canonical form.
 */
export type Gravity =
  | { readonly kind: GravityName }
  | { readonly kind: 'focal'; readonly x: number; readonly y: number };

/**
 * Requested output format. `auto` is resolved from `Accept` later; `json` asks for the
 * image's facts instead of pixels. Absent (`undefined` in the spec) means "same format as
 * the original", as Cloudflare Images does when `format` is omitted.
 */
export type OutputFormat =
  'auto' | 'avif' | 'webp' | 'jpeg' | 'baseline-jpeg' | 'png' | 'gif' | 'json';

export type { QualityLevel } from './quality';

/** Clockwise rotation in degrees; `width`/`height` refer to the axes after rotation. */
export type Rotation = 0 | 90 | 180 | 270;

/** Mirror horizontally (`h`), vertically (`v`) or both (`hv`). */
export type Flip = 'h' | 'v' | 'hv';

/** An sRGB colour with alpha, each channel an integer 0..255. */
export interface Rgba {
  readonly r: number;
  readonly g: number;
  readonly b: number;
  readonly a: number;
}

/**
 * `trim` as pixels: cut off each side of the upright source (after EXIF orientation, before
 * resizing, `flip` and `rotate`), in CSS pixels (× `dpr`). `width`/`height`, when given, keep
 * at most that many pixels from the left/top edge left after trimming.
 */
export interface PixelTrim {
  readonly kind: 'pixels';
  readonly top: number;
  readonly right: number;
  readonly bottom: number;
  readonly left: number;
  readonly width?: number;
  readonly height?: number;
}

/**
 * `trim=border`: cut off the border of `color` (absent = the upright top-left pixel) as
 * libvips' find_trim finds it; `tolerance` is its threshold (0..255, default
 * {@link TRIM_TOLERANCE}), `keep` the pixels of border kept on each side.
 */
export interface BorderTrim {
  readonly kind: 'border';
  readonly color?: Rgba;
  readonly tolerance: number;
  readonly keep: number;
}

/** What `trim` cuts off before resizing (transform/trim.ts). */
export type Trim = PixelTrim | BorderTrim;

/** `border`: added outside the resized image; sides in CSS pixels (× `dpr`), at least one > 0. */
export interface Border {
  readonly color: Rgba;
  readonly top: number;
  readonly right: number;
  readonly bottom: number;
  readonly left: number;
}

/**
 * A validated, bounded transform. Optional members are absent when not requested; the
 * others hold their defaults. Sizes are CSS pixels (multiply by `dpr` for device pixels).
 */
export interface TransformSpec {
  /** Box width, integer 1..8192; `width × dpr` is at most 8192. */
  readonly width?: number;
  /** Box height, integer 1..8192; `height × dpr` is at most 8192. */
  readonly height?: number;
  /** Default `scale-down`. */
  readonly fit: Fit;
  /** Default `{ kind: 'center' }`. */
  readonly gravity: Gravity;
  /** Device pixel ratio 1..4 (at most 4 decimals); default 1. Only scales `width`/`height`. */
  readonly dpr: number;
  /**
   * Encoder quality, integer 1..100, or a perceptual level (transform/quality.ts); absent =
   * the encoder's per-format default.
   */
  readonly quality?: number | QualityLevel;
  /** Absent = same format as the original. */
  readonly format?: OutputFormat;
  /** Default 0. */
  readonly rotate: Rotation;
  /** Absent = no flip. */
  readonly flip?: Flip;
  /** Padding / flattening colour; absent = the pipeline's choice (transparent or white). */
  readonly background?: Rgba;
  /** Gaussian blur radius 0..250 (at most 4 decimals); absent (never 0) = none. */
  readonly blur?: number;
  /** Sharpen strength 0..10 (at most 4 decimals); absent (never 0) = none. */
  readonly sharpen?: number;
  /**
   * `anim=false`: an animated original gives its first frame only. Absent = `anim=true`
   * (Cloudflare's default): animation is kept when the output format can hold it.
   */
  readonly anim?: false;
  /** Absent = no trim. */
  readonly trim?: Trim;
  /** Absent = no border. */
  readonly border?: Border;
  /**
   * Colour adjustments (transform/adjust.ts), factors 0..10 (at most 4 decimals); absent = 1
   * (unchanged). `brightness`, `contrast`, `gamma` 0 are ignored (absent); `saturation` 0 is grey.
   */
  readonly brightness?: number;
  readonly contrast?: number;
  readonly gamma?: number;
  readonly saturation?: number;

  // Cloudflare options beyond geometry and effects (docs/url-format.md, conformance table).
  /** `width=auto`: the width comes from client hints (transform/hints.ts); `width` is absent. */
  readonly widthAuto?: true;
  /** `slow-connection-quality`: replaces `quality` on a slow connection (transform/hints.ts). */
  readonly slowConnectionQuality?: number | QualityLevel;
  /** `compression=fast`: the quickest format and encoder settings (transform/negotiate.ts). */
  readonly compression?: 'fast';
  /** `metadata`: absent = `none` (no EXIF, no ICC profile in the output). */
  readonly metadata?: 'keep' | 'copyright';
  /** `onerror=redirect`: a failure that is not the client's fault answers 302 to the original. */
  readonly onerror?: 'redirect';
  /** `zoom` 0..1 (with `gravity=face`): no face is ever detected here, so it changes nothing. */
  readonly zoom?: number;
}

/** Largest output side in device pixels (also the largest `width`/`height`). */
export const MAX_SIDE = 8192;
/** Longest accepted transform string, characters. */
export const MAX_TRANSFORM_LENGTH = 512;
/** Most comma-separated options in one transform string. */
export const MAX_OPTIONS = 16;
/** Decimal options (`dpr`, focal point, `blur`, `sharpen`) are rounded to this many places. */
export const DECIMALS = 4;

/** The spec with every default and nothing else: what `parseTransform('')` returns. */
export const DEFAULT_SPEC: TransformSpec = Object.freeze({
  fit: 'scale-down',
  gravity: Object.freeze({ kind: 'center' }),
  dpr: 1,
  rotate: 0,
});

/** Full option names, in canonical order. */
const KEYS = [
  'width',
  'height',
  'dpr',
  'fit',
  'gravity',
  'rotate',
  'flip',
  'background',
  'blur',
  'sharpen',
  'quality',
  'format',
  'anim',
  // Pixel operations (transform/trim.ts, adjust.ts, border.ts).
  'trim',
  'trim.top',
  'trim.right',
  'trim.bottom',
  'trim.left',
  'trim.width',
  'trim.height',
  'trim.border.color',
  'trim.border.tolerance',
  'trim.border.keep',
  'brightness',
  'contrast',
  'gamma',
  'saturation',
  'border.color',
  'border.width',
  'border.top',
  'border.right',
  'border.bottom',
  'border.left',
  'zoom',
  'slow-connection-quality',
  'compression',
  'metadata',
  'onerror',
] as const;
/** A full option name (`width`, `height`, `dpr`, `fit`, `gravity`, … `format`). */
export type OptionName = (typeof KEYS)[number];
type Key = OptionName;

/**
 * The full option names in canonical order: the one option table, shared with the client
 * package (packages/client) so its typed URL builder cannot drift from the parser.
 */
export const OPTION_NAMES: readonly OptionName[] = KEYS;

/** Every accepted spelling → its full name. */
const SPELLINGS = new Map<string, Key>([
  ...KEYS.map((k) => [k, k] as const),
  ['w', 'width'],
  ['h', 'height'],
  ['g', 'gravity'],
  ['q', 'quality'],
  ['f', 'format'],
  ['scq', 'slow-connection-quality'],
  ['face-zoom', 'zoom'],
]);

/**
 * Cloudflare options that cannot be honoured here, with the reason the 400 gives (values are
 * checked first: an option's default value is accepted and changes nothing).
 */
const UNAVAILABLE = new Map<string, { accepts: string; reason: string }>([
  [
    'segment',
    {
      accepts: '',
      reason:
        'segment=foreground needs a background-removal model (Cloudflare runs BiRefNet on Workers AI); no segmentation model runs offline here, so the subject cannot be isolated.',
    },
  ],
  [
    'upscale',
    {
      accepts: 'interpolate',
      reason:
        'upscale=generate needs an AI upscaling model (Cloudflare runs ESRGAN on a GPU); none runs here. upscale=interpolate (the default) is accepted.',
    },
  ],
]);

const FITS: ReadonlySet<string> = new Set<Fit>([
  'scale-down',
  'contain',
  'cover',
  'crop',
  'pad',
  'squeeze',
  'aspect-crop',
]);

/** Named gravities as focal points; used to fold equal focal points into names. */
const GRAVITY_POINTS: ReadonlyMap<GravityName, readonly [number, number]> = new Map([
  ['center', [0.5, 0.5]],
  ['auto', [0.5, 0.5]],
  ['face', [0.5, 0.5]],
  ['top', [0.5, 0]],
  ['bottom', [0.5, 1]],
  ['left', [0, 0.5]],
  ['right', [1, 0.5]],
  ['top-left', [0, 0]],
  ['top-right', [1, 0]],
  ['bottom-left', [0, 1]],
  ['bottom-right', [1, 1]],
]);

const FORMATS = new Map<string, OutputFormat>([
  ['auto', 'auto'],
  ['avif', 'avif'],
  ['webp', 'webp'],
  ['jpeg', 'jpeg'],
  ['jpg', 'jpeg'],
  ['baseline-jpeg', 'baseline-jpeg'],
  ['png', 'png'],
  ['gif', 'gif'],
  ['json', 'json'],
]);

const FLIPS = new Map<string, Flip>([
  ['h', 'h'],
  ['v', 'v'],
  ['hv', 'hv'],
  ['vh', 'hv'],
]);

const ROTATIONS = new Map<string, Rotation>([
  ['0', 0],
  ['90', 90],
  ['180', 180],
  ['270', 270],
]);

/** Default `trim.border.tolerance`: libvips' find_trim threshold. */
export const TRIM_TOLERANCE = 10;
/** Largest pixel trim, `trim.width`/`height` and `trim.border.keep`, CSS pixels. */
const MAX_TRIM = 65535;
/** Largest border side, CSS pixels. */
const MAX_BORDER = 1000;
/** Largest colour-adjustment factor. */
const MAX_ADJUST = 10;

/** Longest accepted value, characters (long enough for any valid value). */
const MAX_VALUE_LENGTH = 64;
const INT = /^\d+$/;
const DECIMAL = /^\d+(?:\.\d+)?$/;
const HEX = /^(?:[0-9a-f]{3,4}|[0-9a-f]{6}|[0-9a-f]{8})$/i;
const PRESET = /^[a-z0-9][a-z0-9_-]{0,63}$/;

/** Quotes user text for a problem detail, shortened so a long input is not echoed back. */
const quote = (s: string) => JSON.stringify(s.length > 32 ? `${s.slice(0, 32)}…` : s);

/** The 400 for `option` (as the client wrote it). */
const fail = (option: string, detail: string) =>
  badRequest(detail, { option: option.length > 32 ? option.slice(0, 32) : option });

/** Rounds to {@link DECIMALS} places (idempotent, so canonical strings round-trip). */
const roundDecimal = (n: number) => Math.round(n * 10 ** DECIMALS) / 10 ** DECIMALS;

/** Device pixels for a CSS-pixel side at `dpr`: the one rounding rule parser and planner share. */
export const deviceSide = (side: number, dpr: number) => Math.round(side * dpr);

/**
 * True when `text` has the shape of a preset name (`/^[a-z0-9][a-z0-9_-]{0,63}$/`). A transform
 * always contains `=`, so the router can tell the two apart before calling {@link parseTransform}.
 */
export function isPresetName(text: string): boolean {
  return PRESET.test(text);
}

function parseInt1(option: string, value: string, min: number, max: number): number {
  if (!INT.test(value)) throw fail(option, `${option} must be an integer, got ${quote(value)}.`);
  const n = Number(value);
  if (n < min || n > max)
    throw fail(option, `${option} must be between ${min} and ${max}, got ${quote(value)}.`);
  return n;
}

function parseDecimal(option: string, value: string, min: number, max: number): number {
  if (!DECIMAL.test(value)) throw fail(option, `${option} must be a number, got ${quote(value)}.`);
  const n = Number(value);
  if (n < min || n > max)
    throw fail(option, `${option} must be between ${min} and ${max}, got ${quote(value)}.`);
  return roundDecimal(n);
}

/** A `quality`-style value: integer 1..100 or a perceptual level (`high`, `low`…). */
function parseQuality(option: string, value: string): number | QualityLevel {
  if ((QUALITY_LEVELS as readonly string[]).includes(value)) return value as QualityLevel;
  if (!INT.test(value))
    throw fail(
      option,
      `${option} must be an integer 1..100 or one of ${QUALITY_LEVELS.join(', ')}; got ${quote(value)}.`,
    );
  return parseInt1(option, value, 1, 100);
}

/** The value of a one-value option (`compression=fast`), or the 400 naming it. */
function only<T extends string>(option: string, value: string, allowed: T): T {
  if (value !== allowed) throw fail(option, `${option} must be ${allowed}; got ${quote(value)}.`);
  return allowed;
}

function parseGravity(option: string, value: string): Gravity {
  if (GRAVITY_POINTS.has(value as GravityName)) return { kind: value as GravityName };
  const parts = value.split('x');
  if (parts.length !== 2 || !parts.every((p) => DECIMAL.test(p)))
    throw fail(
      option,
      `${option} must be a side (top, left, bottom-right…), center, auto, face, or a focal point like 0.5x0.3; got ${quote(value)}.`,
    );
  const [x, y] = parts.map((p) => Number(p)) as [number, number];
  if (x > 1 || y > 1)
    throw fail(option, `${option} focal point coordinates must be in [0, 1], got ${quote(value)}.`);
  return focal(x, y);
}

/** A focal point, rounded, folded into the named gravity at the same point if there is one. */
function focal(x: number, y: number): Gravity {
  const fx = roundDecimal(x);
  const fy = roundDecimal(y);
  for (const [name, [px, py]] of GRAVITY_POINTS) {
    if (name !== 'auto' && name !== 'face' && px === fx && py === fy) return { kind: name };
  }
  return { kind: 'focal', x: fx, y: fy };
}

function parseBackground(option: string, value: string): Rgba {
  const hex = value.replace(/^(?:#|%23)/i, '');
  if (!HEX.test(hex)) {
    const css = parseCssColour(value);
    if (css) return css;
    throw fail(
      option,
      `${option} must be a CSS colour: a name (red), hex (#rgb, #rgba, #rrggbb, #rrggbbaa) or rgb()/rgba(); got ${quote(value)}.`,
    );
  }
  const full = hex.length <= 4 ? [...hex].map((c) => c + c).join('') : hex;
  const byte = (i: number) => parseInt(full.slice(i * 2, i * 2 + 2), 16);
  return { r: byte(0), g: byte(1), b: byte(2), a: full.length === 8 ? byte(3) : 255 };
}

/**
 * Splits at the commas between options, not those inside parentheses (`rgb(1,2,3)`, as a
 * router may hand it over percent-decoded).
 */
function splitOptions(text: string): string[] {
  const items: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '(') depth++;
    else if (c === ')') depth = Math.max(0, depth - 1);
    else if (c === ',' && depth === 0) {
      items.push(text.slice(start, i));
      start = i + 1;
    }
  }
  items.push(text.slice(start));
  return items;
}

/**
 * Parses a transform string (Cloudflare Images option names; see the module comment) into a
 * frozen {@link TransformSpec}. Aliases: `w`, `h`, `g`, `q`, `f`, `scq`, `face-zoom`;
 * `format=jpg` → `jpeg`; `flip=vh` → `hv`; `segment` and `upscale=generate` are refused with
 * the reason; `background` accepts `#`, `%23` or no prefix (so do `border.color` and
 * `trim.border.color`); `trim=t;r;b;l` and `trim.top|right|bottom|left` are one trim;
 * `border.width` sets all four `border.*` sides. The empty string is the
 * all-defaults spec ({@link DEFAULT_SPEC}), so every canonical string parses back.
 * @throws HttpError 400 (`extras.option` names the option as written, or `transform` for the
 *   string as a whole) when: longer than {@link MAX_TRANSFORM_LENGTH}; more than
 *   {@link MAX_OPTIONS} options; an empty option or one without `=`; an unknown option; an
 *   option given twice (in any spelling); an empty, malformed or out-of-range value; or
 *   `width × dpr` / `height × dpr` over {@link MAX_SIDE} (names `dpr`); `trim=border` with a
 *   pixel trim, `trim=t;r;b;l` with a `trim.<side>`, `trim.border.*` without `trim=border`,
 *   `border.width` with a `border.<side>`, a border width without `border.color` or the reverse.
 */
export function parseTransform(text: string): TransformSpec {
  if (text.length > MAX_TRANSFORM_LENGTH)
    throw fail('transform', `The transform is longer than ${MAX_TRANSFORM_LENGTH} characters.`);
  if (text === '') return DEFAULT_SPEC;
  const items = splitOptions(text);
  if (items.length > MAX_OPTIONS)
    throw fail('transform', `The transform has more than ${MAX_OPTIONS} options.`);

  const written = new Map<Key, string>();
  let width: number | undefined;
  let height: number | undefined;
  let fit: Fit = 'scale-down';
  let gravity: Gravity = DEFAULT_SPEC.gravity;
  let dpr = 1;
  let quality: number | QualityLevel | undefined;
  let format: OutputFormat | undefined;
  let rotate: Rotation = 0;
  let flip: Flip | undefined;
  let background: Rgba | undefined;
  let blur: number | undefined;
  let sharpen: number | undefined;
  let anim: false | undefined;
  const px: Record<string, number> = {}; // trim.* and border.* numbers, by full name
  let trimBorder = false;
  let trimColor: Rgba | undefined;
  let borderColor: Rgba | undefined;
  const adjust: Partial<Record<AdjustName, number>> = {};
  const extra: {
    -readonly [
      K in 'widthAuto' | 'slowConnectionQuality' | 'compression' | 'metadata' | 'onerror' | 'zoom'
    ]?: TransformSpec[K];
  } = {};
  const unavailableSeen = new Set<string>();

  for (const item of items) {
    if (item === '')
      throw fail('transform', 'Empty option: two commas in a row, or a leading or trailing comma.');
    const eq = item.indexOf('=');
    if (eq <= 0) throw fail(item, `Option ${quote(item)} is not of the form key=value.`);
    const option = item.slice(0, eq);
    const value = item.slice(eq + 1);
    const key = SPELLINGS.get(option);
    const unavailable = UNAVAILABLE.get(option);
    if (unavailable) {
      if (unavailableSeen.has(option))
        throw fail(option, `Option ${quote(option)} is given twice.`);
      unavailableSeen.add(option);
      if (value !== unavailable.accepts) throw fail(option, unavailable.reason);
      continue;
    }
    if (!key) throw fail(option, `Unknown option ${quote(option)}.`);
    const earlier = written.get(key);
    if (earlier !== undefined)
      throw fail(
        option,
        earlier === option
          ? `Option ${quote(option)} is given twice.`
          : `Option ${quote(option)} repeats ${quote(earlier)}.`,
      );
    written.set(key, option);
    if (value === '') throw fail(option, `Option ${quote(option)} has an empty value.`);
    if (value.length > MAX_VALUE_LENGTH)
      throw fail(option, `The value of ${quote(option)} is too long.`);

    switch (key) {
      case 'width':
        if (value === 'auto') extra.widthAuto = true;
        else width = parseInt1(option, value, 1, MAX_SIDE);
        break;
      case 'height':
        height = parseInt1(option, value, 1, MAX_SIDE);
        break;
      case 'fit':
        if (!FITS.has(value))
          throw fail(option, `fit must be one of ${[...FITS].join(', ')}; got ${quote(value)}.`);
        fit = value as Fit;
        break;
      case 'gravity':
        gravity = parseGravity(option, value);
        break;
      case 'dpr':
        dpr = parseDecimal(option, value, 1, 4);
        break;
      case 'quality':
        quality = parseQuality(option, value);
        break;
      case 'format': {
        const f = FORMATS.get(value);
        if (!f)
          throw fail(
            option,
            `format must be one of auto, avif, webp, jpeg, baseline-jpeg, png, gif, json; got ${quote(value)}.`,
          );
        format = f;
        break;
      }
      case 'rotate': {
        const r = ROTATIONS.get(value);
        if (r === undefined)
          throw fail(option, `rotate must be one of 0, 90, 180, 270; got ${quote(value)}.`);
        rotate = r;
        break;
      }
      case 'flip': {
        const fl = FLIPS.get(value);
        if (!fl) throw fail(option, `flip must be one of h, v, hv; got ${quote(value)}.`);
        flip = fl;
        break;
      }
      case 'background':
        background = parseBackground(option, value);
        break;
      case 'blur':
        blur = parseDecimal(option, value, 0, 250) || undefined;
        break;
      case 'sharpen':
        sharpen = parseDecimal(option, value, 0, 10) || undefined;
        break;
      case 'anim':
        if (value !== 'true' && value !== 'false')
          throw fail(option, `anim must be true or false; got ${quote(value)}.`);
        anim = value === 'false' ? false : undefined;
        break;
      case 'trim':
        if (value === 'border') trimBorder = true;
        else parsePixelTrim(option, value, px);
        break;
      case 'trim.top':
      case 'trim.right':
      case 'trim.bottom':
      case 'trim.left':
      case 'trim.border.keep':
        px[key] = parseInt1(option, value, 0, MAX_TRIM);
        break;
      case 'trim.width':
      case 'trim.height':
        px[key] = parseInt1(option, value, 1, MAX_TRIM);
        break;
      case 'trim.border.tolerance':
        px[key] = parseInt1(option, value, 0, 255);
        break;
      case 'trim.border.color':
        trimColor = parseBackground(option, value);
        break;
      case 'border.color':
        borderColor = parseBackground(option, value);
        break;
      case 'border.width':
      case 'border.top':
      case 'border.right':
      case 'border.bottom':
      case 'border.left':
        px[key] = parseInt1(option, value, 0, MAX_BORDER);
        break;
      case 'brightness':
      case 'contrast':
      case 'gamma':
      case 'saturation':
        adjust[key] = parseDecimal(option, value, 0, MAX_ADJUST);
        break;
      case 'zoom':
        extra.zoom = parseDecimal(option, value, 0, 1);
        break;
      case 'slow-connection-quality':
        extra.slowConnectionQuality = parseQuality(option, value);
        break;
      case 'compression':
        extra.compression = only(option, value, 'fast');
        break;
      case 'metadata':
        if (value !== 'keep' && value !== 'copyright' && value !== 'none')
          throw fail(option, `metadata must be keep, copyright or none; got ${quote(value)}.`);
        if (value !== 'none') extra.metadata = value;
        break;
      case 'onerror':
        extra.onerror = only(option, value, 'redirect');
        break;
    }
  }
  const trim = trimSpec(written, px, trimBorder, trimColor);
  const border = borderSpec(written, px, borderColor);

  for (const side of [width, height]) {
    if (side !== undefined && deviceSide(side, dpr) > MAX_SIDE)
      throw fail(
        'dpr',
        `width × dpr and height × dpr must be at most ${MAX_SIDE}; got ${side} × ${dpr}.`,
      );
  }

  return Object.freeze({
    ...(width !== undefined && { width }),
    ...(height !== undefined && { height }),
    fit,
    gravity: Object.freeze(gravity),
    dpr,
    ...(quality !== undefined && { quality }),
    ...(format !== undefined && { format }),
    rotate,
    ...(flip !== undefined && { flip }),
    ...(background !== undefined && { background: Object.freeze(background) }),
    ...(blur !== undefined && { blur }),
    ...(sharpen !== undefined && { sharpen }),
    ...(anim === false && { anim }),
    ...(trim && { trim: Object.freeze(trim) }),
    ...(border && { border: Object.freeze(border) }),
    ...adjustments(adjust),
    ...extra,
  });
}

// ---- Pixel operations: trim, border, colour adjustments ----

/** The colour-adjustment options. */
type AdjustName = 'brightness' | 'contrast' | 'gamma' | 'saturation';

const PIXEL_TRIM_KEYS = [
  'trim.top',
  'trim.right',
  'trim.bottom',
  'trim.left',
  'trim.width',
  'trim.height',
] as const;
const BORDER_TRIM_KEYS = [
  'trim.border.color',
  'trim.border.tolerance',
  'trim.border.keep',
] as const;

/** `trim=top;right;bottom;left` (also `%3B`) into `px` as `trim.top`… */
function parsePixelTrim(option: string, value: string, px: Record<string, number>) {
  const parts = value.replace(/%3b/gi, ';').split(';');
  if (parts.length !== 4)
    throw fail(
      option,
      `trim must be border or top;right;bottom;left in pixels, got ${quote(value)}.`,
    );
  (['trim.top', 'trim.right', 'trim.bottom', 'trim.left'] as const).forEach((k, i) => {
    px[k] = parseInt1(option, parts[i]!, 0, MAX_TRIM);
  });
}

/** The trim from the parsed `trim` options, or undefined; 400 for a mix that means nothing. */
function trimSpec(
  written: ReadonlyMap<Key, string>,
  px: Record<string, number>,
  border: boolean,
  color: Rgba | undefined,
): Trim | undefined {
  const pixelKey = PIXEL_TRIM_KEYS.find((k) => written.has(k));
  const borderKey = BORDER_TRIM_KEYS.find((k) => written.has(k));
  if (border && pixelKey)
    throw fail(written.get(pixelKey)!, `trim=border cannot be combined with ${pixelKey}.`);
  const side = PIXEL_TRIM_KEYS.slice(0, 4).find((k) => written.has(k));
  if (!border && written.has('trim') && side)
    throw fail(written.get(side)!, `${side} repeats a side of trim=top;right;bottom;left.`);
  if (border)
    return {
      kind: 'border',
      ...(color && { color }),
      tolerance: px['trim.border.tolerance'] ?? TRIM_TOLERANCE,
      keep: px['trim.border.keep'] ?? 0,
    };
  if (borderKey) throw fail(written.get(borderKey)!, `${borderKey} needs trim=border.`);
  const [top = 0, right = 0, bottom = 0, left = 0] = ['top', 'right', 'bottom', 'left'].map(
    (s) => px[`trim.${s}`],
  );
  const width = px['trim.width'];
  const height = px['trim.height'];
  if (top + right + bottom + left === 0 && width === undefined && height === undefined)
    return undefined;
  return {
    kind: 'pixels',
    top,
    right,
    bottom,
    left,
    ...(width !== undefined && { width }),
    ...(height !== undefined && { height }),
  };
}

/** The border from the parsed `border.*` options, or undefined when every side is 0. */
function borderSpec(
  written: ReadonlyMap<Key, string>,
  px: Record<string, number>,
  color: Rgba | undefined,
): Border | undefined {
  const all = px['border.width'];
  if (
    all !== undefined &&
    ['top', 'right', 'bottom', 'left'].some((s) => written.has(`border.${s}` as Key))
  )
    throw fail(
      written.get('border.width')!,
      'border.width cannot be combined with border.top, border.right…',
    );
  const [top = 0, right = 0, bottom = 0, left = 0] = ['top', 'right', 'bottom', 'left'].map(
    (s) => all ?? px[`border.${s}`],
  );
  const sides = [...written.keys()].some((k) => k.startsWith('border.') && k !== 'border.color');
  if (sides && !color) throw fail('border.color', 'A border needs border.color.');
  if (!sides && color) throw fail('border.color', 'border.color needs border.width or border.top…');
  if (!color || top + right + bottom + left === 0) return undefined;
  return { color, top, right, bottom, left };
}

/** The adjustments that change pixels: 1 is unchanged; 0 is ignored except for saturation. */
function adjustments(adjust: Partial<Record<AdjustName, number>>) {
  const out: Partial<Record<AdjustName, number>> = {};
  for (const [k, v] of Object.entries(adjust) as [AdjustName, number][])
    if (v !== 1 && (v !== 0 || k === 'saturation')) out[k] = v;
  return out;
}

/** Lowercase `rrggbb`, or `rrggbbaa` when not opaque: the canonical form of a colour. */
const hexColour = (c: Rgba) => hex2(c.r) + hex2(c.g) + hex2(c.b) + (c.a === 255 ? '' : hex2(c.a));

/** The canonical value of a pixel-operation option, or undefined when absent or default. */
function canonicalPixelValue(spec: TransformSpec, key: Key): string | undefined {
  const { trim, border } = spec;
  switch (key) {
    case 'trim':
      if (trim?.kind === 'border') return 'border';
      return trim ? `${trim.top};${trim.right};${trim.bottom};${trim.left}` : undefined;
    case 'trim.width':
    case 'trim.height':
      return trim?.kind === 'pixels'
        ? numberOrUndefined(trim[key === 'trim.width' ? 'width' : 'height'])
        : undefined;
    case 'trim.border.color':
      return trim?.kind === 'border' && trim.color ? hexColour(trim.color) : undefined;
    case 'trim.border.tolerance':
      return trim?.kind === 'border' && trim.tolerance !== TRIM_TOLERANCE
        ? String(trim.tolerance)
        : undefined;
    case 'trim.border.keep':
      return trim?.kind === 'border' && trim.keep ? String(trim.keep) : undefined;
    case 'border.color':
      return border ? hexColour(border.color) : undefined;
    case 'border.width':
      return border && uniform(border) ? String(border.top) : undefined;
    case 'border.top':
    case 'border.right':
    case 'border.bottom':
    case 'border.left': {
      const side = border?.[key.slice('border.'.length) as 'top'];
      return border && !uniform(border) && side ? String(side) : undefined;
    }
    case 'brightness':
    case 'contrast':
    case 'gamma':
    case 'saturation':
      return numberOrUndefined(adjustments({ [key]: spec[key] ?? 1 })[key]);
    default:
      return undefined;
  }
}

const numberOrUndefined = (n: number | undefined) => (n === undefined ? undefined : String(n));
const uniform = (b: Border) => b.top === b.right && b.top === b.bottom && b.top === b.left;

const hex2 = (n: number) => n.toString(16).padStart(2, '0');

/** The canonical value of one option, or undefined when it is absent or the default. */
function canonicalValue(spec: TransformSpec, key: Key): string | undefined {
  switch (key) {
    case 'width':
      return spec.widthAuto ? 'auto' : spec.width === undefined ? undefined : String(spec.width);
    case 'height':
    case 'quality':
      return spec[key] === undefined ? undefined : String(spec[key]);
    case 'dpr': {
      const d = roundDecimal(spec.dpr);
      return d === 1 ? undefined : String(d);
    }
    case 'fit':
      return spec.fit === 'scale-down' ? undefined : spec.fit;
    case 'gravity': {
      const g =
        spec.gravity.kind === 'focal' ? focal(spec.gravity.x, spec.gravity.y) : spec.gravity;
      // `face` falls back to the attention point: the same variant as `auto`.
      if (g.kind === 'face') return 'auto';
      if (g.kind !== 'focal') return g.kind === 'center' ? undefined : g.kind;
      return `${g.x}x${g.y}`;
    }
    case 'rotate':
      return spec.rotate === 0 ? undefined : String(spec.rotate);
    case 'flip':
    case 'format':
      return spec[key];
    case 'background':
      return spec.background && hexColour(spec.background);
    case 'blur':
    case 'sharpen': {
      const v = roundDecimal(spec[key] ?? 0);
      return v ? String(v) : undefined;
    }
    case 'anim':
      return spec.anim === false ? 'false' : undefined;
    case 'zoom':
      return undefined; // only acts on detected faces, and none are detected here
    case 'slow-connection-quality':
      return spec.slowConnectionQuality === undefined
        ? undefined
        : String(spec.slowConnectionQuality);
    case 'compression':
    case 'metadata':
    case 'onerror':
      return spec[key];
    default:
      return canonicalPixelValue(spec, key);
  }
}

/**
 * The canonical string of a spec: the cache identity of a variant. Full option names, in the
 * fixed order width, height, dpr, fit, gravity, rotate, flip, background, blur, sharpen,
 * quality, format, anim, then trim, trim.width, trim.height, trim.border.color|tolerance|keep,
 * brightness, contrast, gamma, saturation, border.color, border.width or border.<side>, then
 * slow-connection-quality, compression, metadata, onerror; defaults and absent options
 * omitted (`anim` appears only as `anim=false`, `metadata=none` never; `gravity=face` is
 * written `auto`, whose variant it is; `zoom` never, as it changes nothing without detected
 * faces; a pixel trim always as `trim=t;r;b;l`; a uniform border as `border.width`); numbers in shortest form (`1.5`, not
 * `1.50`); background as lowercase `rrggbb` (or `rrggbbaa` when not opaque), without `#`.
 * Equal specs give equal strings; the all-defaults spec gives `''`; and
 * `canonicalTransform(parseTransform(c)) === c` for every canonical string `c`.
 */
export function canonicalTransform(spec: TransformSpec): string {
  const out: string[] = [];
  for (const key of KEYS) {
    const v = canonicalValue(spec, key);
    if (v !== undefined) out.push(`${key}=${v}`);
  }
  return out.join(',');
}
