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
import { logLine, type QueueLog } from '../observability/log';
import { analyticsMetrics } from '../observability/metrics';
import { loadConfig, type Config, RETRY_BASE_SECONDS, RETRY_MAX_SECONDS } from '../config';
import { processCard } from './card';
import { processPurge } from './purge';
import { deadLetterImport, processImport } from './import';
import { deadLetterFanout, processFanout } from './fan-out';
import { deadLetterVariant, processVariant } from './variant';
import { deadLetterWebhook, deliverWebhook } from './webhook';
import { withD1Session } from '../storage/d1-session';
import { errorText, isPermanent } from './errors';
import { describeMessage, parseMessage, type WorkMessage } from './messages';

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
async function run(env: Env, config: Config, m: WorkMessage, attempts: number): Promise<void> {
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
    case 'import':
      return processImport(env, config, m, attempts);
  }
}

/** Records a dead-lettered message's failure. */
async function deadLetter(env: Env, m: WorkMessage): Promise<void> {
  switch (m.type) {
    case 'variant':
      return deadLetterVariant(env, m);
    case 'fanout':
      return deadLetterFanout(env, m);
    case 'webhook':
      return deadLetterWebhook(env, m);
    case 'import':
      return deadLetterImport(env, m);
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
    const t0 = performance.now();
    let outcome: QueueLog['outcome'] = dlq ? 'dead-letter' : 'ack';
    let error: string | undefined;
    // Reads continue from the write that enqueued the message (at the primary without one).
    const menv = withD1Session(env, m.bookmark ?? 'first-primary');
    try {
      if (dlq) await deadLetter(menv, m);
      else await run(menv, config, m, msg.attempts);
      msg.ack();
    } catch (err) {
      error = errorText(err);
      if (!dlq && isPermanent(err)) {
        outcome = 'failed';
        msg.ack();
      } else {
        outcome = 'retry';
        msg.retry({ delaySeconds: backoffSeconds(msg.attempts) });
      }
    }
    observeMessage(env, msg, m, outcome, error, performance.now() - t0);
  }
}

/**
 * One structured log line per message (src/observability/log.ts), and for job items one
 * Analytics Engine data point (src/observability/metrics.ts).
 */
function observeMessage(
  env: Env,
  msg: Message<unknown>,
  m: WorkMessage,
  outcome: QueueLog['outcome'],
  error: string | undefined,
  ms: number,
): void {
  const jobId = 'jobId' in m ? m.jobId : undefined;
  const imageId = 'imageId' in m ? m.imageId : undefined;
  const totalMs = Math.round(ms * 10) / 10;
  logLine('queue', {
    messageId: msg.id,
    type: m.type,
    outcome,
    attempts: msg.attempts,
    jobId,
    imageId,
    error,
    totalMs,
  });
  if (m.type === 'variant' && jobId)
    analyticsMetrics(env.METRICS).jobItem({
      jobId,
      outcome: outcome === 'ack' ? 'succeeded' : outcome === 'retry' ? 'retried' : 'failed',
      // The canonical spec spells the format `format=…` (absent: the original's format).
      format: m.format ?? /(?:^|,)format=([a-z]+)/.exec(m.spec)?.[1] ?? 'original',
      attempts: msg.attempts,
      ms: totalMs,
    });
}
