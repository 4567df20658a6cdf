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
 * `format=jpg` → `jpeg`; `segment` and `upscale=generate` are refused with the reason;
 * `flip=vh` → `hv`; `background` accepts `#`, `%23` or no prefix. The empty string is the
 * all-defaults spec ({@link DEFAULT_SPEC}), so every canonical string parses back.
 * @throws HttpError 400 (`extras.option` names the option as written, or `transform` for the
 *   string as a whole) when: longer than {@link MAX_TRANSFORM_LENGTH}; more than
 *   {@link MAX_OPTIONS} options; an empty option or one without `=`; an unknown option; an
 *   option given twice (in any spelling); an empty, malformed or out-of-range value; or
 *   `width × dpr` / `height × dpr` over {@link MAX_SIDE} (names `dpr`).
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
    ...extra,
  });
}

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
    case 'background': {
      const c = spec.background;
      if (!c) return undefined;
      return hex2(c.r) + hex2(c.g) + hex2(c.b) + (c.a === 255 ? '' : hex2(c.a));
    }
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
  }
}

/**
 * The canonical string of a spec: the cache identity of a variant. Full option names, in the
 * fixed order width, height, dpr, fit, gravity, rotate, flip, background, blur, sharpen,
 * quality, format, anim, slow-connection-quality, compression, metadata, onerror; defaults
 * and absent options omitted (`anim` appears only as `anim=false`, `metadata=none` never;
 * `gravity=face` is written `auto`, whose variant it is; `zoom` never, as it changes
 * nothing without detected faces); numbers in shortest form (`1.5`, not
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
