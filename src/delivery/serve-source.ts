/**
 * Serving a variant of a source's object (docs/sources.md): resolve the object to the image
 * its current bytes are (sources/resolve.ts: fetch, revalidate, ingest like an upload), then
 * the one delivery flow of uploads (./serve.ts: negotiation, edge cache, variant store,
 * planner, stand-ins). Options are parsed first, so a bad option costs no origin fetch.
 */
import type { Config } from '../config';
import { notFound } from '../errors';
import { limitDeliveryMiss } from '../security/rate-limit';
import { loadSources, type Source } from '../sources/config';
import { resolveObject } from '../images/from-source';
import { IMMUTABLE } from '../http/etag';
import { serveVariant, type VariantRequest } from './serve';
import { isPresetName, parseTransform } from '../transform/spec';

/**
 * The configured source named `name`.
 * @throws HttpError 404 when no source has that name.
 */
export function sourceNamed(env: Pick<Env, 'SOURCES'>, name: string): Source {
  const source = loadSources(env.SOURCES).get(name);
  if (!source) throw notFound(`No source ${name} is configured.`);
  return source;
}

/**
 * Serves `transform` of `key` in `source`. The response is the upload flow's, except that its
 * `Cache-Control` allows caching for the source's TTL only (the URL names a path whose bytes
 * may change, not immutable bytes).
 * @throws HttpError 400 (options or path), 403 (outside the prefix), 404, 415, 422, 502, 504
 *   (sources/resolve.ts), and whatever serveVariant throws.
 */
export async function serveSourceVariant(
  req: Omit<VariantRequest, 'id'> & { source: Source; key: string; config: Config },
): Promise<Response> {
  if (!isPresetName(req.transform)) parseTransform(req.transform);
  // A fetch from the origin counts like an uncached delivery (and a miss below once more).
  const { imageId } = await resolveObject(req.env, req.config, req.source, req.key, {
    beforeFetch: () => limitDeliveryMiss(req.env, req.clientIp),
  });
  const res = await serveVariant({ ...req, id: imageId });
  if (res.headers.get('Cache-Control') === IMMUTABLE) {
    const headers = new Headers(res.headers);
    headers.set('Cache-Control', `public, max-age=${req.source.ttlSeconds}`);
    return new Response(res.body, { status: res.status, headers });
  }
  return res;
}
