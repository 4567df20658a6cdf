/**
 * AVIF encoding through our own module (wasm/avif_enc.wasm: Debian's aom 3.12.1 encoder and
 * libavif 1.4.2 with a small C glue; source, ABI and provenance in wasm/avif-enc/ and
 * wasm/README.md): RGBA8 → an AVIF still image, 8-bit 4:2:0, BT.601, full range, alpha kept
 * (an opaque image gets no alpha item), libavif's quality for colour and alpha, libavif's
 * speed (aom all-intra, cpu-used = min(speed, 9)), libavif's default tune (SSIM for colour,
 * PSNR for alpha): the settings of the @jsquash/avif 2.1.1 encoder it replaces.
 *
 * One instance per isolate (calls are synchronous), made on first use, dropped after a call
 * that left it above {@link AVIF_ENC_DROP_ABOVE_BYTES} (config.ts). An error inside aom traps
 * (wasm/avif-enc/include/setjmp.h): that instance is discarded (wasm/instances.ts) and the
 * call throws {@link AvifEncodeError}.
 */
import { AVIF_ENC_DROP_ABOVE_BYTES } from '../config';
import wasmModule from '../../wasm/avif_enc.wasm';
import { OwnDecoder, WASI_ENOSYS, wasiStdioStubs, type OwnModuleExports } from './own-wasm';

/** The module's exports (wasm/avif-enc/glue.c). Pointers are i32; `>>> 0` for addresses. */
interface AvifEncExports extends OwnModuleExports {
  _initialize(): void;
  avifenc_alloc(len: number): number;
  avifenc_free(ptr: number): void;
  avifenc_release(): void;
  avifenc_encode(
    ptr: number,
    width: number,
    height: number,
    quality: number,
    speed: number,
  ): number;
}

/** Thrown when the encoder fails (a server fault: any RGBA8 image of a valid size encodes). */
export class AvifEncodeError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AvifEncodeError';
  }
}

/** The file and timer calls aom links but never makes with our options. */
const enosys = (): number => WASI_ENOSYS;

/**
 * The module's imports: the WASI calls libc keeps linked (stdio, and aom's file and timer
 * code, which none of our options reaches) fail with ENOSYS (a failed clock read leaves 0);
 * `proc_exit` throws, so an `exit()` ends the call like a trap.
 */
function imports(): WebAssembly.Imports {
  return {
    wasi_snapshot_preview1: {
      ...wasiStdioStubs(),
      clock_time_get: enosys,
      fd_fdstat_get: enosys,
      fd_fdstat_set_flags: enosys,
      fd_prestat_dir_name: enosys,
      // EBADF: no preopened directories (wasi-libc's start-up asks for them and ends the
      // loop on EBADF; anything else is an error it exits on).
      fd_prestat_get: () => 8,
      fd_read: enosys,
      path_open: enosys,
      proc_exit: (code: number) => {
        throw new WebAssembly.RuntimeError(`exit(${code})`);
      },
    },
  };
}

const encoder = new OwnDecoder<AvifEncExports>({
  module: wasmModule,
  what: 'AVIF',
  name: 'avifEnc',
  alloc: (e, len) => e.avifenc_alloc(len),
  release: (e) => e.avifenc_release(),
  error: (code, message, options) =>
    new AvifEncodeError(`avif encode (${code}): ${message}`, options),
  dropAboveBytes: AVIF_ENC_DROP_ABOVE_BYTES,
  imports,
  start: (e) => e._initialize(),
});

/** Options of {@link encodeAvif}. */
export interface AvifEncodeOptions {
  /** libavif quality 0..100 (100: lossless quantizer); integer. */
  quality: number;
  /** libavif speed 0 (slowest) .. 10 (fastest); integer. */
  speed: number;
}

/**
 * Encodes `width` × `height` RGBA8 pixels (`data`, rows top to bottom, not premultiplied) as
 * an AVIF still image (see the module comment for the settings).
 * @returns the file, a fresh Uint8Array.
 * @throws RangeError for a size over 65536 per side, a `data` length that is not
 *   width × height × 4, or quality/speed out of range; {@link AvifEncodeError} when the
 *   encoder fails (out of memory, or an aom error: its instance is discarded).
 */
export function encodeAvif(
  data: Uint8Array | Uint8ClampedArray,
  width: number,
  height: number,
  opts: AvifEncodeOptions,
): Uint8Array {
  const { quality, speed } = opts;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1)
    throw new RangeError(`avif encode: bad size ${width}x${height}`);
  if (width > 65536 || height > 65536)
    throw new RangeError(`avif encode: ${width}x${height} too large for AVIF`);
  if (data.length !== width * height * 4)
    throw new RangeError(`avif encode: ${data.length} bytes for ${width}x${height} RGBA`);
  if (!Number.isInteger(quality) || quality < 0 || quality > 100)
    throw new RangeError(`avif encode: quality ${quality} outside 0..100`);
  if (!Number.isInteger(speed) || speed < 0 || speed > 10)
    throw new RangeError(`avif encode: speed ${speed} outside 0..10`);
  return encoder.use((e) => {
    // avifenc_encode takes (and frees) the input.
    const ptr = encoder.copyIn(e, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    const h = encoder.header(e, e.avifenc_encode(ptr, width, height, quality, speed));
    try {
      return new Uint8Array(OwnDecoder.data(e, h).buffer);
    } finally {
      e.avifenc_release();
    }
  });
}
