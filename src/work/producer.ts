/**
 * Sending work to the jobs queue. `sendBatch` takes at most 100 messages per call, so larger
 * sets are sent in chunks. Every send is tried `queueSendAttempts` times at once (50 ms, then
 * 200 ms apart); {@link enqueueOrDefer} then records what the queue still refused in D1
 * (`pending_sends`), which the reconciler (src/work/reconcile.ts) sends later.
 */
import { loadConfig, type ConfigVars, SEND_BATCH_MAX, SEND_QUICK_RETRY_MS } from '../config';
import { sessionBookmark } from '../storage/d1-session';
import { recordPendingSends } from '../storage/pending-sends-db';
import { listEagerPresets } from '../storage/presets-db';
import type { ImageRecord } from '../storage/images-db';
import { deleteVariants } from '../storage/variants';
import { BUILTIN_PRESETS, resolvePreset } from '../transform/presets';
import type { WorkMessage } from './messages';
import { logEvent } from '../observability/log';

/**
 * The bindings a producer needs: the queue, D1 (whose session bookmark every message carries,
 * so its consumer never reads older than the write it follows), and the vars (for the number
 * of attempts).
 */
export type ProducerEnv = Pick<Env, 'JOBS' | 'DB'> & ConfigVars;

/** `message` with the bookmark of the D1 session `env.DB` runs in, when there is one. */
function stamped(env: Pick<Env, 'DB'>, message: WorkMessage): WorkMessage {
  const bookmark = sessionBookmark(env);
  return bookmark ? { ...message, bookmark } : message;
}

/**
 * Runs `send` up to `attempts` times, waiting {@link SEND_QUICK_RETRY_MS} between tries.
 * @throws the last attempt's error.
 */
async function withQuickRetries(attempts: number, send: () => Promise<unknown>): Promise<void> {
  for (let i = 1; ; i++) {
    try {
      await send();
      return;
    } catch (err) {
      if (i >= attempts) throw err;
      const wait = SEND_QUICK_RETRY_MS[Math.min(i - 1, SEND_QUICK_RETRY_MS.length - 1)]!;
      await new Promise((r) => setTimeout(r, wait));
    }
  }
}

/**
 * Sends one message (optionally delayed), with quick retries.
 * @throws the queue's error when every attempt failed.
 */
export async function enqueue(
  env: ProducerEnv,
  message: WorkMessage,
  delaySeconds?: number,
): Promise<void> {
  await withQuickRetries(loadConfig(env).queueSendAttempts, () =>
    env.JOBS.send(stamped(env, message), {
      contentType: 'json',
      ...(delaySeconds ? { delaySeconds } : {}),
    }),
  );
}

/**
 * Sends messages in batches of at most {@link SEND_BATCH_MAX}, each with quick retries.
 * @returns normally when all were sent.
 * @throws an error with `sent`, the number of messages the queue took before it failed.
 */
export async function enqueueAll(
  env: ProducerEnv,
  messages: readonly WorkMessage[],
): Promise<void> {
  const attempts = loadConfig(env).queueSendAttempts;
  for (let i = 0; i < messages.length; i += SEND_BATCH_MAX) {
    const chunk = messages.slice(i, i + SEND_BATCH_MAX);
    try {
      await withQuickRetries(attempts, () =>
        env.JOBS.sendBatch(
          chunk.map((m) => ({ body: stamped(env, m), contentType: 'json' as const })),
        ),
      );
    } catch (err) {
      throw Object.assign(err instanceof Error ? err : new Error(String(err)), { sent: i });
    }
  }
}

/**
 * Sends messages like {@link enqueueAll}; what the queue still refuses is recorded in D1
 * (`pending_sends`) for the reconciler, so the work is delayed, never lost.
 * @returns `sent`, or `deferred` when some messages wait in D1.
 * @throws only when D1 refuses the record too.
 */
export async function enqueueOrDefer(
  env: ProducerEnv,
  messages: readonly WorkMessage[],
): Promise<'sent' | 'deferred'> {
  try {
    await enqueueAll(env, messages);
    return 'sent';
  } catch (err) {
    const sent = (err as { sent?: number }).sent ?? 0;
    await recordPendingSends(env.DB, messages.slice(sent), String(err), Date.now());
    logEvent('error', 'queue refused messages; recorded for the reconciler', {
      deferred: messages.length - sent,
      error: String(err),
    });
    return 'deferred';
  }
}

/**
 * The work that follows a new upload (sent, or recorded for the reconciler when the queue
 * refuses it): the image card, and every preset marked `eager` (built-in, and the image
 * owner's stored ones) plus `extraPresets` (e.g. from a direct-upload token's policy; unknown
 * names are skipped and logged, since the original is already stored), resolved among the
 * owner's presets. Each preset becomes a
 * `variant` message without a format, so the consumer makes every format the preset can be
 * negotiated to.
 * @returns the canonical transforms enqueued.
 * @throws when D1 fails (the caller decides whether the upload still succeeds).
 */
export async function enqueueOnUpload(
  env: ProducerEnv,
  record: Pick<ImageRecord, 'id' | 'owner'>,
  extraPresets: readonly string[] = [],
): Promise<string[]> {
  const specs = new Set<string>();
  for (const p of BUILTIN_PRESETS.values()) if (p.eager) specs.add(p.options);
  // The owner's own eager presets only (capped per owner, so the list needs no paging).
  for (const p of await listEagerPresets(env.DB, record.owner, 100)) specs.add(p.options);
  for (const name of extraPresets) {
    try {
      specs.add((await resolvePreset(env.DB, name, record.owner)).options);
    } catch {
      logEvent('warn', `eager preset ${name} not found`);
    }
  }
  const messages: WorkMessage[] = [
    { type: 'card', v: 1, imageId: record.id },
    ...[...specs].map((spec): WorkMessage => ({ type: 'variant', v: 1, imageId: record.id, spec })),
  ];
  await enqueueOrDefer(env, messages);
  return [...specs];
}

/**
 * Schedules the deletion of an original's variants (after its last image row went). When the
 * queue refuses the message, they are deleted right away instead.
 */
export async function purgeVariantsLater(
  env: ProducerEnv & Pick<Env, 'BUCKET'>,
  sha256: string,
): Promise<void> {
  try {
    await enqueue(env, { type: 'purge', v: 1, sha256 });
  } catch {
    await deleteVariants(env.BUCKET, sha256);
  }
}
