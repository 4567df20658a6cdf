/**
 * What would work instead of a refused variant: the widest output of the same request (same
 * options, same aspect of the box) that the planner does not refuse, for the 422's detail
 * ("request w≤N"). Issue 13: an output too large for the isolate may be refused only with a
 * 422 that names the limit and says what would work.
 */
import type { EncodeFormat } from '../codecs/types';
import type { Config } from '../config';
import type { PlanSource } from './cost';
import { placeShape } from './fallback';
import { planVariant, shapeVariant } from './pipeline';
import type { TransformSpec } from './spec';

/**
 * The same request with an output `width` device pixels wide: `dpr` folded into the box, the
 * box height (when given) scaled with the width, so crops keep their aspect.
 */
export function withOutputWidth(
  spec: TransformSpec,
  canvasWidth: number,
  width: number,
): TransformSpec {
  const height =
    spec.height === undefined
      ? undefined
      : Math.max(1, Math.round((spec.height * spec.dpr * width) / canvasWidth));
  return { ...spec, width, height, dpr: 1 };
}

/**
 * The largest output width (device pixels, below the refused one) at which this variant is
 * made inline or by the queue (M/8 fallback included, ./fallback.ts), by bisection over the
 * planner's estimate (which grows with the output); null when not even a 1-pixel-wide output fits (the source itself is too costly).
 */
export function largestFeasibleWidth(
  src: PlanSource,
  spec: TransformSpec,
  format: EncodeFormat,
  config: Config,
): number | null {
  const canvasWidth = planVariant(src, spec).geometry.canvas.width;
  const ok = (w: number) =>
    placeShape(shapeVariant(src, withOutputWidth(spec, canvasWidth, w)), format, config)
      .placement !== 'refuse';
  if (!ok(1)) return null;
  let lo = 1; // fits
  let hi = canvasWidth; // refused
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (ok(mid)) lo = mid;
    else hi = mid;
  }
  return lo;
}
