/**
 * JPEG decoding with DCT scaling by eighths: libjpeg-turbo 2.1.5 (Debian's libjpeg-turbo
 * 1:2.1.5-4, decompressor only, built for wasm32 with SIMD; source, ABI and provenance in
 * wasm/jpeg-turbo/ and wasm/README.md, "jpeg_turbo.wasm") decodes a JPEG at M/8 of its coded
 * size (M = 1..8: the IDCT runs on M points per 8x8 block) straight into an RGBA8 buffer of
 * that size. Its 1/1 decode is the same as sharp's (libjpeg-turbo, islow IDCT, fancy
 * upsampling: 0 differing samples on Carrie.jpg).
 *
 * Colour rules are jpeg_scaled.wasm's (src/codecs/jpeg-scaled.ts): grey and YCbCr/RGB as
 * stored, CMYK/YCCK converted naively (no ICC). Sizes are coded pixels, before EXIF
 * orientation. Truncated scans are errors, never grey-filled images. One instance per
 * isolate (`jpegTurbo` in wasm/instances.ts), dropped after a call that left it above
 * JPEG_TURBO_DROP_ABOVE_BYTES (config.ts); a libjpeg error traps the module, which discards
 * the instance.
 */
import { JPEG_TURBO_DROP_ABOVE_BYTES } from '../config';
import wasmModule from '../../wasm/jpeg_turbo.wasm';
import {
  copyImage,
  OwnDecoder,
  wasiStdioStubs,
  type Lend,
  type OwnModuleExports,
} from './own-wasm';
import { DecodeError, type RawImage } from './types';

/** A DCT scale in eighths: the output is ceil(coded size × M / 8) per axis. */
export type JpegEighths = 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8;

/** The module's exports (wasm/jpeg-turbo/glue.c). */
interface JpegTurboExports extends OwnModuleExports {
  _initialize(): void;
  jt_alloc(len: number): number;
  jt_release(): void;
  jt_decode(ptr: number, len: number, eighths: number, maxSrcPixels: number): number;
  jt_message(): number;
}

const decoder = new OwnDecoder<JpegTurboExports>({
  module: wasmModule,
  what: 'JPEG',
  name: 'jpegTurbo',
  alloc: (e, len) => e.jt_alloc(len),
  release: (e) => e.jt_release(),
  error: (code, message, options) => new DecodeError(`jpeg (${code}): ${message}`, options),
  dropAboveBytes: JPEG_TURBO_DROP_ABOVE_BYTES,
  imports: () => ({
    wasi_snapshot_preview1: wasiStdioStubs(),
  }),
  start: (e) => e._initialize(),
});

/**
 * The smallest scale M/8 whose output still covers `needW` x `needH`: the least M in 1..8
 * with ceil(srcW·M/8) ≥ needW and ceil(srcH·M/8) ≥ needH (libjpeg's rounding), else 8. All
 * sizes in coded pixels (before EXIF orientation).
 */
export function chooseJpegEighths(
  srcW: number,
  srcH: number,
  needW: number,
  needH: number,
): JpegEighths {
  for (let m = 1; m < 8; m++) {
    if (Math.ceil((srcW * m) / 8) >= needW && Math.ceil((srcH * m) / 8) >= needH)
      return m as JpegEighths;
  }
  return 8;
}

/** The decoded size of a `width` x `height` JPEG at `eighths`/8 (libjpeg's rounding up). */
export function eighthsSize(
  width: number,
  height: number,
  eighths: JpegEighths,
): { width: number; height: number } {
  return { width: Math.ceil((width * eighths) / 8), height: Math.ceil((height * eighths) / 8) };
}

/**
 * Decodes a JPEG at `eighths`/8 of its coded size to RGBA8 (alpha 255). Baseline and
 * progressive (progressive files keep every coefficient in memory: 2 bytes per coded sample,
 * whatever the scale), greyscale, YCbCr (any sampling), RGB, CMYK and YCCK; not arithmetic
 * coding, 12-bit or lossless. EXIF orientation and ICC profiles are not applied.
 *
 * @param bytes the whole JPEG file.
 * @param eighths the scale numerator M (1..8; see {@link chooseJpegEighths}).
 * @param maxSourcePixels refuse (`too-large`) when coded width x height exceeds this, checked
 *   after the header and before any image-sized allocation; 0 (default): the module's 2^28.
 * @param lend takes the output (default: a copy is returned; see {@link Lend}).
 * @returns ceil(coded size × M / 8) per axis; `data` is a fresh copy.
 * @throws DecodeError (a 422) on corrupt, truncated, unsupported or oversized input and when
 *   libjpeg stops with an error (a trap: that instance is discarded, the next call makes one).
 * @throws RangeError when `eighths` is not an integer in 1..8.
 */
export function decodeJpegTurbo<R = RawImage>(
  bytes: Uint8Array,
  eighths: JpegEighths,
  maxSourcePixels = 0,
  lend: Lend<R> = copyImage as Lend<R>,
): R {
  if (!Number.isInteger(eighths) || eighths < 1 || eighths > 8)
    throw new RangeError(`JPEG scale must be 1..8 eighths, not ${String(eighths)}`);
  return decoder.lend(
    bytes,
    maxSourcePixels,
    (wasm, ptr, limit) => {
      try {
        return wasm.jt_decode(ptr, bytes.length, eighths, limit);
      } catch (err) {
        // libjpeg's fatal errors trap after keeping their message: put it in the RuntimeError
        // (OwnDecoder then discards the instance and throws a `trap` DecodeError).
        if (err instanceof WebAssembly.RuntimeError) throw trapWithMessage(wasm, err);
        throw err;
      }
    },
    lend,
  );
}

/** The trap `err` with libjpeg's message (jt_message, kept across the trap) when there is one. */
function trapWithMessage(wasm: JpegTurboExports, err: WebAssembly.RuntimeError): Error {
  const mem = new Uint8Array(wasm.memory.buffer);
  const ptr = wasm.jt_message() >>> 0;
  let end = ptr;
  while (end < mem.length && end - ptr < 200 && mem[end] !== 0) end++;
  const msg = new TextDecoder().decode(mem.subarray(ptr, end));
  return msg ? new WebAssembly.RuntimeError(`${msg} (${err.message})`) : err;
}
