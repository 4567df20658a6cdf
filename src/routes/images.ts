/**
 * `/v1/images`: upload, info, list, delete. Thin: parsing and responses only; the work
 * happens in images/ingest.ts and storage/.
 */
import { Hono } from 'hono';
import type { AppEnv } from '../env';
import { badRequest, notFound } from '../errors';
import { limitBody } from '../http/body';
import { readUploadBody } from '../http/upload-body';
import { nextCursor, pageRequest } from '../http/pagination';
import { ID_PATTERN } from '../ids';
import { ingestOriginal } from '../images/ingest';
import { retireOriginal } from '../images/retire';
import { imageView, uploadView } from '../images/view';
import { purgeVariantsLater } from '../work/producer';
import { requireScope } from '../security/auth';
import { deleteImage, getImage, listImages } from '../storage/images-db';

/** Streams the body with the configured byte limit: 413 from Content-Length or mid-stream. */
export const uploadLimit = limitBody<AppEnv>((c) => c.var.config.maxUploadBytes);

/**
 * Parses user metadata: a JSON object of at most `maxBytes` UTF-8 bytes, or null when absent.
 * @throws HttpError 400 naming `metadata`.
 */
export function parseMetadata(
  raw: string | null | undefined,
  maxBytes: number,
): Record<string, unknown> | null {
  if (raw === null || raw === undefined || raw === '') return null;
  const size = new TextEncoder().encode(raw).byteLength;
  if (size > maxBytes)
    throw badRequest(`metadata is ${size} bytes; at most ${maxBytes} are accepted.`, {
      option: 'metadata',
      limit: maxBytes,
    });
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw badRequest('metadata must be a JSON object.', { option: 'metadata' });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw badRequest('metadata must be a JSON object.', { option: 'metadata' });
  return value as Record<string, unknown>;
}

/** Routes under /v1/images. */
export const imagesRoutes = new Hono<AppEnv>()
  .post('/', requireScope('upload'), uploadLimit, async (c) => {
    const { file, metadata } = await readUploadBody(c.req.raw);
    const meta = parseMetadata(metadata, c.var.config.maxMetadataBytes);
    const result = await ingestOriginal(c.env, c.var.config, c.var.principal.owner, file, meta);
    const view = uploadView(result, new URL(c.req.url).origin);
    if (view.deduplicated) return c.json(view, 200);
    return c.json(view, 201, { Location: view.urls.info });
  })
  .get('/', requireScope('read'), async (c) => {
    const { limit, after } = pageRequest((n) => c.req.query(n), 100, 50);
    const { records, more } = await listImages(c.env.DB, c.var.principal.owner, limit, after);
    const origin = new URL(c.req.url).origin;
    return c.json({
      images: records.map((r) => imageView(r, origin)),
      next_cursor: nextCursor(records, more),
    });
  })
  .get('/:id', requireScope('read'), async (c) => {
    const id = c.req.param('id');
    const rec = ID_PATTERN.test(id) ? await getImage(c.env.DB, c.var.principal.owner, id) : null;
    if (!rec) throw notFound(`No image ${id}.`);
    return c.json(imageView(rec, new URL(c.req.url).origin));
  })
  .delete('/:id', requireScope('upload'), async (c) => {
    const id = c.req.param('id');
    const gone = ID_PATTERN.test(id)
      ? await deleteImage(c.env.DB, c.var.principal.owner, id)
      : null;
    if (!gone) throw notFound(`No image ${id}.`);
    // The original goes now unless another row refers to its bytes (or comes to: see
    // images/retire.ts); its variants (and their rows) through the queue.
    if (gone.remaining === 0) {
      await retireOriginal(c.env, gone.sha256, { variants: false });
      await purgeVariantsLater(c.env, gone.sha256);
    }
    return c.body(null, 204);
  });
