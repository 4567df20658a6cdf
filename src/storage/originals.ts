/**
 * Originals in R2, content-addressed (`originals/{sha256}`), written once.
 */
import type { ImageFormat } from '../codecs/probe';
import { toHex } from '../hash';
import {
  originalKey,
  ORIGINALS_PREFIX,
  shaOfOriginalKey,
  stagingKey,
  sweepCursorKey,
} from './keys';

/**
 * Stores an original unless it is already there (R2 `onlyIf` etag-does-not-match `*`).
 * @returns true when this call created the object, false when it existed.
 * @throws whatever R2 throws (the caller must not write a D1 row then).
 */
export async function putOriginal(
  bucket: R2Bucket,
  sha256: string,
  bytes: Uint8Array,
  format: ImageFormat,
): Promise<boolean> {
  const created = await bucket.put(originalKey(sha256), bytes, {
    onlyIf: { etagDoesNotMatch: '*' },
    httpMetadata: { contentType: `image/${format}` },
    customMetadata: { format, bytes: String(bytes.byteLength) },
    sha256,
  });
  return created !== null;
}

/** Thrown by {@link stageStream} when the request body fails or ends early (the client's fault). */
export class BodyStreamError extends Error {
  constructor(cause: unknown) {
    super(`the body could not be read: ${String(cause)}`);
    this.name = 'BodyStreamError';
  }
}

/**
 * Streams `length` bytes (`head`, then the rest of `reader`) into R2 under a new staging key
 * while hashing them (`crypto.DigestStream`; R2 takes the stream through a
 * `FixedLengthStream`, which gives it the length a stream put needs), holding one chunk at a
 * time. On any failure the staging object is deleted.
 * @returns the staging key and the bytes' SHA-256 (lowercase hex).
 * @throws BodyStreamError when the body errors or its length differs; R2's errors as they are.
 */
export async function stageStream(
  bucket: R2Bucket,
  head: Uint8Array,
  reader: ReadableStreamDefaultReader<Uint8Array>,
  length: number,
): Promise<{ key: string; sha256: string }> {
  const key = stagingKey(crypto.randomUUID());
  const fixed = new FixedLengthStream(length);
  const digest = new crypto.DigestStream('SHA-256');
  digest.digest.catch(() => undefined); // rejected by an abort below; awaited only on success
  const put = bucket.put(key, fixed.readable);
  const out = fixed.writable.getWriter();
  const hash = digest.getWriter();
  let bodyFailed: unknown = null;
  try {
    let chunk: Uint8Array | undefined = head;
    let written = 0;
    while (chunk) {
      written += chunk.byteLength;
      if (written > length) throw (bodyFailed = new Error('more bytes than Content-Length'));
      await hash.write(chunk);
      await out.write(chunk);
      try {
        const next = await reader.read();
        chunk = next.done ? undefined : next.value;
      } catch (err) {
        throw (bodyFailed = err);
      }
    }
    if (written !== length) throw (bodyFailed = new Error('fewer bytes than Content-Length'));
    await hash.close();
    await out.close();
    await put;
  } catch (err) {
    await Promise.allSettled([out.abort(err), hash.abort(err), reader.cancel(err)]);
    await put.catch(() => undefined);
    await bucket.delete(key).catch(() => undefined);
    throw bodyFailed ? new BodyStreamError(bodyFailed) : err;
  }
  return { key, sha256: toHex(await digest.digest) };
}

/**
 * Stores a staged upload as the original `sha256` unless that exists (R2 has no copy or
 * rename in Workers: the staged object's body streams into the new key; R2 checks the hash).
 * @returns true when this call created the original, false when it existed.
 * @throws Error when the staged object is gone; R2's errors.
 */
export async function promoteStaged(
  bucket: R2Bucket,
  key: string,
  sha256: string,
  format: ImageFormat,
): Promise<boolean> {
  const staged = await bucket.get(key);
  if (!staged) throw new Error(`staged upload ${key} is missing`);
  const created = await bucket.put(
    originalKey(sha256),
    staged.body.pipeThrough(new FixedLengthStream(staged.size)),
    {
      onlyIf: { etagDoesNotMatch: '*' },
      httpMetadata: { contentType: `image/${format}` },
      customMetadata: { format, bytes: String(staged.size) },
      sha256,
    },
  );
  return created !== null;
}

/** Deletes a staged upload (no error when absent). */
export const deleteStaged = (bucket: R2Bucket, key: string) => bucket.delete(key);

/** Reads an original, or null when absent. */
export const getOriginal = (bucket: R2Bucket, sha256: string) => bucket.get(originalKey(sha256));

/** Deletes an original (no error when absent). */
export const deleteOriginal = (bucket: R2Bucket, sha256: string) =>
  bucket.delete(originalKey(sha256));

/** One page (≤ 1000) of stored originals: hash and upload time (unix ms), and the next cursor. */
export async function listOriginals(
  bucket: R2Bucket,
  cursor: string | undefined,
): Promise<{ originals: { sha256: string; uploaded: number }[]; cursor: string | undefined }> {
  const page = await bucket.list({ prefix: ORIGINALS_PREFIX, cursor, limit: 1000 });
  return {
    originals: page.objects.map((o) => ({
      sha256: shaOfOriginalKey(o.key),
      uploaded: o.uploaded.getTime(),
    })),
    cursor: page.truncated ? page.cursor : undefined,
  };
}

/** Which listing the orphan sweep walks. */
export type SweepListing = 'originals' | 'variants';

/** The orphan sweep's saved cursor of a listing, or undefined to start from the beginning. */
export async function getSweepCursor(
  bucket: R2Bucket,
  listing: SweepListing,
): Promise<string | undefined> {
  const obj = await bucket.get(sweepCursorKey(listing));
  return obj ? (await obj.text()) || undefined : undefined;
}

/** Saves (or, with undefined, clears) the orphan sweep's cursor of a listing. */
export async function setSweepCursor(
  bucket: R2Bucket,
  listing: SweepListing,
  cursor: string | undefined,
): Promise<void> {
  if (cursor) await bucket.put(sweepCursorKey(listing), cursor);
  else await bucket.delete(sweepCursorKey(listing));
}
