/**
 * The request id and the headers every answer of the Worker carries beyond its own: the id in
 * `X-Request-Id` and `X-Content-Type-Options: nosniff`. One module for both users: the hono app
 * (app.ts) and the cache-hit fast path in front of it (delivery/hit.ts).
 */
import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../env';

/** Request and response header carrying the request id. */
export const REQUEST_ID_HEADER = 'X-Request-Id';

/** The header every answer carries so browsers never sniff a type (name, value). */
export const NOSNIFF = ['X-Content-Type-Options', 'nosniff'] as const;

/** What a client-sent id may be: 1-255 of `[A-Za-z0-9_=-]` (hono's requestId rule). */
const CLIENT_ID = /^[\w\-=]{1,255}$/;

/** The request's id: the client's `X-Request-Id` when it is acceptable, else a new UUID. */
export function requestIdOf(request: Request): string {
  const sent = request.headers.get(REQUEST_ID_HEADER);
  return sent !== null && CLIENT_ID.test(sent) ? sent : crypto.randomUUID();
}

/**
 * Middleware: sets `c.var.requestId` and the header on answers hono builds (`c.json`,
 * `c.body`); app.ts adds it to routes' own Responses after the chain.
 */
export const requestId: MiddlewareHandler<AppEnv> = async (c, next) => {
  const id = requestIdOf(c.req.raw);
  c.set('requestId', id);
  c.header(REQUEST_ID_HEADER, id);
  await next();
};
