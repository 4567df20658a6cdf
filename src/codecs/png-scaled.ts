/**
 * Streaming PNG decoding: the PNG is decoded row by row and each row of the crop goes straight
 * into a lanczos3 resampler in the same wasm call, so the only image-sized buffer is the
 * output (Adam7-interlaced files add half the crop: their even rows come before the odd
 * ones). The file is not copied into wasm memory either: the module reads it through an
 * import (`env.png_read`) in the decoder's 32 KiB chunks. Backed by
 * wasm/png_scaled.wasm (the Rust `png` crate 0.17.7 and our shared resampler; source and ABI
 * in wasm/png-scaled/, wasm/common/ and wasm/README.md).
 *
 * All bit depths and colour types: grey, grey + alpha, RGB, RGBA, palette (with tRNS), 1 to
 * 16 bits. 16-bit samples are kept (as floats) until the resample and rounded once, to 8
 * bits. Colour is resampled premultiplied by alpha when the image has alpha (no halos), on
 * sRGB-encoded values. Chunk CRCs and the zlib Adler-32 are not verified (as @jsquash/png
 * did not); the ICC profile is left to the pipeline (src/codecs/icc.ts, lcms.ts). APNG: the
 * default (IDAT) image.
 */
import { PNG_SCALED_DROP_ABOVE_BYTES } from '../config';
import wasmModule from '../../wasm/png_scaled.wasm';
import { afterLend, copyImage, OwnDecoder, WasmPause, WasmRowWriter, type Lend } from './own-wasm';
import { DecodeError, type PixelRect, type RawImage } from './types';

/** The arguments `png_decode_resize` and `png_decode_rows` share (wasm/png-scaled/src/lib.rs). */
type PngDecodeArgs = [
  len: number,
  cropLeft: number,
  cropTop: number,
  cropWidth: number,
  cropHeight: number,
  outWidth: number,
  outHeight: number,
  maxSrcPixels: number,
];

/** The module's exports (see wasm/README.md, "png_scaled.wasm"). */
interface PngScaledExports {
  memory: WebAssembly.Memory;
  png_decode_resize(...args: PngDecodeArgs): number;
  png_decode_rows(...args: [...PngDecodeArgs, pauseEvery: number]): number;
  png_release(): void;
}

/** The file being decoded and how much of it the module has read (`env.png_read`). */
let reading: { bytes: Uint8Array; offset: number; memory: WebAssembly.Memory } | null = null;

/** `env.png_read(dst, len)`: copies the next at most `len` bytes of the file to `dst`. */
function pngRead(dst: number, len: number): number {
  if (!reading) return 0;
  const { bytes, offset, memory } = reading;
  const n = Math.min(len >>> 0, bytes.length - offset);
  new Uint8Array(memory.buffer, dst >>> 0, n).set(bytes.subarray(offset, offset + n));
  reading.offset += n;
  return n;
}

/** `env.png_write_row(src, y)`: where {@link decodePngRows}' output rows go. */
const pngRows = new WasmRowWriter();

/** `env.png_pause`: the module's pause point ({@link decodePngRows} with `pause`). */
const pngPause = new WasmPause();

const decoder = new OwnDecoder<PngScaledExports>({
  module: wasmModule,
  what: 'PNG',
  name: 'pngScaled',
  alloc: () => 0, // no input buffers: the module reads the file through png_read
  release: (e) => e.png_release(),
  error: (code, message, options) => new DecodeError(`png (${code}): ${message}`, options),
  dropAboveBytes: PNG_SCALED_DROP_ABOVE_BYTES,
  imports: () => ({
    env: {
      png_read: pngRead,
      png_write_row: pngRows.import,
      png_pause: pngPause.import,
    },
  }),
});

/**
 * Decodes a PNG, crops it to `crop` and resamples that to `outWidth` x `outHeight` RGBA8
 * (lanczos3, with a box pre-shrink for reductions of 3x and more, the rule of
 * `preShrinkFactor` in src/codecs/resize.ts), in one wasm call. Only downscaling: an axis of
 * equal size is copied (so `crop` = the whole image at its own size is a plain decode).
 *
 * @param bytes the whole PNG file.
 * @param crop integers, width and height ≥ 1, inside the image (checked once its header is
 *   read).
 * @param outWidth 1..crop.width. @param outHeight 1..crop.height.
 * @param maxSourcePixels refuse (DecodeError `too-large`) when width × height exceeds this,
 *   checked after the header, before any pixel work; 0 means the module's cap of 2^28.
 * @param lend takes the output (default: a copy is returned; see {@link Lend}).
 * @returns RGBA8 owned by the caller, non-premultiplied (alpha 255 when the PNG has none).
 * @throws DecodeError on corrupt, truncated or oversized input, and when the module traps
 *   (that instance is discarded; the next call makes a new one).
 * @throws RangeError for a bad crop or output size (also a crop outside the image).
 */
export function decodePngResized<R = RawImage>(
  bytes: Uint8Array,
  crop: PixelRect,
  outWidth: number,
  outHeight: number,
  maxSourcePixels = 0,
  lend: Lend<R> = copyImage as Lend<R>,
): R {
  const { left, top, width, height } = crop;
  const limit = checkArgs(bytes, crop, outWidth, outHeight, maxSourcePixels);
  return decoder.use((wasm) => {
    reading = { bytes, offset: 0, memory: wasm.memory };
    let out: R;
    try {
      const at = wasm.png_decode_resize(
        bytes.length,
        left,
        top,
        width,
        height,
        outWidth,
        outHeight,
        limit,
      );
      reading = null;
      const header = decoder.header(wasm, at);
      out = lend({ data: OwnDecoder.view(wasm, header), width: outWidth, height: outHeight });
    } catch (err) {
      reading = null;
      wasm.png_release();
      throw err;
    }
    return afterLend(out, () => wasm.png_release());
  });
}

/**
 * The module's source-pixel limit for `maxSourcePixels` (0: its own cap).
 * @throws RangeError, DecodeError as {@link decodePngResized} for its arguments.
 */
function checkArgs(
  bytes: Uint8Array,
  crop: PixelRect,
  outWidth: number,
  outHeight: number,
  maxSourcePixels: number,
): number {
  const { left, top, width, height } = crop;
  const ok = (v: number, min: number, max = 0xffffffff) =>
    Number.isInteger(v) && v >= min && v <= max;
  if (!ok(left, 0) || !ok(top, 0) || !ok(width, 1) || !ok(height, 1))
    throw new RangeError(`PNG crop: bad rectangle ${JSON.stringify(crop)}`);
  if (!ok(outWidth, 1, width) || !ok(outHeight, 1, height))
    throw new RangeError(
      `PNG resize: output ${outWidth}x${outHeight} must be 1..${width}x${height} (downscale only)`,
    );
  if (bytes.length === 0) throw new DecodeError('png (malformed): empty input');
  return maxSourcePixels > 0 ? Math.min(Math.floor(maxSourcePixels), 0xffffffff) : 0;
}

/**
 * As {@link decodePngResized} (the same pixels), but each finished output row is handed to
 * `write` (RGBA8, `outWidth` × 4 bytes in the module's memory, valid during the call; rows top
 * to bottom, each once) instead of being kept: the module holds one output row, so the
 * caller writes the rows where they belong (an encoder's input: transform/streamed.ts).
 * With `pause` and JSPI (workerd), the decode suspends after every `pause.rows` rows and
 * awaits `pause.pause()`, so a long decode gives the thread back; the result is then a
 * promise, and nothing else may use the module's instance until it settles (yield.ts
 * `inLane`). Without JSPI, or without `pause`, one synchronous call.
 * @throws as {@link decodePngResized} (a promise that rejects so, with `pause`), and
 *   whatever `write` throws.
 */
export function decodePngRows(
  bytes: Uint8Array,
  crop: PixelRect,
  outWidth: number,
  outHeight: number,
  write: (row: Uint8ClampedArray, y: number) => void,
  maxSourcePixels = 0,
  pause?: { rows: number; pause: () => Promise<void> },
): void | Promise<void> {
  const { left, top, width, height } = crop;
  const limit = checkArgs(bytes, crop, outWidth, outHeight, maxSourcePixels);
  const suspends = pause !== undefined && WasmPause.available;
  const every = suspends ? Math.max(1, Math.floor(pause.rows)) : 0;
  const args: [number, number, number, number, number, number, number, number, number] = [
    bytes.length,
    left,
    top,
    width,
    height,
    outWidth,
    outHeight,
    limit,
    every,
  ];
  return decoder.use((wasm) => {
    reading = { bytes, offset: 0, memory: wasm.memory };
    pngRows.open(write, outWidth * 4, wasm.memory);
    const end = () => {
      reading = null;
      pngRows.close();
    };
    const done = (at: number) => {
      end();
      try {
        decoder.header(wasm, at);
      } finally {
        wasm.png_release();
      }
    };
    const failed = (err: unknown): never => {
      end();
      wasm.png_release();
      throw err;
    };
    if (suspends) return pngPause.call(wasm.png_decode_rows, args, pause.pause).then(done, failed);
    try {
      done(wasm.png_decode_rows(...args));
    } catch (err) {
      failed(err);
    }
  });
}
