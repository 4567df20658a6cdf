/**
 * Every output-format decision, in one module: `format=auto` content negotiation from
 * `Accept` (AVIF, then WebP, then JPEG, or PNG when the source has alpha), the original's
 * format when `format` is absent, the first candidate the planner does not refuse
 * ({@link chooseFormat}), the formats a stand-in may have ({@link standInFormats}) and the
 * formats the queue consumer stores a spec in ({@link formatsFor}).
 */
import type { ImageFormat } from '../codecs/probe';
import type { AcceptClass, EncodeFormat } from '../codecs/types';
import type { Config } from '../config';
import { DomainError } from '../errors';
import type { PlanShape } from './cost';
import { placeShape, type PlacedShape } from './fallback';
import type { OutputFormat, TransformSpec } from './spec';

/** Classifies `Accept` (RFC 9110 §12.5.1; a media range with q=0 is refused). */
export function acceptClass(accept: string | undefined): AcceptClass {
  const allowed = new Set<string>();
  for (const part of (accept ?? '').toLowerCase().split(',')) {
    const [type, ...params] = part.split(';').map((s) => s.trim());
    const q = params.find((p) => p.startsWith('q='));
    if (type && !(q && Number(q.slice(2)) === 0)) allowed.add(type);
  }
  if (allowed.has('image/avif')) return 'avif';
  if (allowed.has('image/webp')) return 'webp';
  return 'basic';
}

/** The source facts format choice depends on. */
export interface FormatSource {
  format: ImageFormat;
  hasAlpha: boolean;
  /** Frames; absent or 1 for a still image. */
  frames?: number;
}

/** The spec members format choice depends on. */
type FormatSpec = { anim?: false; compression?: 'fast' };

/** True when the source is animated and the request keeps animation (`anim` not false). */
const keepsAnimation = (source: FormatSource, spec?: FormatSpec) =>
  (source.frames ?? 1) > 1 && spec?.anim !== false;

/**
 * `compression=fast` (Cloudflare: "choose JPEG over WebP or AVIF"): a still AVIF or WebP
 * output becomes JPEG, or PNG when the source has alpha; other formats are kept.
 */
function quickest(format: EncodeFormat, source: FormatSource, spec?: FormatSpec): EncodeFormat {
  if (spec?.compression !== 'fast' || keepsAnimation(source, spec)) return format;
  if (format !== 'avif' && format !== 'webp') return format;
  return source.hasAlpha ? 'png' : 'jpeg';
}

/**
 * The encoder format for a request. `auto` follows {@link autoCandidates}; absent keeps the
 * original's format, except that a still GIF becomes PNG (an animated one stays GIF unless
 * `anim=false`). `baseline-jpeg` is JPEG (written without progressive scans by the pipeline);
 * `compression=fast` turns a still AVIF or WebP into JPEG (PNG with alpha). `json` is not an encoder format and must be handled before calling this.
 */
export function resolveFormat(
  requested: Exclude<OutputFormat, 'json'> | undefined,
  accept: AcceptClass,
  source: FormatSource,
  spec?: FormatSpec,
): EncodeFormat {
  if (requested === undefined)
    return quickest(
      source.format === 'gif' && !keepsAnimation(source, spec) ? 'png' : source.format,
      source,
      spec,
    );
  if (requested === 'baseline-jpeg') return 'jpeg';
  if (requested !== 'auto') return quickest(requested, source, spec);
  return autoCandidates(accept, source, spec)[0]!;
}

/**
 * The formats `format=auto` may answer with, best first: AVIF and WebP when `Accept` allows
 * them, then JPEG (PNG when the source has alpha), which every client takes; only the last
 * with `compression=fast`. The first one
 * that can be made within the budgets wins (serve.ts), so a source too heavy for the AVIF
 * encoder still gets WebP rather than an error. So an alpha source gets PNG from an AVIF- or
 * WebP-capable client only when the planner refuses both (a 3 MP PNG at 800 px: 142 and
 * 118 MB against the consumer's 112): a full-quality PNG rather than a 422. An animation that keeps animating answers
 * animated WebP when `Accept` allows it (AVIF or WebP class), else GIF.
 */
export function autoCandidates(
  accept: AcceptClass,
  source: FormatSource,
  spec?: FormatSpec,
): EncodeFormat[] {
  if (keepsAnimation(source, spec)) return accept === 'basic' ? ['gif'] : ['webp', 'gif'];
  const basic: EncodeFormat = source.hasAlpha ? 'png' : 'jpeg';
  if (spec?.compression === 'fast') return [basic];
  if (accept === 'avif') return ['avif', 'webp', basic];
  if (accept === 'webp') return ['webp', basic];
  return [basic];
}

/** MIME type of an encoder format. */
export const contentType = (f: EncodeFormat) => `image/${f}`;

/**
 * The format of a request, placed with its estimate (transform/fallback.ts `placeShape`: the
 * shape, or its libjpeg-turbo M/8 fallback when only that fits). An explicit format is the
 * first of {@link bestEffort} that the planner does not refuse; `f=auto` the first of
 * {@link autoCandidates} (so a source too heavy for the AVIF encoder still gets WebP); when
 * every candidate is refused, the first (the 422 then names its estimate). One estimate per
 * candidate, on one shape. `json` must be handled before calling this.
 */
export function chooseFormat(
  shape: PlanShape,
  accept: AcceptClass,
  source: FormatSource,
  config: Config,
): PlacedShape & { format: EncodeFormat } {
  const requested = shape.spec.format;
  if (requested === 'json') throw new RangeError('chooseFormat: f=json is not an image');
  if (requested !== 'auto') {
    const format = resolveFormat(requested, accept, source, shape.spec);
    return feasibleFormat(shape, bestEffort(format, shape.spec), config);
  }
  return feasibleFormat(shape, autoCandidates(accept, source, shape.spec), config);
}

/**
 * The formats an explicit format is made in, best first. `f=avif` is best effort, as
 * Cloudflare's is ("Images that cannot be compressed as AVIF will be served as WebP instead",
 * Cloudflare Images, Transform images → Format limitations): the AVIF, or WebP when the
 * planner refuses the AVIF (an AVIF-capable client takes WebP; the answer does not vary on
 * Accept). Every other format is made or refused as asked.
 */
export function bestEffort(
  format: EncodeFormat,
  spec: Pick<TransformSpec, 'format'>,
): EncodeFormat[] {
  return format === 'avif' && spec.format === 'avif' ? ['avif', 'webp'] : [format];
}

/**
 * The first of `candidates` (best first) that is not refused for this shape (or its M/8
 * fallback), placed with its estimate; when every candidate is refused, the first.
 * @throws RangeError when `candidates` is empty.
 */
export function feasibleFormat(
  shape: PlanShape,
  candidates: readonly EncodeFormat[],
  config: Config,
): PlacedShape & { format: EncodeFormat } {
  let first: (PlacedShape & { format: EncodeFormat }) | undefined;
  for (const format of candidates) {
    const placed = { format, ...placeShape(shape, format, config) };
    first ??= placed;
    if (placed.placement !== 'refuse') return placed;
  }
  if (!first) throw new RangeError('feasibleFormat: no candidates');
  return first;
}

/**
 * The formats a stand-in for `requested` may have, best first: the requested one, except
 * that AVIF is stood in for by WebP (when `accept` allows it) and then JPEG (PNG for a source
 * with alpha), as Cloudflare Images falls back.
 */
export function standInFormats(
  requested: EncodeFormat,
  accept: AcceptClass,
  hasAlpha: boolean,
): EncodeFormat[] {
  if (requested !== 'avif') return [requested];
  const list: EncodeFormat[] = accept === 'basic' ? [] : ['webp'];
  list.push(hasAlpha ? 'png' : 'jpeg');
  return list;
}

/**
 * The formats a spec is stored in by the queue consumer: for `f=auto`, one per Accept class
 * (AVIF, WebP, and JPEG, or PNG for a source with alpha), so every client finds its variant;
 * otherwise the one format the spec resolves to.
 * @throws DomainError `invalid` for `f=json` (not a variant).
 */
export function formatsFor(
  spec: Pick<TransformSpec, 'format' | 'anim'>,
  src: FormatSource,
): EncodeFormat[] {
  if (spec.format === 'json') throw new DomainError('invalid', 'f=json is not a variant');
  if (spec.format !== 'auto') return [resolveFormat(spec.format, 'basic', src, spec)];
  return [...new Set<EncodeFormat>(['avif', 'webp', resolveFormat('auto', 'basic', src)])];
}
