/**
 * Bounded request bodies: the one rule for every route that reads a body. The limit is enforced
 * while the body streams in (hono's `bodyLimit`: a `Content-Length` over the limit is refused
 * before anything is read, a chunked body as soon as the running count passes it), so no route
 * ever parses or buffers more than its limit. Over it: a 413 problem naming the limit.
 */
import type { Context, Env as HonoEnv, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { badRequest, tooLarge } from '../errors';

/**
 * Middleware: limits the body to `maxBytes` (a number, or computed per request, e.g. from the
 * config or an upload policy). The problem reports `reported` bytes as the limit when given
 * (e.g. the file limit of a multipart upload whose framing gets some slack).
 * @throws HttpError 413 when the body is, or turns out to be, larger.
 */
export function limitBody<E extends HonoEnv>(
  maxBytes: number | ((c: Context<E>) => number),
  reported?: (c: Context<E>) => number,
): MiddlewareHandler<E> {
  return (c, next) => {
    const max = typeof maxBytes === 'number' ? maxBytes : maxBytes(c);
    const shown = reported ? reported(c) : max;
    return bodyLimit({
      maxSize: max,
      onError: () => {
        throw tooLarge(shown);
      },
    })(c, next);
  };
}

/**
 * Reads a JSON body that {@link limitBody} has bounded. An empty body is `undefined` when
 * `optional`, else a 400; malformed JSON is a 400 whose detail is `shape` (what the body
 * should look like).
 * @throws HttpError 400.
 */
export async function readJson(
  c: Context,
  shape: string,
  { optional = false } = {},
): Promise<unknown> {
  const text = await c.req.text();
  if (text.trim() === '') {
    if (optional) return undefined;
    throw badRequest(`The body is empty. ${shape}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw badRequest(`The body is not valid JSON. ${shape}`);
  }
}
