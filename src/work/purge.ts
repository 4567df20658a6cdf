/**
 * The `purge` message handler: purging the variants of an original that no image row refers
 * to any more.
 */
import { retireOriginal } from '../images/retire';
import type { PurgeMessage } from './messages';

/**
 * Handles a `purge` message: deletes an original's variants (R2 objects and rows) unless an
 * image row refers to its bytes again (re-uploaded meanwhile: the variants are still valid),
 * under the same tombstone as every deletion of shared bytes (images/retire.ts).
 * @throws Error while another deletion of the bytes is in progress (the message is retried).
 */
export async function processPurge(env: Env, m: PurgeMessage): Promise<void> {
  if ((await retireOriginal(env, m.sha256, { variants: true })) === 'busy')
    throw new Error(`the original ${m.sha256.slice(0, 16)} is being deleted; retry the purge`);
}
