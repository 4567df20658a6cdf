/**
 * Worker entry: HTTP through the hono app; queue batches through the consumer; the daily cron
 * through the orphan sweep.
 */
import { app } from './app';
import { loadConfig } from './config';
import { sweepOrphans } from './jobs/sweep';
import { logLine } from './observability/log';
import { handleQueue } from './queue/consumer';

export default {
  fetch: app.fetch,
  queue: (batch, env) => handleQueue(batch, env),
  async scheduled(controller, env) {
    const t0 = performance.now();
    const graceMs = loadConfig(env).orphanGraceSeconds * 1000;
    const r = await sweepOrphans(env, controller.scheduledTime, graceMs);
    logLine('cron', {
      cron: controller.cron,
      checked: r.checked,
      deleted: r.deleted.length,
      finished: r.finished,
      totalMs: Math.round(performance.now() - t0),
    });
  },
} satisfies ExportedHandler<Env>;
