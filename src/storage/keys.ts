import type { EncodeFormat } from '../codecs/types';

/**
 * R2 key scheme: the only module that spells R2 keys.
 * Originals and variants are content-addressed, so they are immutable.
 */

/** Prefix of every original. */
export const ORIGINALS_PREFIX = 'originals/';

/** `originals/{sha256}`: an original's bytes. `sha256` is lowercase hex. */
export const originalKey = (sha256: string) => `${ORIGINALS_PREFIX}${sha256}`;

/** The sha256 of an original's key. */
export const shaOfOriginalKey = (key: string) => key.slice(ORIGINALS_PREFIX.length);

/** Where the orphan sweep keeps its place between runs, per listing. */
export const sweepCursorKey = (listing: 'originals' | 'variants') => `sweep/${listing}-cursor`;

/** Prefix of every variant. */
export const VARIANTS_PREFIX = 'variants/';

/** `variants/{sha256}/{specHash}.{ext}`: a variant's bytes, under its original's hash. */
export const variantKey = (sha256: string, specHash: string, ext: string) =>
  `${VARIANTS_PREFIX}${sha256}/${specHash}.${ext}`;

/** Prefix of every variant of one original (for deleting them all). */
export const variantPrefix = (sha256: string) => `${VARIANTS_PREFIX}${sha256}/`;

/** The original's sha256 of a variant's key. */
export const shaOfVariantKey = (key: string) =>
  key.slice(VARIANTS_PREFIX.length, key.indexOf('/', VARIANTS_PREFIX.length));

/** File extension of an encoder format (the R2 variant key's extension). */
export const extension = (f: EncodeFormat) => (f === 'jpeg' ? 'jpg' : f);
