/**
 * The source and Cloudflare-compatible URL forms (docs/sources.md):
 * - `/cdn-cgi/image/<options>/<id>`: an uploaded image, exactly as `/img/<id>/<options>`;
 * - `/cdn-cgi/image/<options>/<source>/<path>`: `<path>` of the configured source `<source>`;
 * - `/cdn-cgi/image/<options>/https://host/path`: the configured http source whose base URL
 *   the URL starts with (never an arbitrary URL);
 * - `/img/src/<source>/<path>/<options>`: the same as the second form.
 * One path segment after the options is an id; two or more are a source path. Thin: the work
 * is in delivery/serve-source.ts and the upload flow (delivery/serve.ts).
 */
import { Hono, type Context } from 'hono';
import type { AppEnv } from '../env';
import { badRequest, notFound } from '../errors';
import { loadSources, sourceForUrl } from '../sources/config';
import { keyFromSegments } from '../sources/key';
import { serveVariant } from '../delivery/serve';
import { serveSourceVariant, sourceNamed } from '../delivery/serve-source';

/** Decodes the options segment as hono decodes route parameters. @throws HttpError 400. */
function decodeOptions(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw badRequest('The options hold malformed percent-encoding.', { option: 'transform' });
  }
}

/** What every variant request takes from the HTTP request. */
const fromRequest = (c: Context<AppEnv>, transform: string) => ({
  env: c.env,
  ctx: c.executionCtx,
  config: c.var.config,
  origin: new URL(c.req.url).origin,
  transform,
  accept: c.req.header('Accept'),
  ifNoneMatch: c.req.header('If-None-Match'),
  clientIp: c.req.header('CF-Connecting-IP'),
});

/** Routes under /cdn-cgi/image. */
export const cdnCgiRoutes = new Hono<AppEnv>().get('/*', (c) => {
  // ['', 'cdn-cgi', 'image', options, ...rest] of the raw (percent-encoded) path.
  const [, , , options, ...rest] = new URL(c.req.url).pathname.split('/');
  if (options === undefined || rest.length === 0)
    throw notFound('Use /cdn-cgi/image/<options>/<id or source path>.');
  const req = fromRequest(c, decodeOptions(options));
  if (rest.length === 1) return serveVariant({ ...req, id: rest[0]! });
  const [first] = rest;
  if (first === 'http:' || first === 'https:') {
    const url = rest.join('/').replace(/^(https?):\/(?!\/)/, '$1://');
    const hit = sourceForUrl(loadSources(c.env.SOURCES), url);
    if (!hit)
      throw notFound('No configured source serves this URL; arbitrary URLs are not fetched.');
    const key = keyFromSegments(hit.key.split('/'));
    return serveSourceVariant({ ...req, source: hit.source, key });
  }
  const source = sourceNamed(c.env, decodeOptions(first!));
  return serveSourceVariant({ ...req, source, key: keyFromSegments(rest.slice(1)) });
});

/** Routes under /img/src: `/<source>/<path>/<options>`. */
export const sourceRoutes = new Hono<AppEnv>().get('/*', (c) => {
  // ['', 'img', 'src', source, ...path, options]
  const [, , , name, ...more] = new URL(c.req.url).pathname.split('/');
  const options = more.pop();
  if (!name || options === undefined || more.length === 0)
    throw notFound('Use /img/src/<source>/<path>/<options>.');
  const source = sourceNamed(c.env, decodeOptions(name));
  return serveSourceVariant({
    ...fromRequest(c, decodeOptions(options)),
    source,
    key: keyFromSegments(more),
  });
});
