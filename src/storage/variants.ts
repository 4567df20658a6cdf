/**
 * Variants in R2 (`variants/{sha256}/{specHash}.{ext}`): immutable derived bytes. The spec
 * hash covers the canonical transform, the resolved format and the codec versions, so a codec
 * upgrade writes new keys rather than serving stale bytes.
 */
import { CODEC_VERSIONS } from '../codecs/versions';
import type { EncodeFormat } from '../codecs/types';
import { extension } from '../transform/negotiate';
import { variantKey, variantPrefix } from './keys';

/** Hex SHA-256 (first 32 hex digits) of the canonical transform, format and codec versions. */
export async function specHash(canonical: string, format: EncodeFormat): Promise<string> {
  const text = `${canonical}|${format}|${CODEC_VERSIONS}`;
  const digest = new Uint8Array(
    await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)),
  );
  return Array.from(digest.subarray(0, 16), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** A stored variant, or null. */
export const getVariant = (bucket: R2Bucket, sha256: string, hash: string, format: EncodeFormat) =>
  bucket.get(variantKey(sha256, hash, extension(format)));

/** Stores a variant (overwriting is harmless: the same key always holds the same bytes). */
export const putVariant = (
  bucket: R2Bucket,
  sha256: string,
  hash: string,
  format: EncodeFormat,
  bytes: Uint8Array,
  facts: { width: number; height: number },
) =>
  bucket.put(variantKey(sha256, hash, extension(format)), bytes, {
    httpMetadata: { contentType: `image/${format}` },
    customMetadata: { width: String(facts.width), height: String(facts.height) },
  });

/** Deletes every variant of an original, a page (≤ 1000 keys) at a time. */
export async function deleteVariants(bucket: R2Bucket, sha256: string): Promise<number> {
  let deleted = 0;
  let cursor: string | undefined;
  do {
    const page = await bucket.list({ prefix: variantPrefix(sha256), cursor });
    if (page.objects.length) await bucket.delete(page.objects.map((o) => o.key));
    deleted += page.objects.length;
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor);
  return deleted;
}
