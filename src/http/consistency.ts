/**
 * Which D1 session an HTTP request reads in (docs/architecture.md, "Consistency per flow"):
 *
 * - a request that sends `X-D1-Bookmark` (the value an earlier response carried) reads at least
 *   that fresh: read-your-writes across requests (upload then info, create job then progress,
 *   set preset then use it, delete then 404);
 * - otherwise GET and HEAD (variant misses, info, lists, job progress, presets) may read a
 *   replica (`first-unconstrained`), and every other method starts at the primary
 *   (`first-primary`), since it writes or decides on what it reads.
 *
 * A 404 read from a replica may only mean the replica has not seen the write yet, so the entry
 * point confirms it at the primary before answering (see {@link mayReadReplica}).
 */
import { HttpError } from '../errors';
import { parseBookmark, type SessionStart } from '../storage/d1-session';

/** Request and response header carrying a D1 session bookmark. */
export const BOOKMARK_HEADER = 'X-D1-Bookmark';

/**
 * Where a request's D1 session starts.
 * @throws HttpError 400 `invalid-bookmark` when `X-D1-Bookmark` is present but malformed.
 */
export function requestSessionStart(request: Request): SessionStart {
  const sent = request.headers.get(BOOKMARK_HEADER);
  if (sent !== null) {
    const bookmark = parseBookmark(sent);
    if (!bookmark)
      throw new HttpError(
        400,
        'invalid-bookmark',
        'Invalid bookmark',
        `${BOOKMARK_HEADER} must be a bookmark from an earlier response.`,
      );
    return bookmark;
  }
  return mayReadReplica(request) ? 'first-unconstrained' : 'first-primary';
}

/**
 * True when the request's session may start on a replica (a GET or HEAD without a bookmark): a
 * 404 it gets is then confirmed at the primary before it is answered.
 */
export function mayReadReplica(request: Request): boolean {
  return (
    (request.method === 'GET' || request.method === 'HEAD') && !request.headers.has(BOOKMARK_HEADER)
  );
}
