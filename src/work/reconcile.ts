/**
 * The reconciler: the daily sweep's sibling, run by a cron every few minutes
 * (wrangler.consumer.toml), which re-drives work whose queue message was lost (a crash
 * mid-batch, a refused send), so every job ends with exact counts and every image gets its
 * card. One run, in order:
 *
 * 1. messages recorded in `pending_sends` (the queue refused them even after quick retries)
 *    are sent again and deleted; still refused, they wait with a growing delay;
 * 2. jobs that made no progress for `reconcileStaleSeconds` (no item and no fan-out page moved,
 *    longer than a message's whole retry budget): their open items are sent again, at most
 *    `reconcileMaxRedrives` times each, then failed (`lost: …`); a stalled fan-out page is sent
 *    again the same number of times, then the job gets an error; open items of a cancelled
 *    job are cancelled;
 * 3. open jobs with nothing left are ended (the last step was lost), and lost webhooks re-sent;
 * 4. images without a card `reconcileCardAfterSeconds` after upload get a `card` message
 *    again, at most `reconcileCardMaxRedrives` times (when upload work is on).
 *
 * Every step is a compare-and-set in D1 and every message is idempotent in the consumer, so
 * overlapping runs, a replayed Idempotency-Key or a late original message never count an item
 * twice.
 */
import type { Config } from '../config';
import type { WorkMessage } from './messages';
import { enqueueAll, enqueueOrDefer } from './producer';
import { claimMissingCards } from '../storage/images-db';
import {
  claimLostWebhooks,
  endLostItems,
  openJobsWithNothingLeft,
  redriveStaleFanouts,
  redriveStaleItems,
  stopLostFanouts,
} from '../storage/jobs-db';
import {
  deferPendingSends,
  deletePendingSends,
  duePendingSends,
} from '../storage/pending-sends-db';
import { IMPORT_SPEC, importMessage } from '../jobs/imports';
import { settleJob } from '../jobs/lifecycle';

/** Delay before a refused pending send is tried again: 1 min × 2^attempts, at most 1 h. */
export const pendingRetryMs = (attempts: number) => Math.min(3_600_000, 60_000 * 2 ** attempts);

/** What one reconciler run did (logged by the cron handler). */
export interface ReconcileReport {
  /** Recorded messages the queue took now; and those it refused again. */
  resent: number;
  stillPending: number;
  itemsRedriven: number;
  /** Items failed (re-drives used up) or cancelled (their job was cancelled). */
  itemsEnded: number;
  fanoutsRedriven: number;
  fanoutsStopped: number;
  /** Jobs checked for their end after the steps above. */
  jobsChecked: number;
  webhooksResent: number;
  cardsRedriven: number;
}

/**
 * Runs the reconciler once at `now` (unix ms).
 * @throws on D1 failures (the next run starts over; every step is idempotent).
 */
export async function reconcile(env: Env, config: Config, now: number): Promise<ReconcileReport> {
  const limit = config.reconcileBatch;
  const report: ReconcileReport = {
    resent: 0,
    stillPending: 0,
    itemsRedriven: 0,
    itemsEnded: 0,
    fanoutsRedriven: 0,
    fanoutsStopped: 0,
    jobsChecked: 0,
    webhooksResent: 0,
    cardsRedriven: 0,
  };

  // 1. Refused sends, oldest first.
  const due = await duePendingSends<WorkMessage>(env.DB, now, limit);
  if (due.length) {
    try {
      await enqueueAll(
        env,
        due.map((p) => p.body),
      );
      await deletePendingSends(
        env.DB,
        due.map((p) => p.id),
      );
      report.resent = due.length;
    } catch (err) {
      const sent = (err as { sent?: number }).sent ?? 0;
      await deletePendingSends(
        env.DB,
        due.slice(0, sent).map((p) => p.id),
      );
      const left = due.slice(sent);
      const attempts = left.reduce((n, p) => Math.max(n, p.attempts), 0);
      await deferPendingSends(
        env.DB,
        left.map((p) => p.id),
        String(err),
        now + pendingRetryMs(attempts),
      );
      report.resent = sent;
      report.stillPending = left.length;
    }
  }

  // 2. Stalled jobs: end what cannot be re-driven, then re-drive the rest.
  const before = now - config.reconcileStaleSeconds * 1000;
  const max = config.reconcileMaxRedrives;
  const touched = new Set<string>();
  for (const id of await endLostItems(env.DB, before, max, limit, now)) touched.add(id);
  const items = await redriveStaleItems(env.DB, before, max, limit, now);
  report.itemsRedriven = items.length;
  const stopped = await stopLostFanouts(env.DB, before, max, limit, now);
  report.fanoutsStopped = stopped.length;
  for (const id of stopped) touched.add(id);
  const fanouts = await redriveStaleFanouts(env.DB, before, max, limit, now);
  report.fanoutsRedriven = fanouts.length;
  const messages: WorkMessage[] = [
    ...items.map((k): WorkMessage =>
      k.spec === IMPORT_SPEC ? importMessage(k.jobId, k.imageId) : { type: 'variant', v: 1, ...k },
    ),
    ...fanouts.map((f): WorkMessage => ({ type: 'fanout', v: 1, ...f })),
  ];

  // 3. Jobs that can end now, and webhooks never attempted.
  for (const id of await openJobsWithNothingLeft(env.DB, limit)) touched.add(id);
  report.jobsChecked = touched.size;
  for (const id of touched) await settleJob(env, id);
  const hooks = await claimLostWebhooks(env.DB, before, limit, now);
  report.webhooksResent = hooks.length;
  messages.push(...hooks.map((jobId): WorkMessage => ({ type: 'webhook', v: 1, jobId })));

  // 4. Cards.
  if (config.queueUploadWork) {
    const cardBefore = now - config.reconcileCardAfterSeconds * 1000;
    const cards = await claimMissingCards(
      env.DB,
      cardBefore,
      config.reconcileCardMaxRedrives,
      limit,
      now,
    );
    report.cardsRedriven = cards.length;
    messages.push(...cards.map((imageId): WorkMessage => ({ type: 'card', v: 1, imageId })));
  }
  await enqueueOrDefer(env, messages);
  return report;
}
