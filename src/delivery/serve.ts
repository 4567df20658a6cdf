/**
 * Serving a variant (`GET /img/{id}/{transform}`), DESIGN.md §2: edge cache → R2 variant →
 * transform inline within the budget and store, or offload to the queue and serve a stand-in
 * (transform/cost.ts, ./stand-in.ts). A cache hit makes no D1 and no R2 call.
 */
import type { AcceptClass, EncodeFormat } from '../codecs/types';
import type { Config } from '../config';
import { notFound, unprocessable } from '../errors';
import { ID_PATTERN } from '../ids';
import { IMMUTABLE, notModified } from '../http/etag';
import { offloadVariant } from './stand-in';
import { limitDeliveryMiss } from '../security/rate-limit';
import { cacheMatch, cachePut, variantCacheKey } from '../storage/edge-cache';
import { getImageById, type ImageRecord } from '../storage/images-db';
import { getOriginal } from '../storage/originals';
import { getVariant, putVariant, specHash } from '../storage/variants';
import { admitTransform, type MissPlace, takeMissPlace } from '../transform/admission';
import { acceptClass, autoCandidates, contentType } from '../transform/negotiate';
import { isAnimatedOutput, runShape, shapeVariant, type SourceFacts } from '../transform/pipeline';
import { serverTiming, type StageTimings } from '../observability/log';
import { overBudget, queueBudget, sourceFacts } from '../transform/cost';
import { placeShape } from '../transform/fallback';
import { planRequest } from '../transform/plan';
import { focalPending, GRAVITY_PENDING } from '../transform/geometry';
import { largestFeasibleWidth } from '../transform/suggest';
import { resolvePreset, BUILTIN_PRESETS } from '../transform/presets';
import {
  canonicalTransform,
  isPresetName,
  parseTransform,
  type TransformSpec,
} from '../transform/spec';
import { resolveHints, type HintedSpec } from '../transform/hints';
import { isRedirectable, redirectToOriginal, withHintHeaders } from './onerror';

/** Everything a variant request needs from the HTTP layer. */
export interface VariantRequest {
  env: Env;
  ctx: Pick<ExecutionContext, 'waitUntil'>;
  config: Config;
  origin: string;
  id: string;
  /** The `{transform}` segment as sent (a preset name or options). */
  transform: string;
  accept?: string;
  ifNoneMatch?: string;
  /** Client IP (`CF-Connecting-IP`): edge-cache misses count against its rate limit. */
  clientIp?: string;
  /** Receives the stage timings of a transform made for this request (the log line's data). */
  onTimings?: (t: StageTimings) => void;
  /** The request's headers: client hints for `width=auto` and `slow-connection-quality`. */
  headers?: Headers;
}

function variantHeaders(
  format: EncodeFormat,
  etag: string,
  bytes: number,
  negotiated: boolean,
): Headers {
  const h = new Headers({
    'Content-Type': contentType(format),
    'Content-Length': String(bytes),
    ETag: etag,
    'Cache-Control': IMMUTABLE,
  });
  if (negotiated) h.set('Vary', 'Accept');
  return h;
}

/**
 * What a variant request names, resolved before any storage call: the spec (options, or a
 * built-in preset's) and the edge-cache key (storage/edge-cache.ts owns its shape).
 */
export interface NamedVariant {
  /** The spec; undefined for a stored preset, resolved from D1 on a miss. */
  spec: TransformSpec | undefined;
  /** The canonical transform, when known before D1 (options). */
  canonical: string | undefined;
  accept: AcceptClass;
  key: Request;
  /** The client hints options read (`Accept-CH`, `Vary` on the answer); none for presets. */
  hinted?: HintedSpec;
  onerror?: 'redirect';
}

/**
 * Names the variant of a request (client hints resolved into the spec, transform/hints.ts;
 * `onerror` is how to answer, not what to make, so it is no part of the variant's identity).
 * @throws HttpError 404 (malformed id), 400 (bad options).
 */
export function nameVariant(
  req: Pick<VariantRequest, 'origin' | 'id' | 'transform' | 'accept' | 'headers'>,
): NamedVariant {
  if (!ID_PATTERN.test(req.id)) throw notFound(`No image ${req.id}.`);
  const accept = acceptClass(req.accept);
  // The Accept class is part of the key whenever the format may be negotiated.
  const keyOf = (segment: string, spec: TransformSpec | undefined) =>
    variantCacheKey(
      req.origin,
      req.id,
      segment,
      spec === undefined || spec.format === 'auto' ? accept : undefined,
    );
  if (isPresetName(req.transform)) {
    const spec = BUILTIN_PRESETS.get(req.transform)?.spec;
    return { spec, canonical: undefined, accept, key: keyOf(req.transform, spec) };
  }
  const { onerror, ...parsed } = parseTransform(req.transform);
  const hinted = resolveHints(parsed, req.headers);
  const canonical = canonicalTransform(hinted.spec);
  const key = keyOf(canonical, hinted.spec);
  return { spec: hinted.spec, canonical, accept, key, hinted, onerror };
}

/**
 * The answer to an edge-cache hit: the cached bytes and headers (one Response, no header copy
 * beyond it), `X-Cache: HIT`, `Vary: Accept` for `f=auto`, the hint headers of hinted options;
 * a `304` when `If-None-Match` matches the cached ETag.
 */
export function answerHit(hit: Response, named: NamedVariant, ifNoneMatch?: string): Response {
  const etag = hit.headers.get('ETag') ?? '';
  const res =
    notModified(ifNoneMatch, etag, hit.headers) ?? new Response(hit.body, { headers: hit.headers });
  res.headers.set('X-Cache', 'HIT');
  if (named.spec?.format === 'auto') res.headers.set('Vary', 'Accept');
  return named.hinted ? withHintHeaders(res, named.hinted) : res;
}

/**
 * Serves one variant. Parsing errors are 400 before any storage call.
 * @throws HttpError 400 (bad options), 404 (no image or preset), 422 (over every budget, or
 *   the original does not decode), 503 (too heavy for the request and the queue is down; or
 *   busy: the isolate's concurrent inline transforms leave no room, with `Retry-After`).
 */
export async function serveVariant(req: VariantRequest): Promise<Response> {
  const named = nameVariant(req);
  try {
    // 1. Edge cache: no D1, no R2.
    const hit = await cacheMatch(named.key);
    if (hit) return answerHit(hit, named, req.ifNoneMatch);
    const res = await serveMiss(req, named);
    return named.hinted ? withHintHeaders(res, named.hinted) : res;
  } catch (err) {
    if (named.onerror === 'redirect' && isRedirectable(err)) return redirectToOriginal(req, err);
    throw err;
  }
}

/**
 * Serves an edge-cache miss of a named variant. While the isolate's transform slots are all
 * taken, the miss takes its place in line before any storage call, or is refused (503,
 * transform/admission.ts); the place is given up when it joins the line, or when it is done.
 */
async function serveMiss(req: VariantRequest, named: NamedVariant): Promise<Response> {
  const place = takeMissPlace(req.config);
  try {
    return await serveMissInPlace(req, named, place);
  } finally {
    place.release();
  }
}

/** {@link serveMiss} holding `place` (a stored preset is resolved here). */
async function serveMissInPlace(
  req: VariantRequest,
  named: NamedVariant,
  place: MissPlace,
): Promise<Response> {
  const { accept, key } = named;
  let { spec, canonical } = named;
  // 3. The image and the full spec; misses are rate-limited per client IP (429).
  await limitDeliveryMiss(req.env, req.clientIp);
  const rec = await getImageById(req.env.DB, req.id);
  if (!rec) throw notFound(`No image ${req.id}.`);
  if (!spec) spec = (await resolvePreset(req.env.DB, req.transform, rec.owner)).spec;
  const src = sourceFacts(rec);
  canonical ??= canonicalTransform(spec);
  if (spec.format === 'json') return jsonFacts(rec, src, spec, canonical, accept, req.config);

  // The one plan of this request (transform/plan.ts): geometry, decode plan, format (`f=auto`
  // answers with the best format that can be made at all), estimate and placement.
  const plan = planRequest(src, spec, canonical, accept, rec, req.config);
  const { format, negotiated, estimate } = plan;
  const hash = await specHash(canonical, format);
  // `g=auto` before the image card (and its attention point) exists: a centre crop, made
  // inline, neither stored nor cached, under its own ETag.
  const pending = focalPending(rec, spec);
  const etag = `"${rec.sha256.slice(0, 16)}-${hash}${pending ? '-center' : ''}"`;
  if (!pending) {
    const headers = new Headers({ ETag: etag, 'Cache-Control': IMMUTABLE, 'X-Cache': 'MISS' });
    if (negotiated) headers.set('Vary', 'Accept');
    const unchanged = notModified(req.ifNoneMatch, etag, headers);
    if (unchanged) return unchanged;
  }

  // 4. The durable variant store.
  const stored = pending ? null : await getVariant(req.env.BUCKET, rec.sha256, hash, format);
  if (stored) {
    const bytes = new Uint8Array(await stored.arrayBuffer());
    const headers = variantHeaders(format, etag, bytes.byteLength, negotiated);
    headers.set('X-Cache', 'MISS');
    headers.set('X-Variant-Source', 'r2');
    req.ctx.waitUntil(cachePut(key, new Response(bytes, { headers })));
    return new Response(bytes, { headers });
  }

  // 5. Miss: estimate the cost from header facts (transform/cost.ts). Within the inline
  // budget (which includes the decoded-pixel ceiling, after shrink-on-load), transform here;
  // within the queue's, enqueue it and answer with a stand-in (delivery/stand-in.ts); over both,
  // nobody can make it: 422.
  const framePixels = rec.width * rec.height * rec.frames;
  if (isAnimatedOutput(src, spec, format) && framePixels > req.config.maxAnimationPixels)
    throw unprocessable(
      `This animation is too large to keep animated: ${rec.frames} frames of ${rec.width}x${rec.height} are ${framePixels} frame pixels, over the limit of ${req.config.maxAnimationPixels}. Ask for anim=false to get its first frame.`,
      { limit: { animation_pixels: req.config.maxAnimationPixels }, pixels: framePixels },
    );
  if (plan.placement === 'refuse') {
    const over = overBudget(estimate, queueBudget(req.config));
    const width = largestFeasibleWidth(src, spec, format, req.config);
    const instead =
      width === null
        ? ' No size of it can be made here: decoding the original alone is over the budget.'
        : ` Request w=${width} or less to get it.`;
    throw unprocessable(
      `This variant is too large to make here: it needs ${over.join(' and ')}.${instead}`,
      {
        limit: { cpu_ms: req.config.queueBudgetMs, memory_mb: req.config.queueBudgetMb },
        estimate: { cpu_ms: Math.round(estimate.cpuMs), memory_mb: Math.round(estimate.memoryMB) },
        pixels: estimate.decodedPixels,
        ...(width === null ? {} : { suggestion: { width } }),
      },
    );
  }
  // From here the miss waits in line by its estimate (or makes no inline transform).
  place.release();
  const keepAlive = (run: Promise<unknown>) => req.ctx.waitUntil(run);
  if (plan.placement === 'queue')
    return offloadVariant({ env: req.env, config: req.config, rec, plan, hash, keepAlive });
  // Inline: only while this isolate's concurrent transforms leave room for its estimated
  // memory (transform/admission.ts); otherwise 503 at once, never a pile-up.
  const out = await admitTransform(
    estimate.memoryMB,
    req.config,
    async () => {
      const original = await getOriginal(req.env.BUCKET, rec.sha256);
      if (!original) throw notFound(`No image ${req.id}.`);
      const input = new Uint8Array(await original.arrayBuffer());
      return runShape(input, plan, format, req.config.maxAnimationPixels);
    },
    keepAlive,
  );
  const headers = variantHeaders(format, etag, out.bytes.byteLength, negotiated);
  headers.set('X-Cache', 'MISS');
  headers.set('X-Variant-Source', 'computed');
  headers.set('Server-Timing', serverTiming(out.timings));
  req.onTimings?.(out.timings);
  if (pending) {
    headers.set('Cache-Control', 'no-store');
    headers.set('X-Gravity-Used', GRAVITY_PENDING);
    return new Response(out.bytes, { headers });
  }
  req.ctx.waitUntil(putVariant(req.env.BUCKET, rec.sha256, hash, format, out.bytes, out));
  req.ctx.waitUntil(cachePut(key, new Response(out.bytes, { headers })));
  return new Response(out.bytes, { headers });
}

/** The gravity a plan really uses, as `f=json` reports it. */
function gravityUsed(rec: ImageRecord, spec: TransformSpec): string {
  const g = spec.gravity;
  if (g.kind === 'focal') return `${g.x}x${g.y}`;
  if (g.kind !== 'auto' && g.kind !== 'face') return g.kind;
  const used = rec.focal ? `auto (focal point ${rec.focal.x}x${rec.focal.y})` : GRAVITY_PENDING;
  return g.kind === 'face' ? `${used}; face detection is not available, attention used` : used;
}

/**
 * `format=json`: what Cloudflare's answers (output `width`/`height` at the top level; under
 * `original` its `file_size` in bytes, `width`, `height` and `format` as a MIME type), plus
 * our extras: the original's orientation and alpha, `focal_point` (the image's attention
 * point, null while pending), `gravity_used` (what the crop centres on), the canonical
 * `options`, the `output` size and format (the format is what the same options without
 * `f=json` answer to this `Accept`), the `cost_estimate` of making it (transform/cost.ts:
 * CPU ms, memory MB, and where it would be made) and the `geometry`.
 */
function jsonFacts(
  rec: ImageRecord,
  src: SourceFacts,
  spec: TransformSpec,
  canonical: string,
  accept: ReturnType<typeof acceptClass>,
  config: Config,
): Response {
  const shape = shapeVariant(src, spec);
  const { geometry } = shape;
  const { width, height } = geometry.canvas;
  const format = autoCandidates(accept, rec, spec)[0]!;
  const { estimate, placement: placed } = placeShape(
    { ...shape, spec: { ...spec, format: 'auto' } },
    format,
    config,
  );
  return Response.json(
    {
      width,
      height,
      original: {
        file_size: rec.bytes,
        width: rec.width,
        height: rec.height,
        format: contentType(rec.format),
        orientation: rec.orientation,
        has_alpha: rec.hasAlpha,
      },
      id: rec.id,
      focal_point: rec.focal ?? null,
      options: canonical,
      gravity_used: gravityUsed(rec, spec),
      output: { width, height, format_auto: contentType(format) },
      cost_estimate: {
        cpu_ms: Math.round(estimate.cpuMs),
        memory_mb: Math.round(estimate.memoryMB),
        placement: placed,
      },
      geometry,
    },
    { headers: { 'Cache-Control': focalPending(rec, spec) ? 'no-store' : 'public, max-age=300' } },
  );
}
