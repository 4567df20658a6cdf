/**
 * D1 queries for `retiring_originals`: tombstones of originals being deleted (the only module
 * with SQL for that table; migrations/0006_tenancy.sql). The protocol is in
 * src/images/retire.ts; `insertImage` (./images-db.ts) honours the tombstones.
 */

/**
 * Marks `sha256` as being deleted, unless an image row refers to it or it is already marked.
 * One statement, so D1 orders it against every image insert.
 * @returns `marked` (this caller deletes the objects), `referenced` (an image row refers to
 *   the bytes: nothing to delete) or `busy` (another deletion holds the tombstone).
 */
export async function markRetiring(
  db: D1Database,
  sha256: string,
  startedAt: number,
): Promise<'marked' | 'referenced' | 'busy'> {
  const [insert, refs] = await db.batch<{ n: number }>([
    db
      .prepare(
        `INSERT INTO retiring_originals (sha256, started_at)
         SELECT ?1, ?2 WHERE NOT EXISTS (SELECT 1 FROM images WHERE sha256 = ?1)
         ON CONFLICT (sha256) DO NOTHING`,
      )
      .bind(sha256, startedAt),
    db.prepare('SELECT COUNT(*) AS n FROM images WHERE sha256 = ?').bind(sha256),
  ]);
  if ((insert?.meta.changes ?? 0) > 0) return 'marked';
  return (refs?.results[0]?.n ?? 0) > 0 ? 'referenced' : 'busy';
}

/** The start (unix ms) of the deletion of `sha256` in progress, or null when there is none. */
export async function getRetiring(db: D1Database, sha256: string): Promise<number | null> {
  const row = await db
    .prepare('SELECT started_at FROM retiring_originals WHERE sha256 = ?')
    .bind(sha256)
    .first<{ started_at: number }>();
  return row?.started_at ?? null;
}

/** Removes the tombstone of `sha256` started at `startedAt` (not a newer one). */
export async function clearRetiring(
  db: D1Database,
  sha256: string,
  startedAt: number,
): Promise<void> {
  await db
    .prepare('DELETE FROM retiring_originals WHERE sha256 = ? AND started_at = ?')
    .bind(sha256, startedAt)
    .run();
}

/** Up to `limit` tombstones started before `before` (unix ms), oldest first. */
export async function listStaleRetiring(
  db: D1Database,
  before: number,
  limit: number,
): Promise<{ sha256: string; startedAt: number }[]> {
  const { results } = await db
    .prepare(
      'SELECT sha256, started_at FROM retiring_originals WHERE started_at < ? ORDER BY started_at LIMIT ?',
    )
    .bind(before, limit)
    .all<{ sha256: string; started_at: number }>();
  return results.map((r) => ({ sha256: r.sha256, startedAt: r.started_at }));
}
