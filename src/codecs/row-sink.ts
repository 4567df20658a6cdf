/**
 * Encoders that take the output image's rows where they are made (transform/streamed.ts), so
 * the whole RGBA image never exists in JS: a {@link RowSink} per format that has one.
 * - WebP: libwebp (codecs/encode.ts `encodeWebpRowsInto`, bands in any order, and
 *   `encodeWebpInto`): the same bytes as encodeImage for the same pixels.
 * - JPEG: libjpeg-turbo's compressor (codecs/jpeg-rows.ts), rows top to bottom; NOT
 *   mozjpeg's bytes (larger files at the same quality: docs/performance.md, "JPEG encoded
 *   from rows"), so the planner chooses it only where mozjpeg does not fit
 *   (transform/fallback.ts `placeShape`).
 * - PNG: the png crate in wasm/png_scaled.wasm (codecs/png-enc.ts), rows top to bottom, RGB or
 *   RGBA as the caller says (it must know before the first row: an RGB sink drops alpha); the
 *   same bytes as encodeImage for the same pixels and colour type.
 * The in-order band loop of JPEG and PNG is codecs/row-bands.ts.
 */
import { encodeQuality, encodeWebpInto, encodeWebpRowsInto } from './encode';
import { encodeJpegFilled, encodeJpegRows } from './jpeg-rows';
import { encodePngFilled, encodePngRows } from './png-enc';
import type { RawImage } from './types';

/** An encoder fed by rows (see the module comment). */
export interface RowSink {
  /** True when {@link rows} takes bands bottom to top too (else strictly top to bottom). */
  readonly anyOrder: boolean;
  /**
   * Encodes `width` × `height` from rows that `produce` writes into the encoder's memory
   * (`rowAt(y)`: output row `y`, RGBA8, valid until the next call); `onBand` runs on each
   * finished band of rows before the encoder takes it. A `produce` that yields returns a
   * promise, and so does this (transform/yield.ts).
   * @throws RangeError for rows out of the encoder's order; the encoder's errors.
   */
  rows(
    width: number,
    height: number,
    produce: (rowAt: (y: number) => Uint8ClampedArray) => void | Promise<void>,
    onBand?: (band: RawImage, top: number) => void,
  ): Uint8Array | Promise<Uint8Array>;
  /** Encodes the image that `fill` writes whole into the encoder's input (RGBA8); as rows. */
  whole(
    width: number,
    height: number,
    fill: (px: Uint8ClampedArray) => void | Promise<void>,
  ): Uint8Array | Promise<Uint8Array>;
}

/**
 * What a streamed variant is encoded as: a WebP (libwebp's `method`, 0 fast .. 6 slow, default
 * 4), a JPEG (progressive or baseline; `singlePass`: baseline with the standard Huffman tables,
 * no coefficients kept, codecs/jpeg-rows.ts), or a PNG (`channels` 3: RGB, for an output known
 * to be opaque; 4: RGBA).
 */
export type RowSinkFormat =
  | { format: 'webp'; method?: number }
  | { format: 'jpeg'; progressive: boolean; singlePass?: boolean }
  | { format: 'png'; channels: 3 | 4 };

/**
 * The row sink of `out` at `quality` (1..100; default codecs/encode.ts DEFAULT_QUALITY;
 * ignored for PNG, which is lossless). `pause`: what a WebP's own encode awaits between its
 * steps when the rows' writer returns a promise (codecs/webp.ts `yieldingEncode`, JSPI);
 * libjpeg-turbo's is one call, and the PNG module's one call per band.
 * @throws RangeError for a quality outside 1..100.
 */
export function rowSink(
  out: RowSinkFormat,
  quality: number | undefined,
  pause?: () => Promise<void>,
): RowSink {
  if (out.format === 'png') {
    const { channels } = out;
    return {
      anyOrder: false,
      rows: (width, height, produce, onBand) =>
        encodePngRows(width, height, produce, { channels, onBand }),
      whole: (width, height, fill) => encodePngFilled(width, height, fill, { channels }),
    };
  }
  if (out.format === 'webp') {
    const { method } = out;
    return {
      anyOrder: true,
      rows: (width, height, produce, onBand) =>
        encodeWebpRowsInto(width, height, produce, { quality, onBand, pause, method }),
      whole: (width, height, fill) =>
        encodeWebpInto(width, height, fill, { quality, pause, method }),
    };
  }
  const opts = {
    quality: encodeQuality('jpeg', { quality }),
    progressive: out.progressive,
    singlePass: out.singlePass === true,
  };
  return {
    anyOrder: false,
    rows: (width, height, produce, onBand) =>
      encodeJpegRows(width, height, produce, { ...opts, onBand }),
    whole: (width, height, fill) => encodeJpegFilled(width, height, fill, opts),
  };
}
