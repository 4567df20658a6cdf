/**
 * The cache-hit fast path of `GET /img/{id}/{transform}` (issue 14, docs/performance.md "Cache
 * hits: the fast path"), run by the entry (src/index.ts) before the hono app. It does only what
 * a hit needs, with the app's own functions: the signed-URL rules (security/signed-delivery.ts),
 * the variant's name and cache key and the hit's answer (./serve.ts), the request id and common
 * headers (http/request-id.ts), and the request's metrics point and sampled log line
 * (observability/report.ts). A miss that admission control refuses now (a miss flood) gets
 * the app's `503` here, right after the lookup: a refusal must cost no more than a hit
 * (docs/performance.md, "The spike"). Anything else returns undefined and the app answers it
 * from the start, as if the fast path were not there: any other miss, an error of any kind (so
 * the app logs it), a refused signature, another method or route, a request with a D1 bookmark (the app
 * validates it), or a percent-encoded segment (the app's router decodes those).
 */
import { loadConfig } from '../config';
import { BOOKMARK_HEADER, requestSessionStart } from '../http/consistency';
import { NOSNIFF, REQUEST_ID_HEADER, requestIdOf } from '../http/request-id';
import { problemResponse } from '../errors';
import { ID_PATTERN } from '../ids';
import { reportRequest } from '../observability/report';
import { deliveryAllowed } from '../security/signed-delivery';
import { cacheMatch } from '../storage/edge-cache';
import { withD1Session } from '../storage/d1-session';
import { missRefusal } from '../transform/admission';
import { answerHit, nameVariant } from './serve';

/** The app's route the fast path stands in for (the route in logs and metrics). */
const ROUTE = '/img/:id/:transform';

/** Segments the app routes elsewhere (routes/delivery.ts). */
const OTHER_ROUTES: ReadonlySet<string> = new Set(['original', 'placeholder']);

/**
 * Answers `request` when it is a `GET /img/{id}/{transform}` that may be served and is in the
 * edge cache: the same status, bytes and headers as the app's answer (200, or 304 on a
 * matching `If-None-Match`), reported as the app reports a hit; or, when it is not in the
 * cache and admission control refuses misses now (src/transform/admission.ts), the app's `503`
 * `busy` problem with `Retry-After`, reported (and logged) as the app reports it. Never throws.
 * @returns the answer, or undefined for the app to answer.
 */
export async function serveHit(request: Request, env: Env): Promise<Response | undefined> {
  if (request.method !== 'GET' || request.headers.has(BOOKMARK_HEADER)) return undefined;
  const startedAt = performance.now();
  const url = new URL(request.url);
  const parts = url.pathname.split('/'); // ['', 'img', id, transform]
  if (parts.length !== 4 || parts[1] !== 'img') return undefined;
  const id = parts[2]!;
  const transform = parts[3]!;
  if (!ID_PATTERN.test(id) || OTHER_ROUTES.has(transform) || transform.includes('%'))
    return undefined;
  try {
    const headers = request.headers;
    const clientIp = headers.get('CF-Connecting-IP') ?? undefined;
    const dbEnv = withD1Session(env, requestSessionStart(request));
    if (!(await deliveryAllowed(dbEnv, url, clientIp))) return undefined;
    const accept = headers.get('Accept') ?? undefined;
    const named = nameVariant({ origin: url.origin, id, transform, accept, headers });
    const config = loadConfig(env);
    const hit = await cacheMatch(named.key);
    let res: Response;
    if (hit) res = answerHit(hit, named, headers.get('If-None-Match') ?? undefined);
    else {
      // A miss while admission control's line is full: the app would refuse it right after its
      // own lookup of the same key (delivery/serve.ts serveMiss); answered here instead, without
      // a second lookup and the app's chain. `onerror=redirect` turns the refusal into a
      // redirect: the app's.
      const refusal = named.onerror ? undefined : missRefusal(config);
      if (!refusal) return undefined;
      res = problemResponse(refusal);
    }
    const requestId = requestIdOf(request);
    res.headers.set(...NOSNIFF);
    res.headers.set(REQUEST_ID_HEADER, requestId);
    reportRequest({
      env,
      hitSampleEvery: config.logHitSampleEvery,
      requestId,
      method: 'GET',
      path: url.pathname,
      route: ROUTE,
      res,
      startedAt,
    });
    return res;
  } catch {
    return undefined;
  }
}
