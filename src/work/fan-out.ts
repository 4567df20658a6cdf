/**
 * The `fanout` message handler of bulk jobs.
 *
 * Fan-out: a job's first `fanout` message creates one page of items (a page of image ids ×
 * every spec, at most {@link FANOUT_PAGE_ITEMS} items, with one `INSERT … SELECT`), sends their
 * `variant` messages with `sendBatch` in chunks of 100, then sends the `fanout` message for the
 * next page and moves the job's cursor there (compare-and-set). So a job over a million images
 * neither runs long in one invocation nor holds the ids in memory. A redelivered page is a
 * no-op for D1 (items are unique) and at worst sends duplicate `variant` messages, which the
 * consumer absorbs.
 */
import { FANOUT_PAGE_ITEMS } from '../config';
import type { FanoutMessage, WorkMessage } from './messages';
import { enqueue, enqueueAll } from './producer';
import { pageImageIds, type ListPosition } from '../storage/images-db';
import { advanceFanout, getJobById, insertItems, setJobError, TERMINAL } from '../storage/jobs-db';
import { importMessage, importPage, isImport } from '../jobs/imports';
import { settleJob } from '../jobs/lifecycle';

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
      await settleJob(env, job.id);
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
  const work: WorkMessage[] = [];
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
  if (moved && next === null) await settleJob(env, job.id);
}

/** A `fanout` message that exhausted its retries: the job fails with that error once its items end. */
export async function deadLetterFanout(env: Env, m: FanoutMessage): Promise<void> {
  await setJobError(
    env.DB,
    m.jobId,
    `fan-out stopped at ${m.cursor ?? 'the first page'}: the queue gave up on it`,
    Date.now(),
  );
  await settleJob(env, m.jobId);
}
