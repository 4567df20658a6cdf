/**
 * The orphan sweep (cron). Uploads write the R2 original before the D1 row, so a failure
 * between the two leaves an object no row refers to (DESIGN.md §2); a variant written by the
 * queue consumer after its original was purged is left behind the same way. The sweep walks
 * both listings, `originals/` and `variants/`, each from where its last run stopped, and
 * deletes the bytes (original and every variant) of hashes that no image row refers to once
 * the object is older than a grace period (default 24 h), which keeps it away from uploads in
 * flight. Each deletion runs under the tombstone of images/retire.ts, so an upload of the
 * same bytes racing the sweep never ends up with a row and no original; deletions whose
 * deleter died (tombstones past their lease) are finished first.
 */
import { finishAbandonedRetirements, retireOriginal } from '../images/retire';
import { referencedShas } from '../storage/images-db';
import {
  getSweepCursor,
  listOriginals,
  setSweepCursor,
  type SweepListing,
} from '../storage/originals';
import { listAllVariants } from '../storage/variants';

/** What one sweep run did. */
export interface SweepResult {
  /** Originals looked at. */
  checked: number;
  /** Orphans deleted (their sha256), with their variants. */
  deleted: string[];
  /** True when the originals listing reached the end (the next run starts again at the top). */
  finished: boolean;
  /** Variant objects looked at. */
  variantsChecked: number;
  /** Hashes whose leftover variants were deleted (no row and no original refer to them). */
  variantsDeleted: string[];
  /** True when the variants listing reached the end. */
  variantsFinished: boolean;
  /** Abandoned deletions finished. */
  resumed: number;
}

type SweepEnv = Pick<Env, 'BUCKET' | 'DB'>;
type Page = { items: { sha256: string; uploaded: number }[]; cursor: string | undefined };

/**
 * Walks up to `maxPages` pages of one listing from its saved cursor and retires the hashes of
 * objects older than `graceMs` that no image row refers to.
 * @returns objects looked at, hashes retired, and whether the listing reached its end.
 */
async function sweepListing(
  env: SweepEnv,
  listing: SweepListing,
  list: (cursor: string | undefined) => Promise<Page>,
  now: number,
  graceMs: number,
  maxPages: number,
): Promise<{ checked: number; deleted: string[]; finished: boolean }> {
  const out = { checked: 0, deleted: [] as string[], finished: false };
  let cursor = await getSweepCursor(env.BUCKET, listing);
  for (let page = 0; page < maxPages; page++) {
    const listed = await list(cursor);
    out.checked += listed.items.length;
    const old = [
      ...new Set(listed.items.filter((o) => o.uploaded <= now - graceMs).map((o) => o.sha256)),
    ];
    for (let i = 0; i < old.length; i += 100) {
      const chunk = old.slice(i, i + 100);
      const referenced = await referencedShas(env.DB, chunk);
      for (const sha of chunk.filter((s) => !referenced.has(s)))
        if ((await retireOriginal(env, sha, { variants: true })) === 'done') out.deleted.push(sha);
    }
    cursor = listed.cursor;
    if (!cursor) {
      out.finished = true;
      break;
    }
  }
  await setSweepCursor(env.BUCKET, listing, cursor);
  return out;
}

/**
 * Finishes abandoned deletions, then looks at up to `maxPages` pages (1000 objects each) of
 * originals and of variants, and deletes what no image row refers to (see the module comment).
 * @param now unix ms (the cron's scheduled time).
 */
export async function sweepOrphans(
  env: SweepEnv,
  now: number,
  graceMs: number,
  maxPages = 50,
): Promise<SweepResult> {
  const resumed = await finishAbandonedRetirements(env, now);
  const originals = await sweepListing(
    env,
    'originals',
    async (cursor) => {
      const r = await listOriginals(env.BUCKET, cursor);
      return { items: r.originals, cursor: r.cursor };
    },
    now,
    graceMs,
    maxPages,
  );
  const variants = await sweepListing(
    env,
    'variants',
    async (cursor) => {
      const r = await listAllVariants(env.BUCKET, cursor);
      return { items: r.variants, cursor: r.cursor };
    },
    now,
    graceMs,
    maxPages,
  );
  return {
    checked: originals.checked,
    deleted: originals.deleted,
    finished: originals.finished,
    variantsChecked: variants.checked,
    variantsDeleted: variants.deleted,
    variantsFinished: variants.finished,
    resumed,
  };
}
