/**
 * Originals in R2, content-addressed (`originals/{sha256}`), written once.
 */
import type { ImageFormat } from '../codecs/probe';
import { originalKey } from './keys';

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
