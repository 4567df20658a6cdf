/**
 * D1 queries for the `upload_tokens` table (migrations/0003_security.sql): the only module with
 * SQL for one-time upload URLs. Tokens are stored as the hex SHA-256 of the token.
 *
 * Life of a token: inserted → claimed by one attempt (`claimed_at`, a lease of
 * {@link UPLOAD_TOKEN_CLAIM_LEASE_MS}) → either completed (`used_at`, `image_id`: spent for
 * good) or released (`claimed_at` back to NULL, usable again). Every transition is a single
 * conditional UPDATE whose `changes` tells whether it won, so concurrent attempts cannot both
 * succeed.
 */
import { UPLOAD_TOKEN_CLAIM_LEASE_MS } from '../config';

/** A stored token. `policy` is the JSON text the issuer stored. */
export interface UploadTokenRecord {
  tokenHash: string;
  owner: string;
  keyId: string;
  policy: string;
  /** Unix ms. */
  createdAt: number;
  expiresAt: number;
  claimedAt: number | null;
  usedAt: number | null;
  imageId: string | null;
}

interface UploadTokenRow {
  token_hash: string;
  owner: string;
  key_id: string;
  policy: string;
  created_at: number;
  expires_at: number;
  claimed_at: number | null;
  used_at: number | null;
  image_id: string | null;
}

const toRecord = (r: UploadTokenRow): UploadTokenRecord => ({
  tokenHash: r.token_hash,
  owner: r.owner,
  keyId: r.key_id,
  policy: r.policy,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
  claimedAt: r.claimed_at,
  usedAt: r.used_at,
  imageId: r.image_id,
});

/** Stores a new, unclaimed token. */
export async function insertUploadToken(
  db: D1Database,
  t: Pick<
    UploadTokenRecord,
    'tokenHash' | 'owner' | 'keyId' | 'policy' | 'createdAt' | 'expiresAt'
  >,
): Promise<void> {
  await db
    .prepare(
      'INSERT INTO upload_tokens (token_hash, owner, key_id, policy, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)',
    )
    .bind(t.tokenHash, t.owner, t.keyId, t.policy, t.createdAt, t.expiresAt)
    .run();
}

/** The token with this hash, or null. */
export async function getUploadToken(
  db: D1Database,
  tokenHash: string,
): Promise<UploadTokenRecord | null> {
  const row = await db
    .prepare('SELECT * FROM upload_tokens WHERE token_hash = ?')
    .bind(tokenHash)
    .first<UploadTokenRow>();
  return row ? toRecord(row) : null;
}

/**
 * Claims the token for one attempt at `nowMs`: succeeds only when it is unused, unexpired and
 * not held by another attempt whose lease is still running.
 * @returns true when this call won the claim (`nowMs` then identifies the claim).
 */
export async function claimUploadToken(
  db: D1Database,
  tokenHash: string,
  nowMs: number,
): Promise<boolean> {
  const res = await db
    .prepare(
      `UPDATE upload_tokens SET claimed_at = ?1
       WHERE token_hash = ?2 AND used_at IS NULL AND expires_at > ?1
         AND (claimed_at IS NULL OR claimed_at <= ?1 - ?3)`,
    )
    .bind(nowMs, tokenHash, UPLOAD_TOKEN_CLAIM_LEASE_MS)
    .run();
  return res.meta.changes === 1;
}

/**
 * Spends the token claimed at `claimedAt` on image `imageId`.
 * @returns false when the claim was lost meanwhile (lease expired and taken over).
 */
export async function completeUploadToken(
  db: D1Database,
  tokenHash: string,
  claimedAt: number,
  nowMs: number,
  imageId: string,
): Promise<boolean> {
  const res = await db
    .prepare(
      `UPDATE upload_tokens SET used_at = ?, image_id = ?
       WHERE token_hash = ? AND claimed_at = ? AND used_at IS NULL`,
    )
    .bind(nowMs, imageId, tokenHash, claimedAt)
    .run();
  return res.meta.changes === 1;
}

/** Gives back the claim made at `claimedAt` (after a failed attempt); no-op if not held. */
export async function releaseUploadToken(
  db: D1Database,
  tokenHash: string,
  claimedAt: number,
): Promise<void> {
  await db
    .prepare(
      'UPDATE upload_tokens SET claimed_at = NULL WHERE token_hash = ? AND claimed_at = ? AND used_at IS NULL',
    )
    .bind(tokenHash, claimedAt)
    .run();
}

/** Deletes tokens that expired before `beforeMs` (housekeeping; bounded by the index). */
export async function deleteExpiredUploadTokens(db: D1Database, beforeMs: number): Promise<void> {
  await db.prepare('DELETE FROM upload_tokens WHERE expires_at < ?').bind(beforeMs).run();
}
