/**
 * Bulk jobs: `POST /v1/jobs` validation and idempotency, the fan-out over the queue, progress,
 * cancellation and completion. Route handlers (routes/jobs.ts) stay thin; SQL lives in
 * storage/jobs-db.ts.
 *
 * Fan-out: a job's first `fanout` message creates one page of items (a page of image ids ×
 * every spec, at most {@link FANOUT_PAGE_ITEMS} items, with one `INSERT … SELECT`), sends their
 * `variant` messages with `sendBatch` in chunks of 100, then sends the `fanout` message for the
 * next page and moves the job's cursor there (compare-and-set). So a job over a million images
 * neither runs long in one invocation nor holds the ids in memory. A redelivered page is a
 * no-op for D1 (items are unique) and at worst sends duplicate `variant` messages, which the
 * consumer absorbs.
 */
import type { Config } from '../config';
import { badRequest, conflict, HttpError, notFound, unavailable } from '../errors';
import { sha256Hex } from '../hash';
import { ID_PATTERN, newImageId } from '../ids';
import { logEvent } from '../observability/log';
import type { FanoutMessage, JobMessage } from '../queue/messages';
import { enqueue, enqueueAll, enqueueOrDefer } from '../queue/producer';
import { checkCallbackUrl } from '../security/webhook';
import {
  IMPORT_SPEC,
  importMessage,
  importPage,
  isImport,
  parseImportSelection,
  type ImportSelection,
} from './imports';
import { countImagesCreated, pageImageIds, type ListPosition } from '../storage/images-db';
import {
  advanceFanout,
  cancelJob as cancelJobRow,
  countItems,
  deleteNewJob,
  finishJobIfDone,
  getJobById,
  insertItems,
  insertJob,
  markJobRunning,
  setJobError,
  TERMINAL,
  type JobCounts,
  type JobRecord,
  type JobSelection,
} from '../storage/jobs-db';
import { resolvePreset } from '../transform/presets';
import { canonicalTransform, isPresetName, parseTransform } from '../transform/spec';

/** Most items one fan-out message creates and enqueues. */
export const FANOUT_PAGE_ITEMS = 500;
/** Most image ids in a request (use `{ all: true }` beyond that). */
export const MAX_JOB_IDS = 1000;
/** Most variants in a request. */
export const MAX_JOB_VARIANTS = 20;
/** Longest accepted `Idempotency-Key`. */
export const MAX_IDEMPOTENCY_KEY = 255;
/** A replayed request re-sends a job's first fan-out when it has not started after this. */
const RESTART_AFTER_MS = 60_000;

/** A validated job request. */
export interface JobRequest {
  selection: { ids: string[] } | { all: true; after: number | null } | ImportSelection;
  /** As requested, in order. */
  variants: string[];
  /** Canonical transforms, deduplicated, in order. */
  specs: string[];
  callbackUrl: string | null;
}

/** One rejected variant in a 400 problem body. */
interface VariantError {
  index: number;
  variant: unknown;
  detail: string;
}

const KEYS = new Set(['images', 'variants', 'callback_url']);
/** The members of an import job request (jobs/imports.ts). */
const IMPORT_KEYS = new Set(['source', 'prefix', 'paths', 'callback_url']);

/** Parses `created_after`: an ISO 8601 date-time or unix ms. @throws HttpError 400. */
function parseInstant(v: unknown): number {
  const ms = typeof v === 'number' ? v : typeof v === 'string' ? Date.parse(v) : NaN;
  if (!Number.isSafeInteger(ms) || ms < 0)
    throw badRequest('images.created_after must be an ISO 8601 date-time or unix milliseconds.', {
      option: 'images.created_after',
    });
  return ms;
}

/**
 * Validates a job request body of `owner`. Every variant is checked (preset names against
 * built-in presets and the owner's stored ones, options with the URL parser), and all bad ones are reported together.
 * @throws HttpError 400 (`errors` lists each bad variant with its index and reason).
 */
export async function parseJobRequest(
  db: D1Database,
  config: Config,
  secret: string | undefined,
  body: unknown,
  owner: string,
  sourcesJson?: string,
): Promise<JobRequest> {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw badRequest(
      'The body must be a JSON object: { "images": [ids] | { "all": true }, "variants": [...] }.',
    );
  const b = body as Record<string, unknown>;
  const imports = b.source !== undefined;
  const unknown = Object.keys(b).filter((k) => !(imports ? IMPORT_KEYS : KEYS).has(k));
  if (unknown.length)
    throw badRequest(`Unknown member ${JSON.stringify(unknown[0])}.`, { option: unknown[0] });
  if (imports)
    return {
      selection: parseImportSelection(sourcesJson, b, owner),
      variants: [],
      specs: [IMPORT_SPEC],
      callbackUrl: parseCallbackUrl(b.callback_url, config, secret),
    };

  let selection: JobRequest['selection'];
  if (Array.isArray(b.images)) {
    if (b.images.length === 0 || b.images.length > MAX_JOB_IDS)
      throw badRequest(`images must list 1 to ${MAX_JOB_IDS} ids, or be { "all": true }.`, {
        option: 'images',
      });
    const bad = b.images.filter((id) => typeof id !== 'string' || !ID_PATTERN.test(id));
    if (bad.length)
      throw badRequest(`images holds ${bad.length} malformed id(s).`, {
        option: 'images',
        ids: bad.slice(0, 10),
      });
    selection = { ids: [...new Set(b.images as string[])] };
  } else if (typeof b.images === 'object' && b.images !== null) {
    const sel = b.images as Record<string, unknown>;
    const extra = Object.keys(sel).filter((k) => k !== 'all' && k !== 'created_after');
    if (sel.all !== true || extra.length)
      throw badRequest('images must be a list of ids or { "all": true, "created_after"?: date }.', {
        option: 'images',
      });
    selection = {
      all: true,
      after: sel.created_after === undefined ? null : parseInstant(sel.created_after),
    };
  } else {
    throw badRequest('images is required: a list of ids or { "all": true }.', { option: 'images' });
  }

  if (!Array.isArray(b.variants) || b.variants.length === 0 || b.variants.length > MAX_JOB_VARIANTS)
    throw badRequest(
      `variants must list 1 to ${MAX_JOB_VARIANTS} preset names or transform strings.`,
      { option: 'variants' },
    );
  const errors: VariantError[] = [];
  const specs: string[] = [];
  for (const [index, variant] of b.variants.entries()) {
    try {
      if (typeof variant !== 'string') throw badRequest('must be a string');
      const spec = isPresetName(variant)
        ? (await resolvePreset(db, variant, owner)).spec
        : parseTransform(variant);
      if (spec.format === 'json')
        throw badRequest('format=json describes an image; it is not a variant');
      specs.push(canonicalTransform(spec));
    } catch (err) {
      if (!(err instanceof HttpError)) throw err;
      errors.push({ index, variant, detail: err.detail ?? err.title });
    }
  }
  if (errors.length)
    throw badRequest(`${errors.length} of ${b.variants.length} variants are not valid.`, {
      option: 'variants',
      errors,
    });

  return {
    selection,
    variants: b.variants as string[],
    specs: [...new Set(specs)],
    callbackUrl: parseCallbackUrl(b.callback_url, config, secret),
  };
}

/** Validates a request's `callback_url` (absent or null: none). @throws HttpError 400. */
function parseCallbackUrl(raw: unknown, config: Config, secret: string | undefined): string | null {
  if (raw === undefined || raw === null) return null;
  if (typeof raw !== 'string')
    throw badRequest('callback_url must be a string.', { option: 'callback_url' });
  const url = checkCallbackUrl(raw, config).toString();
  if (!secret)
    throw badRequest('Webhooks are not enabled here (no WEBHOOK_SECRET is set).', {
      option: 'callback_url',
    });
  return url;
}

/** Hash of the normalised request: equal requests hash equal, whatever their JSON spacing. */
async function requestHash(req: JobRequest): Promise<string> {
  const normal = JSON.stringify([req.selection, req.variants, req.callbackUrl]);
  return sha256Hex(new TextEncoder().encode(normal));
}

/**
 * Validates an `Idempotency-Key` header value.
 * @throws HttpError 400 naming `Idempotency-Key` when empty, too long or not printable ASCII.
 */
export function checkIdempotencyKey(raw: string | undefined): string | null {
  if (raw === undefined) return null;
  if (raw.length === 0 || raw.length > MAX_IDEMPOTENCY_KEY || !/^[\x21-\x7e]+$/.test(raw))
    throw badRequest(
      `Idempotency-Key must be 1-${MAX_IDEMPOTENCY_KEY} printable ASCII characters without spaces.`,
      { option: 'Idempotency-Key' },
    );
  return raw;
}

/**
 * Creates a job and enqueues its first fan-out page. With an idempotency key, a request equal
 * to an earlier one returns the earlier job (`created: false`); a different one is a 409.
 * @throws HttpError 409 (key reused with another body), 503 (the queue refused the message;
 *   nothing is left stored).
 */
export async function createJob(
  env: Pick<Env, 'DB' | 'JOBS'>,
  owner: string,
  req: JobRequest,
  idempotencyKey: string | null,
): Promise<{ job: JobRecord; created: boolean }> {
  const now = Date.now();
  const selection: JobSelection = isImport(req.selection)
    ? req.selection
    : 'ids' in req.selection
      ? { ids: req.selection.ids }
      : { all: true, after: req.selection.after, before: now };
  // An import by prefix has no estimate until its listing is done.
  const images = isImport(selection)
    ? 'paths' in selection
      ? selection.paths.length
      : 0
    : 'ids' in selection
      ? selection.ids.length
      : await countImagesCreated(env.DB, owner, { after: selection.after, before: now });
  const hash = await requestHash(req);
  const { record, inserted } = await insertJob(env.DB, {
    id: newImageId(),
    owner,
    selection,
    specs: req.specs,
    variants: req.variants,
    callbackUrl: req.callbackUrl,
    idempotencyKey,
    requestHash: hash,
    estimatedTotal: images * req.specs.length,
    createdAt: now,
  });
  if (!inserted) {
    if (record.requestHash !== hash)
      throw conflict('This Idempotency-Key was used with a different request.', {
        job_id: record.id,
      });
    // A crash between the insert and the first message would leave the job waiting forever;
    // the replay restarts it (the fan-out's compare-and-set makes a second start harmless).
    if (
      record.status === 'queued' &&
      record.cursor === null &&
      !record.fanoutDone &&
      now - record.createdAt > RESTART_AFTER_MS
    )
      await enqueue(env, { type: 'fanout', v: 1, jobId: record.id, cursor: null });
    return { job: record, created: false };
  }
  try {
    await enqueue(env, { type: 'fanout', v: 1, jobId: record.id, cursor: null });
  } catch (err) {
    await deleteNewJob(env.DB, record.id);
    logEvent('error', 'enqueue failed', { error: String(err) });
    throw unavailable('The job could not be queued; retry.');
  }
  return { job: record, created: true };
}

/** Fan-out cursor of an id list: the next index. */
const idsCursor = (i: number) => `i:${i}`;
/** Fan-out cursor of `all`: the last image returned. */
const allCursor = (p: ListPosition) => `a:${p.createdAt}:${p.id}`;

/** Orders two cursors of the same job (null = before the first page). */
function compareCursors(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  // An import's listing cursor, `k:<last key>`: keys list in order (jobs/imports.ts).
  if (a.startsWith('k:')) return a < b ? -1 : 1;
  const [, a1 = '', a2 = ''] = a.split(':');
  const [, b1 = '', b2 = ''] = b.split(':');
  return Number(a1) - Number(b1) || (a2 < b2 ? -1 : a2 > b2 ? 1 : 0);
}

/**
 * Handles a `fanout` message: creates one page of items, enqueues their work, then the next
 * page. A message for a page the job has moved past is a duplicate (dropped); one for a page
 * ahead of the job's cursor arrived before the previous page's cursor update (retried).
 * @throws on transient failures, and for a page that is ahead (to be retried).
 */
export async function processFanout(env: Env, m: FanoutMessage): Promise<void> {
  const job = await getJobById(env.DB, m.jobId);
  if (!job || job.fanoutDone) return;
  const order = compareCursors(m.cursor, job.cursor);
  if (order < 0) return; // an old page, already done
  if (order > 0) throw new Error(`fan-out page ${m.cursor} is ahead of ${job.cursor}`);
  const now = Date.now();
  if (TERMINAL.includes(job.status)) {
    if (await advanceFanout(env.DB, job.id, m.cursor, m.cursor, true, now))
      await jobAfterItem(env, job.id);
    return;
  }

  const perPage = Math.max(1, Math.floor(FANOUT_PAGE_ITEMS / job.specs.length));
  let ids: string[];
  let next: string | null = null;
  const sel = job.selection;
  if (isImport(sel)) {
    ({ ids, next } = await importPage(env, job, m.cursor));
  } else if ('ids' in sel) {
    const start = m.cursor === null ? 0 : Number(m.cursor.split(':')[1]);
    ids = sel.ids.slice(start, start + perPage);
    if (start + perPage < sel.ids.length) next = idsCursor(start + perPage);
  } else {
    let from: ListPosition | undefined;
    if (m.cursor !== null) {
      const [, at = '', id = ''] = m.cursor.split(':');
      from = { createdAt: Number(at), id };
    }
    const page = await pageImageIds(
      env.DB,
      job.owner,
      { after: sel.after, before: sel.before },
      perPage,
      from,
    );
    ids = page.ids;
    if (page.more && page.last) next = allCursor(page.last);
  }

  await insertItems(env.DB, job.id, ids, job.specs, now);
  const work: JobMessage[] = [];
  for (const imageId of ids)
    for (const spec of job.specs)
      work.push(
        isImport(sel)
          ? importMessage(job.id, imageId)
          : { type: 'variant', v: 1, imageId, spec, jobId: job.id },
      );
  await enqueueAll(env, work);
  if (next !== null) await enqueue(env, { type: 'fanout', v: 1, jobId: job.id, cursor: next });
  const moved = await advanceFanout(
    env.DB,
    job.id,
    m.cursor,
    next ?? m.cursor,
    next === null,
    Date.now(),
  );
  if (moved && next === null) await jobAfterItem(env, job.id);
}

/** A `fanout` message that exhausted its retries: the job fails with that error once its items end. */
export async function deadLetterFanout(env: Env, m: FanoutMessage): Promise<void> {
  await setJobError(
    env.DB,
    m.jobId,
    `fan-out stopped at ${m.cursor ?? 'the first page'}: the queue gave up on it`,
    Date.now(),
  );
  await jobAfterItem(env, m.jobId);
}

/**
 * After an item ended (or the fan-out finished): marks the job running, and ends it when
 * nothing is left; the one caller that ends it enqueues the webhook.
 */
export async function jobAfterItem(env: Pick<Env, 'DB' | 'JOBS'>, jobId: string): Promise<void> {
  const now = Date.now();
  await markJobRunning(env.DB, jobId, now);
  const finished = await finishJobIfDone(env.DB, jobId, now);
  if (finished?.callbackUrl) await enqueueOrDefer(env, [{ type: 'webhook', v: 1, jobId }]);
}

/**
 * Re-sends the webhook of an ended job whose webhook was never attempted (the process died
 * between ending the job and enqueueing it). Called on duplicate deliveries; cheap otherwise.
 */
export async function resumeWebhook(env: Pick<Env, 'JOBS' | 'DB'>, job: JobRecord): Promise<void> {
  if (
    TERMINAL.includes(job.status) &&
    job.webhookStatus === 'pending' &&
    job.webhookAttempts === 0 &&
    job.finishedAt !== null &&
    Date.now() - job.finishedAt > RESTART_AFTER_MS
  )
    await enqueue(env, { type: 'webhook', v: 1, jobId: job.id });
}

/**
 * Cancels an open job of `owner`: queued items become cancelled, running ones finish; the
 * fan-out stops at its next page. The webhook (if any) is sent.
 * @throws HttpError 404 (no such job for this owner), 409 (already ended).
 */
export async function cancelJob(
  env: Pick<Env, 'DB' | 'JOBS'>,
  owner: string,
  id: string,
): Promise<JobRecord> {
  const job = await cancelJobRow(env.DB, owner, id, Date.now());
  if (!job) {
    const existing = await getJobById(env.DB, id);
    if (!existing || existing.owner !== owner) throw notFound(`No job ${id}.`);
    throw conflict(`The job has already ended (${existing.status}).`, {
      job_status: existing.status,
    });
  }
  if (job.callbackUrl) await enqueueOrDefer(env, [{ type: 'webhook', v: 1, jobId: id }]);
  return job;
}

/** Progress figures of a job, from its item rows. */
export interface JobProgress {
  total: number;
  queued: number;
  running: number;
  succeeded: number;
  failed: number;
  cancelled: number;
  /** Items ended (succeeded, failed or cancelled). */
  done: number;
  /** done / total × 100, one decimal. */
  percent: number;
  /** Items ended per second since the job started. */
  rate_per_second: number | null;
  /** Seconds until every item has ended at the current rate; null when unknown or ended. */
  eta_seconds: number | null;
  /** False while the fan-out is still creating items (`total` is then an estimate). */
  fanout_complete: boolean;
}

/** Computes a job's progress from its counts (pure; `now` in unix ms). */
export function progressOf(job: JobRecord, counts: JobCounts, now: number): JobProgress {
  const total = job.fanoutDone ? counts.items : Math.max(job.estimatedTotal, counts.items);
  const done = counts.succeeded + counts.failed + counts.cancelled;
  const end = job.finishedAt ?? now;
  const seconds = job.startedAt !== null ? Math.max(0.001, (end - job.startedAt) / 1000) : null;
  const rate = seconds !== null && done > 0 ? done / seconds : null;
  const ended = TERMINAL.includes(job.status);
  return {
    total,
    queued: counts.queued,
    running: counts.running,
    succeeded: counts.succeeded,
    failed: counts.failed,
    cancelled: counts.cancelled,
    done,
    percent: total === 0 ? (ended ? 100 : 0) : Math.round((done / total) * 1000) / 10,
    rate_per_second: rate === null ? null : Math.round(rate * 100) / 100,
    eta_seconds: ended || rate === null ? null : Math.ceil(Math.max(0, total - done) / rate),
    fanout_complete: job.fanoutDone,
  };
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** The API representation of a job; URLs are absolute, built from `origin`. */
export async function jobView(db: D1Database, job: JobRecord, origin: string) {
  const counts = await countItems(db, job.id);
  const sel = job.selection;
  return {
    id: job.id,
    status: job.status,
    images: isImport(sel)
      ? null
      : 'ids' in sel
        ? { ids: sel.ids.length }
        : { all: true, created_after: iso(sel.after), created_before: iso(sel.before) },
    import: isImport(sel)
      ? 'paths' in sel
        ? { source: sel.source, paths: sel.paths.length }
        : { source: sel.source, prefix: sel.prefix }
      : null,
    variants: job.variants,
    specs: job.specs,
    progress: progressOf(job, counts, Date.now()),
    error: job.error,
    callback_url: job.callbackUrl,
    webhook: job.callbackUrl
      ? { status: job.webhookStatus, attempts: job.webhookAttempts, error: job.webhookError }
      : null,
    created_at: iso(job.createdAt),
    started_at: iso(job.startedAt),
    finished_at: iso(job.finishedAt),
    urls: {
      self: `${origin}/v1/jobs/${job.id}`,
      items: `${origin}/v1/jobs/${job.id}/items`,
      cancel: `${origin}/v1/jobs/${job.id}/cancel`,
    },
  };
}
