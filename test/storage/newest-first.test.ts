/**
 * Keyset pagination newest first (src/storage/newest-first.ts): pages in (created_at, id)
 * descending order, ties broken by id, `more` on every page but the last, and a row added
 * after the first page does not shift the next one.
 */
import { env } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { listNewestFirst, type ListPosition } from '../../src/storage/newest-first';

interface Row {
  id: string;
  owner: string;
  created_at: number;
}

const page = (after?: ListPosition) =>
  listNewestFirst<Row, string>(
    env.DB,
    'zz_rows',
    'id, owner, created_at',
    'a',
    2,
    after,
    (r) => r.id,
  );
const last = (ids: string[], rows: Map<string, number>): ListPosition => ({
  createdAt: rows.get(ids.at(-1)!)!,
  id: ids.at(-1)!,
});

const ROWS = new Map([
  ['r1', 100],
  ['r2', 200],
  ['r3', 200],
  ['r4', 300],
  ['r5', 50],
]);

beforeAll(async () => {
  await env.DB.exec('CREATE TABLE zz_rows (id TEXT PRIMARY KEY, owner TEXT, created_at INTEGER)');
  for (const [id, at] of ROWS)
    await env.DB.prepare('INSERT INTO zz_rows VALUES (?, ?, ?)').bind(id, 'a', at).run();
  await env.DB.prepare('INSERT INTO zz_rows VALUES (?, ?, ?)').bind('other', 'b', 999).run();
});

describe('listNewestFirst', () => {
  it('pages an owner rows newest first, ties by id descending, with `more` until the last page', async () => {
    const first = await page();
    expect(first).toEqual({ records: ['r4', 'r3'], more: true });
    // Added after the first page: newer than every row, so no later page moves.
    await env.DB.prepare('INSERT INTO zz_rows VALUES (?, ?, ?)').bind('r6', 'a', 400).run();
    const second = await page(last(first.records, ROWS));
    expect(second).toEqual({ records: ['r2', 'r1'], more: true });
    const third = await page(last(second.records, ROWS));
    expect(third).toEqual({ records: ['r5'], more: false });
  });
});
