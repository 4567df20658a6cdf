/**
 * The load test's floor (scripts/loadtest.mjs): a hello-world Worker whose every request is one
 * `caches.default.match`, answering a body of the size the path asks for. Served by the same
 * wrangler and workerd as the service, behind the same assets router (local-service.mjs,
 * floorConfig), it is the fastest a cache hit can be on this runtime:
 * our hit path is measured against it in the same run.
 *
 * `GET /floor/{bytes}` → the cached body of `bytes` bytes (a miss stores it first; the load
 * test warms every size before measuring).
 */
export default {
  /** @param {Request} request */
  async fetch(request) {
    const url = new URL(request.url);
    const m = /^\/floor\/(\d{1,7})$/.exec(url.pathname);
    if (!m) return new Response('not found', { status: 404 });
    const key = new Request(`${url.origin}${url.pathname}`);
    const cache = /** @type {CacheStorage & { default: Cache }} */ (caches).default;
    const hit = await cache.match(key);
    if (hit) return hit;
    const res = new Response(new Uint8Array(Number(m[1])), {
      headers: { 'Content-Type': 'image/webp', 'Cache-Control': 'public, max-age=31536000' },
    });
    await cache.put(key, res.clone());
    return res;
  },
};
