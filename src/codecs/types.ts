/**
 * Shapes shared by the codec adapters and the pipeline.
 */
import type { RawImage } from '../../wasm/pixels';
import { DomainError } from '../errors';

/** Decoded pixels: RGBA, 8 bits per channel, row-major, no padding (wasm/index.ts). */
export type { RawImage };

/**
 * An RGBA8 image read as rows, top to bottom: `row(y)` is row `y` (`width * 4` bytes), valid
 * until the next call; rows are asked for in order (the same row again is allowed, an earlier
 * one is not: a decoder's stream, codecs/jpeg-turbo.ts `openJpegTurboRows`, has moved past it).
 * A {@link RawImage} is read so through codecs/resize.ts `rowsOf`.
 */
export interface RowSource {
  readonly width: number;
  readonly height: number;
  row(y: number): Uint8ClampedArray;
}

/**
 * A decoder's rows pulled as they are decoded, a band at a time, each row a view into the
 * decoder's memory valid until the next band is decoded (the next `row` call past the band):
 * codecs/jpeg-turbo.ts `openJpegTurboRows`, codecs/webp.ts `openWebpRows`. Rows are asked for
 * top to bottom.
 */
export interface RowStream extends RowSource {
  /**
   * Runs on each band as it is decoded (the full decoded width, in place), before any of its
   * rows is handed out: e.g. the embedded profile → sRGB conversion. Set it before the first
   * `row` call.
   */
  onBand?: (band: RawImage) => void;
}

/**
 * An image whose rows a decoder hands out as it makes them, at their final size, top to
 * bottom, each once (`feed`: `write(row, y)`, RGBA8, the row valid during the call): the
 * decoder crops and resamples itself (codecs/png-scaled.ts `decodePngRows`, codecs/avif.ts
 * `openAvifRows`). With `pause`,
 * the feed may suspend after every `pause.rows` rows and await `pause.pause()` (JSPI); it then
 * returns a promise.
 */
export interface RowFeed {
  readonly width: number;
  readonly height: number;
  /** Source pixels the decoder reads to make the rows (its crop), for slicing its work. */
  readonly sourcePixels: number;
  feed(
    write: (row: Uint8ClampedArray, y: number) => void,
    pause?: { rows: number; pause: () => Promise<void> },
  ): void | Promise<void>;
}

/** What an `Accept` header allows beyond JPEG/PNG; part of the edge cache key for `f=auto`. */
export type AcceptClass = 'avif' | 'webp' | 'basic';

/** Formats we encode variants to (`webp` and `gif` may be animated). */
export type EncodeFormat = 'jpeg' | 'png' | 'webp' | 'avif' | 'gif';

/** A rectangle of an image, pixels from its top-left corner (the crop a decoder resamples). */
export interface PixelRect {
  left: number;
  top: number;
  width: number;
  height: number;
}

/** One animation frame as shown: the whole canvas, RGBA8. */
export interface AnimationFrame extends RawImage {
  /** How long the frame is shown, ms (≥ 0). */
  duration: number;
}

/** What a frame decoder reports before the first frame. */
export interface AnimationInfo {
  /** Canvas size, pixels. */
  width: number;
  height: number;
  frames: number;
  /** Total plays; 0 = forever. */
  loopCount: number;
}

/** The decoder rejected the bytes (corrupt, truncated, unsupported feature): a 422, never a 500. */
export class DecodeError extends DomainError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('undecodable', message, options);
    this.name = 'DecodeError';
  }
}
