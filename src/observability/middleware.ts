/**
 * Per-request observability in the hono app: after the rest of the chain has answered, the
 * request is reported (./report.ts: one metrics data point, and a log line for every miss,
 * error and API request, successful cache hits sampled) with its matched route and the stage
 * timings a transform left in `c.var.stageTimings`, so routes need no logging code of their own.
 */
import type { MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import type { AppEnv } from '../env';
import { reportRequest } from './report';

/** Middleware: logs and measures the request after the rest of the chain has answered. */
export const observe: MiddlewareHandler<AppEnv> = async (c, next) => {
  const startedAt = performance.now();
  await next();
  reportRequest({
    env: c.env,
    // No config when the request failed before the config middleware: log it (an error).
    hitSampleEvery: c.var.config?.logHitSampleEvery ?? 1,
    requestId: c.var.requestId,
    method: c.req.method,
    path: c.req.path,
    route:
      matchedRoutes(c)
        .filter((r) => r.method !== 'ALL')
        .at(-1)?.path ?? 'unmatched',
    res: c.res,
    timings: c.var.stageTimings,
    startedAt,
  });
};
