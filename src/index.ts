/**
 * Worker entry: HTTP through the hono app; queue batches through the consumer; the daily cron
 * through the orphan sweep. Every D1 query runs in a session (src/storage/d1-session.ts): HTTP
 * requests open theirs in the app (src/http/consistency.ts), queue messages continue from the
 * bookmark of the write that enqueued them, and the cron reads at the primary.
 */
import { app } from './app';
import { loadConfig } from './config';
import { mayReadReplica } from './http/consistency';
import { sweepOrphans } from './jobs/sweep';
import { logLine } from './observability/log';
import { handleQueue } from './queue/consumer';
import { withD1Session } from './storage/d1-session';

export default {
  async fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    const res = await app.fetch(request, env, ctx);
    if (res.status !== 404 || !mayReadReplica(request)) return res;
    // A replica may not have seen the write yet: a 404 is only answered once the primary agrees.
    await res.body?.cancel();
    return app.fetch(request, withD1Session(env, 'first-primary'), ctx);
  },
  queue: (batch, env) => handleQueue(batch, env),
  async scheduled(controller, env) {
    const t0 = performance.now();
    const graceMs = loadConfig(env).orphanGraceSeconds * 1000;
    // The sweep deletes what no row refers to: it must read every committed row.
    const r = await sweepOrphans(
      withD1Session(env, 'first-primary'),
      controller.scheduledTime,
      graceMs,
    );
    logLine('cron', {
      cron: controller.cron,
      checked: r.checked,
      deleted: r.deleted.length,
      finished: r.finished,
      totalMs: Math.round(performance.now() - t0),
    });
  },
} satisfies ExportedHandler<Env>;
