/**
 * One {@link VariantPlan} per request: the source's orientation, the geometry, the decode
 * plan (transform/pipeline.ts `shapeVariant`; its M/8 fallback, ./fallback.ts), the output
 * format (./negotiate.ts), the cost estimate and the placement (./cost.ts), computed once from
 * header facts and handed to the
 * delivery flow, the stand-ins and the pipeline, so nothing is planned twice.
 */
import type { AcceptClass, EncodeFormat } from '../codecs/types';
import type { Config } from '../config';
import type { CostEstimate, Placement, PlanShape, PlanSource } from './cost';
import { chooseFormat, type FormatSource } from './negotiate';
import { shapeVariant } from './pipeline';
import type { TransformSpec } from './spec';

/** Everything decided about one variant before any byte is decoded. */
export interface VariantPlan extends PlanShape {
  /** The canonical transform (`canonicalTransform(spec)`), part of the variant's key. */
  canonical: string;
  /** The Accept class the format was negotiated for. */
  accept: AcceptClass;
  /** The output format. */
  format: EncodeFormat;
  /** True when the format was negotiated (`f=auto`): the response varies on Accept. */
  negotiated: boolean;
  /** The planner's estimate for this format. */
  estimate: CostEstimate;
  /** Where it may be made: inline, in the queue consumer, or nowhere. */
  placement: Placement;
}

/**
 * Plans a variant of `spec` (not `f=json`) on an original.
 * @param src the original's planner facts (stored frame, cost.ts `sourceFacts`).
 * @param source the facts the format depends on (the image record).
 * @param canonical `canonicalTransform(spec)`, computed once by the caller.
 */
export function planRequest(
  src: PlanSource,
  spec: TransformSpec,
  canonical: string,
  accept: AcceptClass,
  source: FormatSource,
  config: Config,
): VariantPlan {
  const { format, shape, estimate, placement } = chooseFormat(
    shapeVariant(src, spec),
    accept,
    source,
    config,
  );
  return {
    ...shape,
    canonical,
    accept,
    format,
    negotiated: spec.format === 'auto',
    estimate,
    placement,
  };
}
