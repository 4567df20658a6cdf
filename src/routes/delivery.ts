/**
 * `/img/:id/...`: public delivery. The original is served as stored.
 */
import { Hono } from 'hono';
import type { AppEnv } from '../env';
import { notFound } from '../errors';
import { ID_PATTERN } from '../ids';
import { getImageById } from '../storage/images-db';
import { getOriginal } from '../storage/originals';

/** Headers for immutable, content-addressed bytes. */
export const IMMUTABLE = 'public, max-age=31536000, immutable';

/** True when an `If-None-Match` header matches `etag` (weak comparison, RFC 9110 §13.1.2). */
export function etagMatches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === '*') return true;
  const bare = etag.replace(/^W\//, '');
  return header.split(',').some((t) => t.trim().replace(/^W\//, '') === bare);
}

/** Routes under /img. */
export const deliveryRoutes = new Hono<AppEnv>().get('/:id/original', async (c) => {
  const id = c.req.param('id');
  const rec = ID_PATTERN.test(id) ? await getImageById(c.env.DB, id) : null;
  if (!rec) throw notFound(`No image ${id}.`);
  const etag = `"${rec.sha256}"`;
  const headers = {
    ETag: etag,
    'Cache-Control': IMMUTABLE,
    'Content-Type': `image/${rec.format}`,
    'Content-Disposition': `inline; filename="${rec.id}.${rec.format === 'jpeg' ? 'jpg' : rec.format}"`,
  };
  if (etagMatches(c.req.header('If-None-Match'), etag)) return c.body(null, 304, headers);
  const obj = await getOriginal(c.env.BUCKET, rec.sha256);
  if (!obj) throw notFound(`No image ${id}.`);
  return c.body(obj.body, 200, { ...headers, 'Content-Length': String(obj.size) });
});
