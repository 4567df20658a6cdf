/**
 * Retiring an original: deleting the R2 bytes of a hash that no image row refers to, without
 * ever leaving an image row without its original (docs/architecture.md, "Deleting shared
 * bytes"). Several owners' rows may share one original, and an upload of the same bytes may
 * run while the last row goes, so:
 *
 * 1. the deleter inserts a tombstone for the hash only while no image row refers to it (one
 *    D1 statement, storage/retiring-db.ts);
 * 2. it deletes the R2 objects, then the tombstone;
 * 3. an upload inserts its image row only while there is no tombstone (storage/images-db.ts);
 *    refused, it waits for the deletion to end ({@link awaitRetirement}) and stores the bytes
 *    again.
 *
 * D1 orders steps 1 and 3, so either the row comes first (nothing is deleted) or the tombstone
 * does (the upload writes the bytes after the deletion). A tombstone older than
 * {@link RETIRE_LEASE_MS} belongs to a deleter that died: the next upload of those bytes, or
 * the sweep, finishes its deletion.
 */
import { RETIRE_LEASE_MS, RETIRE_POLL_MS, RETIRE_WAIT_MS } from '../config';
import { unavailable } from '../errors';
import { deleteOriginal } from '../storage/originals';
import {
  clearRetiring,
  getRetiring,
  listStaleRetiring,
  markRetiring,
} from '../storage/retiring-db';
import { deleteVariantRows } from '../storage/variants-db';
import { deleteVariants } from '../storage/variants';

type RetireEnv = Pick<Env, 'DB' | 'BUCKET'>;

/** Deletes the objects of a marked hash, then its tombstone (kept if a step throws). */
async function finish(env: RetireEnv, sha256: string, startedAt: number, variants: boolean) {
  await deleteOriginal(env.BUCKET, sha256);
  if (variants) {
    await deleteVariants(env.BUCKET, sha256);
    await deleteVariantRows(env.DB, sha256);
  }
  await clearRetiring(env.DB, sha256, startedAt);
}

/**
 * Deletes the original `sha256` (and, with `variants`, its variants and their rows) unless an
 * image row refers to it.
 * @returns `done`, `referenced` (a row refers to it: nothing deleted) or `busy` (another
 *   deletion of it is in progress).
 * @throws whatever R2 or D1 throw (the tombstone stays; the sweep finishes it later).
 */
export async function retireOriginal(
  env: RetireEnv,
  sha256: string,
  { variants }: { variants: boolean },
): Promise<'done' | 'referenced' | 'busy'> {
  const startedAt = Date.now();
  const state = await markRetiring(env.DB, sha256, startedAt);
  if (state !== 'marked') return state;
  await finish(env, sha256, startedAt, variants);
  return 'done';
}

/**
 * For an upload whose image row was refused because its bytes are being deleted: waits until
 * the deletion has ended, finishing it when its deleter died. The caller then stores the bytes
 * again.
 * @throws HttpError 503 (Retry-After) when the deletion is still running after a few seconds.
 */
export async function awaitRetirement(env: RetireEnv, sha256: string): Promise<void> {
  const until = Date.now() + RETIRE_WAIT_MS;
  for (;;) {
    const startedAt = await getRetiring(env.DB, sha256);
    if (startedAt === null) return;
    if (Date.now() - startedAt > RETIRE_LEASE_MS) return finish(env, sha256, startedAt, true);
    if (Date.now() >= until)
      throw unavailable('The same bytes are being deleted right now; retry the upload.');
    await new Promise((r) => setTimeout(r, RETIRE_POLL_MS));
  }
}

/** Finishes up to `limit` deletions abandoned before `now` − lease (the sweep). */
export async function finishAbandonedRetirements(
  env: RetireEnv,
  now: number,
  limit = 100,
): Promise<number> {
  const stale = await listStaleRetiring(env.DB, now - RETIRE_LEASE_MS, limit);
  for (const t of stale) await finish(env, t.sha256, t.startedAt, true);
  return stale.length;
}
