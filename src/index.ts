/**
 * Worker entry of the delivery Worker (wrangler.toml): HTTP through the hono app, after the
 * cache-hit fast path of `GET /img/{id}/{transform}` (src/delivery/hit.ts). It also
 * exports the queue and cron handlers, so one Worker can run everything (the tests, and a
 * single-Worker deployment); in the two-Worker deployment the consumer Worker
 * (src/consumer.ts, wrangler.consumer.toml) owns the queue consumers and the crons. Every D1
 * query runs in a session (src/storage/d1-session.ts): HTTP requests open theirs in the app
 * (src/http/consistency.ts), queue messages continue from the bookmark of the write that
 * enqueued them, and the crons read at the primary (src/scheduled.ts).
 */
import { app } from './app';
import { serveHit } from './delivery/hit';
import { mayReadReplica } from './http/consistency';
import { handleQueue } from './work/consumer';
import { handleScheduled } from './scheduled';
import { withD1Session } from './storage/d1-session';
import { inForeground } from './transform/yield';

export default {
  // Served in the foreground: this isolate's transforms give way to it (transform/yield.ts).
  fetch: (request: Request, env: Env, ctx: ExecutionContext): Promise<Response> =>
    inForeground(() => serve(request, env, ctx)),
  queue: (batch, env) => handleQueue(batch, env),
  scheduled: (controller, env) => handleScheduled(controller, env),
} satisfies ExportedHandler<Env>;

/** One HTTP request: the cache-hit fast path, then the app. */
async function serve(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
  const hit = await serveHit(request, env);
  if (hit) return hit;
  const res = await app.fetch(request, env, ctx);
  if (res.status !== 404 || !mayReadReplica(request)) return res;
  // A replica may not have seen the write yet: a 404 is only answered once the primary agrees.
  await res.body?.cancel();
  return app.fetch(request, withD1Session(env, 'first-primary'), ctx);
}
