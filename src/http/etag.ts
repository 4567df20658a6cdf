/** Validators of immutable, content-addressed responses: `ETag` / `If-None-Match` → 304. */

/** Cache-Control of content-addressed variants: the bytes behind a URL never change. */
export const IMMUTABLE = 'public, max-age=31536000, immutable';

/** True when an `If-None-Match` header matches `etag` (weak comparison, RFC 9110 §13.1.2). */
export function etagMatches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === '*') return true;
  const bare = etag.replace(/^W\//, '');
  return header.split(',').some((t) => t.trim().replace(/^W\//, '') === bare);
}

/**
 * The `304 Not Modified` answer when `If-None-Match` matches `etag` (with `headers`, which
 * should carry the ETag, Cache-Control and Vary of the full answer), else null.
 */
export function notModified(
  ifNoneMatch: string | undefined,
  etag: string,
  headers: HeadersInit,
): Response | null {
  return etagMatches(ifNoneMatch, etag) ? new Response(null, { status: 304, headers }) : null;
}
