/**
 * `/v1/images`: upload, info, list, delete. Thin: parsing and responses only; the work
 * happens in images/ingest.ts and storage/.
 */
import { Hono, type MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { AppEnv } from '../env';
import { badRequest, notFound, tooLarge } from '../errors';
import { ID_PATTERN } from '../ids';
import { ingestOriginal } from '../images/ingest';
import { imageView } from '../images/view';
import { purgeVariantsLater } from '../queue/producer';
import { requireScope } from '../security/auth';
import { deleteImage, getImage, listImages, type ListPosition } from '../storage/images-db';
import { deleteOriginal } from '../storage/originals';

/** Streams the body with the configured byte limit: 413 from Content-Length or mid-stream. */
export const uploadLimit: MiddlewareHandler<AppEnv> = (c, next) => {
  const limit = c.var.config.maxUploadBytes;
  return bodyLimit({
    maxSize: limit,
    onError: () => {
      throw tooLarge(limit);
    },
  })(c, next);
};

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

/**
 * Reads an upload body: `multipart/form-data` with a `file` field (and optional `metadata`
 * field), or the raw image bytes (metadata in the `metadata` query parameter).
 * @throws HttpError 400 for a form without a file.
 */
export async function readUpload(
  req: Request,
): Promise<{ bytes: Uint8Array; metadata: string | null }> {
  const type = req.headers.get('Content-Type') ?? '';
  if (/^multipart\/form-data/i.test(type)) {
    let form: FormData;
    try {
      form = await req.formData();
    } catch {
      throw badRequest('The multipart body could not be parsed.');
    }
    const file: unknown = form.get('file');
    if (!(file instanceof File))
      throw badRequest('The form needs a file field holding the image.', { option: 'file' });
    const metadata = form.get('metadata');
    return {
      bytes: new Uint8Array(await file.arrayBuffer()),
      metadata: typeof metadata === 'string' ? metadata : null,
    };
  }
  return {
    bytes: new Uint8Array(await req.arrayBuffer()),
    metadata: new URL(req.url).searchParams.get('metadata'),
  };
}

const encodeCursor = (p: ListPosition) =>
  btoa(JSON.stringify([p.createdAt, p.id])).replaceAll('=', '');

/** @throws HttpError 400 naming `cursor` when it is not one we issued. */
function decodeCursor(cursor: string): ListPosition {
  try {
    const [createdAt, id] = JSON.parse(atob(cursor)) as unknown[];
    if (typeof createdAt === 'number' && typeof id === 'string' && ID_PATTERN.test(id))
      return { createdAt, id };
  } catch {
    // fall through
  }
  throw badRequest('cursor is not valid; pass the next_cursor of a previous page.', {
    option: 'cursor',
  });
}

/** @throws HttpError 400 naming `limit` unless it is an integer 1..100. */
function parseLimit(raw: string | undefined): number {
  if (raw === undefined) return 50;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < 1 || n > 100)
    throw badRequest('limit must be an integer from 1 to 100.', { option: 'limit' });
  return n;
}

/** Routes under /v1/images. */
export const imagesRoutes = new Hono<AppEnv>()
  .post('/', requireScope('upload'), uploadLimit, async (c) => {
    const { bytes, metadata } = await readUpload(c.req.raw);
    const meta = parseMetadata(metadata, c.var.config.maxMetadataBytes);
    const { record, deduplicated } = await ingestOriginal(
      c.env,
      c.var.config,
      c.var.principal.owner,
      bytes,
      meta,
    );
    const view = { ...imageView(record, new URL(c.req.url).origin), deduplicated };
    if (deduplicated) return c.json(view, 200);
    return c.json(view, 201, { Location: view.urls.info });
  })
  .get('/', requireScope('read'), async (c) => {
    const limit = parseLimit(c.req.query('limit'));
    const cursor = c.req.query('cursor');
    const after = cursor ? decodeCursor(cursor) : undefined;
    const { records, more } = await listImages(c.env.DB, c.var.principal.owner, limit, after);
    const origin = new URL(c.req.url).origin;
    const last = records.at(-1);
    return c.json({
      images: records.map((r) => imageView(r, origin)),
      next_cursor: more && last ? encodeCursor({ createdAt: last.createdAt, id: last.id }) : null,
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
    // The original goes now; its variants (and their rows) through the queue.
    if (gone.remaining === 0)
      await Promise.all([
        deleteOriginal(c.env.BUCKET, gone.sha256),
        purgeVariantsLater(c.env, gone.sha256),
      ]);
    return c.body(null, 204);
  });
