/**
 * Health checks. `/healthz` is liveness (no storage calls): version and codec versions.
 * `/readyz` is readiness: a tiny D1 query and an R2 head; 503 naming what failed. Served on a
 * `*.workers.dev` hostname it also warns that the Cache API does nothing there.
 */
import { Hono } from 'hono';
import { CODEC_VERSIONS } from '../codecs/versions';
import type { AppEnv } from '../env';
import { HttpError } from '../errors';

/** Service version reported by /healthz. */
export const VERSION = '0.1.0';

/** Readiness probes by dependency name; each resolves when the dependency answers. */
const probes: Record<string, (env: Env) => Promise<unknown>> = {
  d1: (env) => env.DB.prepare('SELECT 1 AS ok').first(),
  r2: (env) => env.BUCKET.head('readyz/probe'),
};

/**
 * Warning for a Worker reached on *.workers.dev, where the Cache API is a no-op
 * (developers.cloudflare.com/workers/runtime-apis/cache: it needs a custom domain or route).
 */
export const WORKERS_DEV_WARNING =
  'Served on workers.dev: the Cache API does nothing here, so every variant request reads D1 and R2 and counts against the delivery rate limit. Attach a custom domain (README, Deploy).';

/** Routes for health checks. */
export const healthRoutes = new Hono<AppEnv>()
  .get('/healthz', (c) => c.json({ status: 'ok', version: VERSION, codecs: CODEC_VERSIONS }))
  .get('/readyz', async (c) => {
    const names = Object.keys(probes);
    const results = await Promise.allSettled(names.map(async (n) => probes[n]!(c.env)));
    const failing = names.filter((_, i) => results[i]!.status === 'rejected');
    if (failing.length)
      throw new HttpError(
        503,
        'not-ready',
        'Not ready',
        `Dependencies failing: ${failing.join(', ')}.`,
        {
          failing,
        },
        { 'Retry-After': '5' },
      );
    const onWorkersDev = new URL(c.req.url).hostname.endsWith('.workers.dev');
    return c.json({
      status: 'ready',
      checks: Object.fromEntries(names.map((n) => [n, 'ok'])),
      ...(onWorkersDev ? { warnings: [WORKERS_DEV_WARNING] } : {}),
    });
  });
