/**
 * `/img/:id/...`: public delivery. `original` serves the stored bytes; anything else is a
 * preset name or transform options (transform/serve.ts).
 */
import { Hono } from 'hono';
import type { AppEnv } from '../env';
import { notFound } from '../errors';
import { ID_PATTERN } from '../ids';
import { getImageById } from '../storage/images-db';
import { getOriginal } from '../storage/originals';
import { etagMatches, IMMUTABLE, serveVariant } from '../transform/serve';

/** Routes under /img. */
export const deliveryRoutes = new Hono<AppEnv>()
  .get('/:id/original', async (c) => {
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
  })
  .get('/:id/:transform', (c) =>
    serveVariant({
      env: c.env,
      ctx: c.executionCtx,
      config: c.var.config,
      origin: new URL(c.req.url).origin,
      id: c.req.param('id'),
      transform: c.req.param('transform'),
      accept: c.req.header('Accept'),
      ifNoneMatch: c.req.header('If-None-Match'),
    }),
  );
