/**
 * Header facts without decoding pixels: the security boundary for every upload.
 * (Interface only; implementation in progress.)
 */

/** Formats accepted as originals (decided from magic bytes only). */
export type ImageFormat = 'jpeg' | 'png' | 'webp' | 'avif' | 'gif';

/** What the header says about an image. Sizes are coded (as stored), in pixels. */
export interface ProbeResult {
  format: ImageFormat;
  /** Coded width and height, pixels, as stored in the file (before EXIF orientation). */
  width: number;
  height: number;
  /** EXIF orientation 1..8 (1 when absent or invalid). */
  orientation: number;
  hasAlpha: boolean;
  /** Number of frames (1 for still images). */
  frames: number;
  progressive: boolean;
  /** JPEG with 4 components (CMYK or YCCK). */
  cmyk: boolean;
}

/** Why probing failed: `unsupported` → 415, `malformed` → 422. */
export class ProbeError extends Error {
  constructor(
    readonly kind: 'unsupported' | 'malformed',
    message: string,
  ) {
    super(message);
    this.name = 'ProbeError';
  }
}

/** The format named by the magic bytes, or null when none of ours. */
export function sniffFormat(_bytes: Uint8Array): ImageFormat | null {
  throw new Error('not implemented');
}

/**
 * Reads header facts. @throws ProbeError
 */
export function probe(_bytes: Uint8Array): ProbeResult {
  throw new Error('not implemented');
}
