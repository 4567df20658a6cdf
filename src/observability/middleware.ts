/**
 * Per-request observability: one structured log line and one metrics data point for every
 * response, read from what the response says (status, cache status, type, length,
 * and the stage timings a transform left in `c.var.stageTimings`), so routes need no logging
 * code of their own.
 */
import type { MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import type { AppEnv } from '../env';
import { logLine } from './log';
import { analyticsMetrics } from './metrics';

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
  const fields = {
    route,
    status: res.status,
    cache: res.headers.get('X-Cache') ?? '-',
    format: (res.headers.get('Content-Type') ?? '-').replace(/^image\//, '').split(';')[0]!,
    bytes: Number(res.headers.get('Content-Length') ?? 0),
    decodeMs: t.decode,
    resizeMs: t.resize,
    encodeMs: t.encode,
    totalMs: Math.round((performance.now() - t0) * 10) / 10,
  };
  logLine('request', {
    requestId: c.var.requestId,
    method: c.req.method,
    path: c.req.path,
    imageId: ID_IN_PATH.exec(c.req.path)?.[1],
    ...fields,
  });
  analyticsMetrics(c.env.METRICS).request(fields);
};
