/**
 * Shrink-on-load JPEG decoding: decodes a JPEG directly at 1/2, 1/4 or 1/8 of its coded
 * size (the IDCT runs on 4, 2 or 1 points per 8x8 block), to RGBA. Much cheaper in CPU
 * and memory than a full @jsquash/jpeg decode followed by a resize when the output is
 * small. Backed by wasm/jpeg_scaled.wasm (jpeg-decoder 0.2.6 in Rust; source and ABI in
 * wasm/jpeg-scaled/ and wasm/README.md).
 *
 * Sizes here are coded pixels, before EXIF orientation. No ICC handling: CMYK is
 * converted naively, like browsers do for untagged CMYK.
 */
import wasmModule from '../../wasm/jpeg_scaled.wasm';

/** A shrink-on-load denominator: output is ceil(coded size / denom) in each axis. */
export type JpegScale = 1 | 2 | 4 | 8;

/** Decoded pixels: RGBA, 4 bytes per pixel, rows top to bottom without padding. */
export interface JpegScaledImage {
  /** `width * height * 4` bytes, alpha always 255. Owned by the caller (not wasm memory). */
  data: Uint8ClampedArray<ArrayBuffer>;
  /** Output width in pixels: ceil(coded width / denom). */
  width: number;
  /** Output height in pixels: ceil(coded height / denom). */
  height: number;
}

/**
 * Why a decode failed. `malformed`: corrupt or truncated JPEG; `unsupported`: valid JPEG
 * using a feature the decoder lacks (lossless, arithmetic coding, 12-bit, hierarchical);
 * `too-large`: coded pixels above `maxSourcePixels`; `out-of-memory`: wasm memory could
 * not grow; `trap`: the decoder aborted (a panic) and its instance was discarded;
 * `internal`: should not happen.
 */
export type JpegDecodeErrorCode =
  'malformed' | 'unsupported' | 'too-large' | 'out-of-memory' | 'trap' | 'internal';

/** Thrown by {@link decodeJpegScaled} when the input cannot be decoded; `code` says why. */
export class JpegDecodeError extends Error {
  constructor(
    readonly code: JpegDecodeErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'JpegDecodeError';
  }
}

/** The module's exports (see wasm/README.md, "jpeg_scaled.wasm"). */
interface JpegScaledExports {
  memory: WebAssembly.Memory;
  jpeg_alloc(len: number): number;
  jpeg_free(ptr: number, len: number): void;
  jpeg_decode(ptr: number, len: number, denom: number, maxSrcPixels: number): number;
  jpeg_release(): void;
}

// Header words returned by jpeg_decode (u32 each).
const H_STATUS = 0;
const H_WIDTH = 1;
const H_HEIGHT = 2;
const H_DATA_PTR = 3;
const H_DATA_LEN = 4;
const H_MSG_PTR = 9;
const H_MSG_LEN = 10;
const HEADER_WORDS = 11;

/** jpeg_decode status → error code (0 is success; 5 = bad argument is prevented here). */
const STATUS_CODES: Record<number, JpegDecodeErrorCode> = {
  1: 'malformed',
  2: 'unsupported',
  3: 'too-large',
  4: 'out-of-memory',
  5: 'internal',
  6: 'internal',
};

/** Wasm memory never shrinks: an instance that grew past this is dropped after the decode. */
const DROP_INSTANCE_ABOVE_BYTES = 64 * 1024 * 1024;

let current: JpegScaledExports | null = null;

function instance(): JpegScaledExports {
  // Synchronous instantiation of a precompiled module is allowed in workerd.
  current ??= new WebAssembly.Instance(wasmModule, {}).exports as unknown as JpegScaledExports;
  return current;
}

/**
 * The largest shrink-on-load reduction that still gives at least the needed size:
 * the largest `denom` in 8, 4, 2 with ceil(srcW / denom) >= needW and
 * ceil(srcH / denom) >= needH, else 1. All sizes in coded pixels (before EXIF
 * orientation; swap needW/needH for orientations 5-8). Same rounding as libjpeg's
 * `scale_denom` and jpeg-decoder's `Decoder::scale`, but both axes must be satisfied.
 */
export function chooseJpegScale(
  srcW: number,
  srcH: number,
  needW: number,
  needH: number,
): JpegScale {
  for (const denom of [8, 4, 2] as const) {
    if (Math.ceil(srcW / denom) >= needW && Math.ceil(srcH / denom) >= needH) return denom;
  }
  return 1;
}

/**
 * Decodes a JPEG at 1/`denom` of its coded size to RGBA (alpha 255), in one pass.
 * Greyscale, YCbCr (any of 4:4:4, 4:2:2, 4:2:0, …), RGB, CMYK and YCCK (naive conversion,
 * no ICC); baseline and progressive. Output size is ceil(coded size / denom) per axis; EXIF
 * orientation is not applied. Progressive JPEGs keep all coefficients, so their memory
 * scales with the source size (about 2 bytes per coded sample) whatever `denom` is.
 *
 * @param bytes the whole JPEG file.
 * @param denom 1, 2, 4 or 8 (see {@link chooseJpegScale}).
 * @param maxSourcePixels refuse (code `too-large`) when coded width x height exceeds this,
 *   checked after the frame header and before any pixel work; 0 (default) means the
 *   module's own cap of 2^28.
 * @throws JpegDecodeError on corrupt, truncated, unsupported or oversized input, or if the
 *   decoder traps (that wasm instance is then discarded; the next call makes a new one).
 * @throws RangeError if `denom` is not 1, 2, 4 or 8.
 */
export function decodeJpegScaled(
  bytes: Uint8Array,
  denom: JpegScale,
  maxSourcePixels = 0,
): JpegScaledImage {
  if (denom !== 1 && denom !== 2 && denom !== 4 && denom !== 8) {
    throw new RangeError(`JPEG scale denominator must be 1, 2, 4 or 8, not ${String(denom)}`);
  }
  if (bytes.length === 0) throw new JpegDecodeError('malformed', 'empty input');
  const limit =
    Number.isFinite(maxSourcePixels) && maxSourcePixels > 0
      ? Math.min(Math.floor(maxSourcePixels), 0xffffffff)
      : 0;
  const wasm = instance();
  try {
    const ptr = wasm.jpeg_alloc(bytes.length) >>> 0; // i32 → unsigned address
    if (ptr === 0) throw new JpegDecodeError('out-of-memory', 'cannot allocate the input');
    new Uint8Array(wasm.memory.buffer, ptr, bytes.length).set(bytes);
    // jpeg_decode always frees the input buffer. Views are made after it: memory may grow.
    const headerPtr = wasm.jpeg_decode(ptr, bytes.length, denom, limit) >>> 0;
    const header = new Uint32Array(wasm.memory.buffer, headerPtr, HEADER_WORDS);
    const status = header[H_STATUS] ?? 6;
    try {
      if (status !== 0) {
        const msg = new TextDecoder().decode(
          new Uint8Array(wasm.memory.buffer, header[H_MSG_PTR], header[H_MSG_LEN]),
        );
        throw new JpegDecodeError(STATUS_CODES[status] ?? 'internal', msg);
      }
      const width = header[H_WIDTH] ?? 0;
      const height = header[H_HEIGHT] ?? 0;
      // The one copy out of wasm memory (which the next decode reuses).
      const data = new Uint8ClampedArray(
        wasm.memory.buffer,
        header[H_DATA_PTR],
        header[H_DATA_LEN],
      ).slice();
      return { data, width, height };
    } finally {
      wasm.jpeg_release();
    }
  } catch (err) {
    if (err instanceof WebAssembly.RuntimeError) {
      // A Rust panic (panic = "abort") or allocation failure inside the decoder: the
      // instance's state is undefined now, so never call it again.
      if (current === wasm) current = null;
      throw new JpegDecodeError('trap', `JPEG decoder aborted: ${err.message}`, { cause: err });
    }
    throw err;
  } finally {
    if (current === wasm && wasm.memory.buffer.byteLength > DROP_INSTANCE_ABOVE_BYTES) {
      current = null; // let the isolate reclaim the grown memory
    }
  }
}

/**
 * Bytes of wasm memory held by the current decoder instance (`memory.buffer.byteLength`),
 * 0 when there is none: before the first decode, after a trap, and after a decode that grew
 * it past 64 MiB (that instance is dropped). It only grows while an instance lives; for
 * benchmarks.
 */
export function jpegScaledMemoryBytes(): number {
  return current ? current.memory.buffer.byteLength : 0;
}
