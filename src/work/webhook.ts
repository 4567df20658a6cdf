/**
 * Delivering a finished job's webhook: a signed JSON summary POSTed to its `callback_url`
 * (see security/webhook.ts for the signature). Retried through the queue with backoff on any
 * non-2xx answer or network error; the dead-letter queue marks it failed.
 */
import { WEBHOOK_TIMEOUT_MS } from '../config';
import type { Config } from '../config';
import { DomainError } from '../errors';
import { errorText, isPermanent } from './errors';
import type { WebhookMessage } from './messages';
import { checkCallbackUrl, signWebhook } from '../security/webhook';
import { countItems, getJobById, setWebhookState, TERMINAL } from '../storage/jobs-db';
import { progressOf } from '../jobs/progress';

/** The JSON body of a job's webhook. */
export async function webhookBody(db: D1Database, jobId: string): Promise<string | null> {
  const job = await getJobById(db, jobId);
  if (!job) return null;
  const p = progressOf(job, await countItems(db, job.id), Date.now());
  return JSON.stringify({
    type: 'job.finished',
    job: {
      id: job.id,
      status: job.status,
      total: p.total,
      succeeded: p.succeeded,
      failed: p.failed,
      cancelled: p.cancelled,
      error: job.error,
      created_at: new Date(job.createdAt).toISOString(),
      finished_at: job.finishedAt === null ? null : new Date(job.finishedAt).toISOString(),
    },
  });
}

/**
 * Handles a `webhook` message: POSTs the signed summary once per job (a delivered webhook is
 * not sent again; a rare concurrent redelivery may repeat it, so receivers should dedupe on
 * the `Webhook-Id` header).
 * @throws Error on a failed attempt (retried); DomainError `invalid` when the URL or secret is no
 *   longer acceptable (recorded as failed, not retried).
 */
export async function deliverWebhook(
  env: Env,
  config: Config,
  m: WebhookMessage,
  attempts: number,
): Promise<void> {
  const job = await getJobById(env.DB, m.jobId);
  if (!job?.callbackUrl || !TERMINAL.includes(job.status) || job.webhookStatus === 'delivered')
    return;
  const now = () => Date.now();
  try {
    const url = checkCallbackUrl(job.callbackUrl, config);
    const secret = env.WEBHOOK_SECRET;
    if (!secret) throw new DomainError('invalid', 'no WEBHOOK_SECRET is configured');
    const body = (await webhookBody(env.DB, job.id))!;
    const res = await fetch(url.toString(), {
      method: 'POST',
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
      headers: {
        'Content-Type': 'application/json',
        'User-Agent': 'image-edge-webhook/1',
        'Webhook-Id': job.id,
        'Webhook-Signature': await signWebhook(secret, body),
      },
    });
    await res.body?.cancel();
    if (!res.ok) throw new Error(`the callback answered ${res.status}`);
    await setWebhookState(env.DB, job.id, 'delivered', attempts, null, now());
  } catch (err) {
    const permanent = isPermanent(err);
    await setWebhookState(
      env.DB,
      job.id,
      permanent ? 'failed' : 'pending',
      attempts,
      errorText(err),
      now(),
    );
    if (!permanent) throw err;
  }
}

/** A webhook that exhausted its retries: recorded as failed with its last error. */
export async function deadLetterWebhook(env: Env, m: WebhookMessage): Promise<void> {
  const job = await getJobById(env.DB, m.jobId);
  if (!job || job.webhookStatus === 'delivered') return;
  await setWebhookState(
    env.DB,
    job.id,
    'failed',
    job.webhookAttempts,
    job.webhookError ?? 'gave up',
    Date.now(),
  );
}
