/**
 * Output format: `format=auto` content negotiation from `Accept` (AVIF, then WebP, then JPEG,
 * or PNG when the source has alpha), and the original's format when `format` is absent.
 */
import type { ImageFormat } from '../codecs/probe';
import type { AcceptClass, EncodeFormat } from '../codecs/types';
import type { OutputFormat } from './spec';

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

/** True when the source is animated and the request keeps animation (`anim` not false). */
const keepsAnimation = (source: FormatSource, spec?: { anim?: false }) =>
  (source.frames ?? 1) > 1 && spec?.anim !== false;

/**
 * The encoder format for a request. `auto` follows {@link autoCandidates}; absent keeps the
 * original's format, except that a still GIF becomes PNG (an animated one stays GIF unless
 * `anim=false`). `json` is not an encoder format and must be handled before calling this.
 */
export function resolveFormat(
  requested: Exclude<OutputFormat, 'json'> | undefined,
  accept: AcceptClass,
  source: FormatSource,
  spec?: { anim?: false },
): EncodeFormat {
  if (requested === undefined)
    return source.format === 'gif' && !keepsAnimation(source, spec) ? 'png' : source.format;
  if (requested !== 'auto') return requested;
  return autoCandidates(accept, source, spec)[0]!;
}

/**
 * The formats `format=auto` may answer with, best first: AVIF and WebP when `Accept` allows
 * them, then JPEG (PNG when the source has alpha), which every client takes. The first one
 * that can be made within the budgets wins (serve.ts), so a source too heavy for the AVIF
 * encoder still gets WebP rather than an error. So an alpha source gets PNG from an AVIF- or
 * WebP-capable client only when the planner refuses both (a 3 MP PNG at 800 px: 142 and
 * 118 MB against the consumer's 112): a full-quality PNG rather than a 422. An animation that keeps animating answers
 * animated WebP when `Accept` allows it (AVIF or WebP class), else GIF.
 */
export function autoCandidates(
  accept: AcceptClass,
  source: FormatSource,
  spec?: { anim?: false },
): EncodeFormat[] {
  if (keepsAnimation(source, spec)) return accept === 'basic' ? ['gif'] : ['webp', 'gif'];
  const basic: EncodeFormat = source.hasAlpha ? 'png' : 'jpeg';
  if (accept === 'avif') return ['avif', 'webp', basic];
  if (accept === 'webp') return ['webp', basic];
  return [basic];
}

/** MIME type of an encoder format. */
export const contentType = (f: EncodeFormat) => `image/${f}`;
