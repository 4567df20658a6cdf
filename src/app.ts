/**
 * The hono app: middleware order, route mounts, and errors → RFC 9457 problems.
 */
import { Hono } from 'hono';
import { methodNotAllowed } from 'hono/method-not-allowed';
import { loadConfig } from './config';
import type { AppEnv } from './env';
import { httpErrorOf, HttpError, notFound, problemResponse, unavailable } from './errors';
import { BOOKMARK_HEADER, requestSessionStart } from './http/consistency';
import { NOSNIFF, REQUEST_ID_HEADER, requestId } from './http/request-id';
import { observe } from './observability/middleware';
import { logEvent } from './observability/log';
import { cdnCgiRoutes, sourceRoutes } from './routes/cdn-cgi';
import { deliveryRoutes } from './routes/delivery';
import { consoleRoutes } from './routes/console';
import { healthRoutes } from './routes/health';
import { imagesRoutes } from './routes/images';
import { jobsRoutes } from './routes/jobs';
import { keysRoutes } from './routes/keys';
import { presetsRoutes } from './routes/presets';
import { signaturesRoutes } from './routes/signatures';
import { uploadsRoutes } from './routes/uploads';
import { whoamiRoutes } from './routes/whoami';
import { requireDeliverySignature } from './security/signed-delivery';
import { D1Unavailable, isSession, sessionBookmark, withD1Session } from './storage/d1-session';

/** Builds the application. Exported for tests that need a fresh instance. */
export function createApp() {
  const app = new Hono<AppEnv>();
  app.use(requestId);
  app.use(observe);
  app.use(async (c, next) => {
    c.set('config', loadConfig(c.env));
    // Every D1 query of the request runs in one session (src/http/consistency.ts); the entry
    // point may already have opened one (a 404 confirmed at the primary).
    if (!isSession(c.env)) c.env = withD1Session(c.env, requestSessionStart(c.req.raw));
    await next();
    c.header(...NOSNIFF);
    // The requestId middleware sets its header only on answers hono builds (c.json, c.body); routes
    // that return their own Response (every /img answer) get it here.
    if (!c.res.headers.has(REQUEST_ID_HEADER)) c.header(REQUEST_ID_HEADER, c.var.requestId);
    // API answers carry the session's bookmark for read-your-writes; /img answers never do
    // (they are cached and shared).
    const bookmark = sessionBookmark(c.env);
    if (bookmark && c.req.path.startsWith('/v1/')) c.header(BOOKMARK_HEADER, bookmark);
  });
  app.use(
    methodNotAllowed({
      app,
      onMethodNotAllowed: (c, methods) => {
        const res = problemResponse(
          new HttpError(
            405,
            'method-not-allowed',
            'Method not allowed',
            `${c.req.method} is not allowed here.`,
          ),
        );
        res.headers.set('Allow', methods.join(', '));
        return res;
      },
    }),
  );

  app.route('/', healthRoutes);
  app.route('/', consoleRoutes);
  app.route('/v1/whoami', whoamiRoutes);
  app.route('/v1/signatures', signaturesRoutes);
  app.route('/v1/images', imagesRoutes);
  app.route('/v1/presets', presetsRoutes);
  app.route('/v1/jobs', jobsRoutes);
  app.route('/v1/keys', keysRoutes);
  app.route('/v1/uploads', uploadsRoutes);
  // Signed URLs are checked before any delivery work (edge cache, D1, R2).
  app.use('/img/*', requireDeliverySignature);
  app.use('/cdn-cgi/image/*', requireDeliverySignature);
  app.route('/img/src', sourceRoutes);
  app.route('/img', deliveryRoutes);
  app.route('/cdn-cgi/image', cdnCgiRoutes);

  app.notFound((c) => problemResponse(notFound(`Nothing at ${c.req.path}.`)));
  app.onError((err, c) => {
    // D1 down (or its primary, for a write): nothing was stored half-way; retry shortly.
    if (err instanceof D1Unavailable) {
      logError(c.var.requestId, err);
      return problemResponse(unavailable('The database is unavailable; retry shortly.'));
    }
    // Every domain error by its kind (an undecodable original is the input's fault: 422).
    const problem = httpErrorOf(err);
    if (problem) return problemResponse(problem);
    logError(c.var.requestId, err);
    return problemResponse(
      new HttpError(500, 'internal', 'Internal error', 'The request failed; it is safe to retry.'),
    );
  });
  return app;
}

/** One error log line (redacted) with the request id and the stack. */
function logError(requestId: string, err: unknown): void {
  logEvent('error', String(err), { requestId, stack: (err as Error).stack });
}

/** The app instance used by the Worker entry. */
export const app = createApp();
