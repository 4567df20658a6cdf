/**
 * AVIF decoding through our own module (wasm/avif.wasm: Debian's dav1d 1.5.1 and libavif
 * 1.4.2 with a small C glue; source, ABI and provenance in wasm/avif/ and wasm/README.md):
 * the primary image (grids and the alpha auxiliary image included), any bit depth, converted
 * by libavif to RGBA8 in row bands, cropped and box-shrunk by an integer factor on the way,
 * so the module never holds the full-size RGBA image: only dav1d's YUV planes (about 1.5
 * bytes per pixel at 8-bit 4:2:0, 3 at 4:4:4, twice that above 8 bits) and the output.
 *
 * One instance per isolate (calls are synchronous), dropped after a call that left it above
 * {@link AVIF_DEC_DROP_ABOVE_BYTES} (config.ts); a trap discards it (wasm/instances.ts).
 */
import { AVIF_DEC_DROP_ABOVE_BYTES } from '../config';
import wasmModule from '../../wasm/avif.wasm';
import { OwnDecoder, wasiStdioStubs, type OwnModuleExports } from './own-wasm';
import { DecodeError, type RawImage } from './types';

/** The module's exports (wasm/avif/glue.c). */
interface AvifExports extends OwnModuleExports {
  _initialize(): void;
  avif_alloc(len: number): number;
  avif_release(): void;
  avif_decode(
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
  ): number;
}

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
  const { rect, box = 1, size, maxPixels = 0 } = opts;
  if (!(Number.isInteger(box) && box >= 1 && box <= 64))
    throw new RangeError(`avif: bad box factor ${box}`);
  const { left = 0, top = 0, width = 0, height = 0 } = rect ?? {};
  const { width: outW = 0, height: outH = 0 } = size ?? {};
  const ints = rect ? [left, top, width, height] : [];
  if (![...ints, outW, outH].every((v) => Number.isInteger(v) && v >= 0))
    throw new RangeError('avif: bad rectangle or size');
  if ((rect && (width === 0 || height === 0)) || (size && (outW === 0 || outH === 0)))
    throw new RangeError('avif: empty rectangle or size');
  let info = { depth: 0, flags: 0, primaries: 2, transfer: 2 };
  try {
    return decoder.lend(
      bytes,
      maxPixels,
      (e, ptr, cap) => {
        const at = e.avif_decode(ptr, bytes.length, left, top, width, height, box, outW, outH, cap);
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
        lend({
          ...img,
          depth: info.depth,
          alpha: (info.flags & FLAG_ALPHA) !== 0,
          cicp: { primaries: info.primaries, transfer: info.transfer },
        }),
    );
  } catch (err) {
    // The module reports a rectangle outside the decoded image (the file's ispe disagreeing
    // with its AV1 frame) as a bad argument: the input's fault here.
    if (err instanceof RangeError) throw new DecodeError(`avif (malformed): ${err.message}`);
    throw err;
  }
}
