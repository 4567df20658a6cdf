/**
 * A bulk job's lifecycle: created (with its first `fanout` message), settled after each item
 * or fan-out page (running → ended, then its webhook), cancelled. SQL lives in
 * storage/jobs-db.ts.
 */
import { JOB_RESTART_AFTER_MS } from '../config';
import { conflict, notFound, unavailable } from '../errors';
import { newJobId } from '../ids';
import { logEvent } from '../observability/log';
import { enqueue, enqueueOrDefer } from '../work/producer';
import { countImagesCreated } from '../storage/images-db';
import {
  cancelJob as cancelJobRow,
  deleteNewJob,
  finishJobIfDone,
  getJobById,
  insertJob,
  markJobRunning,
  TERMINAL,
  type JobRecord,
  type JobSelection,
} from '../storage/jobs-db';
import { isImport } from './imports';
import { requestHash, type JobRequest } from './request';

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
    id: newJobId(),
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
      now - record.createdAt > JOB_RESTART_AFTER_MS
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

/**
 * After an item ended (or the fan-out finished): marks the job running, and ends it when
 * nothing is left; the one caller that ends it enqueues the webhook.
 */
export async function settleJob(env: Pick<Env, 'DB' | 'JOBS'>, jobId: string): Promise<void> {
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
    Date.now() - job.finishedAt > JOB_RESTART_AFTER_MS
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
