/**
 * AVIF decoding through our own module (wasm/avif.wasm: Debian's dav1d 1.5.1 and libavif
 * 1.4.2 with a small C glue; source, ABI and provenance in wasm/avif/ and wasm/README.md):
 * the primary image (grids and the alpha auxiliary image included), any bit depth, converted
 * by libavif to RGBA8 in row bands, cropped and box-shrunk by an integer factor on the way,
 * so the module never holds the full-size RGBA image: only dav1d's YUV planes (about 1.5
 * bytes per pixel at 8-bit 4:2:0, 3 at 4:4:4, twice that above 8 bits) and the output.
 *
 * {@link openAvifRows} makes the same pixels as rows handed on one at a time (a
 * {@link RowFeed}), so the module never holds the output either, nor, when it scales, the
 * scaled planes: a band of them at a time.
 *
 * One instance per isolate, dropped after a call that left it above
 * {@link AVIF_DEC_DROP_ABOVE_BYTES} (config.ts); a trap discards it (wasm/instances.ts).
 */
import { AVIF_DEC_DROP_ABOVE_BYTES } from '../config';
import wasmModule from '../../wasm/avif.wasm';
import {
  OwnDecoder,
  WasmPause,
  WasmRowWriter,
  wasiStdioStubs,
  type OwnModuleExports,
} from './own-wasm';
import { DecodeError, type RawImage, type RowFeed } from './types';

/** The arguments of `avif_decode` and `avif_rows_open` (wasm/avif/glue.c). */
type AvifDecodeArgs = [
  ptr: number,
  len: number,
  left: number,
  top: number,
  width: number,
  height: number,
  k: number,
  outW: number,
  outH: number,
  maxPixels: number,
];

/** The module's exports (wasm/avif/glue.c). */
interface AvifExports extends OwnModuleExports {
  _initialize(): void;
  avif_alloc(len: number): number;
  avif_release(): void;
  avif_decode(...args: AvifDecodeArgs): number;
  avif_rows_open(...args: AvifDecodeArgs): number;
  avif_rows_run(pauseEvery: number): number;
}

/** `env.avif_write_row(src, y)`: where {@link openAvifRows}' output rows go. */
const avifRows = new WasmRowWriter();

/** `env.avif_pause`: the module's pause point (a row feed with `pause`). */
const avifPause = new WasmPause();

const decoder = new OwnDecoder<AvifExports>({
  module: wasmModule,
  what: 'AVIF',
  name: 'avifDec',
  alloc: (e, len) => e.avif_alloc(len),
  release: (e) => e.avif_release(),
  error: (code, message, options) => new DecodeError(`avif (${code}): ${message}`, options),
  dropAboveBytes: AVIF_DEC_DROP_ABOVE_BYTES,
  imports: () => ({
    wasi_snapshot_preview1: wasiStdioStubs(),
    env: { avif_write_row: avifRows.import, avif_pause: avifPause.import },
  }),
  start: (e) => e._initialize(),
});

/** A rectangle of the coded image, pixels. */
export interface AvifRect {
  left: number;
  top: number;
  width: number;
  height: number;
}

/** Header words of a successful decode beyond the shared ones (glue.c). */
const H_DEPTH = 5;
const H_FLAGS = 6;
const H_PRIMARIES = 7;
const H_TRANSFER = 8;
const FLAG_ALPHA = 1;

/** A decoded AVIF: RGBA8 pixels (non-premultiplied) and what the file says about them. */
export interface AvifDecoded extends RawImage {
  /** Coded bit depth (8, 10 or 12); the pixels are 8-bit whatever it is. */
  depth: number;
  /** The file has an alpha auxiliary image (else alpha is 255). */
  alpha: boolean;
  /**
   * The `nclx` colour primaries and transfer characteristics (ITU-T H.273 code points;
   * 2 = unspecified), as libavif reports them; meaningful when the file carries no ICC profile.
   */
  cicp: { primaries: number; transfer: number };
}

/** How {@link decodeAvif} reduces what it decodes. */
export interface AvifDecodeOptions {
  /** The rectangle of the coded image to keep (default: the whole image). */
  rect?: AvifRect;
  /**
   * Box-shrink the rectangle by this integer factor (1-64, default 1): output pixel (x, y) is
   * the mean of the k×k block at (kx, ky), colour weighted by alpha (as the box pre-shrink of
   * wasm/resize.wasm); the result is ceil(w/k) × ceil(h/k).
   */
  box?: number;
  /**
   * Instead of `box`: scale the rectangle to exactly this size (at most the rectangle's) as
   * YUV before converting, with libavif's scaler (libyuv's box filter from 2x reductions
   * up, bilinear below); the rectangle's start moves to the chroma grid (≤ 1 px).
   */
  size?: { width: number; height: number };
  /** Refuse (before decoding) a coded image above this many pixels; 0 = the module's cap (2^28). */
  maxPixels?: number;
}

/** The default `lend` of {@link decodeAvif}: the pixels copied out of wasm memory. */
const copyAvif = (img: AvifDecoded): AvifDecoded => ({ ...img, data: img.data.slice() });

/**
 * Decodes the primary image of an AVIF, as stored (irot/imir and clap are not applied: the
 * probe reports them as an orientation, which the pipeline applies), reduced as `opts` say.
 * @throws DecodeError for a corrupt, truncated, unsupported or too large file, a `rect`
 *   outside the decoded image, and when the module traps (that instance is discarded; the
 *   next call makes a new one).
 * @param lend takes the output, a view into wasm memory valid only while it runs (see
 *   codecs/own-wasm.ts `Lend`); by default a copy is returned.
 * @throws RangeError for a `box` outside 1..64, a malformed `rect` or `size`.
 */
export function decodeAvif<R = AvifDecoded>(
  bytes: Uint8Array,
  opts: AvifDecodeOptions = {},
  lend: (img: AvifDecoded) => R = copyAvif as (img: AvifDecoded) => R,
): R {
  const args = decodeArgs(opts);
  return call(bytes, opts, (e, ptr, cap) => e.avif_decode(ptr, bytes.length, ...args, cap), lend);
}

/** The module's (left, top, width, height, k, out_w, out_h) for `opts`. @throws RangeError */
function decodeArgs(
  opts: AvifDecodeOptions,
): [number, number, number, number, number, number, number] {
  const { rect, box = 1, size } = opts;
  if (!(Number.isInteger(box) && box >= 1 && box <= 64))
    throw new RangeError(`avif: bad box factor ${box}`);
  const { left = 0, top = 0, width = 0, height = 0 } = rect ?? {};
  const { width: outW = 0, height: outH = 0 } = size ?? {};
  const ints = rect ? [left, top, width, height] : [];
  if (![...ints, outW, outH].every((v) => Number.isInteger(v) && v >= 0))
    throw new RangeError('avif: bad rectangle or size');
  if ((rect && (width === 0 || height === 0)) || (size && (outW === 0 || outH === 0)))
    throw new RangeError('avif: empty rectangle or size');
  return [left, top, width, height, box, outW, outH];
}

/**
 * Runs the decode export `run` (avif_decode or avif_rows_open) through the shared instance and
 * hands its header's image (with the file's facts) to `lend` (see {@link decodeAvif}).
 */
function call<R>(
  bytes: Uint8Array,
  opts: AvifDecodeOptions,
  run: (e: AvifExports, ptr: number, cap: number) => number,
  lend: (img: AvifDecoded, e: AvifExports) => R,
): R {
  let info = { depth: 0, flags: 0, primaries: 2, transfer: 2 };
  let exports: AvifExports | undefined;
  try {
    return decoder.lend(
      bytes,
      opts.maxPixels ?? 0,
      (e, ptr, cap) => {
        exports = e;
        const at = run(e, ptr, cap);
        const h = new Uint32Array(e.memory.buffer, at >>> 0, 11);
        info = {
          depth: h[H_DEPTH] ?? 0,
          flags: h[H_FLAGS] ?? 0,
          primaries: h[H_PRIMARIES] ?? 2,
          transfer: h[H_TRANSFER] ?? 2,
        };
        return at;
      },
      (img) =>
        lend(
          {
            ...img,
            depth: info.depth,
            alpha: (info.flags & FLAG_ALPHA) !== 0,
            cicp: { primaries: info.primaries, transfer: info.transfer },
          },
          exports!,
        ),
    );
  } catch (err) {
    // The module reports a rectangle outside the decoded image (the file's ispe disagreeing
    // with its AV1 frame) as a bad argument: the input's fault here.
    if (err instanceof RangeError) throw new DecodeError(`avif (malformed): ${err.message}`);
    throw err;
  }
}

/** An AVIF opened as rows ({@link openAvifRows}): its facts and a feed of its output rows. */
export interface AvifRows extends RowFeed {
  /** As {@link AvifDecoded}. */
  depth: number;
  alpha: boolean;
  cicp: AvifDecoded['cicp'];
}

/**
 * Decodes an AVIF as {@link decodeAvif} with the same `opts` and hands `use` a feed of the
 * output's rows ({@link RowFeed}: the same pixels, top to bottom, each a view into the
 * module's memory valid during `write`) with the file's facts (depth, alpha, CICP), known
 * before the first row. The module decodes when this is called and makes the rows when the
 * feed is run (once), holding one band of RGBA (and, scaled, one band of scaled planes) but
 * never the output. With `pause` and JSPI (workerd) the feed suspends after every
 * `pause.rows` rows and awaits `pause.pause()`. The decoded image holds the module's instance
 * until `use` returns, or until the promise it returns settles; meanwhile nothing else may
 * call the module (the caller runs in transform/yield.ts `inLane`).
 * @returns what `use` returns.
 * @throws as {@link decodeAvif} (at the start; while the feed runs: a DecodeError, also for
 *   a trap, after which that instance is discarded); whatever `use` or `write` throws.
 */
export function openAvifRows<R>(
  bytes: Uint8Array,
  opts: AvifDecodeOptions,
  use: (rows: AvifRows) => R,
): R {
  const args = decodeArgs(opts);
  const out = call(
    bytes,
    opts,
    (e, ptr, cap) => e.avif_rows_open(ptr, bytes.length, ...args, cap),
    ({ width, height, depth, alpha, cicp }, e) => {
      let fed = false;
      const crop = opts.rect ?? { width, height };
      const rows: AvifRows = {
        width,
        height,
        depth,
        alpha,
        cicp,
        sourcePixels: crop.width * crop.height,
        feed: (write, pause) => {
          if (fed) throw new RangeError('avif: rows fed once');
          fed = true;
          avifRows.open(write, width * 4, e.memory);
          const done = (at: number) => {
            avifRows.close();
            decoder.header(e, at);
          };
          const failed = (err: unknown): never => {
            avifRows.close();
            throw err;
          };
          if (pause === undefined || !WasmPause.available) {
            try {
              return done(e.avif_rows_run(0));
            } catch (err) {
              failed(err);
            }
          }
          const every = Math.max(1, Math.floor(pause!.rows));
          return avifPause.call(e.avif_rows_run, [every], pause!.pause).then(done, failed);
        },
      };
      return use(rows);
    },
  );
  // A trap while the rows are made (after the instance was handed on): the slot has seen the
  // RuntimeError (and discarded the instance); the caller gets a DecodeError (a 422).
  return out instanceof Promise
    ? (out.catch((err: unknown) => {
        throw err instanceof WebAssembly.RuntimeError
          ? new DecodeError(`avif (trap): AVIF codec aborted: ${err.message}`, { cause: err })
          : err;
      }) as R)
    : out;
}
