/**
 * D1 queries for the `variants` table: bookkeeping of variants made by the queue consumer.
 * A `pending` row means "enqueued, not made yet" and stops a second enqueue of the same
 * variant; `ready` means the consumer wrote it to R2; `failed` holds the error (`permanent`
 * when retrying cannot help). Rows are keyed like the R2 object: (sha256, spec hash).
 */
import { STORED_ERROR_MAX_CHARS } from '../config';
import type { EncodeFormat } from '../codecs/types';

/** Where a variant stands. */
export type VariantState = 'pending' | 'ready' | 'failed';

/** A row of `variants`. */
export interface VariantRecord {
  sha256: string;
  specHash: string;
  imageId: string;
  spec: string;
  format: EncodeFormat;
  state: VariantState;
  width: number | null;
  height: number | null;
  bytes: number | null;
  permanent: boolean;
  error: string | null;
  /** Unix ms. */
  createdAt: number;
  updatedAt: number;
}

interface VariantRow {
  sha256: string;
  spec_hash: string;
  image_id: string;
  spec: string;
  format: EncodeFormat;
  state: VariantState;
  width: number | null;
  height: number | null;
  bytes: number | null;
  permanent: number;
  error: string | null;
  created_at: number;
  updated_at: number;
}

const toRecord = (r: VariantRow): VariantRecord => ({
  sha256: r.sha256,
  specHash: r.spec_hash,
  imageId: r.image_id,
  spec: r.spec,
  format: r.format,
  state: r.state,
  width: r.width,
  height: r.height,
  bytes: r.bytes,
  permanent: r.permanent === 1,
  error: r.error,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

/** Identity and description of one variant row in D1 (its R2 key: storage/keys.ts `variantKey`). */
export interface VariantIdentity {
  sha256: string;
  specHash: string;
  imageId: string;
  /** Canonical transform. */
  spec: string;
  format: EncodeFormat;
}

const clip = (s: string) =>
  s.length > STORED_ERROR_MAX_CHARS ? `${s.slice(0, STORED_ERROR_MAX_CHARS - 1)}…` : s;

/**
 * Claims a variant for the queue: inserts a `pending` row, or turns an existing row pending
 * again when it is `ready` (its object is gone, or the caller would not be asking), or when a
 * `pending` or transiently `failed` row is older than `staleMs` (its message was lost or
 * dead-lettered). One statement, so two concurrent requests cannot both claim.
 * @returns `claimed: true` with the claim's timestamp when the caller must enqueue; otherwise
 *   the current row (pending elsewhere, or failed).
 */
export async function claimVariant(
  db: D1Database,
  v: VariantIdentity,
  now: number,
  staleMs: number,
): Promise<{ claimed: true; at: number } | { claimed: false; row: VariantRecord | null }> {
  const claimed = await db
    .prepare(
      `INSERT INTO variants (sha256, spec_hash, image_id, spec, format, state, created_at, updated_at)
       VALUES (?1, ?2, ?3, ?4, ?5, 'pending', ?6, ?6)
       ON CONFLICT (sha256, spec_hash) DO UPDATE SET
         state = 'pending', image_id = excluded.image_id, permanent = 0, error = NULL,
         updated_at = excluded.updated_at
       WHERE variants.state = 'ready'
          OR (variants.permanent = 0 AND variants.updated_at < ?7)
       RETURNING updated_at`,
    )
    .bind(v.sha256, v.specHash, v.imageId, v.spec, v.format, now, now - staleMs)
    .first<{ updated_at: number }>();
  if (claimed) return { claimed: true, at: claimed.updated_at };
  return { claimed: false, row: await getVariantRow(db, v.sha256, v.specHash) };
}

/** Undoes a claim made at `at` (when enqueueing failed), unless someone has claimed since. */
export async function releaseClaim(
  db: D1Database,
  sha256: string,
  specHash: string,
  at: number,
): Promise<void> {
  await db
    .prepare(
      `DELETE FROM variants WHERE sha256 = ? AND spec_hash = ? AND state = 'pending' AND updated_at = ?`,
    )
    .bind(sha256, specHash, at)
    .run();
}

/** The row for a variant, or null. */
export async function getVariantRow(
  db: D1Database,
  sha256: string,
  specHash: string,
): Promise<VariantRecord | null> {
  const row = await db
    .prepare('SELECT * FROM variants WHERE sha256 = ? AND spec_hash = ?')
    .bind(sha256, specHash)
    .first<VariantRow>();
  return row ? toRecord(row) : null;
}

/** Records a variant the consumer has stored in R2 (insert or update; repeating is a no-op). */
export async function markVariantReady(
  db: D1Database,
  v: VariantIdentity,
  facts: { width: number; height: number; bytes: number },
  now: number,
): Promise<void> {
  await db
    .prepare(
      `INSERT INTO variants (sha256, spec_hash, image_id, spec, format, state, width, height, bytes, created_at, updated_at)
       VALUES (?1, ?2, ?3, ?4, ?5, 'ready', ?6, ?7, ?8, ?9, ?9)
       ON CONFLICT (sha256, spec_hash) DO UPDATE SET
         state = 'ready', width = excluded.width, height = excluded.height, bytes = excluded.bytes,
         permanent = 0, error = NULL, updated_at = excluded.updated_at`,
    )
    .bind(
      v.sha256,
      v.specHash,
      v.imageId,
      v.spec,
      v.format,
      facts.width,
      facts.height,
      facts.bytes,
      now,
    )
    .run();
}

/**
 * Records that making a variant failed. Only a `pending` row changes (a variant made
 * meanwhile stays `ready`); with no row, one is inserted so a permanent failure is remembered.
 */
export async function markVariantFailed(
  db: D1Database,
  v: VariantIdentity,
  error: string,
  permanent: boolean,
  now: number,
): Promise<void> {
  await db
    .prepare(
      `INSERT INTO variants (sha256, spec_hash, image_id, spec, format, state, permanent, error, created_at, updated_at)
       VALUES (?1, ?2, ?3, ?4, ?5, 'failed', ?6, ?7, ?8, ?8)
       ON CONFLICT (sha256, spec_hash) DO UPDATE SET
         state = 'failed', permanent = excluded.permanent, error = excluded.error,
         updated_at = excluded.updated_at
       WHERE variants.state = 'pending'`,
    )
    .bind(v.sha256, v.specHash, v.imageId, v.spec, v.format, permanent ? 1 : 0, clip(error), now)
    .run();
}

/** Deletes every row of an original's variants (after its R2 objects went). */
export async function deleteVariantRows(db: D1Database, sha256: string): Promise<number> {
  const res = await db.prepare('DELETE FROM variants WHERE sha256 = ?').bind(sha256).run();
  return res.meta.changes;
}
