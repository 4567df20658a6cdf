/**
 * D1 queries for the `presets` table: the only module with SQL for presets. Every query is
 * scoped by owner (presets are keyed by (owner, name), migrations/0006_tenancy.sql), and every
 * list has a LIMIT.
 */

/** A stored preset. `options` is a canonical transform string. */
export interface PresetRecord {
  owner: string;
  name: string;
  options: string;
  public: boolean;
  eager: boolean;
  /** Unix ms. */
  createdAt: number;
  updatedAt: number;
}

/** Per-owner caps checked by {@link upsertPreset} (src/config.ts). */
export interface PresetLimits {
  /** Stored presets per owner. */
  presets: number;
  /** Of those, marked public. */
  public: number;
  /** Of those, marked eager. */
  eager: number;
}

interface PresetRow {
  owner: string;
  name: string;
  options: string;
  public: number;
  eager: number;
  created_at: number;
  updated_at: number;
}

const toRecord = (r: PresetRow): PresetRecord => ({
  owner: r.owner,
  name: r.name,
  options: r.options,
  public: r.public === 1,
  eager: r.eager === 1,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

/** The owner's stored preset with this name, or null. */
export async function getPreset(
  db: D1Database,
  owner: string,
  name: string,
): Promise<PresetRecord | null> {
  const row = await db
    .prepare('SELECT * FROM presets WHERE owner = ? AND name = ?')
    .bind(owner, name)
    .first<PresetRow>();
  return row ? toRecord(row) : null;
}

/**
 * One page of the owner's stored presets by name, after `after` (exclusive). Reads `limit + 1`
 * rows to tell whether there is a next page.
 */
export async function listPresets(
  db: D1Database,
  owner: string,
  limit: number,
  after = '',
): Promise<{ records: PresetRecord[]; more: boolean }> {
  const { results } = await db
    .prepare('SELECT * FROM presets WHERE owner = ? AND name > ? ORDER BY name LIMIT ?')
    .bind(owner, after, limit + 1)
    .all<PresetRow>();
  return { records: results.slice(0, limit).map(toRecord), more: results.length > limit };
}

/** The owner's presets marked eager (at most `limit`, the per-owner eager cap). */
export async function listEagerPresets(
  db: D1Database,
  owner: string,
  limit: number,
): Promise<PresetRecord[]> {
  const { results } = await db
    .prepare('SELECT * FROM presets WHERE owner = ? AND eager = 1 ORDER BY name LIMIT ?')
    .bind(owner, limit)
    .all<PresetRow>();
  return results.map(toRecord);
}

/**
 * Names marked public by any owner, at most `limit` (a cheap pre-filter for unsigned delivery
 * URLs; whether a name is public for a given image is {@link isPublicPresetOfImage}).
 * @returns the names, and whether the list was cut at `limit`.
 */
export async function publicPresetNames(
  db: D1Database,
  limit: number,
): Promise<{ names: string[]; complete: boolean }> {
  const { results } = await db
    .prepare('SELECT DISTINCT name FROM presets WHERE public = 1 ORDER BY name LIMIT ?')
    .bind(limit + 1)
    .all<{ name: string }>();
  return { names: results.slice(0, limit).map((r) => r.name), complete: results.length <= limit };
}

/** True when the owner of image `imageId` has a preset `name` marked public. */
export async function isPublicPresetOfImage(
  db: D1Database,
  imageId: string,
  name: string,
): Promise<boolean> {
  const row = await db
    .prepare(
      `SELECT 1 AS ok FROM images AS i JOIN presets AS p ON p.owner = i.owner
       WHERE i.id = ? AND p.name = ? AND p.public = 1`,
    )
    .bind(imageId, name)
    .first<{ ok: number }>();
  return row !== null;
}

/**
 * Creates or replaces an owner's preset, within the owner's limits (checked in the same
 * statement, so concurrent writes cannot pass them together).
 * @returns the record and whether it was created, or null when a limit refused it.
 */
export async function upsertPreset(
  db: D1Database,
  p: Pick<PresetRecord, 'owner' | 'name' | 'options' | 'public' | 'eager'>,
  limits: PresetLimits,
): Promise<{ record: PresetRecord; created: boolean } | null> {
  const now = Date.now();
  const row = await db
    .prepare(
      `INSERT INTO presets (owner, name, options, public, eager, created_at, updated_at)
       SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?6
       WHERE (EXISTS (SELECT 1 FROM presets WHERE owner = ?1 AND name = ?2)
              OR (SELECT COUNT(*) FROM presets WHERE owner = ?1) < ?7)
         AND (?4 = 0 OR (SELECT COUNT(*) FROM presets
                         WHERE owner = ?1 AND public = 1 AND name <> ?2) < ?8)
         AND (?5 = 0 OR (SELECT COUNT(*) FROM presets
                         WHERE owner = ?1 AND eager = 1 AND name <> ?2) < ?9)
       ON CONFLICT (owner, name) DO UPDATE SET options = excluded.options,
         public = excluded.public, eager = excluded.eager, updated_at = excluded.updated_at
       RETURNING *`,
    )
    .bind(
      p.owner,
      p.name,
      p.options,
      p.public ? 1 : 0,
      p.eager ? 1 : 0,
      now,
      limits.presets,
      limits.public,
      limits.eager,
    )
    .first<PresetRow>();
  if (!row) return null;
  return {
    record: toRecord(row),
    created: row.created_at === row.updated_at && row.created_at === now,
  };
}

/** How many presets the owner has, and how many of them are public and eager. */
export async function countPresets(db: D1Database, owner: string): Promise<PresetLimits> {
  const row = await db
    .prepare(
      `SELECT COUNT(*) AS presets, COALESCE(SUM(public), 0) AS public,
              COALESCE(SUM(eager), 0) AS eager FROM presets WHERE owner = ?`,
    )
    .bind(owner)
    .first<PresetLimits>();
  return row ?? { presets: 0, public: 0, eager: 0 };
}

/** Deletes an owner's preset; returns whether it existed. */
export async function deletePreset(db: D1Database, owner: string, name: string): Promise<boolean> {
  const res = await db
    .prepare('DELETE FROM presets WHERE owner = ? AND name = ?')
    .bind(owner, name)
    .run();
  return res.meta.changes > 0;
}
