/**
 * The web console (console/, built into console/dist and bound as Workers Static Assets,
 * `ASSETS`): `/`, `/console` and `/console/*` answer the console's index.html with a strict
 * Content-Security-Policy; `/console/assets/*` (hashed scripts and styles) pass through.
 * wrangler.toml's `run_worker_first` sends every path but `/console/assets/*` to the Worker.
 */
import { Hono, type Context } from 'hono';
import type { AppEnv } from '../env';
import { notFound } from '../errors';

/**
 * The console's Content-Security-Policy: its own scripts and styles only (no inline code, no
 * other origin), images from this origin plus `data:` (ThumbHash placeholders) and `blob:`
 * (fetched variants), requests to this origin only, and no framing.
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Headers of every console page. */
const PAGE_HEADERS = {
  'Content-Security-Policy': CONSOLE_CSP,
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-cache',
  'Cross-Origin-Opener-Policy': 'same-origin',
} as const;

/** The console's index.html from the assets, with {@link PAGE_HEADERS}; 404 when not built. */
async function page(c: Context<AppEnv>): Promise<Response> {
  const res = await c.env.ASSETS.fetch(new URL('/', c.req.url));
  if (!res.ok) throw notFound('The console is not built: run `npm run build:console`.');
  const headers = new Headers(res.headers);
  for (const [name, value] of Object.entries(PAGE_HEADERS)) headers.set(name, value);
  return new Response(res.body, { status: 200, headers });
}

/** Routes for the console pages (mounted at `/`). */
export const consoleRoutes = new Hono<AppEnv>()
  .get('/', page)
  .get('/console', page)
  .get('/console/assets/*', (c) => c.env.ASSETS.fetch(c.req.raw))
  .get('/console/*', page);
