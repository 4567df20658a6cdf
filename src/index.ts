/**
 * Worker entry: HTTP through the hono app; queue batches through the consumer.
 */
import { app } from './app';
import { handleQueue } from './queue/consumer';

export default {
  fetch: app.fetch,
  queue: (batch, env) => handleQueue(batch, env),
} satisfies ExportedHandler<Env>;
