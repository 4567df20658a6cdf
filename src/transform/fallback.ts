/**
 * The planner's decode fallbacks (issue 13). A JPEG whose crop is reduced by less than 2x is
 * decoded at 1/1 and resampled (lanczos3, as sharp does: src/transform/pipeline.ts
 * `turboEighths`). When that plan is over the budget of the place it would be made in (the
 * request's, so it would be stood in for, or the queue consumer's, so it would be refused)
 * and libjpeg-turbo at the smallest M/8 that covers the target (8/8 when no smaller M does)
 * fits a better place, the variant is planned at M/8 instead (`decodePlan`'s
 * `eighthsFallback`; on the streamed path read as rows, never held whole). DCT scaling under 2x
 * strays from sharp's output (1.6x reductions: ΔE76 p95 5.5, PSNR 36.9 dB against the full
 * decode); that is accepted only here, for a variant that could otherwise not be made in
 * that place. Within the request's budget nothing changes: the 1/1 path and its bytes stay.
 *
 * A still lossy WebP reduced by less than 2x is decoded whole (libwebp's rescaler is used from
 * 2x, as shrink-on-load) and resampled (lanczos3); over budget, libwebp crops and scales it to
 * the target while decoding instead (`webpScaledFallback`: an area average, sharp's own
 * WebP scaling; ΔE76 and PSNR against sharp in docs/performance.md, "The decode side
 * refitted"), holding the output-sized RGBA rather than the whole image.
 *
 * A JPEG output is encoded by mozjpeg from the whole image (trellis quantisation: the smallest
 * files) wherever that is placed inline; otherwise, when it is placed better so, by
 * libjpeg-turbo fed rows on the streamed path (transform/streamed.ts, codecs/jpeg-rows.ts),
 * which holds the output's coefficients instead of mozjpeg's whole RGBA and buffers: its files
 * are larger at the same quality (docs/performance.md, "JPEG encoded from rows"), accepted only
 * for a variant that could otherwise not be made in that place.
 *
 * The choice depends only on the shape, the format and the budgets, so the request and the
 * queue consumer make the same choice for the same variant (the same bytes either way).
 */
import type { EncodeFormat } from '../codecs/types';
import type { Config } from '../config';
import {
  estimateShape,
  placement,
  type CostEstimate,
  type Placement,
  type PlanShape,
} from './cost';
import { shapeVariant } from './pipeline';

/** A shape with its estimate and the place it may be made in. */
export interface PlacedShape {
  shape: PlanShape;
  estimate: CostEstimate;
  placement: Placement;
}

/** Better places first: inline before the queue, the queue before a refusal. */
const RANK: Record<Placement, number> = { inline: 0, queue: 1, refuse: 2 };

/**
 * The M/8 fallback of a shape (see the module comment), or null when it has none: not a JPEG,
 * not reduced, reduced 2x or more (shrink-on-load or M/8 already), `trim=border` (decoded
 * whole at full size).
 */
export function eighthsFallback(shape: PlanShape): PlanShape | null {
  const { src, spec, decode } = shape;
  if (src.format !== 'jpeg' || decode.eighths || decode.scale !== 1) return null;
  if (spec.trim?.kind === 'border') return null;
  const alt = shapeVariant(src, spec, undefined, true);
  return alt.decode.eighths ? { ...alt, src } : null;
}

/**
 * The M/8 fallback of a progressive JPEG reduced 2x or more (pipeline.ts `progressiveEighths`:
 * libjpeg-turbo keeps only the M x M coefficients per block that M/8 reads, and on the
 * streamed path no decoded image), or null: not such a JPEG (CMYK ones stay on jpeg_scaled),
 * or `trim=border`. Within the request's budget jpeg_scaled at 1/d and its bytes stay.
 */
export function progressiveEighthsFallback(shape: PlanShape): PlanShape | null {
  const { src, spec, decode } = shape;
  if (src.format !== 'jpeg' || !src.progressive || decode.eighths || decode.scale === 1)
    return null;
  if (spec.trim?.kind === 'border') return null;
  const alt = shapeVariant(src, spec, undefined, true);
  return alt.decode.eighths ? { ...alt, src } : null;
}

/**
 * The scaled-decode fallback of a still lossy WebP (see the module comment), or null: not such
 * a WebP (a VP8L image is always cropped and scaled by libwebp), not reduced, reduced 2x or
 * more (libwebp's rescaler already takes it), or `trim=border`.
 */
export function webpScaledFallback(shape: PlanShape): PlanShape | null {
  const { src, spec, decode } = shape;
  if (src.format !== 'webp' || decode.inModule || decode.scale !== 1) return null;
  if (spec.trim?.kind === 'border') return null;
  const alt = shapeVariant(src, spec, undefined, true);
  return alt.decode.inModule ? { ...alt, src } : null;
}

/**
 * The shape's decode fallback: {@link eighthsFallback}, {@link progressiveEighthsFallback} or
 * {@link webpScaledFallback}.
 */
export const decodeFallback = (shape: PlanShape): PlanShape | null =>
  eighthsFallback(shape) ?? progressiveEighthsFallback(shape) ?? webpScaledFallback(shape);

/**
 * Estimates `format` of a shape and places it (cost.ts `placement`); when that is not inline,
 * the first of these placed better than it (and then better than that, until one is inline):
 * the shape's decode fallback ({@link decodeFallback}); for a JPEG, the shape and then its
 * decode fallback encoded by libjpeg-turbo from rows (`jpegRows`).
 */
export function placeShape(shape: PlanShape, format: EncodeFormat, config: Config): PlacedShape {
  let placed = placed1(shape, format, config);
  if (placed.placement === 'inline') return placed;
  const alt = decodeFallback(shape);
  // A JPEG: libjpeg-turbo from rows (see the module comment), on either decode.
  const candidates =
    format === 'jpeg'
      ? [alt, { ...shape, jpegRows: true }, alt && { ...alt, jpegRows: true }]
      : [alt];
  for (const c of candidates) {
    if (!c) continue;
    const next = placed1(c, format, config);
    if (RANK[next.placement] < RANK[placed.placement]) placed = next;
    if (placed.placement === 'inline') break;
  }
  return placed;
}

/** `shape` estimated for `format` and placed (cost.ts `placement`). */
function placed1(shape: PlanShape, format: EncodeFormat, config: Config): PlacedShape {
  const estimate = estimateShape(shape, format);
  return { shape, estimate, placement: placement(estimate, config) };
}
