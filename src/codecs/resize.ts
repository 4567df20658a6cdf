/**
 * Resampling of RGBA8 images with our own wasm module (wasm/resize.wasm: the SIMD lanczos3
 * resampler of wasm/common that the JPEG and PNG modules use; source and ABI in wasm/resize/
 * and wasm/README.md). Colour is premultiplied by alpha when the image has alpha, and large
 * reductions box-shrink inside the module first. The module asks for the source one row at
 * a time (`env.resize_read_row`) and hands out each output row as soon as it is finished
 * (`env.resize_write_row`), so nothing image-sized is ever held in wasm memory: the source is
 * read where it is and the output is written once, straight into its JS buffer.
 */
import wasmModule from '../../wasm/resize.wasm';
import { RESIZE_DROP_ABOVE_BYTES } from '../config';
import { OwnDecoder, WasmPause } from './own-wasm';
import type { RawImage, RowSource } from './types';

/** The module's exports (see wasm/README.md, "resize.wasm"). */
interface ResizeExports {
  memory: WebAssembly.Memory;
  resize_rgba(
    inWidth: number,
    inHeight: number,
    outWidth: number,
    outHeight: number,
    flags: number,
  ): number;
  resize_release(): void;
  resize_pause_every(rows: number): void;
}

/** `resize_rgba` flags bit 0: premultiply colour by alpha while resampling. */
const F_PREMULTIPLY = 1;

/** Largest output the module takes (16384 x 16384), checked before allocating it here. */
const MAX_PIXELS = 2 ** 28;

/** Options for {@link resizeImage}. */
export interface ResizeOptions {
  /**
   * Premultiply colour by alpha while resampling, so transparent pixels' colours do not bleed
   * into edges (halos). Default: true when any pixel has alpha < 255. Pass the probe's
   * `hasAlpha` to skip that scan.
   */
  premultiply?: boolean;
}

/** True when some pixel of `data` (RGBA8) has alpha < 255. */
export function hasTransparency(data: Uint8ClampedArray): boolean {
  for (let i = 3; i < data.length; i += 4) if (data[i]! < 255) return true;
  return false;
}

/**
 * The integer box-shrink factor before lanczos3 for a reduction from `src` to `dst` pixels:
 * the largest that leaves lanczos3 at least a 1.5x reduction (the rule wasm/resize.wasm,
 * png_scaled.wasm and avif.wasm apply; `pre_shrink_factor` in wasm/common). Measured with
 * `npm run bench` on Carrie.jpg 12 MP → 800x1067 against sharp's lanczos3: leaving ≥ 2x
 * (libvips' rule; no shrink at 3.75x) gives SSIM 0.9992 in 236 ms with 99 MiB of resize
 * memory; ≥ 1.5x (k = 2) gives 0.9982 in 172 ms with 40 MiB; ≥ 1.2x (k = 3) drops to 0.9894
 * (@jsquash/resize, before wasm/resize.wasm).
 */
export const preShrinkFactor = (srcW: number, srcH: number, dstW: number, dstH: number) =>
  Math.max(1, Math.floor(Math.min(srcW / dstW, srcH / dstH) / 1.5));

/** The call in progress: its source, where its rows go, and the module's memory. */
let current: {
  src: RowSource;
  srcRowBytes: number;
  write: RowWriter;
  outRowBytes: number;
  memory: WebAssembly.Memory;
} | null = null;

/**
 * Takes finished output row `y` (top to bottom, each once), RGBA8: a view into the module's
 * memory, valid only during the call.
 */
export type RowWriter = (row: Uint8ClampedArray, y: number) => void;

/** `env.resize_read_row(dst, y)`: copies source row `y` to `dst` in wasm memory. */
function readRow(dst: number, y: number): void {
  if (!current) return;
  const { src, srcRowBytes: n, memory } = current;
  const row = src.row(y >>> 0);
  if (row.length !== n) throw new RangeError(`resize: source row of ${row.length} bytes, not ${n}`);
  new Uint8ClampedArray(memory.buffer, dst >>> 0, n).set(row);
}

/** `img` read as rows (views of its data, in any order). */
export function rowsOf(img: RawImage): RowSource {
  const n = img.width * 4;
  return {
    width: img.width,
    height: img.height,
    row: (y) => img.data.subarray(y * n, (y + 1) * n),
  };
}

/** `env.resize_write_row(src, y)`: hands output row `y` at `src` in wasm memory on. */
function writeRow(src: number, y: number): void {
  if (!current) return;
  const { write, outRowBytes: n, memory } = current;
  write(new Uint8ClampedArray(memory.buffer, src >>> 0, n), y >>> 0);
}

/** `env.resize_pause`: the resampler's pause point ({@link resizeRows} with `pause`). */
const resizePause = new WasmPause();

const resizer = new OwnDecoder<ResizeExports>({
  module: wasmModule,
  what: 'resize',
  name: 'resize',
  alloc: () => 0, // no input buffers: the module reads the rows through resize_read_row
  release: (e) => e.resize_release(),
  error: (code, message, options) => new Error(`resize (${code}): ${message}`, options),
  dropAboveBytes: RESIZE_DROP_ABOVE_BYTES,
  imports: () => ({
    env: { resize_read_row: readRow, resize_write_row: writeRow, resize_pause: resizePause.import },
  }),
});

/**
 * Resizes `img` to exactly `width x height` pixels with lanczos3 (no aspect-ratio handling:
 * the caller picks the size; either direction per axis; an unchanged axis is copied).
 * Returns `img` itself when the size is unchanged; else the result's `data` is a fresh
 * buffer and `img` is not altered. Reductions of 3x and more box-shrink first (see
 * {@link preShrinkFactor}). Values are resampled as stored (sRGB-encoded).
 * @throws RangeError for a non-integer or non-positive size, a size above 2^28 pixels, or
 *   a malformed RawImage; Error `resize (out-of-memory)` when the module's row buffers cannot
 *   be allocated, `resize (trap)` when the module aborts (its instance is replaced).
 */
export async function resizeImage(
  img: RawImage,
  width: number,
  height: number,
  opts: ResizeOptions = {},
): Promise<RawImage> {
  checkArgs(img, width, height);
  if (width === img.width && height === img.height) return img;
  const premultiply = opts.premultiply ?? hasTransparency(img.data);
  const out = new Uint8ClampedArray(width * height * 4);
  resizeRows(img, width, height, (row, y) => out.set(row, y * row.length), premultiply);
  return { data: out, width, height };
}

/** @throws RangeError for a bad target size or a malformed `img` (see {@link resizeImage}). */
function checkArgs(img: RawImage | RowSource, width: number, height: number): void {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1)
    throw new RangeError(`resize: bad target size ${width}x${height}`);
  const bytes = 'data' in img ? img.data.length : img.width * img.height * 4;
  if (bytes !== img.width * img.height * 4 || !(img.width >= 1 && img.height >= 1))
    throw new RangeError(`resize: ${bytes} bytes for ${img.width}x${img.height} RGBA`);
  if (width * height > MAX_PIXELS)
    throw new RangeError(`resize: ${width}x${height} is above ${MAX_PIXELS} pixels`);
}

/**
 * Resamples `src` to `width x height` as {@link resizeImage} does (the same pixels), handing
 * each finished row to `write` instead of collecting them: the caller decides where the
 * output lives (an encoder's input buffer, turned on the way), so it is written once.
 * @param src an image, or rows pulled from it in order, each once ({@link RowSource}: a
 *   decoder's stream), so the source need not exist whole either.
 * With `pause` and JSPI (workerd), the resample suspends after every `pause.rows` source rows
 * read and awaits `pause.pause()`, so a long one gives the thread back; the result is then a
 * promise, and nothing else may use the module's instance until it settles (yield.ts
 * `inLane`). Without JSPI, or without `pause`, one synchronous call.
 * @param premultiply as {@link ResizeOptions.premultiply} (no default scan here).
 * @throws as {@link resizeImage}, and whatever `write` or `src.row` throws (a promise that
 *   rejects so, with `pause`); after such a throw, which skipped the module's frames, its
 *   instance is discarded.
 */
export function resizeRows(
  src: RawImage | RowSource,
  width: number,
  height: number,
  write: RowWriter,
  premultiply: boolean,
): void;
export function resizeRows(
  src: RawImage | RowSource,
  width: number,
  height: number,
  write: RowWriter,
  premultiply: boolean,
  pause: { rows: number; pause: () => Promise<void> } | undefined,
): void | Promise<void>;
export function resizeRows(
  src: RawImage | RowSource,
  width: number,
  height: number,
  write: RowWriter,
  premultiply: boolean,
  pause?: { rows: number; pause: () => Promise<void> },
): void | Promise<void> {
  checkArgs(src, width, height);
  const rows = 'data' in src ? rowsOf(src) : src;
  return resizer.use((wasm) => {
    current = {
      src: rows,
      srcRowBytes: rows.width * 4,
      write,
      outRowBytes: width * 4,
      memory: wasm.memory,
    };
    const flags = premultiply ? F_PREMULTIPLY : 0;
    let unwound = false;
    const end = () => {
      current = null;
      if (!unwound) wasm.resize_release();
    };
    // A callback's throw (a decoder's bad row, an encoder's error) unwinds the module's
    // frames, skipping its destructors: that instance is not used again.
    const failed = (err: unknown): never => {
      unwound = !(err instanceof WebAssembly.RuntimeError);
      if (unwound) resizer.drop();
      end();
      throw err;
    };
    if (pause && WasmPause.available) {
      wasm.resize_pause_every(Math.max(1, Math.floor(pause.rows)));
      const args: [number, number, number, number, number] = [
        rows.width,
        rows.height,
        width,
        height,
        flags,
      ];
      return resizePause.call(wasm.resize_rgba, args, pause.pause).then((at) => {
        try {
          resizer.header(wasm, at);
        } finally {
          end();
        }
      }, failed);
    }
    let at = 0;
    try {
      at = wasm.resize_rgba(rows.width, rows.height, width, height, flags);
    } catch (err) {
      failed(err);
    }
    try {
      resizer.header(wasm, at);
    } finally {
      end();
    }
  });
}
