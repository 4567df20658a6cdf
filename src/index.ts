/**
 * Worker entry: HTTP through the hono app; queue batches through the consumer.
 */
import { app } from './app';

export default {
  fetch: app.fetch,
} satisfies ExportedHandler<Env>;
