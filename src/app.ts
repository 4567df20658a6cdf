/**
 * The hono app: middleware order, route mounts, and errors → RFC 9457 problems.
 */
import { Hono } from 'hono';
import { methodNotAllowed } from 'hono/method-not-allowed';
import { requestId } from 'hono/request-id';
import { loadConfig } from './config';
import type { AppEnv } from './env';
import { DecodeError } from './codecs/types';
import { HttpError, notFound, problemResponse, unprocessable } from './errors';
import { observe } from './observability/middleware';
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

/** Builds the application. Exported for tests that need a fresh instance. */
export function createApp() {
  const app = new Hono<AppEnv>();
  app.use(requestId());
  app.use(observe);
  app.use(async (c, next) => {
    c.set('config', loadConfig(c.env));
    await next();
    c.header('X-Content-Type-Options', 'nosniff');
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
  app.route('/img', deliveryRoutes);

  app.notFound((c) => problemResponse(notFound(`Nothing at ${c.req.path}.`)));
  app.onError((err, c) => {
    if (err instanceof HttpError) return problemResponse(err);
    // Safety net for hostile input: an original that does not decode is the input's fault.
    if (err instanceof DecodeError)
      return problemResponse(unprocessable(`The original could not be decoded: ${err.message}`));
    console.error(
      JSON.stringify({
        level: 'error',
        requestId: c.var.requestId,
        message: String(err),
        stack: (err as Error).stack,
      }),
    );
    return problemResponse(
      new HttpError(500, 'internal', 'Internal error', 'The request failed; it is safe to retry.'),
    );
  });
  return app;
}

/** The app instance used by the Worker entry. */
export const app = createApp();
