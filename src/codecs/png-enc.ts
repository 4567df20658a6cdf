/**
 * PNG encoding a band of rows at a time, in wasm/png_scaled.wasm (the Rust `png` crate 0.17.7's
 * `StreamWriter`: Sub filter, deflate level 1, as its `Encoder` defaults; source and ABI in
 * wasm/png-scaled/src/encode.rs and wasm/README.md). Rows are filtered and deflated as they
 * arrive, and the file's full segments are drained into one JS buffer after every band
 * (resizable, reserving {@link pngFileBound} and growing in place), so
 * the file exists once, in JS, and the module holds one band, the deflate state and at most a
 * segment or two (about 2.5 MiB), never the RGBA image; except `encodePngFilled`, for a caller
 * whose rows come out of order (a turned image), which has the whole image written into one
 * band (encoded and drained {@link PNG_BAND_ROWS} rows at a time). The band loops are
 * codecs/row-bands.ts. Its own instance (`pngEnc`), apart from the decoder's.
 */
import { PNG_SCALED_DROP_ABOVE_BYTES } from '../config';
import wasmModule from '../../wasm/png_scaled.wasm';
import { OwnDecoder, type OwnHeader } from './own-wasm';
import { filledWhole, inOrderBands, type BandTarget } from './row-bands';
import type { RawImage } from './types';

/** The encoder's exports (see wasm/README.md, "png_scaled.wasm"). */
interface PngEncExports {
  memory: WebAssembly.Memory;
  png_encode_begin(width: number, height: number, channels: number, bandRows: number): number;
  png_encode_rows_from(first: number, rows: number): number;
  png_encode_drain(): number;
  png_encode_finish(): number;
  png_encode_release(): void;
}

/** Why a PNG encode failed (`out-of-memory`: wasm memory could not grow; `trap`, `internal`). */
export class PngEncodeError extends Error {
  /** @param code the module's status, as {@link OwnDecoder}'s error codes. */
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`png encode (${code}): ${message}`, options);
    this.name = 'PngEncodeError';
  }
}

const encoder = new OwnDecoder<PngEncExports>({
  module: wasmModule,
  what: 'PNG encoder',
  name: 'pngEnc',
  alloc: () => 0, // rows go into the module's band buffer
  release: (e) => e.png_encode_release(),
  error: (code, message, options) => new PngEncodeError(code, message, options),
  dropAboveBytes: PNG_SCALED_DROP_ABOVE_BYTES,
  // The decoder's imports; the encoder never calls them.
  imports: () => ({ env: { png_read: () => 0, png_write_row: () => 0, png_pause: () => 0 } }),
});

/** Rows per band of {@link encodePngRows}: 32. */
export const PNG_BAND_ROWS = 32;

/** Options of {@link encodePngRows}, {@link encodePngFilled} and {@link encodePng}. */
export interface PngEncodeOptions {
  /** 4: RGBA (the default); 3: RGB, the rows' alpha dropped (for opaque images). */
  channels?: 3 | 4;
  /** Rows per band, ≥ 1 ({@link encodePngRows} only). Default {@link PNG_BAND_ROWS}. */
  bandRows?: number;
  /**
   * Runs on each finished band (its rows as RGBA8, in the module's memory) before it is
   * encoded ({@link encodePngRows} only).
   */
  onBand?: (band: RawImage, top: number) => void;
}

/**
 * Encodes an 8-bit PNG (no ancillary chunks) whose RGBA8 rows `produce` writes, top to bottom,
 * into the module's band buffer: `rowAt(y)` is the buffer for row `y` (`width` × 4 bytes),
 * valid until the next `rowAt` call; rows must be asked for in order 0, 1, … `height` − 1
 * (codecs/row-bands.ts). Each full band goes through `onBand` and is filtered and deflated
 * before the next is asked for. `produce` must not call this module; it may return a promise
 * (a transform that yields between rows, transform/yield.ts), and the result is then a
 * promise too (nothing else may use this module meanwhile: yield.ts `inLane`).
 * @returns the .png file: a fixed-length view of a fresh resizable buffer (reserving
 *   {@link pngFileBound}).
 * @throws RangeError for a size outside 1..2^28 pixels, a bad band height or channel count, a
 *   row asked for out of order, or rows missing at the end; PngEncodeError when the module
 *   fails (a trap discards the instance); whatever `produce` or `onBand` throws (the encode is
 *   dropped).
 */
export function encodePngRows(
  width: number,
  height: number,
  produce: (rowAt: (y: number) => Uint8ClampedArray) => void,
  opts?: PngEncodeOptions,
): Uint8Array;
export function encodePngRows(
  width: number,
  height: number,
  produce: (rowAt: (y: number) => Uint8ClampedArray) => void | Promise<void>,
  opts?: PngEncodeOptions,
): Uint8Array | Promise<Uint8Array>;
export function encodePngRows(
  width: number,
  height: number,
  produce: (rowAt: (y: number) => Uint8ClampedArray) => void | Promise<void>,
  opts: PngEncodeOptions = {},
): Uint8Array | Promise<Uint8Array> {
  const { bandRows = PNG_BAND_ROWS, onBand } = opts;
  if (!Number.isInteger(bandRows) || bandRows < 1)
    throw new RangeError(`png encode: bad band height ${bandRows}`);
  const rows = Math.min(bandRows, height);
  return run(width, height, rows, opts.channels, (target) =>
    inOrderBands('png encode', width, height, rows, target, produce, onBand),
  );
}

/**
 * As {@link encodePngRows} for pixels that `fill` writes, in any order, straight into the
 * module's input (RGBA8, `width` × `height`, rows top to bottom; one band of the whole
 * image): the image exists once, inside the module, while it is encoded; `fill`'s view is
 * valid until it returns, or until the promise it returns settles (the result is then a
 * promise).
 * @throws as encodePngRows, and whatever `fill` throws.
 */
export function encodePngFilled(
  width: number,
  height: number,
  fill: (px: Uint8ClampedArray) => void | Promise<void>,
  opts: Pick<PngEncodeOptions, 'channels'> = {},
): Uint8Array | Promise<Uint8Array> {
  return run(width, height, height, opts.channels, (target) =>
    filledWhole(width, height, target, fill),
  );
}

/**
 * The largest 8-bit PNG file of `width` × `height` pixels of `channels` (3, 4) bytes as this
 * encoder writes it, bytes: the filtered rows (a filter byte each) stored raw, which is what
 * deflate falls back to where it cannot compress (5 bytes per 65,535-byte stored block, zlib's
 * 6), 12 bytes of chunk framing per 256 KiB IDAT and the fixed chunks, with 0.5 % and 4 KiB
 * spare. Photos take about 60 % of it (src/transform/png-cost.ts).
 */
export function pngFileBound(width: number, height: number, channels: 3 | 4): number {
  const raw = height * (1 + width * channels);
  const deflated = raw + 5 * Math.ceil(raw / 65535) + 6;
  return Math.ceil(1.005 * (deflated + 12 * Math.ceil(deflated / (256 << 10)))) + 4096;
}

/**
 * The file as it is drained: one resizable buffer that reserves {@link pngFileBound} and grows
 * in place as segments arrive (V8 commits a resizable ArrayBuffer's pages as it grows, fresh
 * and zero: a fixed buffer of the bound would be zeroed, so resident, whole), regrown by
 * doubling, a copy, should the bound ever be passed.
 */
class FileBuffer {
  private buffer: ArrayBuffer;
  private length = 0;

  constructor(bound: number) {
    this.buffer = new ArrayBuffer(0, { maxByteLength: bound });
  }

  /** Appends the segments a drain or finish header names (its table and word-7 total). */
  append(e: PngEncExports, header: OwnHeader): void {
    const table = OwnDecoder.view(e, header);
    const words = new Uint32Array(table.buffer, table.byteOffset, table.length / 4);
    const start = this.length;
    for (let i = 0; i + 1 < words.length; i += 2) {
      const seg = new Uint8Array(e.memory.buffer, words[i], words[i + 1]);
      const end = this.length + seg.length;
      if (end > this.buffer.maxByteLength) {
        const grown = new ArrayBuffer(end, { maxByteLength: 2 * end });
        new Uint8Array(grown).set(new Uint8Array(this.buffer, 0, this.length));
        this.buffer = grown;
      }
      this.buffer.resize(end);
      new Uint8Array(this.buffer, this.length).set(seg);
      this.length = end;
    }
    if (this.length - start !== header[7])
      throw new PngEncodeError('internal', `${this.length - start} of ${header[7]} bytes`);
  }

  /** The file: a fixed-length view of the buffer. */
  file(): Uint8Array {
    return new Uint8Array(this.buffer, 0, this.length);
  }
}

/**
 * One encode on the shared instance: begin (a band buffer of `bandRows` rows), `write` the
 * rows into it (a promise when it yields, and then so is the result), draining the file's
 * full segments after each band, finish, drain the rest. A failure frees the encode (after a
 * trap `use` discards the instance instead).
 */
function run(
  width: number,
  height: number,
  bandRows: number,
  channels: 3 | 4 | undefined,
  write: (target: BandTarget) => void | Promise<void>,
): Uint8Array | Promise<Uint8Array> {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1)
    throw new RangeError(`png encode: bad size ${width}x${height}`);
  const file = new FileBuffer(pngFileBound(width, height, channels ?? 4));
  return encoder.use((e) => {
    const release = (err: unknown) => {
      if (!(err instanceof WebAssembly.RuntimeError)) e.png_encode_release();
      throw err;
    };
    const finish = () => {
      try {
        file.append(e, encoder.header(e, e.png_encode_finish()));
        e.png_encode_release();
        return file.file();
      } catch (err) {
        return release(err);
      }
    };
    let written: void | Promise<void>;
    try {
      const begun = encoder.header(e, e.png_encode_begin(width, height, channels ?? 4, bandRows));
      written = write({
        memory: () => e.memory.buffer,
        ptr: OwnDecoder.view(e, begun).byteOffset,
        // A band of the whole image (encodePngFilled) goes in pieces, drained between.
        put: (rows) => {
          for (let first = 0; first < rows; first += PNG_BAND_ROWS) {
            const n = Math.min(PNG_BAND_ROWS, rows - first);
            encoder.header(e, e.png_encode_rows_from(first, n));
            file.append(e, encoder.header(e, e.png_encode_drain()));
          }
        },
      });
    } catch (err) {
      return release(err);
    }
    return written instanceof Promise ? written.then(finish, release) : finish();
  });
}

/**
 * Encodes `img` (RGBA8) as an 8-bit PNG, copying it into the module a band at a time
 * ({@link encodePngRows}): lossless, RGBA unless `channels` is 3.
 * @throws as {@link encodePngRows}; RangeError when `data` is not `width` × `height` × 4 bytes.
 */
export function encodePng(img: RawImage, opts: PngEncodeOptions = {}): Uint8Array {
  const { data, width, height } = img;
  if (data.length !== width * height * 4)
    throw new RangeError(`png encode: ${data.length} bytes for ${width}x${height} RGBA`);
  const n = width * 4;
  return encodePngRows(
    width,
    height,
    (rowAt) => {
      for (let y = 0; y < height; y++) rowAt(y).set(data.subarray(y * n, (y + 1) * n));
    },
    opts,
  );
}
