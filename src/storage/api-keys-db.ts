/**
 * D1 queries for the `api_keys` table (migrations/0003_security.sql): the only module with SQL
 * for stored API keys. Keys are stored as the hex SHA-256 of the key, never in clear.
 */

/** A stored API key, without its hash. Scopes are as stored (validated by the caller). */
export interface ApiKeyRecord {
  id: string;
  owner: string;
  scopes: string[];
  label: string | null;
  /** Unix ms. */
  createdAt: number;
  /** Unix ms, or null while the key is valid. */
  revokedAt: number | null;
}

interface ApiKeyRow {
  id: string;
  owner: string;
  scopes: string;
  label: string | null;
  created_at: number;
  revoked_at: number | null;
}

const COLUMNS = 'id, owner, scopes, label, created_at, revoked_at';

function toRecord(r: ApiKeyRow): ApiKeyRecord {
  let scopes: unknown;
  try {
    scopes = JSON.parse(r.scopes);
  } catch {
    scopes = [];
  }
  return {
    id: r.id,
    owner: r.owner,
    scopes: Array.isArray(scopes) ? scopes.filter((s): s is string => typeof s === 'string') : [],
    label: r.label,
    createdAt: r.created_at,
    revokedAt: r.revoked_at,
  };
}

/** The unrevoked key whose SHA-256 is `keyHash` (lowercase hex), or null. */
export async function findActiveApiKey(
  db: D1Database,
  keyHash: string,
): Promise<ApiKeyRecord | null> {
  const row = await db
    .prepare(`SELECT ${COLUMNS} FROM api_keys WHERE key_hash = ? AND revoked_at IS NULL`)
    .bind(keyHash)
    .first<ApiKeyRow>();
  return row ? toRecord(row) : null;
}

/** Stores a new key (its hash only). */
export async function insertApiKey(
  db: D1Database,
  rec: Omit<ApiKeyRecord, 'revokedAt'> & { keyHash: string },
): Promise<void> {
  await db
    .prepare(
      'INSERT INTO api_keys (id, key_hash, owner, scopes, label, created_at) VALUES (?, ?, ?, ?, ?, ?)',
    )
    .bind(rec.id, rec.keyHash, rec.owner, JSON.stringify(rec.scopes), rec.label, rec.createdAt)
    .run();
}

/** Every key of `owner` (revoked ones too), newest first, at most 1000. */
export async function listApiKeys(db: D1Database, owner: string): Promise<ApiKeyRecord[]> {
  const { results } = await db
    .prepare(
      `SELECT ${COLUMNS} FROM api_keys WHERE owner = ? ORDER BY created_at DESC, id DESC LIMIT 1000`,
    )
    .bind(owner)
    .all<ApiKeyRow>();
  return results.map(toRecord);
}

/**
 * Revokes key `id` of `owner` at `nowMs` (a key already revoked keeps its first revocation time).
 * @returns false when `owner` has no key `id`.
 */
export async function revokeApiKey(
  db: D1Database,
  owner: string,
  id: string,
  nowMs: number,
): Promise<boolean> {
  const row = await db
    .prepare(
      'UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ? AND owner = ? RETURNING id',
    )
    .bind(nowMs, id, owner)
    .first<{ id: string }>();
  return row !== null;
}
