/**
 * The orphan sweep (cron): uploads write the R2 original before the D1 row, so a failure
 * between the two leaves an object no row refers to (DESIGN.md §2). Such objects older than a
 * grace period are deleted with their variants. The grace period (default 24 h) keeps the
 * sweep away from uploads in flight, whose rows follow their objects within milliseconds.
 */
import { referencedShas } from '../storage/images-db';
import {
  deleteOriginal,
  getSweepCursor,
  listOriginals,
  setSweepCursor,
} from '../storage/originals';
import { deleteVariants } from '../storage/variants';

/** What one sweep run did. */
export interface SweepResult {
  /** Originals looked at. */
  checked: number;
  /** Orphans deleted (their sha256). */
  deleted: string[];
  /** True when the listing reached the end (the next run starts again from the top). */
  finished: boolean;
}

/**
 * Looks at up to `maxPages` pages (1000 originals each) from where the last run stopped, and
 * deletes originals older than `graceMs` that no image row refers to.
 * @param now unix ms (the cron's scheduled time).
 */
export async function sweepOrphans(
  env: Pick<Env, 'BUCKET' | 'DB'>,
  now: number,
  graceMs: number,
  maxPages = 50,
): Promise<SweepResult> {
  const result: SweepResult = { checked: 0, deleted: [], finished: false };
  let cursor = await getSweepCursor(env.BUCKET);
  for (let page = 0; page < maxPages; page++) {
    const listed = await listOriginals(env.BUCKET, cursor);
    result.checked += listed.originals.length;
    const old = listed.originals.filter((o) => o.uploaded <= now - graceMs).map((o) => o.sha256);
    for (let i = 0; i < old.length; i += 100) {
      const chunk = old.slice(i, i + 100);
      const referenced = await referencedShas(env.DB, chunk);
      for (const sha of chunk.filter((s) => !referenced.has(s))) {
        await Promise.all([deleteOriginal(env.BUCKET, sha), deleteVariants(env.BUCKET, sha)]);
        result.deleted.push(sha);
      }
    }
    cursor = listed.cursor;
    if (!cursor) {
      result.finished = true;
      break;
    }
  }
  await setSweepCursor(env.BUCKET, cursor);
  return result;
}
