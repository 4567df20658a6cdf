/**
 * The edge cache (Cache API, `caches.default`) in front of every variant. Keys are synthetic
 * GET requests on the canonical variant URL; the Accept class is part of the key where the
 * format depends on it. Only 200 responses are stored, never errors.
 */
import type { AcceptClass } from '../codecs/types';

/**
 * The cache key for a variant URL. `segment` is the canonical transform or a preset name;
 * `accept` is given when the format is negotiated.
 */
export function variantCacheKey(
  origin: string,
  id: string,
  segment: string,
  accept?: AcceptClass,
): Request {
  const url = new URL(`/img/${id}/${encodeURIComponent(segment)}`, origin);
  if (accept) url.searchParams.set('accept', accept);
  return new Request(url.toString(), { method: 'GET' });
}

/** A cached response, or undefined. */
export const cacheMatch = (key: Request) => caches.default.match(key);

/**
 * Stores a 200 response (a copy without `Vary`, since the key already encodes what varies).
 * Run it through `ctx.waitUntil`.
 */
export async function cachePut(key: Request, res: Response): Promise<void> {
  if (res.status !== 200) return;
  const headers = new Headers(res.headers);
  headers.delete('Vary');
  headers.delete('Server-Timing');
  headers.delete('X-Request-Id');
  headers.delete('X-Variant-Source'); // a hit says X-Cache: HIT; where the bytes first came from is moot
  await caches.default.put(key, new Response(res.body, { status: 200, headers }));
}
