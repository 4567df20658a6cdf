/**
 * Sending work to the jobs queue. `sendBatch` takes at most 100 messages per call, so larger
 * sets are sent in chunks.
 */
import { sessionBookmark } from '../storage/d1-session';
import { listEagerPresets } from '../storage/presets-db';
import type { ImageRecord } from '../storage/images-db';
import { deleteVariants } from '../storage/variants';
import { BUILTIN_PRESETS, resolvePreset } from '../transform/presets';
import type { JobMessage } from './messages';

/** Most messages per `sendBatch` call (a Queues limit). */
export const SEND_BATCH_MAX = 100;

/** `message` with the bookmark of the D1 session `env.DB` runs in, when there is one. */
function stamped(env: Pick<Env, 'DB'>, message: JobMessage): JobMessage {
  const bookmark = sessionBookmark(env);
  return bookmark ? { ...message, bookmark } : message;
}

/**
 * Sends one message (optionally delayed), carrying the bookmark of the session that made the
 * write it follows.
 */
export async function enqueue(
  env: Pick<Env, 'JOBS' | 'DB'>,
  message: JobMessage,
  delaySeconds?: number,
): Promise<void> {
  await env.JOBS.send(stamped(env, message), {
    contentType: 'json',
    ...(delaySeconds ? { delaySeconds } : {}),
  });
}

/** Sends messages in batches of at most {@link SEND_BATCH_MAX}, each stamped like {@link enqueue}. */
export async function enqueueAll(
  env: Pick<Env, 'JOBS' | 'DB'>,
  messages: readonly JobMessage[],
): Promise<void> {
  for (let i = 0; i < messages.length; i += SEND_BATCH_MAX) {
    await env.JOBS.sendBatch(
      messages
        .slice(i, i + SEND_BATCH_MAX)
        .map((m) => ({ body: stamped(env, m), contentType: 'json' as const })),
    );
  }
}

/**
 * The work that follows a new upload: the image card, and every preset marked `eager`
 * (built-in, and the image owner's stored ones) plus `extraPresets` (e.g. from a direct-upload
 * token's policy; unknown names are skipped and logged, since the original is already stored),
 * resolved among the owner's presets. Each preset becomes a
 * `variant` message without a format, so the consumer makes every format the preset can be
 * negotiated to.
 * @returns the canonical transforms enqueued.
 * @throws whatever `sendBatch` throws (the caller decides whether the upload still succeeds).
 */
export async function enqueueOnUpload(
  env: Pick<Env, 'JOBS' | 'DB'>,
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
      console.warn(JSON.stringify({ level: 'warn', message: `eager preset ${name} not found` }));
    }
  }
  const messages: JobMessage[] = [
    { type: 'card', v: 1, imageId: record.id },
    ...[...specs].map((spec): JobMessage => ({ type: 'variant', v: 1, imageId: record.id, spec })),
  ];
  await enqueueAll(env, messages);
  return [...specs];
}

/**
 * Schedules the deletion of an original's variants (after its last image row went). When the
 * queue refuses the message, they are deleted right away instead.
 */
export async function purgeVariantsLater(
  env: Pick<Env, 'JOBS' | 'BUCKET' | 'DB'>,
  sha256: string,
): Promise<void> {
  try {
    await enqueue(env, { type: 'purge', v: 1, sha256 });
  } catch {
    await deleteVariants(env.BUCKET, sha256);
  }
}
