/**
 * Reading an upload's file without holding large bodies in memory. A raw body (the image
 * bytes themselves) with a `Content-Length` over {@link UPLOAD_IN_MEMORY_BYTES} is read only
 * up to its first {@link UPLOAD_HEAD_BYTES} (enough for the header probe); the rest stays a
 * stream for images/ingest.ts to copy into R2 while hashing. Smaller bodies, bodies without a
 * length, and `multipart/form-data` forms (whose parser buffers) are read into memory, up to
 * {@link UPLOAD_IN_MEMORY_BYTES}; over it they are a 413 that says to send the raw file.
 * The route's `limitBody` has already bounded the whole body (`MAX_UPLOAD_BYTES`).
 */
import { UPLOAD_HEAD_BYTES, UPLOAD_IN_MEMORY_BYTES } from '../config';
import { badRequest, HttpError } from '../errors';
import { readAtLeast, readAtMost } from './stream';

/**
 * An upload's file: its bytes, or (large raw bodies) its first bytes, the reader of the rest
 * and its total length in bytes.
 */
export type UploadFile =
  | { kind: 'bytes'; bytes: Uint8Array }
  | {
      kind: 'stream';
      head: Uint8Array;
      rest: ReadableStreamDefaultReader<Uint8Array>;
      length: number;
    };

/** Size of an upload's file, bytes. */
export const fileBytes = (file: UploadFile) =>
  file.kind === 'bytes' ? file.bytes.byteLength : file.length;

/** First bytes of an upload's file (all of it when in memory). */
export const fileHead = (file: UploadFile) => (file.kind === 'bytes' ? file.bytes : file.head);

/** 413 for a body that has to be read into memory and is larger than that allows. */
const tooLargeInMemory = (how: string) =>
  new HttpError(
    413,
    'payload-too-large',
    'Payload too large',
    `${how} is limited to ${UPLOAD_IN_MEMORY_BYTES} bytes; send larger files as the raw body (Content-Type: the image's type) with a Content-Length.`,
    { limit: UPLOAD_IN_MEMORY_BYTES },
  );

/**
 * Reads an upload body: `multipart/form-data` with a `file` field (and optional `metadata`
 * field), or the raw image bytes (metadata in the `metadata` query parameter).
 * @throws HttpError 400 for a form without a file or that cannot be parsed; 413 for a form or
 *   a body without `Content-Length` over {@link UPLOAD_IN_MEMORY_BYTES}.
 */
export async function readUploadBody(
  req: Request,
): Promise<{ file: UploadFile; metadata: string | null }> {
  const type = req.headers.get('Content-Type') ?? '';
  const declared = Number(req.headers.get('Content-Length') ?? NaN);
  const length = Number.isSafeInteger(declared) && declared >= 0 ? declared : null;
  if (/^multipart\/form-data/i.test(type)) {
    if (length !== null && length > UPLOAD_IN_MEMORY_BYTES)
      throw tooLargeInMemory('A multipart upload');
    let form: FormData;
    try {
      form =
        length === null
          ? await new Response(await readCapped(req, 'A multipart upload'), {
              headers: { 'Content-Type': type },
            }).formData()
          : await req.formData();
    } catch (err) {
      if (err instanceof HttpError) throw err;
      throw badRequest('The multipart body could not be parsed.');
    }
    const file: unknown = form.get('file');
    if (!(file instanceof File))
      throw badRequest('The form needs a file field holding the image.', { option: 'file' });
    const metadata = form.get('metadata');
    return {
      file: { kind: 'bytes', bytes: new Uint8Array(await file.arrayBuffer()) },
      metadata: typeof metadata === 'string' ? metadata : null,
    };
  }
  const metadata = new URL(req.url).searchParams.get('metadata');
  if (!req.body) return { file: { kind: 'bytes', bytes: new Uint8Array(0) }, metadata };
  const reader = req.body.getReader();
  if (length !== null && length > UPLOAD_IN_MEMORY_BYTES) {
    const { bytes } = await readAtLeast(reader, UPLOAD_HEAD_BYTES);
    return { file: { kind: 'stream', head: bytes, rest: reader, length }, metadata };
  }
  return {
    file: { kind: 'bytes', bytes: await readCapped(reader, 'An upload without a Content-Length') },
    metadata,
  };
}

/**
 * Reads a whole body of at most {@link UPLOAD_IN_MEMORY_BYTES} (one with no Content-Length).
 * @throws HttpError 413 (naming `how`) when it is longer.
 */
async function readCapped(
  from: Request | ReadableStreamDefaultReader<Uint8Array>,
  how: string,
): Promise<Uint8Array> {
  if (from instanceof Request) {
    if (!from.body) return new Uint8Array(0);
    from = from.body.getReader();
  }
  const bytes = await readAtMost(from, UPLOAD_IN_MEMORY_BYTES);
  if (!bytes) throw tooLargeInMemory(how);
  return bytes;
}
