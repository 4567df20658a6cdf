/**
 * Making variants in the queue consumer: for an offloaded request (one format), an eager
 * preset, or a bulk job item (every format the spec can be negotiated to).
 *
 * Exactly-once effect: a variant already in R2 is not made again (the key is content- and
 * spec-addressed, so a second write would store the same bytes under the same key anyway), and
 * a job item's completion is a guarded status change on its row, so a message delivered twice
 * leaves one object and one counted completion.
 */
import type { EncodeFormat } from '../codecs/types';
import type { Config } from '../config';
import { DomainError } from '../errors';
import { errorText, isPermanent } from './errors';
import { logEvent } from '../observability/log';
import type { VariantMessage } from './messages';
import { getImageById, type ImageRecord } from '../storage/images-db';
import { finishItem, getItem, getJobById, noteItemRetry, startItem } from '../storage/jobs-db';
import { getOriginal } from '../storage/originals';
import { markVariantFailed, markVariantReady, type VariantIdentity } from '../storage/variants-db';
import { hasVariant, putVariant, specHash } from '../storage/variants';
import { bestEffort, feasibleFormat, formatsFor } from '../transform/negotiate';
import { runShape, shapeVariant } from '../transform/pipeline';
import { combine, overBudget, queueBudget, sourceFacts } from '../transform/cost';
import { placeShape } from '../transform/fallback';
import { focalPending } from '../transform/geometry';
import { canonicalTransform, parseTransform, type TransformSpec } from '../transform/spec';
import { settleJob, resumeWebhook } from '../jobs/lifecycle';

/** What {@link makeVariants} did. */
export interface MakeResult {
  made: EncodeFormat[];
  existing: EncodeFormat[];
}

/**
 * Makes the given formats of `spec` (whose canonical transform is `canonical`) for an image,
 * skipping those already stored and those over the queue budget. The shape is planned once
 * for every format, and placed per format as the request places it (transform/fallback.ts).
 * @throws DomainError `too-large` when every format is over the queue budget (nobody can do it);
 *   DecodeError when the original does not decode; other errors are transient (R2, D1).
 */
export async function makeVariants(
  env: Pick<Env, 'BUCKET' | 'DB'>,
  config: Config,
  rec: ImageRecord,
  spec: TransformSpec,
  canonical: string,
  requested: readonly EncodeFormat[],
): Promise<MakeResult> {
  let formats = requested;
  // `g=auto` needs the attention point (image card): wait for it rather than store a centre crop.
  if (focalPending(rec, spec))
    throw new Error(`the focal point of ${rec.id} is pending (image card); retry`);
  // Formats nobody can make here are skipped (format=auto then answers with the next one,
  // serve.ts); when none can be made, the work is refused for good.
  // Each format on the shape the request planned (transform/fallback.ts: the M/8 fallback
  // when only that fits), so the consumer makes the same bytes.
  const budget = queueBudget(config);
  const shape = shapeVariant(sourceFacts(rec), spec);
  // An explicit format in the format delivery answers it with (`f=avif` may be WebP).
  const placed = formats.map((f) =>
    spec.format !== 'auto'
      ? feasibleFormat(shape, bestEffort(f, spec), config)
      : { format: f, ...placeShape(shape, f, config) },
  );
  formats = placed.map((p) => p.format);
  const shapes = new Map(formats.map((f, i) => [f, placed[i]!.shape]));
  const feasible = formats.filter((_, i) => overBudget(placed[i]!.estimate, budget).length === 0);
  if (!feasible.length) {
    const over = overBudget(combine(placed.map((p) => p.estimate)), budget);
    throw new DomainError('too-large', `too large for the queue consumer: ${over.join('; ')}`);
  }
  formats = feasible;

  const result: MakeResult = { made: [], existing: [] };
  let original: Uint8Array | undefined;
  for (const format of formats) {
    const hash = await specHash(canonical, format);
    const key: VariantIdentity = {
      sha256: rec.sha256,
      specHash: hash,
      imageId: rec.id,
      spec: canonical,
      format,
    };
    if (await hasVariant(env.BUCKET, rec.sha256, hash, format)) {
      result.existing.push(format);
      continue;
    }
    if (!original) {
      const obj = await getOriginal(env.BUCKET, rec.sha256);
      // R2 is strongly consistent and originals are written before their row: a row without
      // its object is an infrastructure fault, retried (and dead-lettered if it persists).
      if (!obj) throw new Error(`the original ${rec.sha256.slice(0, 16)} is missing from R2`);
      original = new Uint8Array(await obj.arrayBuffer());
    }
    const out = await runShape(original, shapes.get(format)!, format, config.maxAnimationPixels);
    await putVariant(env.BUCKET, rec.sha256, hash, format, out.bytes, out);
    await markVariantReady(
      env.DB,
      key,
      { width: out.width, height: out.height, bytes: out.bytes.byteLength },
      Date.now(),
    );
    result.made.push(format);
  }
  return result;
}

/**
 * Handles a `variant` message. Permanent failures are recorded (job item failed, or the
 * variant's row failed) and return normally, so the message is acknowledged.
 * @throws on transient failures (after noting the error on the job item) so the consumer
 *   retries the message with backoff.
 */
export async function processVariant(
  env: Env,
  config: Config,
  m: VariantMessage,
  attempts: number,
): Promise<void> {
  const now = Date.now();
  const item = m.jobId ? { jobId: m.jobId, imageId: m.imageId, spec: m.spec } : null;
  let owner: string | undefined;
  if (item) {
    const job = await getJobById(env.DB, item.jobId);
    if (!job) return; // the job is gone: nothing to account for
    if (job.status === 'cancelled') {
      await finishItem(env.DB, item, 'cancelled', null, now);
      await resumeWebhook(env, job);
      return;
    }
    if (!(await startItem(env.DB, item, attempts, now))) {
      await resumeWebhook(env, job); // a duplicate of a finished item: its work is done
      return;
    }
    owner = job.owner;
  }

  let rec: ImageRecord | null = null;
  try {
    rec = await getImageById(env.DB, m.imageId);
    if (!rec || (owner !== undefined && rec.owner !== owner))
      throw new DomainError('gone', `image ${m.imageId} does not exist (deleted?)`);
    const spec = parseTransform(m.spec);
    const formats = m.format ? [m.format] : formatsFor(spec, rec);
    await makeVariants(env, config, rec, spec, canonicalTransform(spec), formats);
    if (item && (await finishItem(env.DB, item, 'succeeded', null, Date.now())))
      await settleJob(env, item.jobId);
  } catch (err) {
    const text = errorText(err);
    if (isPermanent(err)) {
      if (item) {
        if (await finishItem(env.DB, item, 'failed', text, Date.now()))
          await settleJob(env, item.jobId);
      } else if (rec && m.format) {
        await markVariantFailed(env.DB, await variantKey(rec, m.spec, m.format), text, true, now);
      }
      logEvent('warn', 'variant failed', { variant: m, error: text });
      return;
    }
    if (item) await noteItemRetry(env.DB, item, attempts, text, Date.now());
    throw err;
  }
}

/** The `variants` row key of one format of a spec. */
async function variantKey(rec: ImageRecord, text: string, format: EncodeFormat) {
  const spec = canonicalTransform(parseTransform(text));
  return {
    sha256: rec.sha256,
    specHash: await specHash(spec, format),
    imageId: rec.id,
    spec,
    format,
  };
}

/**
 * A `variant` message that exhausted its retries (from the dead-letter queue): its job item
 * fails with the last error recorded, or the offloaded variant's row is marked failed (not
 * permanently: a later request may try again once the row is stale).
 */
export async function deadLetterVariant(env: Env, m: VariantMessage): Promise<void> {
  const now = Date.now();
  if (m.jobId) {
    const item = { jobId: m.jobId, imageId: m.imageId, spec: m.spec };
    const row = await getItem(env.DB, item);
    const error = `gave up after ${row?.attempts ?? 'several'} attempts: ${row?.lastError ?? 'unknown error'}`;
    if (await finishItem(env.DB, item, 'failed', error, now)) await settleJob(env, m.jobId);
    return;
  }
  if (!m.format) return;
  const rec = await getImageById(env.DB, m.imageId);
  if (rec)
    await markVariantFailed(
      env.DB,
      await variantKey(rec, m.spec, m.format),
      'dead-lettered',
      false,
      now,
    );
}
