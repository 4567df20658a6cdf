/**
 * D1 queries for the `presets` table: the only module with SQL for presets.
 */

/** A stored preset. `options` is a canonical transform string. */
export interface PresetRecord {
  name: string;
  options: string;
  public: boolean;
  eager: boolean;
  /** Unix ms. */
  createdAt: number;
  updatedAt: number;
}

interface PresetRow {
  name: string;
  options: string;
  public: number;
  eager: number;
  created_at: number;
  updated_at: number;
}

const toRecord = (r: PresetRow): PresetRecord => ({
  name: r.name,
  options: r.options,
  public: r.public === 1,
  eager: r.eager === 1,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

/** The stored preset with this name, or null. */
export async function getPreset(db: D1Database, name: string): Promise<PresetRecord | null> {
  const row = await db
    .prepare('SELECT * FROM presets WHERE name = ?')
    .bind(name)
    .first<PresetRow>();
  return row ? toRecord(row) : null;
}

/** Every stored preset, by name. */
export async function listPresets(db: D1Database): Promise<PresetRecord[]> {
  const { results } = await db.prepare('SELECT * FROM presets ORDER BY name').all<PresetRow>();
  return results.map(toRecord);
}

/** Creates or replaces a preset; returns whether it was created. */
export async function upsertPreset(
  db: D1Database,
  p: Pick<PresetRecord, 'name' | 'options' | 'public' | 'eager'>,
): Promise<{ record: PresetRecord; created: boolean }> {
  const now = Date.now();
  const row = await db
    .prepare(
      `INSERT INTO presets (name, options, public, eager, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET options = excluded.options, public = excluded.public,
         eager = excluded.eager, updated_at = excluded.updated_at
       RETURNING *`,
    )
    .bind(p.name, p.options, p.public ? 1 : 0, p.eager ? 1 : 0, now, now)
    .first<PresetRow>();
  if (!row) throw new Error('presets: upsert returned nothing');
  return {
    record: toRecord(row),
    created: row.created_at === row.updated_at && row.created_at === now,
  };
}

/** Deletes a preset; returns whether it existed. */
export async function deletePreset(db: D1Database, name: string): Promise<boolean> {
  const res = await db.prepare('DELETE FROM presets WHERE name = ?').bind(name).run();
  return res.meta.changes > 0;
}
