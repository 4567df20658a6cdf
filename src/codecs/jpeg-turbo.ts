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
 * orientation. The decode is had whole ({@link decodeJpegTurbo}) or as a stream of rows
 * ({@link openJpegTurboRows}: 16 rows held at a time instead of the image). Truncated scans
 * are errors, never grey-filled images. One instance per
 * isolate (`jpegTurbo` in wasm/instances.ts), dropped after a call that left it above
 * JPEG_TURBO_DROP_ABOVE_BYTES (config.ts); a libjpeg error traps the module, which discards
 * the instance.
 */
import { JPEG_TURBO_DROP_ABOVE_BYTES } from '../config';
import wasmModule from '../../wasm/jpeg_turbo.wasm';
import {
  afterLend,
  copyImage,
  OwnDecoder,
  wasiStdioStubs,
  type Lend,
  type OwnModuleExports,
} from './own-wasm';
import { DecodeError, type RawImage, type RowStream } from './types';
import { pulledRows } from './row-stream';

/** A DCT scale in eighths: the output is ceil(coded size × M / 8) per axis. */
export type JpegEighths = 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8;

/** The module's exports (wasm/jpeg-turbo/glue.c). */
interface JpegTurboExports extends OwnModuleExports {
  _initialize(): void;
  jt_alloc(len: number): number;
  jt_release(): void;
  jt_decode(ptr: number, len: number, eighths: number, maxSrcPixels: number): number;
  jt_open(ptr: number, len: number, eighths: number, maxSrcPixels: number): number;
  jt_read(): number;
  jt_close(): void;
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
  checkEighths(eighths);
  return decoder.lend(
    bytes,
    maxSourcePixels,
    (wasm, ptr, limit) => {
      return withMessage(wasm, () => wasm.jt_decode(ptr, bytes.length, eighths, limit));
    },
    lend,
  );
}

/** @throws RangeError when `eighths` is not an integer in 1..8. */
function checkEighths(eighths: number): void {
  if (!Number.isInteger(eighths) || eighths < 1 || eighths > 8)
    throw new RangeError(`JPEG scale must be 1..8 eighths, not ${String(eighths)}`);
}

/**
 * Runs a call into libjpeg. Its fatal errors trap after keeping their message: that message
 * is put in the RuntimeError (OwnDecoder then discards the instance and throws a `trap`
 * DecodeError).
 */
function withMessage(wasm: JpegTurboExports, call: () => number): number {
  try {
    return call();
  } catch (err) {
    if (err instanceof WebAssembly.RuntimeError) throw trapWithMessage(wasm, err);
    throw err;
  }
}

/**
 * A JPEG being decoded as rows ({@link openJpegTurboRows}): a {@link RowStream} whose rows are
 * decoded 16 at a time.
 */
export type JpegRows = RowStream;

/**
 * Decodes a JPEG at `eighths`/8 as {@link decodeJpegTurbo} does (the same pixels), as a stream
 * of rows handed to `use`: only the input, libjpeg's state (for a progressive file, all its
 * coefficients: 2 bytes per coded sample, read at the start) and 16 rows are held, never the
 * image. Rows are pulled top to bottom ({@link RowStream}); rows not asked for (above or below
 * a crop) are decoded and dropped. The stream holds the module's instance until `use` returns,
 * or until the promise it returns settles (see {@link Lend}); meanwhile nothing else may call
 * the module (the caller runs in transform/yield.ts `inLane`).
 * @param maxSourcePixels as for {@link decodeJpegTurbo}.
 * @returns what `use` returns.
 * @throws DecodeError (a 422) as {@link decodeJpegTurbo}, at the start (header, a truncated
 *   progressive file) or from `row` (libjpeg's error in a later row: a trap, after which that
 *   instance is discarded; the file ending before its last row); RangeError for a bad
 *   `eighths` or a row asked for out of order; whatever `use` throws.
 */
export function openJpegTurboRows<R>(
  bytes: Uint8Array,
  eighths: JpegEighths,
  maxSourcePixels: number,
  use: (rows: JpegRows) => R,
): R {
  checkEighths(eighths);
  if (bytes.length === 0) throw new DecodeError('jpeg (malformed): empty input');
  const cap =
    Number.isFinite(maxSourcePixels) && maxSourcePixels > 0
      ? Math.min(Math.floor(maxSourcePixels), 0xffffffff)
      : 0;
  return decoder.use((wasm) => {
    const opened = decoder.header(
      wasm,
      withMessage(wasm, () =>
        wasm.jt_open(decoder.copyIn(wasm, bytes), bytes.length, eighths, cap),
      ),
    );
    const [, width = 0, height = 0] = opened;
    let dead = false;
    const rows = pulledRows(
      'jpeg',
      width,
      height,
      () => wasm.memory.buffer,
      () => {
        try {
          return decoder.header(
            wasm,
            withMessage(wasm, () => wasm.jt_read()),
          );
        } catch (err) {
          if (!(err instanceof WebAssembly.RuntimeError)) throw err;
          // A trap (libjpeg's error) after `use` may have yielded: the slot no longer sees it,
          // so the instance is dropped here and the trap becomes the DecodeError it would be.
          dead = true;
          decoder.drop();
          throw new DecodeError(`jpeg (trap): JPEG codec aborted: ${err.message}`, { cause: err });
        }
      },
    );
    const close = () => {
      if (!dead) wasm.jt_close();
    };
    let out: R;
    try {
      out = use(rows);
    } catch (err) {
      close();
      throw err;
    }
    return afterLend(out, close);
  });
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
