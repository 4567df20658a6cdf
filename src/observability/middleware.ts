/**
 * Per-request observability: one metrics data point for every response and one structured
 * log line for every miss, error and API request (successful cache hits are sampled:
 * ./sampling.ts), read from what the response says (status, cache status, type, length) and
 * the stage timings a transform left in `c.var.stageTimings`, so routes need no logging code
 * of their own.
 */
import type { MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import type { AppEnv } from '../env';
import { logLine } from './log';
import { analyticsMetrics } from './metrics';
import { requestLineWeight } from './sampling';

const ID_IN_PATH = /^\/(?:img|v1\/images)\/([A-Za-z0-9_-]{16})(?:\/|$)/;

/** Middleware: logs and measures the request after the rest of the chain has answered. */
export const observe: MiddlewareHandler<AppEnv> = async (c, next) => {
  const t0 = performance.now();
  await next();
  const res = c.res;
  const route =
    matchedRoutes(c)
      .filter((r) => r.method !== 'ALL')
      .at(-1)?.path ?? 'unmatched';
  const t = c.var.stageTimings ?? { decode: 0, resize: 0, encode: 0 };
  const cache = res.headers.get('X-Cache') ?? '-';
  const fields = {
    route,
    status: res.status,
    cache,
    format: (res.headers.get('Content-Type') ?? '-').replace(/^image\//, '').split(';')[0]!,
    bytes: Number(res.headers.get('Content-Length') ?? 0),
    decodeMs: t.decode,
    resizeMs: t.resize,
    encodeMs: t.encode,
    totalMs: Math.round((performance.now() - t0) * 10) / 10,
  };
  analyticsMetrics(c.env.METRICS).request(fields);
  // No config when the request failed before the config middleware: log it (an error).
  const weight = requestLineWeight(res.status, cache, c.var.config?.logHitSampleEvery ?? 1);
  if (weight === null) return;
  logLine('request', {
    requestId: c.var.requestId,
    method: c.req.method,
    path: c.req.path,
    imageId: ID_IN_PATH.exec(c.req.path)?.[1],
    ...fields,
    ...(weight > 1 ? { sampled: weight } : {}),
  });
};
