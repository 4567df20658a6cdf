/**
 * Keyset pagination of an owner's rows newest first, as the image and job listings page:
 * ordered by `created_at` then `id`, both descending, each page starting after the last row
 * of the one before (no OFFSET, so a page costs the same however deep it is, and rows added
 * meanwhile do not shift it).
 */

/** Position in a newest-first listing: (created_at, id) of the last row returned. */
export interface ListPosition {
  createdAt: number;
  id: string;
}

/**
 * Reads up to `limit` of `owner`'s rows of `table` newest first, after `after`, each mapped by
 * `toRecord`; reads `limit + 1` rows to tell whether there is a next page. `table` and
 * `columns` are SQL the calling module owns (never request input).
 * @returns the page and whether more rows follow.
 */
export async function listNewestFirst<Row, T>(
  db: D1Database,
  table: string,
  columns: string,
  owner: string,
  limit: number,
  after: ListPosition | undefined,
  toRecord: (row: Row) => T,
): Promise<{ records: T[]; more: boolean }> {
  const order = 'ORDER BY created_at DESC, id DESC LIMIT ?';
  const stmt = after
    ? db
        .prepare(
          `SELECT ${columns} FROM ${table} WHERE owner = ? AND (created_at < ? OR (created_at = ? AND id < ?)) ${order}`,
        )
        .bind(owner, after.createdAt, after.createdAt, after.id, limit + 1)
    : db.prepare(`SELECT ${columns} FROM ${table} WHERE owner = ? ${order}`).bind(owner, limit + 1);
  const { results } = await stmt.all<Row>();
  return { records: results.slice(0, limit).map(toRecord), more: results.length > limit };
}
