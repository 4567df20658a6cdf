/**
 * The queue consumer: one handler for the jobs queue and its dead-letter queue.
 *
 * Each message is acknowledged or retried on its own, in order, one at a time (the transform
 * budgets assume one transform in flight per isolate), so one bad message never retries the
 * batch. A permanent failure is recorded and acknowledged at once; a transient one is retried
 * with exponential backoff (`msg.retry({ delaySeconds })`). After `max_retries` retries the
 * queue moves the message to the dead-letter queue, whose consumer (this handler too) records
 * the failure: the job item fails with its last error, the webhook is marked failed, an
 * offloaded variant's row is released for a later request.
 */
import { loadConfig, type Config } from '../config';
import { processCard, processPurge } from '../jobs/images';
import { deadLetterFanout, processFanout } from '../jobs/service';
import { deadLetterVariant, processVariant } from '../jobs/variants';
import { deadLetterWebhook, deliverWebhook } from '../jobs/webhook';
import { errorText, isPermanent } from './errors';
import { describeMessage, parseMessage, type JobMessage } from './messages';

/** Backoff of the first retry, seconds; each further retry doubles it. */
export const RETRY_BASE_SECONDS = 2;
/** Longest backoff, seconds. */
export const RETRY_MAX_SECONDS = 300;

/**
 * Delay before retry number `attempts` (1 = the first delivery failed): base × 2^(attempts−1),
 * capped, with ±20 % jitter so messages that failed together do not return together.
 */
export function backoffSeconds(attempts: number, random: () => number = Math.random): number {
  const base = Math.min(RETRY_MAX_SECONDS, RETRY_BASE_SECONDS * 2 ** Math.max(0, attempts - 1));
  return Math.max(1, Math.round(base * (0.8 + 0.4 * random())));
}

/** True for the dead-letter queue's batches (its name ends in `-dlq`). */
export const isDeadLetterQueue = (queue: string) => queue.endsWith('-dlq');

const log = (level: 'info' | 'warn' | 'error', message: string, extra: Record<string, unknown>) =>
  console[level === 'info' ? 'log' : level](JSON.stringify({ level, message, ...extra }));

/** Runs one message's work. */
async function run(env: Env, config: Config, m: JobMessage, attempts: number): Promise<void> {
  switch (m.type) {
    case 'variant':
      return processVariant(env, config, m, attempts);
    case 'card':
      return processCard(env, config, m);
    case 'fanout':
      return processFanout(env, m);
    case 'purge':
      return processPurge(env, m);
    case 'webhook':
      return deliverWebhook(env, config, m, attempts);
  }
}

/** Records a dead-lettered message's failure. */
async function deadLetter(env: Env, m: JobMessage): Promise<void> {
  switch (m.type) {
    case 'variant':
      return deadLetterVariant(env, m);
    case 'fanout':
      return deadLetterFanout(env, m);
    case 'webhook':
      return deadLetterWebhook(env, m);
    case 'card':
    case 'purge':
      log('error', 'dead-lettered', { work: describeMessage(m) });
  }
}

/** The Worker's `queue` handler. */
export async function handleQueue(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const config = loadConfig(env);
  const dlq = isDeadLetterQueue(batch.queue);
  for (const msg of batch.messages) {
    const m = parseMessage(msg.body);
    if (!m) {
      log('error', 'malformed message dropped', { queue: batch.queue, id: msg.id });
      msg.ack();
      continue;
    }
    try {
      if (dlq) await deadLetter(env, m);
      else await run(env, config, m, msg.attempts);
      msg.ack();
    } catch (err) {
      if (!dlq && isPermanent(err)) {
        log('warn', 'permanent failure', { work: describeMessage(m), error: errorText(err) });
        msg.ack();
        continue;
      }
      const delaySeconds = backoffSeconds(msg.attempts);
      log('warn', 'retrying', {
        queue: batch.queue,
        work: describeMessage(m),
        attempt: msg.attempts,
        of: config.queueMaxRetries + 1,
        delaySeconds,
        error: errorText(err),
      });
      msg.retry({ delaySeconds });
    }
  }
}
