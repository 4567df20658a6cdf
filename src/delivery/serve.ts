/**
 * Serving a variant (`GET /img/{id}/{transform}`), DESIGN.md §2: edge cache → R2 variant →
 * transform inline within the budget and store, or offload to the queue and serve a stand-in
 * (transform/cost.ts, ./stand-in.ts). A cache hit makes no D1 and no R2 call.
 */
import type { EncodeFormat } from '../codecs/types';
import type { Config } from '../config';
import { notFound, unprocessable } from '../errors';
import { ID_PATTERN } from '../ids';
import { etagMatches, IMMUTABLE } from '../http/etag';
import { offloadVariant } from './stand-in';
import { limitDeliveryMiss } from '../security/rate-limit';
import { cacheMatch, cachePut, variantCacheKey } from '../storage/edge-cache';
import { getImageById, type ImageRecord } from '../storage/images-db';
import { getOriginal } from '../storage/originals';
import { getVariant, putVariant, specHash } from '../storage/variants';
import { admitTransform, refuseMissWhenBusy } from '../transform/admission';
import { acceptClass, autoCandidates, contentType, resolveFormat } from '../transform/negotiate';
import {
  isAnimatedOutput,
  planVariant,
  runPipeline,
  type SourceFacts,
  type StageTimings,
} from '../transform/pipeline';
import {
  estimateVariant,
  feasibleFormat,
  overBudget,
  placement,
  queueBudget,
  sourceFacts,
} from '../transform/cost';
import { focalPending, GRAVITY_PENDING } from '../transform/geometry';
import { largestFeasibleWidth } from '../transform/suggest';
import { resolvePreset, BUILTIN_PRESETS } from '../transform/presets';
import {
  canonicalTransform,
  isPresetName,
  parseTransform,
  type TransformSpec,
} from '../transform/spec';
import { resolveHints } from '../transform/hints';
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
  /** The request's headers: client hints for `width=auto` and `slow-connection-quality`. */
  headers?: Headers;
}

const serverTiming = (t: StageTimings) =>
  `decode;dur=${t.decode.toFixed(1)}, resize;dur=${t.resize.toFixed(1)}, encode;dur=${t.encode.toFixed(1)}`;

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
 * Serves one variant. Parsing errors are 400 before any storage call.
 * @throws HttpError 400 (bad options), 404 (no image or preset), 422 (over every budget, or
 *   the original does not decode), 503 (too heavy for the request and the queue is down; or
 *   busy: the isolate's concurrent inline transforms leave no room, with `Retry-After`).
 */
export async function serveVariant(req: VariantRequest): Promise<Response> {
  if (!ID_PATTERN.test(req.id)) throw notFound(`No image ${req.id}.`);
  // Options: client hints resolved into the spec (transform/hints.ts); `onerror` is how to
  // answer, not what to make, so it is no part of the variant's identity.
  if (isPresetName(req.transform)) return serveSpec(req, undefined);
  const { onerror, ...parsed } = parseTransform(req.transform);
  const hinted = resolveHints(parsed, req.headers);
  try {
    return withHintHeaders(await serveSpec(req, hinted.spec), hinted);
  } catch (err) {
    if (onerror === 'redirect' && isRedirectable(err)) return redirectToOriginal(req, err);
    throw err;
  }
}

/** Serves a parsed spec, or the preset named by `req.transform` when `parsed` is undefined. */
async function serveSpec(req: VariantRequest, parsed: TransformSpec | undefined) {
  // 1. What is asked for: a preset (resolved later when stored in D1) or options.
  let spec: TransformSpec | undefined;
  let segment: string;
  if (!parsed) {
    segment = req.transform;
    spec = BUILTIN_PRESETS.get(req.transform)?.spec;
  } else {
    spec = parsed;
    segment = canonicalTransform(spec);
  }
  // The Accept class is part of the key whenever the format may be negotiated.
  const negotiable = spec === undefined || spec.format === 'auto';
  const accept = acceptClass(req.accept);
  const key = variantCacheKey(req.origin, req.id, segment, negotiable ? accept : undefined);

  // 2. Edge cache: no D1, no R2.
  const hit = await cacheMatch(key);
  if (hit) {
    const etag = hit.headers.get('ETag') ?? '';
    const headers = new Headers(hit.headers);
    headers.set('X-Cache', 'HIT');
    if (spec?.format === 'auto') headers.set('Vary', 'Accept');
    if (etagMatches(req.ifNoneMatch, etag)) return new Response(null, { status: 304, headers });
    return new Response(hit.body, { status: 200, headers });
  }

  // 3. The image and the full spec. While the isolate's transform slots are all taken, a miss
  // is refused before any storage call (503, transform/admission.ts); misses are rate-limited
  // per client IP (429).
  refuseMissWhenBusy(req.config);
  await limitDeliveryMiss(req.env, req.clientIp);
  const rec = await getImageById(req.env.DB, req.id);
  if (!rec) throw notFound(`No image ${req.id}.`);
  if (!spec) spec = (await resolvePreset(req.env.DB, req.transform, rec.owner)).spec;
  const src = sourceFacts(rec);
  if (spec.format === 'json') return jsonFacts(rec, src, spec, accept, req.config);

  // `f=auto` answers with the best format that can be made at all (AVIF, WebP, then JPEG or
  // PNG); an explicit format is made or refused as asked.
  const format =
    spec.format === 'auto'
      ? feasibleFormat(src, spec, autoCandidates(accept, rec, spec), req.config)
      : resolveFormat(spec.format, accept, rec, spec);
  const canonical = canonicalTransform(spec);
  const hash = await specHash(canonical, format);
  const negotiated = spec.format === 'auto';
  // `g=auto` before the image card (and its attention point) exists: a centre crop, made
  // inline, neither stored nor cached, under its own ETag.
  const pending = focalPending(rec, spec);
  const etag = `"${rec.sha256.slice(0, 16)}-${hash}${pending ? '-center' : ''}"`;
  if (etagMatches(req.ifNoneMatch, etag) && !pending) {
    const headers = new Headers({ ETag: etag, 'Cache-Control': IMMUTABLE, 'X-Cache': 'MISS' });
    if (negotiated) headers.set('Vary', 'Accept');
    return new Response(null, { status: 304, headers });
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
  const estimate = estimateVariant(src, spec, format);
  const where = placement(estimate, req.config);
  if (where === 'refuse') {
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
  if (where === 'queue')
    return offloadVariant({
      env: req.env,
      config: req.config,
      rec,
      src,
      spec,
      canonical,
      format,
      hash,
      accept,
      negotiated,
      estimate,
    });
  // Inline: only while this isolate's concurrent transforms leave room for its estimated
  // memory (transform/admission.ts); otherwise 503 at once, never a pile-up.
  const out = await admitTransform(estimate.memoryMB, req.config, async () => {
    const original = await getOriginal(req.env.BUCKET, rec.sha256);
    if (!original) throw notFound(`No image ${req.id}.`);
    const input = new Uint8Array(await original.arrayBuffer());
    return runPipeline(input, src, spec, format, req.config.maxAnimationPixels);
  });
  const headers = variantHeaders(format, etag, out.bytes.byteLength, negotiated);
  headers.set('X-Cache', 'MISS');
  headers.set('X-Variant-Source', 'computed');
  headers.set('Server-Timing', serverTiming(out.timings));
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
  accept: ReturnType<typeof acceptClass>,
  config: Config,
): Response {
  const { geometry } = planVariant(src, spec);
  const { width, height } = geometry.canvas;
  const format = autoCandidates(accept, rec, spec)[0]!;
  const estimate = estimateVariant(src, { ...spec, format: 'auto' }, format);
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
      options: canonicalTransform(spec),
      gravity_used: gravityUsed(rec, spec),
      output: { width, height, format_auto: contentType(format) },
      cost_estimate: {
        cpu_ms: Math.round(estimate.cpuMs),
        memory_mb: Math.round(estimate.memoryMB),
        placement: placement(estimate, config),
      },
      geometry,
    },
    { headers: { 'Cache-Control': focalPending(rec, spec) ? 'no-store' : 'public, max-age=300' } },
  );
}
