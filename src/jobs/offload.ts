/**
 * Offloading a variant miss that is over the inline budget (DESIGN.md §2, step 6): enqueue
 * the exact variant once, and answer now with a stand-in, the cheapest acceptable result:
 *
 * 1. the same geometry as WebP (when the client accepts it) or JPEG (PNG for a source with
 *    alpha), if that fits the inline budget;
 * 2. else the nearest variant already stored for this original with the same aspect ratio
 *    (within 2 %) in a format the client accepts: the smallest at least as large as the
 *    target, or the largest below it;
 * 3. else `202 Accepted` with `Retry-After` and a problem body.
 *
 * A stand-in has a short `max-age`, no `ETag`, `X-Variant-Source: stand-in`, and is never
 * stored: not in R2, not in the edge cache under the variant's key. Once the consumer has
 * written the variant, the next request finds it in R2.
 */
import type { EncodeFormat } from '../codecs/types';
import { DecodeError } from '../codecs/types';
import type { Config } from '../config';
import { HttpError, notFound, problemResponse, unavailable, unprocessable } from '../errors';
import { enqueue } from '../queue/producer';
import type { ImageRecord } from '../storage/images-db';
import { getOriginal } from '../storage/originals';
import { claimVariant, releaseClaim, type VariantKey } from '../storage/variants-db';
import { getStoredVariant, listStoredVariants, type StoredVariant } from '../storage/variants';
import type { Size } from '../transform/geometry';
import { contentType, type AcceptClass } from '../transform/negotiate';
import { planVariant, runPipeline } from '../transform/pipeline';
import {
  estimateVariant,
  fits,
  inlineBudget,
  type CostEstimate,
  type PlanSource,
} from '../transform/plan';
import type { TransformSpec } from '../transform/spec';
import { admissionLimits, withAdmission } from '../transform/admission';

/** `max-age` of a stand-in, seconds: short, so the real variant replaces it soon. */
export const STAND_IN_MAX_AGE = 10;
/** A `pending` claim older than this is assumed lost and may be claimed again. */
export const PENDING_STALE_MS = 10 * 60_000;
/** Largest relative aspect-ratio difference of a "nearest existing variant" stand-in. */
const ASPECT_TOLERANCE = 0.02;

/** A miss the planner sent to the queue. */
export interface OffloadRequest {
  env: Env;
  config: Config;
  rec: ImageRecord;
  /** The record's planner facts (stored frame). */
  src: PlanSource;
  spec: TransformSpec;
  /** Canonical transform. */
  canonical: string;
  /** The resolved format of the requested variant. */
  format: EncodeFormat;
  /** specHash(canonical, format). */
  hash: string;
  accept: AcceptClass;
  /** True when the format was negotiated (`f=auto`): the response varies on Accept. */
  negotiated: boolean;
  /** The planner's estimate for the requested variant. */
  estimate: CostEstimate;
}

/**
 * Enqueues the variant (once: a `pending` row in D1 stops a second enqueue) and serves a
 * stand-in.
 * @throws HttpError 422 when the variant failed permanently before (undecodable original),
 *   or when the original does not decode while making the stand-in; 404 when the original is
 *   gone; 503 when the message cannot be sent (the claim is released first).
 */
export async function offloadVariant(r: OffloadRequest): Promise<Response> {
  const key: VariantKey = {
    sha256: r.rec.sha256,
    specHash: r.hash,
    imageId: r.rec.id,
    spec: r.canonical,
    format: r.format,
  };
  const claim = await claimVariant(r.env.DB, key, Date.now(), PENDING_STALE_MS);
  let queued: 'enqueued' | 'pending' = 'pending';
  if (claim.claimed) {
    try {
      await enqueue(r.env, {
        type: 'variant',
        v: 1,
        imageId: r.rec.id,
        spec: r.canonical,
        format: r.format,
      });
      queued = 'enqueued';
    } catch (err) {
      await releaseClaim(r.env.DB, key.sha256, key.specHash, claim.at);
      console.error(
        JSON.stringify({ level: 'error', message: 'enqueue failed', error: String(err) }),
      );
      throw unavailable(
        'This variant is too heavy to make during the request, and it could not be queued; retry.',
      );
    }
  } else if (claim.row?.state === 'failed' && claim.row.permanent) {
    throw unprocessable(`This variant cannot be made: ${claim.row.error ?? 'unknown error'}.`);
  }
  return standIn(r, queued);
}

/** Formats a client with this Accept class can display. */
function acceptable(accept: AcceptClass): Set<EncodeFormat> {
  const formats = new Set<EncodeFormat>(['jpeg', 'png']);
  if (accept !== 'basic') formats.add('webp');
  if (accept === 'avif') formats.add('avif');
  return formats;
}

/** Same-geometry stand-in formats, cheapest acceptable first, without the requested one. */
export function standInFormats(
  requested: EncodeFormat,
  accept: AcceptClass,
  hasAlpha: boolean,
): EncodeFormat[] {
  const list: EncodeFormat[] = [];
  if (accept !== 'basic') list.push('webp');
  list.push(hasAlpha ? 'png' : 'jpeg');
  return list.filter((f) => f !== requested);
}

/**
 * The stored variant nearest to `target`: same aspect ratio (within 2 %), an acceptable
 * format; the smallest at least as large as the target, else the largest. Null if none.
 */
export function nearestVariant(
  stored: readonly StoredVariant[],
  target: Size,
  formats: ReadonlySet<EncodeFormat>,
): StoredVariant | null {
  const ratio = target.width / target.height;
  const shaped = stored.filter(
    (v) =>
      formats.has(v.format) && Math.abs(v.width / v.height - ratio) / ratio <= ASPECT_TOLERANCE,
  );
  const larger = shaped.filter((v) => v.width >= target.width).sort((a, b) => a.width - b.width);
  if (larger[0]) return larger[0];
  return shaped.sort((a, b) => b.width - a.width)[0] ?? null;
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

/** Serves the cheapest acceptable stand-in (see the module comment). */
async function standIn(r: OffloadRequest, queued: string): Promise<Response> {
  const src = r.src;
  const budget = inlineBudget(r.config);

  // 1. The same geometry in a cheaper format, when this isolate has room for it now
  // (transform/admission.ts); else the next kind of stand-in.
  for (const format of standInFormats(r.format, r.accept, r.rec.hasAlpha)) {
    const est = estimateVariant(src, r.spec, format);
    if (!fits(est, budget)) continue;
    const run = await withAdmission(est.memoryMB, admissionLimits(r.config), async () => {
      const original = await getOriginal(r.env.BUCKET, r.rec.sha256);
      if (!original) throw notFound(`No image ${r.rec.id}.`);
      try {
        return await runPipeline(
          new Uint8Array(await original.arrayBuffer()),
          src,
          r.spec,
          format,
          r.config.maxAnimationPixels,
        );
      } catch (err) {
        if (err instanceof DecodeError)
          throw unprocessable(`The original could not be decoded: ${err.message}`);
        throw err;
      }
    });
    if (!run.admitted) break;
    const out = run.value;
    const what = `same-geometry; format=${format}; size=${out.width}x${out.height}`;
    return new Response(out.bytes, {
      headers: standInHeaders(format, out.bytes.byteLength, r.negotiated, what, queued),
    });
  }

  // 2. The nearest variant already stored.
  const target = planVariant(src, r.spec).geometry.canvas;
  const near = nearestVariant(
    await listStoredVariants(r.env.BUCKET, r.rec.sha256),
    target,
    acceptable(r.accept),
  );
  const obj = near && (await getStoredVariant(r.env.BUCKET, near.key));
  if (near && obj) {
    const bytes = new Uint8Array(await obj.arrayBuffer());
    const what = `nearest; format=${near.format}; size=${near.width}x${near.height}`;
    return new Response(bytes, {
      headers: standInHeaders(near.format, bytes.byteLength, r.negotiated, what, queued),
    });
  }

  // 3. Nothing to show yet.
  const retryAfter = Math.max(1, Math.ceil(r.estimate.cpuMs / 1000) + 2);
  const res = problemResponse(
    new HttpError(
      202,
      'variant-pending',
      'Variant in progress',
      `This variant is too heavy to make during the request; it has been queued. Retry in about ${retryAfter} s.`,
      {
        retry_after: retryAfter,
        estimate: {
          cpu_ms: Math.round(r.estimate.cpuMs),
          memory_mb: Math.round(r.estimate.memoryMB),
        },
      },
      { 'Retry-After': String(retryAfter), 'X-Variant-Queue': queued },
    ),
  );
  if (r.negotiated) res.headers.set('Vary', 'Accept');
  return res;
}
