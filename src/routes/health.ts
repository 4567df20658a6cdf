/**
 * `/healthz`: liveness (no storage calls).
 */
import { Hono } from 'hono';
import type { AppEnv } from '../env';

/** Service version reported by /healthz. */
export const VERSION = '0.1.0';

/** Routes for health checks. */
export const healthRoutes = new Hono<AppEnv>().get('/healthz', (c) =>
  c.json({ status: 'ok', version: VERSION }),
);
