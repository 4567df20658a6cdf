/**
 * D1 queries for `source_objects` (migrations/0009_sources.sql): the only module with SQL for
 * origin sources.
 */

/** A row of `source_objects`: what one object of a source currently is. */
export interface SourceObject {
  source: string;
  path: string;
  imageId: string;
  sha256: string;
  etag: string | null;
  lastModified: string | null;
  /** Unix ms of the last fetch or revalidation. */
  checkedAt: number;
  /** Unix ms when these bytes were first seen at this path. */
  changedAt: number;
}

interface Row {
  source: string;
  path: string;
  image_id: string;
  sha256: string;
  etag: string | null;
  last_modified: string | null;
  checked_at: number;
  changed_at: number;
}

const toObject = (r: Row): SourceObject => ({
  source: r.source,
  path: r.path,
  imageId: r.image_id,
  sha256: r.sha256,
  etag: r.etag,
  lastModified: r.last_modified,
  checkedAt: r.checked_at,
  changedAt: r.changed_at,
});

/** The row for (source, path), or null. */
export async function getSourceObject(
  db: D1Database,
  source: string,
  path: string,
): Promise<SourceObject | null> {
  const row = await db
    .prepare('SELECT * FROM source_objects WHERE source = ? AND path = ?')
    .bind(source, path)
    .first<Row>();
  return row ? toObject(row) : null;
}

/** Inserts or replaces the row for (source, path). */
export async function putSourceObject(db: D1Database, o: SourceObject): Promise<void> {
  await db
    .prepare(
      `INSERT INTO source_objects
         (source, path, image_id, sha256, etag, last_modified, checked_at, changed_at)
       VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
       ON CONFLICT (source, path) DO UPDATE SET image_id = ?3, sha256 = ?4, etag = ?5,
         last_modified = ?6, checked_at = ?7, changed_at = ?8`,
    )
    .bind(o.source, o.path, o.imageId, o.sha256, o.etag, o.lastModified, o.checkedAt, o.changedAt)
    .run();
}

/** Records a revalidation that found the object unchanged (only if it still is `sha256`). */
export async function touchSourceObject(
  db: D1Database,
  source: string,
  path: string,
  sha256: string,
  now: number,
): Promise<void> {
  await db
    .prepare(
      'UPDATE source_objects SET checked_at = ? WHERE source = ? AND path = ? AND sha256 = ?',
    )
    .bind(now, source, path, sha256)
    .run();
}

/** How many objects (of any source) are currently the image `imageId`. */
export async function countSourceObjectsOfImage(db: D1Database, imageId: string): Promise<number> {
  const row = await db
    .prepare('SELECT COUNT(*) AS n FROM source_objects WHERE image_id = ?')
    .bind(imageId)
    .first<{ n: number }>();
  return row?.n ?? 0;
}
