/**
 * R2 key scheme: the only module that spells R2 keys.
 * Originals and variants are content-addressed, so they are immutable.
 */

/** `originals/{sha256}`: an original's bytes. `sha256` is lowercase hex. */
export const originalKey = (sha256: string) => `originals/${sha256}`;
