/**
 * Offloading a variant miss that is over the inline budget (DESIGN.md §2, step 6): enqueue
 * the exact variant once, and answer now with a stand-in. A stand-in is always an image of
 * the requested format and of the requested output size (docs/queues.md, "Stand-ins"); for
 * AVIF, WebP (when the client accepts it) or JPEG (PNG for a source with alpha) stands in, as
 * Cloudflare Images falls back. Of these, the one showing the most detail that fits the
 * inline budget is made (in this order among equals):
 *
 * 1. the variant itself in a stand-in format (AVIF requests only: the others are the
 *    variant);
 * 2. a variant already stored for this original with the same aspect ratio (within 2 %;
 *    nearest first: the smallest at least as large as the target, else the largest), resized
 *    to the requested size and encoded in the stand-in format (a smaller one enlarged as in 3);
 * 3. "low resolution first": the same spec made at 1/2, 1/4 or 1/8 of the size (so a JPEG or
 *    WebP decodes at that scale), enlarged to the requested size on the streamed path, its rows
 *    written into the cheapest encoder (WebP at method 0 and quality 50, JPEG from rows by
 *    libjpeg-turbo at quality 60: transform/pipeline.ts `standInSink`, priced by
 *    transform/cost.ts `estimateEnlarged`);
 * 4. else, the last resort: of those plans and the variant itself, the one that takes the
 *    least CPU, when it fits {@link lastResortBudget} (more CPU than inline, the same memory,
 *    no decoded-pixel ceiling; `X-Stand-In` ends `; last-resort`; the queued message still
 *    makes and stores the variant). Without it a fresh 12 MP PNG or AVIF original, whose
 *    every stand-in needs its whole decode, answered nothing near full size;
 * 5. else nothing can be shown: `503` with `Retry-After` and a problem body (never a `202`
 *    problem, which a browser shows as a broken image). A tight `INLINE_BUDGET_MB` can end
 *    here.
 *
 * A stand-in has a short `max-age`, no `ETag`, `X-Variant-Source: stand-in`, and is never
 * stored: not in R2, not in the edge cache under the variant's key. Once the consumer has
 * written the variant, the next request finds it in R2.
 */
import {
  STAND_IN_ASPECT_TOLERANCE,
  STAND_IN_LOW_RES_FACTORS,
  STAND_IN_MAX_NEIGHBOURS,
  PENDING_STALE_MS,
  STAND_IN_MAX_AGE,
} from '../config';
import type { EncodeFormat } from '../codecs/types';
import type { Config } from '../config';
import { HttpError, notFound, unavailable, unprocessable } from '../errors';
import { logEvent } from '../observability/log';
import { enqueue } from '../work/producer';
import type { ImageRecord } from '../storage/images-db';
import { getOriginal } from '../storage/originals';
import { claimVariant, releaseClaim, type VariantIdentity } from '../storage/variants-db';
import { getStoredVariant, listStoredVariants, type StoredVariant } from '../storage/variants';
import type { Size } from '../transform/geometry';
import { contentType, standInFormats } from '../transform/negotiate';
import { runShape, shapeVariant, type PipelineResult } from '../transform/pipeline';
import {
  estimateEnlarged,
  estimateShape,
  fits,
  inlineBudget,
  type Budget,
  type CostEstimate,
  type PlanSource,
} from '../transform/cost';
import type { VariantPlan } from '../transform/plan';
import { parseTransform, type TransformSpec } from '../transform/spec';
import { admitTransform } from '../transform/admission';

/** A miss the planner sent to the queue. */
export interface OffloadRequest {
  env: Env;
  config: Config;
  rec: ImageRecord;
  /** The request's plan (its format, estimate, shape; transform/plan.ts). */
  plan: VariantPlan;
  /** specHash(plan.canonical, plan.format). */
  hash: string;
  /** Keeps an inline stand-in's transform running if the client goes away (`ctx.waitUntil`). */
  keepAlive?: (run: Promise<unknown>) => void;
}

/**
 * Enqueues the variant (once: a `pending` row in D1 stops a second enqueue) and serves a
 * stand-in.
 * @throws HttpError 422 when the variant failed permanently before (undecodable original),
 *   or when the original does not decode while making the stand-in; 404 when the original is
 *   gone; 503 when the message cannot be sent (the claim is released first), when no stand-in
 *   fits the inline budget (`variant-pending`, with `Retry-After`: it is queued), or when this
 *   isolate has no room for the stand-in now (`busy`).
 */
export async function offloadVariant(r: OffloadRequest): Promise<Response> {
  const { canonical, format } = r.plan;
  const key: VariantIdentity = {
    sha256: r.rec.sha256,
    specHash: r.hash,
    imageId: r.rec.id,
    spec: canonical,
    format,
  };
  const claim = await claimVariant(r.env.DB, key, Date.now(), PENDING_STALE_MS);
  let queued: 'enqueued' | 'pending' = 'pending';
  if (claim.claimed) {
    try {
      await enqueue(r.env, {
        type: 'variant',
        v: 1,
        imageId: r.rec.id,
        spec: canonical,
        format,
      });
      queued = 'enqueued';
    } catch (err) {
      await releaseClaim(r.env.DB, key.sha256, key.specHash, claim.at);
      logEvent('error', 'enqueue failed', { error: String(err) });
      throw unavailable(
        'This variant is too heavy to make during the request, and it could not be queued; retry.',
      );
    }
  } else if (claim.row?.state === 'failed' && claim.row.permanent) {
    throw unprocessable(`This variant cannot be made: ${claim.row.error ?? 'unknown error'}.`);
  }
  return standIn(r, queued);
}

/**
 * The stored variants with the aspect ratio of `target` (within 2 %), nearest first: those at
 * least as wide as the target, narrowest first, then the narrower ones, widest first.
 */
export function sameShapeVariants(stored: readonly StoredVariant[], target: Size): StoredVariant[] {
  const ratio = target.width / target.height;
  const shaped = stored.filter(
    (v) => Math.abs(v.width / v.height - ratio) / ratio <= STAND_IN_ASPECT_TOLERANCE,
  );
  const larger = shaped.filter((v) => v.width >= target.width).sort((x, y) => x.width - y.width);
  const smaller = shaped.filter((v) => v.width < target.width).sort((x, y) => y.width - x.width);
  return [...larger, ...smaller];
}

/**
 * `spec` made `factor` times smaller, same shape: `dpr` divided (or, without a width or
 * height, a width of the canvas divided), blur radius with it, a pixel trim multiplied (it is
 * scaled by `dpr`: the same source window), first frame only.
 */
export function reducedSpec(spec: TransformSpec, canvas: Size, factor: number): TransformSpec {
  const blur = spec.blur === undefined ? undefined : spec.blur / factor;
  if (spec.width === undefined && spec.height === undefined)
    return { ...spec, width: Math.max(1, Math.round(canvas.width / factor)), blur, anim: false };
  // A pixel trim is CSS pixels × dpr of the source: scaled up as dpr goes down, same window.
  const t = spec.trim;
  const trim =
    t?.kind === 'pixels'
      ? {
          ...t,
          top: t.top * factor,
          right: t.right * factor,
          bottom: t.bottom * factor,
          left: t.left * factor,
          ...(t.width !== undefined && { width: t.width * factor }),
          ...(t.height !== undefined && { height: t.height * factor }),
        }
      : t;
  return { ...spec, dpr: spec.dpr / factor, blur, anim: false, ...(trim && { trim }) };
}

function standInHeaders(
  format: EncodeFormat,
  bytes: number,
  negotiated: boolean,
  what: string,
  queued: string,
): Headers {
  const h = new Headers({
    'Content-Type': contentType(format),
    'Content-Length': String(bytes),
    'Cache-Control': `public, max-age=${STAND_IN_MAX_AGE}`,
    'X-Cache': 'MISS',
    'X-Variant-Source': 'stand-in',
    'X-Stand-In': what,
    'X-Variant-Queue': queued,
  });
  if (negotiated) h.set('Vary', 'Accept');
  return h;
}

/** One way of making a stand-in: its estimate, and how to run it on the input's bytes. */
interface StandInPlan {
  what: string;
  /** Width of the detail it shows, pixels: the canvas width, or less when enlarged. */
  detail: number;
  estimate: CostEstimate;
  run: () => Promise<PipelineResult>;
}

/** Reads an R2 object's bytes, or 404 when it is gone. */
async function bytesOf(obj: R2ObjectBody | null, id: string): Promise<Uint8Array> {
  if (!obj) throw notFound(`No image ${id}.`);
  return new Uint8Array(await obj.arrayBuffer());
}

/**
 * The stand-in plans, best first: the most detail, then in the module comment's order (a
 * stored 150 px neighbour of a 2000 px request comes after the original made at 1/8).
 */
async function standInPlans(r: OffloadRequest, budget: Budget): Promise<StandInPlan[]> {
  const { plan } = r;
  const { src, spec } = plan;
  const canvas = plan.geometry.canvas;
  // An AVIF request the planner placed as WebP (AVIF itself over the budget) may still be
  // stood in for by JPEG, as any AVIF request may.
  const requested = spec.format === 'avif' ? 'avif' : plan.format;
  const formats = standInFormats(requested, plan.accept, r.rec.hasAlpha);
  const max = r.config.maxAnimationPixels;
  const original = async () => bytesOf(await getOriginal(r.env.BUCKET, r.rec.sha256), r.rec.id);
  const plans: StandInPlan[] = [];

  // 1. The variant itself in a stand-in format (only AVIF has stand-in formats of its own).
  for (const format of formats.filter((f) => f !== plan.format))
    plans.push({
      what: `same-geometry; format=${format}`,
      detail: canvas.width,
      estimate: estimateShape(plan, format),
      run: async () => runShape(await original(), plan, format, max),
    });

  // Full detail in a stand-in format fits: no need to list the stored variants. With
  // trim=border the output size is only known after decoding (`canvas` is untrimmed), so no
  // stand-in of another size can match it.
  if (plans.some((p) => fits(p.estimate, budget)) || spec.trim?.kind === 'border') return plans;

  // 2. The nearest stored variants, resized to the requested size.
  const stored = await listStoredVariants(r.env.BUCKET, r.rec.sha256);
  for (const near of sameShapeVariants(stored, canvas).slice(0, STAND_IN_MAX_NEIGHBOURS)) {
    const nearSrc: PlanSource = {
      format: near.format,
      width: near.width,
      height: near.height,
      orientation: 1,
      hasAlpha: near.format !== 'jpeg' && r.rec.hasAlpha,
      colourManaged: false,
    };
    // A smaller neighbour is cropped to the canvas's shape at its own scale and enlarged on
    // the streamed path into the cheapest encoder, as in 3; a larger one is resized as a
    // variant is.
    const k = Math.min(near.width / canvas.width, near.height / canvas.height);
    const small = k < 1 && formats.every((f) => f !== 'avif' && f !== 'gif');
    const w = small ? Math.max(1, Math.round(canvas.width * k)) : canvas.width;
    const h = small ? Math.max(1, Math.round(canvas.height * k)) : canvas.height;
    const fill = shapeVariant(nearSrc, parseTransform(`w=${w},h=${h},fit=cover`));
    const stored = async () => bytesOf(await getStoredVariant(r.env.BUCKET, near.key), r.rec.id);
    for (const format of formats)
      plans.push({
        what: `nearest; from=${near.format} ${near.width}x${near.height}; format=${format}`,
        detail: Math.min(canvas.width, near.width),
        estimate: small ? estimateEnlarged(fill, canvas, format) : estimateShape(fill, format),
        run: async () => runShape(await stored(), fill, format, 0, small ? canvas : undefined),
      });
  }

  // 3. Low resolution first: made smaller, enlarged to the requested size.
  for (const factor of STAND_IN_LOW_RES_FACTORS) {
    const small = shapeVariant(src, reducedSpec(spec, canvas, factor));
    for (const format of formats)
      plans.push({
        what: `low-res; 1/${factor}; format=${format}`,
        detail: canvas.width / factor,
        estimate: estimateEnlarged(small, canvas, format),
        run: async () => runShape(await original(), small, format, max, canvas),
      });
  }
  // The sharpest first (a stable sort keeps the order above among equals).
  return plans.sort((a, b) => b.detail - a.detail);
}

/**
 * What a last-resort stand-in may spend (see the module comment): `STAND_IN_BUDGET_MS` of CPU,
 * the inline memory budget, no decoded-pixel ceiling.
 */
export const lastResortBudget = (config: Config): Budget => ({
  cpuMs: config.standInBudgetMs,
  memoryMB: config.inlineBudgetMb,
});

/**
 * Serves the first stand-in that fits the inline budget, else the least CPU one within
 * {@link lastResortBudget} (see the module comment).
 */
async function standIn(r: OffloadRequest, queued: string): Promise<Response> {
  const budget = inlineBudget(r.config);
  const plans = await standInPlans(r, budget);
  const lastResort = lastResortBudget(r.config);
  const itself: StandInPlan = {
    what: `same-geometry; format=${r.plan.format}`,
    detail: r.plan.geometry.canvas.width,
    estimate: r.plan.estimate,
    run: async () =>
      runShape(
        await bytesOf(await getOriginal(r.env.BUCKET, r.rec.sha256), r.rec.id),
        r.plan,
        r.plan.format,
        r.config.maxAnimationPixels,
      ),
  };
  const plan =
    plans.find((p) => fits(p.estimate, budget)) ??
    [...plans, itself]
      .filter((p) => fits(p.estimate, lastResort))
      .sort((a, b) => a.estimate.cpuMs - b.estimate.cpuMs)
      .map((p) => ({ ...p, what: `${p.what}; last-resort` }))[0];
  if (!plan) {
    const { estimate, negotiated } = r.plan;
    const retryAfter = Math.max(1, Math.ceil(estimate.cpuMs / 1000) + 2);
    throw new HttpError(
      503,
      'variant-pending',
      'Variant in progress',
      `This variant is too heavy to make during the request, and no stand-in fits either; it has been queued. Retry in about ${retryAfter} s.`,
      {
        retry_after: retryAfter,
        estimate: {
          cpu_ms: Math.round(estimate.cpuMs),
          memory_mb: Math.round(estimate.memoryMB),
        },
      },
      {
        'Retry-After': String(retryAfter),
        'X-Variant-Queue': queued,
        ...(negotiated ? { Vary: 'Accept' } : {}),
      },
    );
  }
  const out = await admitTransform(plan.estimate.memoryMB, r.config, () => plan.run(), r.keepAlive);
  const what = `${plan.what}; size=${out.width}x${out.height}`;
  return new Response(out.bytes, {
    headers: standInHeaders(out.format, out.bytes.byteLength, r.plan.negotiated, what, queued),
  });
}
