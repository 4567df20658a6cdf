/**
 * The cron handler shared by both Worker entries (src/index.ts, src/consumer.ts): the daily
 * orphan sweep ({@link SWEEP_CRON}) and the reconciler (every other cron, every few minutes).
 * The crons themselves are configured on the consumer Worker (wrangler.consumer.toml).
 */
import { loadConfig } from './config';
import { reconcile } from './work/reconcile';
import { sweepOrphans } from './work/sweep';
import { logLine } from './observability/log';
import { withD1Session } from './storage/d1-session';

/** The daily orphan sweep's cron; any other cron runs the reconciler. */
export const SWEEP_CRON = '17 3 * * *';

/**
 * The Workers `scheduled` handler. Both crons decide on what they read (the sweep deletes what
 * no row refers to; the reconciler re-drives what has not moved), so they read at the primary.
 * Logs one `cron` line with what the run did.
 */
export async function handleScheduled(
  controller: ScheduledController,
  bindings: Env,
): Promise<void> {
  const env = withD1Session(bindings, 'first-primary');
  const t0 = performance.now();
  const config = loadConfig(env);
  if (controller.cron === SWEEP_CRON) {
    const r = await sweepOrphans(env, controller.scheduledTime, config.orphanGraceSeconds * 1000);
    logLine('cron', {
      cron: controller.cron,
      checked: r.checked,
      deleted: r.deleted.length,
      finished: r.finished,
      totalMs: Math.round(performance.now() - t0),
    });
    return;
  }
  const r = await reconcile(env, config, controller.scheduledTime);
  logLine('cron', {
    cron: controller.cron,
    ...r,
    totalMs: Math.round(performance.now() - t0),
  });
}
