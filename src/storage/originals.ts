/**
 * Originals in R2, content-addressed (`originals/{sha256}`), written once.
 */
import type { ImageFormat } from '../codecs/probe';
import { originalKey, ORIGINALS_PREFIX, shaOfOriginalKey, sweepCursorKey } from './keys';

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
