/**
 * Worker entry of the queue consumer Worker (wrangler.consumer.toml): the jobs queue, its
 * dead-letter queue, and the crons (orphan sweep, reconciler). Same code and bindings as the
 * delivery Worker but no `fetch`, so CPU-bound batches run in their own isolates and never
 * stall a delivery request (docs/architecture.md, "Two Workers").
 */
import { handleQueue } from './work/consumer';
import { handleScheduled } from './scheduled';

export default {
  queue: (batch, env) => handleQueue(batch, env),
  scheduled: (controller, env) => handleScheduled(controller, env),
} satisfies ExportedHandler<Env>;
