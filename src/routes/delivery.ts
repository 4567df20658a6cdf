/**
 * `/img/:id/...`: public delivery. `original` serves the stored bytes; anything else is a
 * preset name or transform options (delivery/serve.ts).
 */
import { Hono } from 'hono';
import type { AppEnv } from '../env';
import { HttpError, notFound } from '../errors';
import { ID_PATTERN } from '../ids';
import { placeholderPng } from '../images/card';
import { limitDeliveryMiss } from '../security/rate-limit';
import { getImageById } from '../storage/images-db';
import { getOriginal } from '../storage/originals';
import { serveVariant } from '../delivery/serve';
import { IMMUTABLE, notModified } from '../http/etag';

/** Routes under /img. */
export const deliveryRoutes = new Hono<AppEnv>()
  .get('/:id/original', async (c) => {
    const id = c.req.param('id');
    if (ID_PATTERN.test(id)) await limitDeliveryMiss(c.env, c.req.header('CF-Connecting-IP'));
    const rec = ID_PATTERN.test(id) ? await getImageById(c.env.DB, id) : null;
    if (!rec) throw notFound(`No image ${id}.`);
    const etag = `"${rec.sha256}"`;
    const headers = {
      ETag: etag,
      'Cache-Control': IMMUTABLE,
      'Content-Type': `image/${rec.format}`,
      'Content-Disposition': `inline; filename="${rec.id}.${rec.format === 'jpeg' ? 'jpg' : rec.format}"`,
    };
    const unchanged = notModified(c.req.header('If-None-Match'), etag, headers);
    if (unchanged) return unchanged;
    const obj = await getOriginal(c.env.BUCKET, rec.sha256);
    if (!obj) throw notFound(`No image ${id}.`);
    return c.body(obj.body, 200, { ...headers, 'Content-Length': String(obj.size) });
  })
  .get('/:id/placeholder', async (c) => {
    // The image card's ThumbHash as a tiny PNG (at most 32 px on the long side).
    const id = c.req.param('id');
    if (ID_PATTERN.test(id)) await limitDeliveryMiss(c.env, c.req.header('CF-Connecting-IP'));
    const rec = ID_PATTERN.test(id) ? await getImageById(c.env.DB, id) : null;
    if (!rec) throw notFound(`No image ${id}.`);
    if (!rec.thumbhash)
      throw new HttpError(
        404,
        'not-found',
        'Not found',
        'The placeholder is not computed yet; it follows the upload within seconds.',
        {},
        { 'Retry-After': '5' },
      );
    const etag = `"${rec.sha256.slice(0, 16)}-placeholder"`;
    const headers = { ETag: etag, 'Cache-Control': IMMUTABLE, 'Content-Type': 'image/png' };
    const unchanged = notModified(c.req.header('If-None-Match'), etag, headers);
    if (unchanged) return unchanged;
    const png = await placeholderPng(rec.thumbhash);
    return new Response(png, {
      headers: { ...headers, 'Content-Length': String(png.byteLength) },
    });
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
      clientIp: c.req.header('CF-Connecting-IP'),
      onTimings: (t) => c.set('stageTimings', t),
      headers: c.req.raw.headers,
    }),
  );
