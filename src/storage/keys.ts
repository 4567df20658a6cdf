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

/** Where the orphan sweep keeps its place between runs. */
export const SWEEP_CURSOR_KEY = 'sweep/originals-cursor';

/** `variants/{sha256}/{specHash}.{ext}`: a variant's bytes, under its original's hash. */
export const variantKey = (sha256: string, specHash: string, ext: string) =>
  `variants/${sha256}/${specHash}.${ext}`;

/** Prefix of every variant of one original (for deleting them all). */
export const variantPrefix = (sha256: string) => `variants/${sha256}/`;
