/**
 * D1 queries for `jobs` and `job_items`: the only module with SQL for bulk jobs.
 *
 * Every write a redelivered message repeats is a no-op: items are unique on (job, image,
 * spec), a terminal item never changes again, and the job's own transitions are guarded by
 * its current status. Counts are always derived from item rows, never incremented.
 */
import { STORED_ERROR_MAX_CHARS } from '../config';
import { listNewestFirst, type ListPosition } from './newest-first';

/** Status of a job and of each item. */
export type JobStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

/** Statuses that never change again. */
export const TERMINAL: readonly JobStatus[] = ['succeeded', 'failed', 'cancelled'];

/**
 * Which images a job covers: a list of ids, or all of the owner's images in a time range; or,
 * for an import job (jobs/imports.ts), which objects of a source it ingests.
 */
export type JobSelection =
  | { ids: string[] }
  | { source: string; paths: string[] }
  | { source: string; prefix: string }
  | {
      all: true;
      /** Only images created after this (unix ms), or null. */
      after: number | null;
      /** Only images created at or before this (unix ms): the job's creation time. */
      before: number;
    };

/** Delivery state of a job's webhook. */
export type WebhookStatus = 'pending' | 'delivered' | 'failed';

/** A row of `jobs`. */
export interface JobRecord {
  id: string;
  owner: string;
  status: JobStatus;
  selection: JobSelection;
  /** Canonical transforms, deduplicated. */
  specs: string[];
  /** The variants as requested (preset names or options). */
  variants: string[];
  callbackUrl: string | null;
  idempotencyKey: string | null;
  requestHash: string;
  /** Fan-out position: null before the first page. */
  cursor: string | null;
  fanoutDone: boolean;
  estimatedTotal: number;
  error: string | null;
  webhookStatus: WebhookStatus | null;
  webhookAttempts: number;
  webhookError: string | null;
  /** Unix ms. */
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  updatedAt: number;
}

interface JobRow {
  id: string;
  owner: string;
  status: JobStatus;
  selection: string;
  specs: string;
  variants: string;
  callback_url: string | null;
  idempotency_key: string | null;
  request_hash: string;
  cursor: string | null;
  fanout_done: number;
  estimated_total: number;
  error: string | null;
  webhook_status: WebhookStatus | null;
  webhook_attempts: number;
  webhook_error: string | null;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  updated_at: number;
}

const toJob = (r: JobRow): JobRecord => ({
  id: r.id,
  owner: r.owner,
  status: r.status,
  selection: JSON.parse(r.selection) as JobSelection,
  specs: JSON.parse(r.specs) as string[],
  variants: JSON.parse(r.variants) as string[],
  callbackUrl: r.callback_url,
  idempotencyKey: r.idempotency_key,
  requestHash: r.request_hash,
  cursor: r.cursor,
  fanoutDone: r.fanout_done === 1,
  estimatedTotal: r.estimated_total,
  error: r.error,
  webhookStatus: r.webhook_status,
  webhookAttempts: r.webhook_attempts,
  webhookError: r.webhook_error,
  createdAt: r.created_at,
  startedAt: r.started_at,
  finishedAt: r.finished_at,
  updatedAt: r.updated_at,
});

const clip = (s: string) =>
  s.length > STORED_ERROR_MAX_CHARS ? `${s.slice(0, STORED_ERROR_MAX_CHARS - 1)}…` : s;

/** What a new job needs. */
export type NewJob = Pick<
  JobRecord,
  | 'id'
  | 'owner'
  | 'selection'
  | 'specs'
  | 'variants'
  | 'callbackUrl'
  | 'idempotencyKey'
  | 'requestHash'
  | 'estimatedTotal'
  | 'createdAt'
>;

/**
 * Inserts a job unless the owner already has one with this idempotency key.
 * @returns the job now stored under the key (or the new one), and whether this call made it.
 */
export async function insertJob(
  db: D1Database,
  job: NewJob,
): Promise<{ record: JobRecord; inserted: boolean }> {
  const insert = db
    .prepare(
      `INSERT INTO jobs (id, owner, status, selection, specs, variants, callback_url, idempotency_key,
         request_hash, estimated_total, created_at, updated_at)
       VALUES (?1, ?2, 'queued', ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10)
       ON CONFLICT (owner, idempotency_key) DO NOTHING`,
    )
    .bind(
      job.id,
      job.owner,
      JSON.stringify(job.selection),
      JSON.stringify(job.specs),
      JSON.stringify(job.variants),
      job.callbackUrl,
      job.idempotencyKey,
      job.requestHash,
      job.estimatedTotal,
      job.createdAt,
    );
  const select =
    job.idempotencyKey === null
      ? db.prepare('SELECT * FROM jobs WHERE id = ?').bind(job.id)
      : db
          .prepare('SELECT * FROM jobs WHERE owner = ? AND idempotency_key = ?')
          .bind(job.owner, job.idempotencyKey);
  const [ins, sel] = await db.batch<JobRow>([insert, select]);
  const row = sel?.results[0];
  if (!row) throw new Error('jobs: row missing after insert');
  return { record: toJob(row), inserted: (ins?.meta.changes ?? 0) > 0 && row.id === job.id };
}

/** Deletes a job that has no items yet (its first message could not be enqueued). */
export async function deleteNewJob(db: D1Database, id: string): Promise<void> {
  await db.batch([
    db.prepare('DELETE FROM job_items WHERE job_id = ?').bind(id),
    db.prepare(`DELETE FROM jobs WHERE id = ? AND cursor IS NULL AND fanout_done = 0`).bind(id),
  ]);
}

/** The owner's job, or null (another owner's job is null too). */
export async function getJob(db: D1Database, owner: string, id: string): Promise<JobRecord | null> {
  const row = await db
    .prepare('SELECT * FROM jobs WHERE id = ? AND owner = ?')
    .bind(id, owner)
    .first<JobRow>();
  return row ? toJob(row) : null;
}

/** A job whoever owns it (for the consumer), or null. */
export async function getJobById(db: D1Database, id: string): Promise<JobRecord | null> {
  const row = await db.prepare('SELECT * FROM jobs WHERE id = ?').bind(id).first<JobRow>();
  return row ? toJob(row) : null;
}

/** Lists an owner's jobs newest first, after `after` (./newest-first.ts). */
export function listJobs(
  db: D1Database,
  owner: string,
  limit: number,
  after?: ListPosition,
): Promise<{ records: JobRecord[]; more: boolean }> {
  return listNewestFirst(db, 'jobs', '*', owner, limit, after, toJob);
}

/**
 * Moves the fan-out from `from` to `to` (compare-and-set on the cursor), or marks it done.
 * @returns false when the cursor was not `from` (another delivery moved it) or the fan-out
 *   was already done.
 */
export async function advanceFanout(
  db: D1Database,
  id: string,
  from: string | null,
  to: string | null,
  done: boolean,
  now: number,
): Promise<boolean> {
  const res = await db
    .prepare(
      `UPDATE jobs SET cursor = ?, fanout_done = ?, updated_at = ?
       WHERE id = ? AND cursor IS ? AND fanout_done = 0`,
    )
    .bind(to, done ? 1 : 0, now, id, from)
    .run();
  return res.meta.changes > 0;
}

/** Marks a queued job running (first item started); no-op otherwise. */
export async function markJobRunning(db: D1Database, id: string, now: number): Promise<void> {
  await db
    .prepare(
      `UPDATE jobs SET status = 'running', started_at = COALESCE(started_at, ?), updated_at = ?
       WHERE id = ? AND status = 'queued'`,
    )
    .bind(now, now, id)
    .run();
}

/** Records a job-level error (its fan-out failed for good) and stops the fan-out. */
export async function setJobError(
  db: D1Database,
  id: string,
  error: string,
  now: number,
): Promise<void> {
  await db
    .prepare(`UPDATE jobs SET error = ?, fanout_done = 1, updated_at = ? WHERE id = ?`)
    .bind(clip(error), now, id)
    .run();
}

/**
 * Cancels an open job: the job becomes `cancelled` (its webhook `pending` if it has a
 * callback) and every queued item `cancelled`. Items already running finish normally.
 * @returns the cancelled job, or null when it was not open (or not the owner's).
 */
export async function cancelJob(
  db: D1Database,
  owner: string,
  id: string,
  now: number,
): Promise<JobRecord | null> {
  const [job] = await db.batch<JobRow>([
    db
      .prepare(
        `UPDATE jobs SET status = 'cancelled', finished_at = ?, updated_at = ?,
           webhook_status = CASE WHEN callback_url IS NULL THEN NULL ELSE 'pending' END
         WHERE id = ? AND owner = ? AND status IN ('queued', 'running') RETURNING *`,
      )
      .bind(now, now, id, owner),
    db
      .prepare(
        `UPDATE job_items SET status = 'cancelled', updated_at = ?1, finished_at = ?1
         WHERE job_id = ?2 AND status = 'queued'
           AND EXISTS (SELECT 1 FROM jobs WHERE id = ?2 AND owner = ?3 AND status = 'cancelled')`,
      )
      .bind(now, id, owner),
  ]);
  const row = job?.results[0];
  return row ? toJob(row) : null;
}

/**
 * Ends a job whose fan-out is done and whose items are all terminal: `failed` when any item
 * failed or the job has an error, else `succeeded`. Guarded by the status, so of several
 * concurrent callers exactly one gets the record back (and sends the webhook).
 */
export async function finishJobIfDone(
  db: D1Database,
  id: string,
  now: number,
): Promise<JobRecord | null> {
  const row = await db
    .prepare(
      `UPDATE jobs SET
         status = CASE WHEN error IS NOT NULL OR EXISTS (
             SELECT 1 FROM job_items WHERE job_id = ?1 AND status = 'failed')
           THEN 'failed' ELSE 'succeeded' END,
         finished_at = ?2, updated_at = ?2,
         webhook_status = CASE WHEN callback_url IS NULL THEN NULL ELSE 'pending' END
       WHERE id = ?1 AND status IN ('queued', 'running') AND fanout_done = 1
         AND NOT EXISTS (
           SELECT 1 FROM job_items WHERE job_id = ?1 AND status IN ('queued', 'running'))
       RETURNING *`,
    )
    .bind(id, now)
    .first<JobRow>();
  return row ? toJob(row) : null;
}

/** Records a webhook delivery attempt's outcome. */
export async function setWebhookState(
  db: D1Database,
  id: string,
  status: WebhookStatus,
  attempts: number,
  error: string | null,
  now: number,
): Promise<void> {
  await db
    .prepare(
      `UPDATE jobs SET webhook_status = ?, webhook_attempts = MAX(webhook_attempts, ?),
         webhook_error = ?, updated_at = ? WHERE id = ? AND webhook_status IS NOT 'delivered'`,
    )
    .bind(status, attempts, error === null ? null : clip(error), now, id)
    .run();
}

/** Item counts by status (derived from the rows). */
export interface JobCounts {
  queued: number;
  running: number;
  succeeded: number;
  failed: number;
  cancelled: number;
  /** Items created so far. */
  items: number;
}

/** Counts a job's items by status. */
export async function countItems(db: D1Database, jobId: string): Promise<JobCounts> {
  const { results } = await db
    .prepare('SELECT status, COUNT(*) AS n FROM job_items WHERE job_id = ? GROUP BY status')
    .bind(jobId)
    .all<{ status: JobStatus; n: number }>();
  const counts: JobCounts = {
    queued: 0,
    running: 0,
    succeeded: 0,
    failed: 0,
    cancelled: 0,
    items: 0,
  };
  for (const r of results) {
    counts[r.status] = r.n;
    counts.items += r.n;
  }
  return counts;
}

/**
 * Creates the items (every image × every spec) of one fan-out page, in one statement
 * (existing items are left alone, so a repeated page is a no-op).
 * @returns how many items were new.
 */
export async function insertItems(
  db: D1Database,
  jobId: string,
  imageIds: readonly string[],
  specs: readonly string[],
  now: number,
): Promise<number> {
  if (imageIds.length === 0 || specs.length === 0) return 0;
  const res = await db
    .prepare(
      `INSERT INTO job_items (job_id, image_id, spec, status, created_at, updated_at)
       SELECT ?1, i.value, s.value, 'queued', ?2, ?2 FROM json_each(?3) AS i, json_each(?4) AS s
       WHERE true
       ON CONFLICT (job_id, image_id, spec) DO NOTHING`,
    )
    .bind(jobId, now, JSON.stringify(imageIds), JSON.stringify(specs))
    .run();
  return res.meta.changes;
}

/** Identity of one item. */
export interface ItemKey {
  jobId: string;
  imageId: string;
  spec: string;
}

/** A row of `job_items`. */
export interface ItemRecord extends ItemKey {
  status: JobStatus;
  attempts: number;
  lastError: string | null;
  createdAt: number;
  updatedAt: number;
  finishedAt: number | null;
  /** Position for paging. */
  seq: number;
}

interface ItemRow {
  seq: number;
  job_id: string;
  image_id: string;
  spec: string;
  status: JobStatus;
  attempts: number;
  last_error: string | null;
  created_at: number;
  updated_at: number;
  finished_at: number | null;
}

const toItem = (r: ItemRow): ItemRecord => ({
  seq: r.seq,
  jobId: r.job_id,
  imageId: r.image_id,
  spec: r.spec,
  status: r.status,
  attempts: r.attempts,
  lastError: r.last_error,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  finishedAt: r.finished_at,
});

/** One item, or null. */
export async function getItem(db: D1Database, k: ItemKey): Promise<ItemRecord | null> {
  const row = await db
    .prepare('SELECT rowid AS seq, * FROM job_items WHERE job_id = ? AND image_id = ? AND spec = ?')
    .bind(k.jobId, k.imageId, k.spec)
    .first<ItemRow>();
  return row ? toItem(row) : null;
}

/**
 * Marks an item running for delivery attempt `attempts`.
 * @returns false when the item is missing or already terminal (a duplicate delivery).
 */
export async function startItem(
  db: D1Database,
  k: ItemKey,
  attempts: number,
  now: number,
): Promise<boolean> {
  const res = await db
    .prepare(
      `UPDATE job_items SET status = 'running', attempts = MAX(attempts, ?), updated_at = ?
       WHERE job_id = ? AND image_id = ? AND spec = ? AND status IN ('queued', 'running')`,
    )
    .bind(attempts, now, k.jobId, k.imageId, k.spec)
    .run();
  return res.meta.changes > 0;
}

/**
 * Moves an open item to a terminal status (`error` becomes its last error when given).
 * @returns false when it was already terminal: a repeated completion counts once.
 */
export async function finishItem(
  db: D1Database,
  k: ItemKey,
  status: 'succeeded' | 'failed' | 'cancelled',
  error: string | null,
  now: number,
): Promise<boolean> {
  const res = await db
    .prepare(
      `UPDATE job_items SET status = ?, last_error = COALESCE(?, last_error),
         updated_at = ?, finished_at = ?
       WHERE job_id = ? AND image_id = ? AND spec = ? AND status IN ('queued', 'running')`,
    )
    .bind(status, error === null ? null : clip(error), now, now, k.jobId, k.imageId, k.spec)
    .run();
  return res.meta.changes > 0;
}

/** Records a transient failure: the item waits (`queued`) for its retry, with the error. */
export async function noteItemRetry(
  db: D1Database,
  k: ItemKey,
  attempts: number,
  error: string,
  now: number,
): Promise<void> {
  await db
    .prepare(
      `UPDATE job_items SET status = 'queued', attempts = MAX(attempts, ?), last_error = ?,
         updated_at = ?
       WHERE job_id = ? AND image_id = ? AND spec = ? AND status IN ('queued', 'running')`,
    )
    .bind(attempts, clip(error), now, k.jobId, k.imageId, k.spec)
    .run();
}

/** Lists a job's items in creation order, optionally of one status, after `afterSeq`. */
export async function listItems(
  db: D1Database,
  jobId: string,
  status: JobStatus | undefined,
  limit: number,
  afterSeq = 0,
): Promise<{ records: ItemRecord[]; more: boolean }> {
  const stmt = status
    ? db
        .prepare(
          `SELECT rowid AS seq, * FROM job_items WHERE job_id = ? AND status = ? AND rowid > ?
           ORDER BY rowid LIMIT ?`,
        )
        .bind(jobId, status, afterSeq, limit + 1)
    : db
        .prepare(
          `SELECT rowid AS seq, * FROM job_items WHERE job_id = ? AND rowid > ?
           ORDER BY rowid LIMIT ?`,
        )
        .bind(jobId, afterSeq, limit + 1);
  const { results } = await stmt.all<ItemRow>();
  return { records: results.slice(0, limit).map(toItem), more: results.length > limit };
}

/**
 * Open jobs (and cancelled ones with open items) that made no progress since `before`: no
 * item changed and the job row did not move. Their open items are lost work (reconciler).
 * The subquery reads `job_items_progress` (one index seek per open job).
 */
const STALLED_JOBS = `SELECT j.id FROM jobs j
  WHERE (j.status IN ('queued', 'running') OR (j.status = 'cancelled' AND EXISTS (
      SELECT 1 FROM job_items WHERE job_id = j.id AND status IN ('queued', 'running'))))
    AND j.updated_at < ?1
    AND COALESCE((SELECT MAX(updated_at) FROM job_items WHERE job_id = j.id), 0) < ?1`;

/** No item of the job (alias `jobs`) changed since ?1: its items are not moving either. */
const NO_ITEM_PROGRESS = `COALESCE((SELECT MAX(updated_at) FROM job_items
  WHERE job_id = jobs.id), 0) < ?1`;

/**
 * Re-drives the open items of stalled jobs (see STALLED_JOBS) that have re-drives left: each
 * becomes `queued` with one more re-drive (compare-and-set on its status and time, so two
 * reconciler runs never take the same item twice). Items of cancelled jobs are not re-driven.
 * @returns the items to send again.
 */
export async function redriveStaleItems(
  db: D1Database,
  before: number,
  maxRedrives: number,
  limit: number,
  now: number,
): Promise<ItemKey[]> {
  const { results } = await db
    .prepare(
      `UPDATE job_items SET status = 'queued', redrives = redrives + 1, updated_at = ?2
       WHERE rowid IN (
         SELECT ji.rowid FROM job_items ji JOIN jobs j ON j.id = ji.job_id
         WHERE ji.status IN ('queued', 'running') AND ji.updated_at < ?1
           AND ji.redrives < ?3 AND j.status IN ('queued', 'running')
           AND ji.job_id IN (${STALLED_JOBS})
         LIMIT ?4)
       RETURNING job_id, image_id, spec`,
    )
    .bind(before, now, maxRedrives, limit)
    .all<{ job_id: string; image_id: string; spec: string }>();
  return results.map((r) => ({ jobId: r.job_id, imageId: r.image_id, spec: r.spec }));
}

/**
 * Ends the open items of stalled jobs that cannot be re-driven: those whose re-drives are used
 * up fail (with the last error), those of a cancelled job are cancelled.
 * @returns the ids of the jobs touched (each may now be able to end).
 */
export async function endLostItems(
  db: D1Database,
  before: number,
  maxRedrives: number,
  limit: number,
  now: number,
): Promise<string[]> {
  const { results } = await db
    .prepare(
      `UPDATE job_items SET
         status = CASE WHEN (SELECT status FROM jobs WHERE id = job_items.job_id) = 'cancelled'
           THEN 'cancelled' ELSE 'failed' END,
         last_error = CASE WHEN (SELECT status FROM jobs WHERE id = job_items.job_id) = 'cancelled'
           THEN last_error
           ELSE substr('lost: no progress after ' || redrives || ' re-sends'
             || COALESCE('; last error: ' || last_error, ''), 1, ${STORED_ERROR_MAX_CHARS}) END,
         updated_at = ?2, finished_at = ?2
       WHERE rowid IN (
         SELECT ji.rowid FROM job_items ji JOIN jobs j ON j.id = ji.job_id
         WHERE ji.status IN ('queued', 'running') AND ji.updated_at < ?1
           AND (ji.redrives >= ?3 OR j.status = 'cancelled')
           AND ji.job_id IN (${STALLED_JOBS})
         LIMIT ?4)
       RETURNING job_id`,
    )
    .bind(before, now, maxRedrives, limit)
    .all<{ job_id: string }>();
  return [...new Set(results.map((r) => r.job_id))];
}

/**
 * Re-drives stalled fan-outs (open jobs whose fan-out is not done and whose row and items have
 * not moved since `before`: a fan-out page waiting behind the job's own items is not stalled)
 * with re-drives left: one more re-drive, and the row's time moves.
 * @returns each job with the cursor its next `fanout` message must carry.
 */
export async function redriveStaleFanouts(
  db: D1Database,
  before: number,
  maxRedrives: number,
  limit: number,
  now: number,
): Promise<{ jobId: string; cursor: string | null }[]> {
  const { results } = await db
    .prepare(
      `UPDATE jobs SET redrives = redrives + 1, updated_at = ?2
       WHERE id IN (SELECT id FROM jobs WHERE status IN ('queued', 'running') AND fanout_done = 0
         AND updated_at < ?1 AND redrives < ?3 AND ${NO_ITEM_PROGRESS} LIMIT ?4)
       RETURNING id, cursor`,
    )
    .bind(before, now, maxRedrives, limit)
    .all<{ id: string; cursor: string | null }>();
  return results.map((r) => ({ jobId: r.id, cursor: r.cursor }));
}

/**
 * Stops stalled fan-outs whose re-drives are used up: the job gets an error and ends (failed)
 * once its items have.
 * @returns the ids of those jobs.
 */
export async function stopLostFanouts(
  db: D1Database,
  before: number,
  maxRedrives: number,
  limit: number,
  now: number,
): Promise<string[]> {
  const { results } = await db
    .prepare(
      `UPDATE jobs SET fanout_done = 1, updated_at = ?2,
         error = 'fan-out lost: no progress after ' || redrives || ' re-sends at '
           || COALESCE(cursor, 'the first page')
       WHERE id IN (SELECT id FROM jobs WHERE status IN ('queued', 'running') AND fanout_done = 0
         AND updated_at < ?1 AND redrives >= ?3 AND ${NO_ITEM_PROGRESS} LIMIT ?4)
       RETURNING id`,
    )
    .bind(before, now, maxRedrives, limit)
    .all<{ id: string }>();
  return results.map((r) => r.id);
}

/** Open jobs whose fan-out is done and whose items have all ended (the last step was lost). */
export async function openJobsWithNothingLeft(db: D1Database, limit: number): Promise<string[]> {
  const { results } = await db
    .prepare(
      `SELECT id FROM jobs WHERE status IN ('queued', 'running') AND fanout_done = 1
         AND NOT EXISTS (
           SELECT 1 FROM job_items WHERE job_id = jobs.id AND status IN ('queued', 'running'))
       LIMIT ?`,
    )
    .bind(limit)
    .all<{ id: string }>();
  return results.map((r) => r.id);
}

/**
 * Ended jobs whose webhook was never attempted since `before` (its message was lost); each
 * row's time moves, so one is re-sent at most once per reconciler window.
 */
export async function claimLostWebhooks(
  db: D1Database,
  before: number,
  limit: number,
  now: number,
): Promise<string[]> {
  const { results } = await db
    .prepare(
      `UPDATE jobs SET updated_at = ?2
       WHERE id IN (SELECT id FROM jobs WHERE webhook_status = 'pending' AND webhook_attempts = 0
         AND finished_at < ?1 AND updated_at < ?1 LIMIT ?3)
       RETURNING id`,
    )
    .bind(before, now, limit)
    .all<{ id: string }>();
  return results.map((r) => r.id);
}
