/**
 * D1 queries for `pending_sends` (migrations/0007_reconciler.sql): queue messages the queue
 * refused even after quick retries, kept until the reconciler has sent them. The only module
 * with SQL for that table.
 */
/** A message waiting to be sent again (`M`: the queue's message type, work/messages.ts). */
import { STORED_ERROR_MAX_CHARS } from '../config';
export interface PendingSend<M = unknown> {
  id: number;
  body: M;
  attempts: number;
}

/** Records messages the queue refused, due at once (one statement; all or nothing). */
export async function recordPendingSends(
  db: D1Database,
  messages: readonly unknown[],
  error: string,
  now: number,
): Promise<void> {
  if (!messages.length) return;
  await db
    .prepare(
      `INSERT INTO pending_sends (body, last_error, created_at, next_at)
       SELECT value, ?2, ?3, ?3 FROM json_each(?1)`,
    )
    .bind(
      JSON.stringify(messages.map((m) => JSON.stringify(m))),
      error.slice(0, STORED_ERROR_MAX_CHARS),
      now,
    )
    .run();
}

/** Up to `limit` messages due at `now`, oldest first; bodies are parsed JSON, typed `M`. */
export async function duePendingSends<M = unknown>(
  db: D1Database,
  now: number,
  limit: number,
): Promise<PendingSend<M>[]> {
  const { results } = await db
    .prepare('SELECT id, body, attempts FROM pending_sends WHERE next_at <= ? ORDER BY id LIMIT ?')
    .bind(now, limit)
    .all<{ id: number; body: string; attempts: number }>();
  return results.map((r) => ({
    id: r.id,
    body: JSON.parse(r.body) as M,
    attempts: r.attempts,
  }));
}

/** Deletes rows whose messages the queue has taken. */
export async function deletePendingSends(db: D1Database, ids: readonly number[]): Promise<void> {
  if (!ids.length) return;
  await db
    .prepare('DELETE FROM pending_sends WHERE id IN (SELECT value FROM json_each(?))')
    .bind(JSON.stringify(ids))
    .run();
}

/** Notes a failed re-send: one more attempt, due again at `nextAt`. */
export async function deferPendingSends(
  db: D1Database,
  ids: readonly number[],
  error: string,
  nextAt: number,
): Promise<void> {
  if (!ids.length) return;
  await db
    .prepare(
      `UPDATE pending_sends SET attempts = attempts + 1, last_error = ?, next_at = ?
       WHERE id IN (SELECT value FROM json_each(?))`,
    )
    .bind(error.slice(0, STORED_ERROR_MAX_CHARS), nextAt, JSON.stringify(ids))
    .run();
}

/** How many messages wait (for /readyz-style checks and tests). */
export async function countPendingSends(db: D1Database): Promise<number> {
  const row = await db.prepare('SELECT COUNT(*) AS n FROM pending_sends').first<{ n: number }>();
  return row?.n ?? 0;
}
