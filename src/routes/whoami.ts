/**
 * `GET /v1/whoami` (any valid API key): the key's owner and scopes, and whether `/img` URLs
 * need a signature, so a client (the console) shows only what the key may do.
 */
import { Hono } from 'hono';
import type { AppEnv } from '../env';
import { requireScope } from '../security/auth';
import { signingKeySet } from '../security/signature';

/** Routes under /v1/whoami. */
export const whoamiRoutes = new Hono<AppEnv>().get('/', requireScope(), async (c) => {
  const { owner, scopes } = c.var.principal;
  const signing = (await signingKeySet(c.env.SIGNING_KEYS)).keys.size > 0;
  return c.json({ owner, scopes, signing }, 200, { 'Cache-Control': 'no-store' });
});
