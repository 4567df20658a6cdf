/**
 * Shrink-on-load JPEG decoding: decodes a JPEG directly at 1/2, 1/4 or 1/8 of its coded
 * size (the IDCT runs on 4, 2 or 1 points per 8x8 block), to RGBA; optionally cropped and
 * resampled (lanczos3) to the final size inside the same wasm call
 * ({@link decodeJpegResized}). Much cheaper in CPU and memory than a full @jsquash/jpeg
 * decode followed by a resize when the output is small. Backed by wasm/jpeg_scaled.wasm
 * (jpeg-decoder 0.2.6 in Rust; source and ABI in wasm/jpeg-scaled/ and wasm/README.md).
 *
 * Sizes here are coded pixels, before EXIF orientation. No ICC handling: CMYK is
 * converted naively, like browsers do for untagged CMYK.
 */
import { JPEG_SCALED_DROP_ABOVE_BYTES } from '../config';
import wasmModule from '../../wasm/jpeg_scaled.wasm';
import { copyImage, OwnDecoder, type Lend, type OwnDecodeErrorCode } from './own-wasm';
import type { PixelRect, RawImage } from './types';

/** A shrink-on-load denominator: output is ceil(coded size / denom) in each axis. */
export type JpegScale = 1 | 2 | 4 | 8;

/** Why a decode failed (see {@link OwnDecodeErrorCode}). */
export type JpegDecodeErrorCode = OwnDecodeErrorCode;

/**
 * Thrown by {@link decodeJpegScaled} and {@link decodeJpegResized} when the input cannot be
 * decoded; `code` says why.
 */
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
  jpeg_decode_resize(
    ptr: number,
    len: number,
    denom: number,
    cropLeft: number,
    cropTop: number,
    cropWidth: number,
    cropHeight: number,
    outWidth: number,
    outHeight: number,
    maxSrcPixels: number,
  ): number;
  jpeg_release(): void;
}

const decoder = new OwnDecoder<JpegScaledExports>({
  module: wasmModule,
  what: 'JPEG',
  name: 'jpegScaled',
  alloc: (e, len) => e.jpeg_alloc(len),
  release: (e) => e.jpeg_release(),
  error: (code, message, options) => new JpegDecodeError(code, message, options),
  dropAboveBytes: JPEG_SCALED_DROP_ABOVE_BYTES,
});

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
 * orientation is not applied. Progressive JPEGs keep their coefficients between scans, only
 * those `denom` reads: 128, 40, 16, 10 bytes per 8x8 block at 1/1, 1/2, 1/4, 1/8
 * (wasm/README.md, "Progressive JPEGs").
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
): RawImage {
  checkDenom(denom);
  return decoder.run(bytes, maxSourcePixels, (wasm, ptr, limit) =>
    wasm.jpeg_decode(ptr, bytes.length, denom, limit),
  );
}

/**
 * Decodes a JPEG at 1/`denom` of its coded size, crops it and resamples the crop to
 * `outWidth` x `outHeight` RGBA (alpha 255), all in one wasm call: the same pixels as
 * `resizeImage(crop(decodeJpegScaled(bytes, denom)), outWidth, outHeight,
 * { premultiply: false })` with lanczos3 (src/codecs/resize.ts, when it does not box-shrink
 * first), but the RGBA image at 1/`denom` and the resizer's float intermediate never exist:
 * only the decoder's own buffers (RGB, 3 bytes per decoded pixel), a few filter rows and the
 * output live in wasm memory. Carrie.jpg (3000x4000) at 1/2 → 800x1067: about 18 MiB of
 * wasm memory instead of 20 + 41 (see wasm/README.md).
 *
 * Only downscaling (an axis of equal size is copied as it is). Formats, EXIF and ICC
 * handling as {@link decodeJpegScaled}: coordinates are coded pixels at 1/`denom`, before
 * EXIF orientation.
 *
 * @param bytes the whole JPEG file.
 * @param denom 1, 2, 4 or 8 (see {@link chooseJpegScale}).
 * @param crop the source rectangle in the decoded image (ceil(coded size / denom) per
 *   axis): integers, width and height ≥ 1, inside the decoded image.
 * @param outWidth output width, 1..crop.width.
 * @param outHeight output height, 1..crop.height.
 * @param maxSourcePixels as for {@link decodeJpegScaled} (0: the module's cap of 2^28).
 * @param lend takes the output (default: a copy is returned; see {@link Lend}).
 * @throws JpegDecodeError on corrupt, truncated, unsupported or oversized input, or a trap
 *   (that wasm instance is then discarded; the next call makes a new one).
 * @throws RangeError for a bad `denom`, crop or output size, including a crop that does
 *   not fit the decoded image (known only once the JPEG header has been read).
 */
export function decodeJpegResized<R = RawImage>(
  bytes: Uint8Array,
  denom: JpegScale,
  crop: PixelRect,
  outWidth: number,
  outHeight: number,
  maxSourcePixels = 0,
  lend: Lend<R> = copyImage as Lend<R>,
): R {
  checkDenom(denom);
  const { left, top, width, height } = crop;
  const isU32 = (v: number) => Number.isInteger(v) && v >= 0 && v <= 0xffffffff;
  if (!isU32(left) || !isU32(top) || !isU32(width) || !isU32(height) || !width || !height)
    throw new RangeError(`JPEG crop: bad rectangle ${JSON.stringify(crop)}`);
  if (
    !Number.isInteger(outWidth) ||
    !Number.isInteger(outHeight) ||
    outWidth < 1 ||
    outHeight < 1 ||
    outWidth > width ||
    outHeight > height
  )
    throw new RangeError(
      `JPEG resize: output ${outWidth}x${outHeight} must be 1..${width}x${height} (downscale only)`,
    );
  return decoder.lend(
    bytes,
    maxSourcePixels,
    (wasm, ptr, limit) =>
      wasm.jpeg_decode_resize(
        ptr,
        bytes.length,
        denom,
        left,
        top,
        width,
        height,
        outWidth,
        outHeight,
        limit,
      ),
    lend,
  );
}

function checkDenom(denom: JpegScale): void {
  if (denom !== 1 && denom !== 2 && denom !== 4 && denom !== 8) {
    throw new RangeError(`JPEG scale denominator must be 1, 2, 4 or 8, not ${String(denom)}`);
  }
}
