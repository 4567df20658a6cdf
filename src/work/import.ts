/**
 * The items of import jobs in the queue consumer (./imports.ts): one `import` message resolves
 * one object of the job's source (images/from-source.ts), with the job items' lifecycle of
 * jobs/variants.ts (start, finish once, retry with the error noted, dead-letter).
 */
import type { Config } from '../config';
import { errorText, isPermanent } from './errors';
import type { ImportMessage } from './messages';
import { resolveObject } from '../images/from-source';
import { finishItem, getItem, getJobById, noteItemRetry, startItem } from '../storage/jobs-db';
import { IMPORT_SPEC, sourceOf } from '../jobs/imports';
import { resumeWebhook, settleJob } from '../jobs/lifecycle';

/**
 * Handles an `import` message: resolves (fetches, checks, stores) one object. A 4xx from the
 * origin or the upload checks fails the item for good; anything else is retried.
 * @throws on transient failures, after noting the error on the item.
 */
export async function processImport(
  env: Env,
  config: Config,
  m: ImportMessage,
  attempts: number,
): Promise<void> {
  const item = { jobId: m.jobId, imageId: m.path, spec: IMPORT_SPEC };
  const job = await getJobById(env.DB, m.jobId);
  if (!job) return;
  if (job.status === 'cancelled') {
    await finishItem(env.DB, item, 'cancelled', null, Date.now());
    await resumeWebhook(env, job);
    return;
  }
  if (!(await startItem(env.DB, item, attempts, Date.now()))) {
    await resumeWebhook(env, job);
    return;
  }
  try {
    await resolveObject(env, config, sourceOf(env, job), m.path);
    if (await finishItem(env.DB, item, 'succeeded', null, Date.now())) await settleJob(env, job.id);
  } catch (err) {
    const text = errorText(err);
    if (isPermanent(err)) {
      if (await finishItem(env.DB, item, 'failed', text, Date.now())) await settleJob(env, job.id);
      return;
    }
    await noteItemRetry(env.DB, item, attempts, text, Date.now());
    throw err;
  }
}

/** An `import` message that exhausted its retries: its item fails with the last error. */
export async function deadLetterImport(env: Env, m: ImportMessage): Promise<void> {
  const item = { jobId: m.jobId, imageId: m.path, spec: IMPORT_SPEC };
  const row = await getItem(env.DB, item);
  const error = `gave up after ${row?.attempts ?? 'several'} attempts: ${row?.lastError ?? 'unknown error'}`;
  if (await finishItem(env.DB, item, 'failed', error, Date.now())) await settleJob(env, m.jobId);
}
