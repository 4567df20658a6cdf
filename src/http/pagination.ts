/**
 * Pagination: `limit` query values and opaque keyset cursors, shared by every paginated list.
 * A cursor is base64 of JSON `[created_at, id]` (the last row of the previous page); anything
 * we did not issue (malformed base64 or JSON, a non-finite or non-integer time such as
 * `1e309`, a bad id) is a 400 problem naming `cursor`, never an empty page.
 */
import { badRequest } from '../errors';
import { ID_PATTERN } from '../ids';

/** A position in a newest-first list: `created_at` (unix ms) and id of the last row returned. */
export interface KeysetPosition {
  createdAt: number;
  id: string;
}

/** The 400 for a cursor we did not issue. */
export const badCursor = () =>
  badRequest('cursor is not valid; pass the next_cursor of a previous page.', {
    option: 'cursor',
  });

/**
 * Parses a `limit` query value: an integer from 1 to `max`, `fallback` when absent.
 * @throws HttpError 400 naming `limit`.
 */
export function parseLimit(raw: string | undefined, max: number, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!/^\d{1,6}$/.test(raw) || n < 1 || n > max)
    throw badRequest(`limit must be an integer from 1 to ${max}.`, { option: 'limit' });
  return n;
}

/** Encodes a keyset position as a cursor. */
export const encodeCursor = (p: KeysetPosition) =>
  btoa(JSON.stringify([p.createdAt, p.id])).replaceAll('=', '');

/**
 * Decodes a cursor from {@link encodeCursor}; undefined when absent.
 * @throws HttpError 400 naming `cursor` for anything else (including an empty value).
 */
export function decodeCursor(cursor: string | undefined): KeysetPosition | undefined {
  if (cursor === undefined) return undefined;
  try {
    const parsed = JSON.parse(atob(cursor)) as unknown;
    if (Array.isArray(parsed) && parsed.length === 2) {
      const [createdAt, id] = parsed as unknown[];
      if (
        Number.isSafeInteger(createdAt) &&
        (createdAt as number) >= 0 &&
        typeof id === 'string' &&
        ID_PATTERN.test(id)
      )
        return { createdAt: createdAt as number, id };
    }
  } catch {
    // fall through
  }
  throw badCursor();
}

/**
 * A page request from the query: `limit` (1 to `max`, `fallback` when absent) and the
 * position after which the page starts (`cursor`).
 * @throws HttpError 400 naming `limit` or `cursor`.
 */
export function pageRequest(
  query: (name: string) => string | undefined,
  max: number,
  fallback: number,
): { limit: number; after: KeysetPosition | undefined } {
  return { limit: parseLimit(query('limit'), max, fallback), after: decodeCursor(query('cursor')) };
}

/** The `next_cursor` of a page: the last row's position when more rows follow, else null. */
export function nextCursor(rows: readonly KeysetPosition[], more: boolean): string | null {
  const last = rows.at(-1);
  return more && last ? encodeCursor({ createdAt: last.createdAt, id: last.id }) : null;
}

/**
 * Decodes a sequence cursor (the `seq` of the last row of an ordered list, e.g. a job's
 * items): a decimal integer; 0 when absent.
 * @throws HttpError 400 naming `cursor` for anything else.
 */
export function decodeSeqCursor(cursor: string | undefined): number {
  if (cursor === undefined) return 0;
  if (!/^\d{1,15}$/.test(cursor)) throw badCursor();
  return Number(cursor);
}
