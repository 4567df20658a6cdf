/**
 * Shapes shared by the codec adapters and the pipeline.
 */

/** Decoded pixels: RGBA, 8 bits per channel, row-major, no padding (`data.length === width * height * 4`). */
export interface RawImage {
  data: Uint8ClampedArray;
  /** Pixels. */
  width: number;
  /** Pixels. */
  height: number;
}

/** Formats we encode variants to. */
export type EncodeFormat = 'jpeg' | 'png' | 'webp' | 'avif';

/** The decoder rejected the bytes (corrupt, truncated, unsupported feature): a 422, never a 500. */
export class DecodeError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DecodeError';
  }
}
