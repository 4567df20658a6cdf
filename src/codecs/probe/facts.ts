/**
 * What probing tells about an original, and why it fails (see ./index.ts for the rules every
 * container parser follows).
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
  /**
   * Alpha may be present: PNG colour type 4/6 or a valid tRNS; WebP VP8X alpha flag, ALPH
   * chunk or VP8L alpha hint; AVIF alpha auxiliary item linked to the primary; GIF
   * transparency flag in a graphic control extension.
   */
  hasAlpha: boolean;
  /**
   * Number of frames (1 for still images), counted from what is present: GIF image
   * descriptors, APNG fcTL chunks (capped by acTL), WebP ANMF chunks, AVIF sequence samples.
   */
  frames: number;
  /** Stored for incremental display: JPEG SOF2/6/10/14, or PNG Adam7 interlace. */
  progressive: boolean;
  /** JPEG with 4 components (CMYK or YCCK). */
  cmyk: boolean;
  /** Where the embedded ICC profile is; absent when there is none (or it is unusable). */
  icc?: IccLocation;
  /**
   * WebP only: decoding runs libwebp's lossless (VP8L) code (a `VP8L` chunk, at top level or
   * in an animation frame, or an `ALPH` chunk compressed losslessly; ./webp.ts), which the
   * planner charges its own figures. Absent for other formats.
   */
  webpLossless?: boolean;
  /**
   * WebP only: a still image whose own bitstream is VP8L (not only its alpha plane), which
   * libwebp decodes in a window of rows (wasm/libwebp/vp8l-sliding-window.patch) and crops
   * and scales while decoding. Absent for other formats.
   */
  webpVp8l?: boolean;
  /**
   * AVIF only: the primary item's AV1 coding (its `av1C`), which decides the size of the
   * decoder's frame. Absent when the primary has no `av1C`.
   */
  avifCoding?: AvifCoding;
}

/** An AV1 image's coding (AV1-ISOBMFF `av1C`): bits per sample and chroma subsampling. */
export interface AvifCoding {
  bitDepth: 8 | 10 | 12;
  chroma: '4:0:0' | '4:2:0' | '4:2:2' | '4:4:4';
}

/** Colour model of the stored samples, as the header says: what an ICC profile must match. */
export type ColourModel = 'grey' | 'rgb' | 'cmyk';

/**
 * Where an embedded ICC profile's bytes are, without copying them: `parts` are
 * `[offset, length]` byte ranges of the file, to be concatenated in order (JPEG spreads a
 * profile over up to 255 APP2 segments, already sorted by sequence number here); `deflate`:
 * the concatenation is a zlib stream (PNG iCCP) rather than the profile itself. `model` is
 * the image's colour model (JPEG component count, PNG colour type; RGB for WebP and AVIF).
 */
export interface IccLocation {
  parts: Array<[offset: number, length: number]>;
  deflate: boolean;
  model: ColourModel;
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

/**
 * Largest width or height `probe` ever returns, in pixels (2^24, the WebP VP8X canvas
 * limit). Larger declared sides (PNG allows 2^31-1, AVIF ispe 2^32-1) are `malformed`.
 */
export const MAX_DIMENSION = 16_777_216;
