/**
 * The planner's decode fallbacks (issue 13). A JPEG whose crop is reduced by less than 2x is
 * decoded at 1/1 and resampled (lanczos3, as sharp does: src/transform/pipeline.ts
 * `turboEighths`); one reduced 2x or more is decoded whole by the JPEG module at 1/2-1/8 and
 * resampled in it, unless libjpeg-turbo's M/8 is priced cheaper. When that plan is over the
 * budget of the place it would be made in (the request's, so it would be stood in for, or the
 * queue consumer's, so it would be refused) and libjpeg-turbo at the smallest M/8 that covers
 * the target (8/8 when no smaller M does) fits a better place, the variant is planned at M/8
 * instead (`decodePlan`'s `eighthsFallback`; on the streamed path read as rows, never held
 * whole: a 48 MP JPEG → 2400 px WebP in 57 MB above idle, where the module's 1/2 decode was
 * refused at 163 estimated). DCT scaling under 2x strays from sharp's output (1.6x reductions:
 * ΔE76 p95 5.5, PSNR 36.9 dB against the full decode); that is accepted only here, for a
 * variant that could otherwise not be made in that place (from 2x the module scales in the
 * DCT too). Within the request's budget nothing changes: the planned path and its bytes stay.
 *
 * One change is made within any budget: a JPEG reduced under 2x that the JPEG module would
 * decode at 1/1 is decoded by libjpeg-turbo at 8/8 instead (`fullTurbo`) wherever that is no
 * worse on any count by the planner's figures (its place, CPU and memory): the same lanczos3
 * after sharp's own decode (libjpeg-turbo 8/8 gives sharp's pixels exactly, where jpeg-decoder's
 * IDCT and upsampling differ by a level or two), 1.75x faster at decoding (12 MP: 149 against
 * 261 ms, docs/performance.md), and read as rows where the variant streams. Where it does not
 * stream (AVIF, mozjpeg's JPEG, effects) the whole RGBA would be held, and the module's plan
 * stays.
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
 * for a variant that could otherwise not be made in that place. When even that is refused (its
 * two passes keep the whole output's coefficients: 2.86 MiB per output MP), libjpeg-turbo in a
 * single pass (`jpegOnePass`: baseline, the standard Huffman tables, rows compressed and
 * written as they come, no coefficients kept; files 4-8 % larger than its two passes,
 * docs/performance.md, "JPEG output drained"), on those decodes, placed as above.
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
 * not reduced, on libjpeg-turbo already, a progressive CMYK file reduced 2x or more (the JPEG
 * module's), `trim=border` (decoded whole at full size).
 */
export function eighthsFallback(shape: PlanShape): PlanShape | null {
  const { src, spec, decode } = shape;
  if (src.format !== 'jpeg' || decode.eighths) return null;
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
 * The full-size libjpeg-turbo plan of a JPEG whose crop is reduced by less than 2x, or null:
 * 8/8 (sharp's own decode, the same pixels), then lanczos3 as on the JPEG module's 1/1 plan,
 * which the shape must have (not a progressive CMYK file, not `trim=border`). On the streamed
 * path its rows are read as pulled; elsewhere it is decoded whole.
 */
export function fullTurbo(shape: PlanShape): PlanShape | null {
  const { src, spec, decode } = shape;
  if (src.format !== 'jpeg' || decode.eighths || decode.scale !== 1 || !decode.inModule)
    return null;
  if (spec.trim?.kind === 'border' || (src.progressive && src.cmyk)) return null;
  const decoded = { width: src.width, height: src.height };
  return { ...shape, decode: { scale: 1, eighths: 8, decoded, inModule: false, box: 1 } };
}

/** The shape's decode fallback: {@link eighthsFallback} or {@link webpScaledFallback}. */
export const decodeFallback = (shape: PlanShape): PlanShape | null =>
  eighthsFallback(shape) ?? webpScaledFallback(shape);

/**
 * Estimates `format` of a shape and places it (cost.ts `placement`), on {@link fullTurbo}'s
 * decode where that is no worse on any count; when that is not inline, the first of these
 * placed better than it (and then better than that, until one is inline): the shape's decode
 * fallback ({@link decodeFallback}); for a JPEG, libjpeg-turbo's 8/8, the shape and then its
 * decode fallback encoded by libjpeg-turbo from rows (`jpegRows`); when all of these are
 * refused, libjpeg-turbo's single pass (`jpegOnePass`) on the 8/8, the shape's and the fallback's
 * decode. When every one is refused, the one least over the queue's budget ({@link overQueue}).
 */
export function placeShape(shape: PlanShape, format: EncodeFormat, config: Config): PlacedShape {
  let placed = placed1(shape, format, config);
  const full = fullTurbo(shape);
  if (full) {
    // libjpeg-turbo at 8/8 where it is no worse on any count (see the module comment).
    const next = placed1(full, format, config);
    if (
      RANK[next.placement] <= RANK[placed.placement] &&
      next.estimate.cpuMs < placed.estimate.cpuMs &&
      next.estimate.memoryMB <= placed.estimate.memoryMB
    )
      placed = next;
  }
  if (placed.placement === 'inline') return placed;
  const alt = decodeFallback(shape);
  // A JPEG: libjpeg-turbo from rows (see the module comment), on any of these decodes.
  const candidates =
    format === 'jpeg'
      ? [
          alt,
          full && { ...full, jpegRows: true },
          { ...shape, jpegRows: true },
          alt && { ...alt, jpegRows: true },
        ]
      : [alt];
  placed = bestOf(placed, candidates, format, config);
  if (format !== 'jpeg' || placed.placement !== 'refuse') return placed;
  // Refused with libjpeg-turbo's two passes: its single pass (see the module comment).
  const onePass = [full, shape, alt].map((c) => c && { ...c, jpegRows: true, jpegOnePass: true });
  return bestOf(placed, onePass, format, config);
}

/**
 * `placed`, or the first of `candidates` placed better than it (and then better than that,
 * until one is inline); among refused ones, the least over the queue's budget ({@link nearer}).
 */
function bestOf(
  placed: PlacedShape,
  candidates: (PlanShape | null | undefined)[],
  format: EncodeFormat,
  config: Config,
): PlacedShape {
  for (const c of candidates) {
    if (!c) continue;
    const next = placed1(c, format, config);
    if (
      RANK[next.placement] < RANK[placed.placement] ||
      (next.placement === 'refuse' &&
        placed.placement === 'refuse' &&
        nearer(next.estimate, placed.estimate, config))
    )
      placed = next;
    if (placed.placement === 'inline') break;
  }
  return placed;
}

/**
 * How far an estimate is over the queue consumer's budget: the sum of its CPU and memory
 * overshoots, each as a fraction of the budget (0 within it). Of the refused candidates,
 * {@link placeShape} keeps the least over, so a 422 names the nearest plan's figures (the
 * 99.6 MP JPEG → 4000x5783 WebP: libjpeg-turbo's 4/8 rows at about 129 MB, not the JPEG
 * module's whole 1/2 decode at 330).
 */
function overQueue(est: CostEstimate, config: Config): number {
  return (
    Math.max(0, est.cpuMs / config.queueBudgetMs - 1) +
    Math.max(0, est.memoryMB / config.queueBudgetMb - 1)
  );
}

/** `a` is less over the queue's budget than `b` ({@link overQueue}; a tie: less CPU). */
function nearer(a: CostEstimate, b: CostEstimate, config: Config): boolean {
  const [oa, ob] = [overQueue(a, config), overQueue(b, config)];
  return oa < ob || (oa === ob && a.cpuMs < b.cpuMs);
}

/** `shape` estimated for `format` and placed (cost.ts `placement`). */
function placed1(shape: PlanShape, format: EncodeFormat, config: Config): PlacedShape {
  const estimate = estimateShape(shape, format);
  return { shape, estimate, placement: placement(estimate, config) };
}
