/**
 * What one answered request reports: one metrics data point always, and one structured log
 * line for every miss, error and API request (successful cache hits are sampled:
 * ./sampling.ts), read from what the response says (status, cache status, type, length) and
 * the stage timings of a transform. Called by the app's middleware (./middleware.ts) and by
 * the cache-hit fast path in front of the app (src/delivery/hit.ts).
 */
import type { StageTimings } from './log';
import { logLine } from './log';
import { analyticsMetrics } from './metrics';
import { requestLineWeight } from './sampling';

const ID_IN_PATH = /^\/(?:img|v1\/images)\/([A-Za-z0-9_-]{16})(?:\/|$)/;
const NO_TIMINGS: StageTimings = { decode: 0, resize: 0, encode: 0 };

/** One answered request, as {@link reportRequest} reads it. */
export interface AnsweredRequest {
  env: Pick<Env, 'METRICS'>;
  /** Log one successful hit in this many (the config's `logHitSampleEvery`; 1 logs all). */
  hitSampleEvery: number;
  requestId: string;
  method: string;
  /** The request's path, as sent. */
  path: string;
  /** The matched route pattern (`/img/:id/:transform`), or `unmatched`. */
  route: string;
  res: Response;
  /** Stage timings of a transform made for this request, if any. */
  timings?: StageTimings;
  /** `performance.now()` when the request started, ms. */
  startedAt: number;
}

/** Writes the request's metrics data point and, unless sampled away, its log line. */
export function reportRequest(a: AnsweredRequest): void {
  const { res } = a;
  const t = a.timings ?? NO_TIMINGS;
  const cache = res.headers.get('X-Cache') ?? '-';
  const fields = {
    route: a.route,
    status: res.status,
    cache,
    format: (res.headers.get('Content-Type') ?? '-').replace(/^image\//, '').split(';')[0]!,
    bytes: Number(res.headers.get('Content-Length') ?? 0),
    decodeMs: t.decode,
    resizeMs: t.resize,
    encodeMs: t.encode,
    totalMs: Math.round((performance.now() - a.startedAt) * 10) / 10,
  };
  analyticsMetrics(a.env.METRICS).request(fields);
  const weight = requestLineWeight(res.status, cache, a.hitSampleEvery);
  if (weight === null) return;
  logLine('request', {
    requestId: a.requestId,
    method: a.method,
    path: a.path,
    imageId: ID_IN_PATH.exec(a.path)?.[1],
    ...fields,
    ...(weight > 1 ? { sampled: weight } : {}),
  });
}
