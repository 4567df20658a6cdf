/**
 * Worker entry of the delivery Worker (wrangler.toml): HTTP through the hono app. It also
 * exports the queue and cron handlers, so one Worker can run everything (the tests, and a
 * single-Worker deployment); in the two-Worker deployment the consumer Worker
 * (src/consumer.ts, wrangler.consumer.toml) owns the queue consumers and the crons.
 */
import { app } from './app';
import { handleQueue } from './queue/consumer';
import { handleScheduled } from './scheduled';

export default {
  fetch: app.fetch,
  queue: (batch, env) => handleQueue(batch, env),
  scheduled: (controller, env) => handleScheduled(controller, env),
} satisfies ExportedHandler<Env>;
