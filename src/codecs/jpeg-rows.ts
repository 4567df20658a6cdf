/**
 * JPEG encoding fed by rows: libjpeg-turbo 2.1.5's compressor (Debian's libjpeg-turbo
 * 1:2.1.5-4, built for wasm32 with SIMD into wasm/jpeg_turbo_enc.wasm; glue, ABI and provenance
 * in wasm/jpeg-turbo/glue-enc.c and wasm/README.md) takes RGBA8 rows a band at a time, written
 * straight into its memory, so the image to encode never exists whole anywhere; or, for a
 * caller whose rows come out of order (a turned image), the whole image written into its
 * input buffer once. YCbCr 4:2:0, the standard quantisation tables scaled by libjpeg's quality,
 * optimised Huffman tables, progressive by default: libjpeg then keeps the quantised
 * coefficients of the whole image while it encodes (3 bytes per pixel at 4:2:0), not the
 * pixels. `singlePass`: baseline with the standard Huffman tables, each row compressed and
 * written as it comes, no coefficients kept (larger files: docs/performance.md, "JPEG output
 * drained").
 *
 * The file leaves wasm memory as it is written: the module hands each full 256 KiB segment to
 * `env.je_write`, which copies it into one JS buffer sized up front at
 * {@link jpegFileBound} (grown by copying only past it); the result is a view of that buffer.
 *
 * Against mozjpeg (codecs/encode.ts, trellis quantisation and its own tables) its files are
 * larger at the same quality: docs/performance.md, "JPEG encoded from rows". One instance per
 * isolate (`jpegRowsEnc` in wasm/instances.ts), dropped after a call that left it above
 * JPEG_TURBO_DROP_ABOVE_BYTES (config.ts); a libjpeg error traps the module, which discards the
 * instance.
 */
import { JPEG_TURBO_DROP_ABOVE_BYTES } from '../config';
import wasmModule from '../../wasm/jpeg_turbo_enc.wasm';
import { OwnDecoder, wasiStdioStubs, type OwnModuleExports } from './own-wasm';
import { filledWhole, inOrderBands, type BandTarget } from './row-bands';
import type { RawImage } from './types';

/** The module's exports (wasm/jpeg-turbo/glue-enc.c). */
interface JpegRowsExports extends OwnModuleExports {
  _initialize(): void;
  je_begin(width: number, height: number, quality: number, mode: number, band: number): number;
  je_put(first: number, rows: number): number;
  je_finish(): number;
  je_release(): void;
}

/** Thrown when the rows encoder fails (a server fault: its input is always well-formed). */
export class JpegEncodeError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'JpegEncodeError';
  }
}

const encoder = new OwnDecoder<JpegRowsExports>({
  module: wasmModule,
  what: 'JPEG encode',
  name: 'jpegRowsEnc',
  alloc: () => 0, // the module allocates its own input buffer (je_begin)
  release: (e) => e.je_release(),
  error: (code, message, options) =>
    new JpegEncodeError(`jpeg encode (${code}): ${message}`, options),
  dropAboveBytes: JPEG_TURBO_DROP_ABOVE_BYTES,
  imports: () => ({
    wasi_snapshot_preview1: wasiStdioStubs(),
    env: { je_write: (ptr: number, len: number) => void drain?.(ptr >>> 0, len >>> 0) },
  }),
  start: (e) => e._initialize(),
});

/** Where the running encode's `je_write` copies the file's next bytes (set by `run`). */
let drain: ((ptr: number, len: number) => void) | null = null;

/**
 * The .jpg's size the output buffer is first allocated at, bytes per pixel by libjpeg quality
 * (4:2:0 photos, bench/jpeg-rows-node.mjs: at 1600–2000 px the two-pass files take 0.10–0.22 at
 * q82, 0.29 at q90, 0.77 at q100 on the noisiest; one pass 4-8 % more): 0.35 up to q85,
 * 1.2 above. A larger file grows the buffer by copying. The planner charges this (jpeg-rows-cost.ts).
 */
export const jpegBytesPerPixel = (quality: number): number => (quality <= 85 ? 0.35 : 1.2);

/** The output buffer's first size for a `width` × `height` JPEG at `quality`, bytes. */
export const jpegFileBound = (width: number, height: number, quality: number): number =>
  Math.ceil(jpegBytesPerPixel(quality) * width * height) + 4096;

/** Rows per band of {@link encodeJpegRows}: 32 (two 4:2:0 MCU rows). */
export const JPEG_BAND_ROWS = 32;

/** Options of the rows encoder. */
export interface JpegRowsOptions {
  /** libjpeg quality 1..100 (jpeg_set_quality, baseline tables). */
  quality: number;
  /** Progressive scans (libjpeg's simple progression); false: baseline. Default true. */
  progressive?: boolean;
  /**
   * One pass: baseline with the standard Huffman tables, no coefficients kept (overrides
   * `progressive`). Default false: two passes, optimised tables.
   */
  singlePass?: boolean;
  /** Runs on each finished band (its rows as RGBA8, in the encoder's memory) before encoding. */
  onBand?: (band: RawImage, top: number) => void;
}

/** @throws RangeError for a size libjpeg cannot hold or a quality outside 1..100. */
function check(width: number, height: number, quality: number): void {
  if (![width, height].every((n) => Number.isInteger(n) && n >= 1 && n <= 65500))
    throw new RangeError(`jpeg encode: bad size ${width}x${height}`);
  if (!Number.isInteger(quality) || quality < 1 || quality > 100)
    throw new RangeError(`jpeg encode: quality ${quality} outside 1..100`);
}

/**
 * Encodes a JPEG whose RGBA8 rows (alpha ignored: flatten first) `produce` writes, top to
 * bottom, into the encoder's memory: `rowAt(y)` is the buffer for output row `y` (`width` × 4
 * bytes), valid until the next `rowAt` call; rows must be asked for in order 0, 1, … and all of
 * them (codecs/row-bands.ts). Each band of {@link JPEG_BAND_ROWS} rows goes through `onBand`
 * and into libjpeg as soon as the next band's first row is asked for. `produce` must not call
 * this module; it may return a promise (a transform that yields between rows,
 * transform/yield.ts), and the result is then a promise too (nothing else may use this module
 * meanwhile: yield.ts `inLane`).
 * @returns the .jpg file (a view of a fresh buffer, which may be longer).
 * @throws RangeError for a bad size or quality, a row out of order or rows left out;
 *   JpegEncodeError when libjpeg fails (the instance is discarded); whatever `produce` or
 *   `onBand` throws (the encode is abandoned).
 */
export function encodeJpegRows(
  width: number,
  height: number,
  produce: (rowAt: (y: number) => Uint8ClampedArray) => void,
  opts: JpegRowsOptions,
): Uint8Array;
export function encodeJpegRows(
  width: number,
  height: number,
  produce: (rowAt: (y: number) => Uint8ClampedArray) => void | Promise<void>,
  opts: JpegRowsOptions,
): Uint8Array | Promise<Uint8Array>;
export function encodeJpegRows(
  width: number,
  height: number,
  produce: (rowAt: (y: number) => Uint8ClampedArray) => void | Promise<void>,
  opts: JpegRowsOptions,
): Uint8Array | Promise<Uint8Array> {
  const rows = Math.min(JPEG_BAND_ROWS, height);
  return run(width, height, rows, opts, (target) =>
    inOrderBands('jpeg encode', width, height, rows, target, produce, opts.onBand),
  );
}

/**
 * As {@link encodeJpegRows} for pixels that `fill` writes, in any order, straight into the
 * encoder's input buffer (RGBA8, `width` × `height`, rows top to bottom): the image exists
 * once, inside the encoder, while libjpeg takes it; `fill`'s view is valid until it returns,
 * or until the promise it returns settles (as for encodeJpegRows; the result is then a
 * promise).
 * @throws as encodeJpegRows, and whatever `fill` throws.
 */
export function encodeJpegFilled(
  width: number,
  height: number,
  fill: (px: Uint8ClampedArray) => void,
  opts: Omit<JpegRowsOptions, 'onBand'>,
): Uint8Array;
export function encodeJpegFilled(
  width: number,
  height: number,
  fill: (px: Uint8ClampedArray) => void | Promise<void>,
  opts: Omit<JpegRowsOptions, 'onBand'>,
): Uint8Array | Promise<Uint8Array>;
export function encodeJpegFilled(
  width: number,
  height: number,
  fill: (px: Uint8ClampedArray) => void | Promise<void>,
  opts: Omit<JpegRowsOptions, 'onBand'>,
): Uint8Array | Promise<Uint8Array> {
  return run(width, height, height, opts, (target) => filledWhole(width, height, target, fill));
}

/**
 * One encode on the shared instance: begin (an input buffer of `bandRows` rows), `write` the
 * rows into it (a promise when it yields, and then so is the result), finish; the file's bytes
 * are copied out as the module writes them (`je_write`), into a buffer of
 * {@link jpegFileBound} bytes, and the result is a view of its first bytes.
 */
function run(
  width: number,
  height: number,
  bandRows: number,
  opts: Omit<JpegRowsOptions, 'onBand'>,
  write: (target: BandTarget) => void | Promise<void>,
): Uint8Array | Promise<Uint8Array> {
  check(width, height, opts.quality);
  const mode = opts.singlePass ? 2 : opts.progressive === false ? 0 : 1;
  let out = new Uint8Array(jpegFileBound(width, height, opts.quality));
  let size = 0;
  return encoder.use((e) => {
    drain = (ptr, len) => {
      if (size + len > out.length) {
        const grown = new Uint8Array(Math.max(size + len, Math.ceil(out.length * 1.5)));
        grown.set(out.subarray(0, size));
        out = grown;
      }
      out.set(new Uint8Array(e.memory.buffer, ptr, len), size);
      size += len;
    };
    // After a trap the instance is discarded by `use`; otherwise free the encode's buffers.
    const release = () => {
      drain = null;
      try {
        e.je_release();
      } catch {
        // a trapped instance: nothing to free
      }
    };
    const finish = () => {
      try {
        const header = encoder.header(e, e.je_finish());
        if (header[4] !== size)
          throw new JpegEncodeError(`jpeg encode: ${size} of ${header[4]} bytes`);
        return out.subarray(0, size);
      } finally {
        release();
      }
    };
    let written: void | Promise<void>;
    try {
      const begun = encoder.header(e, e.je_begin(width, height, opts.quality, mode, bandRows));
      written = write({
        memory: () => e.memory.buffer,
        ptr: OwnDecoder.view(e, begun).byteOffset,
        put: (rows) => void encoder.header(e, e.je_put(0, rows)),
      });
    } catch (err) {
      release();
      throw err;
    }
    if (!(written instanceof Promise)) return finish();
    return written.then(finish, (err: unknown) => {
      release();
      throw err;
    });
  });
}
