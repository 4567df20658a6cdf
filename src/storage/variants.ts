/**
 * Variants in R2 (`variants/{sha256}/{specHash}.{ext}`): immutable derived bytes. The spec
 * hash covers the canonical transform, the resolved format and the codec and pipeline versions
 * (CODEC_VERSIONS), so a codec upgrade or a pipeline change that alters outputs writes new keys
 * rather than serving stale bytes.
 */
import { CODEC_VERSIONS } from '../codecs/versions';
import type { EncodeFormat } from '../codecs/types';
import { sha256, toHex } from '../hash';
import { extension, shaOfVariantKey, variantKey, VARIANTS_PREFIX, variantPrefix } from './keys';

/** Hex SHA-256 (first 32 hex digits) of the canonical transform, format and codec versions. */
export async function specHash(canonical: string, format: EncodeFormat): Promise<string> {
  const text = `${canonical}|${format}|${CODEC_VERSIONS}`;
  return toHex((await sha256(text)).subarray(0, 16));
}

/** A stored variant, or null. */
export const getVariant = (bucket: R2Bucket, sha256: string, hash: string, format: EncodeFormat) =>
  bucket.get(variantKey(sha256, hash, extension(format)));

/** True when a variant's object exists (a HEAD: no body is read). */
export const hasVariant = async (
  bucket: R2Bucket,
  sha256: string,
  hash: string,
  format: EncodeFormat,
) => (await bucket.head(variantKey(sha256, hash, extension(format)))) !== null;

/** A stored variant's key, format (from its extension) and size (from its metadata). */
export interface StoredVariant {
  key: string;
  format: EncodeFormat;
  width: number;
  height: number;
}

const EXTENSIONS: Record<string, EncodeFormat> = {
  jpg: 'jpeg',
  png: 'png',
  webp: 'webp',
  avif: 'avif',
};

/** Lists up to `limit` stored variants of an original, with their sizes (for stand-ins). */
export async function listStoredVariants(
  bucket: R2Bucket,
  sha256: string,
  limit = 1000,
): Promise<StoredVariant[]> {
  // `include` is honoured by the runtime but missing from these workers-types.
  const options = { prefix: variantPrefix(sha256), limit, include: ['customMetadata'] };
  const page = await bucket.list(options as R2ListOptions);
  const out: StoredVariant[] = [];
  for (const o of page.objects) {
    const format = EXTENSIONS[o.key.slice(o.key.lastIndexOf('.') + 1)];
    const width = Number(o.customMetadata?.width);
    const height = Number(o.customMetadata?.height);
    if (format && width > 0 && height > 0) out.push({ key: o.key, format, width, height });
  }
  return out;
}

/** Reads a stored variant by the key {@link listStoredVariants} returned, or null. */
export const getStoredVariant = (bucket: R2Bucket, key: string) => bucket.get(key);

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

/**
 * One page (≤ 1000) of every stored variant: the sha256 of its original and its upload time
 * (unix ms), and the next cursor (for the orphan sweep).
 */
export async function listAllVariants(
  bucket: R2Bucket,
  cursor: string | undefined,
): Promise<{ variants: { sha256: string; uploaded: number }[]; cursor: string | undefined }> {
  const page = await bucket.list({ prefix: VARIANTS_PREFIX, cursor, limit: 1000 });
  return {
    variants: page.objects.map((o) => ({
      sha256: shaOfVariantKey(o.key),
      uploaded: o.uploaded.getTime(),
    })),
    cursor: page.truncated ? page.cursor : undefined,
  };
}
