/**
 * Reading one object from a source (docs/sources.md, "Fetch rules"): an R2 binding, or an HTTP
 * origin fetched with a time limit, a byte limit enforced while the body streams, redirects
 * followed only within the source (same scheme, host and port, and inside its base URL and
 * prefix), and the private-address rule at every hop. Conditional when validators are known.
 */
import { SOURCE_MAX_REDIRECTS } from '../config';
import { HttpError, notFound } from '../errors';
import { readAtMost } from '../http/stream';
import { isPrivateHost } from '../security/webhook';
import type { HttpSource, R2Source, Source } from './config';

/** What the origin holds for a key. */
export interface OriginObject {
  bytes: Uint8Array;
  /** The origin's validators, as sent (`ETag` quoted as on the wire), or null. */
  etag: string | null;
  lastModified: string | null;
}

/** Validators of the copy we hold, for a conditional request. */
export interface Validators {
  etag: string | null;
  lastModified: string | null;
}

/** `modified` with the object, or `not-modified` (the copy we hold is current). */
export type FetchOutcome =
  { status: 'modified'; object: OriginObject } | { status: 'not-modified' };

/** 502: the origin answered something we cannot use. */
export const badOrigin = (detail: string, extras: Record<string, unknown> = {}) =>
  new HttpError(502, 'bad-origin', 'Bad answer from the origin', detail, extras);

/** 422: the origin's object is over the byte limit (nothing kept). */
const tooBig = (source: Source, limit: number) =>
  new HttpError(
    422,
    'unprocessable-image',
    'Unprocessable image',
    `The object is larger than ${limit} bytes, the most the source ${source.name} accepts.`,
    { limit, source: source.name },
  );

/**
 * Reads `key` of `source` (the caller has checked the key and its prefix).
 * @throws HttpError 404 (no such object), 422 (over `maxBytes`), 502 (origin error status,
 *   redirect outside the source, private address), 504 (time limit); Error when an R2 source's
 *   binding is missing (a deployment mistake).
 */
export function fetchObject(
  env: Env,
  source: Source,
  key: string,
  maxBytes: number,
  held: Validators | null,
): Promise<FetchOutcome> {
  return source.type === 'r2'
    ? fetchR2(env, source, key, maxBytes, held)
    : fetchHttp(source, key, maxBytes, held);
}

async function fetchR2(
  env: Env,
  source: R2Source,
  key: string,
  maxBytes: number,
  held: Validators | null,
): Promise<FetchOutcome> {
  const bucket = (env as unknown as Record<string, R2Bucket | undefined>)[source.binding];
  if (!bucket || typeof bucket.get !== 'function')
    throw new Error(`config: the R2 binding ${source.binding} of source ${source.name} is missing`);
  const head = await bucket.head(key);
  if (!head) throw notFound(`The source ${source.name} has no object ${key}.`);
  if (held?.etag === head.httpEtag) return { status: 'not-modified' };
  if (head.size > maxBytes) throw tooBig(source, maxBytes);
  const obj = await bucket.get(key, { onlyIf: { etagMatches: head.etag } });
  // Replaced between the two calls: the caller asks again on its next request.
  if (!obj || !('body' in obj)) throw notFound(`The object ${key} changed while read; retry.`);
  const bytes = new Uint8Array(await obj.arrayBuffer());
  return {
    status: 'modified',
    object: { bytes, etag: obj.httpEtag, lastModified: obj.uploaded.toUTCString() },
  };
}

/** True when `url` stays inside the source: same origin, under its base URL and prefix. */
function inside(source: HttpSource, url: URL): boolean {
  return (
    url.origin === source.baseUrl.origin &&
    url.pathname.startsWith(source.baseUrl.pathname + encodePath(source.prefix))
  );
}

/** A key as a URL path: each segment percent-encoded. */
const encodePath = (key: string) => key.split('/').map(encodeURIComponent).join('/');

async function fetchHttp(
  source: HttpSource,
  key: string,
  maxBytes: number,
  held: Validators | null,
): Promise<FetchOutcome> {
  const signal = AbortSignal.timeout(source.timeoutMs);
  const headers = new Headers(source.headers);
  headers.set('Accept', 'image/*');
  if (held?.etag) headers.set('If-None-Match', held.etag);
  else if (held?.lastModified) headers.set('If-Modified-Since', held.lastModified);
  let url = new URL(encodePath(key), source.baseUrl);
  try {
    for (let hop = 0; ; hop++) {
      if (isPrivateHost(url.hostname)) throw badOrigin(`${url.hostname} is a private address.`);
      const res = await fetch(url, { headers, redirect: 'manual', signal });
      if (res.status >= 300 && res.status < 400 && res.status !== 304) {
        await res.body?.cancel();
        const location = res.headers.get('Location');
        const next = location ? new URL(location, url) : null;
        if (!next || !inside(source, next) || hop === SOURCE_MAX_REDIRECTS)
          throw badOrigin(
            `The origin redirected ${next ? `to ${next.origin}${next.pathname}` : 'nowhere'}, outside the source ${source.name}; only redirects within it are followed.`,
            { source: source.name },
          );
        url = next;
        continue;
      }
      if (res.status === 304) {
        await res.body?.cancel();
        if (!held) throw badOrigin('The origin answered 304 to an unconditional request.');
        return { status: 'not-modified' };
      }
      if (res.status === 404 || res.status === 410) {
        await res.body?.cancel();
        throw notFound(`The source ${source.name} has no object ${key}.`);
      }
      if (res.status !== 200) {
        await res.body?.cancel();
        throw badOrigin(`The origin answered ${res.status}.`, {
          source: source.name,
          origin_status: res.status,
        });
      }
      const bytes = await readBounded(res, source, maxBytes);
      return {
        status: 'modified',
        object: {
          bytes,
          etag: res.headers.get('ETag'),
          lastModified: res.headers.get('Last-Modified'),
        },
      };
    }
  } catch (err) {
    if (signal.aborted)
      throw new HttpError(
        504,
        'origin-timeout',
        'Origin timeout',
        `The origin did not answer within ${source.timeoutMs} ms.`,
        { source: source.name, limit_ms: source.timeoutMs },
      );
    if (err instanceof HttpError) throw err;
    throw badOrigin(`The origin could not be reached: ${String(err)}`, { source: source.name });
  }
}

/** The body, read while counting: over `maxBytes` (declared or streamed) it is cancelled. */
async function readBounded(res: Response, source: Source, maxBytes: number): Promise<Uint8Array> {
  const declared = Number(res.headers.get('Content-Length') ?? NaN);
  if (declared > maxBytes) {
    await res.body?.cancel();
    throw tooBig(source, maxBytes);
  }
  if (!res.body) return new Uint8Array(0);
  const bytes = await readAtMost(res.body.getReader(), maxBytes);
  if (!bytes) throw tooBig(source, maxBytes);
  return bytes;
}
