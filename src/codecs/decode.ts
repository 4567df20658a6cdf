/**
 * Bytes → RGBA8 pixels, for every format we accept as an original. The format must come from
 * the probe (magic bytes); this module trusts it and does no size limiting of its own, so call
 * it only after the probe has checked dimensions against the configured limits.
 */
import { CodecCallError, withCodec } from '../../wasm';
import { decodeAvif } from './avif';
import type { ImageFormat } from './probe';
import { decodeGifFrames } from './gif';
import { decodeJpegTurbo } from './jpeg-turbo';
import { DecodeError, type AnimationFrame, type RawImage } from './types';
import { decodeWebp, decodeWebpFrames } from './webp';

/**
 * Decodes the first (or only) image of `bytes` to RGBA8, exactly as stored: EXIF orientation
 * is NOT applied (the pipeline applies it), and colour values are passed through untouched
 * (no ICC conversion).
 *
 * - jpeg: libjpeg-turbo at 8/8 (our wasm/jpeg_turbo.wasm, `decodeJpegTurbo`), as the pipeline
 *   decodes every JPEG that is not reduced: baseline and progressive, grey, YCbCr, CMYK and YCCK
 *   (inks multiplied out to RGB, wasm/jpeg-turbo/glue.c). A truncated file is refused (`malformed`)
 *   rather than filled with grey.
 * - png: Rust `png` crate via @jsquash/png: palette/grey expanded, 16-bit stripped to 8-bit;
 *   APNG gives its default (IDAT) image, which is the first frame when it is part of the
 *   animation. Checksums are not verified.
 * - webp: libwebp 1.5.0 (our wasm/libwebp.wasm, `decodeWebp`), lossy and lossless, with
 *   alpha; an animated WebP gives its first frame composited on the canvas (the animation
 *   pipeline decodes every frame with `decodeWebpFrames`). With `target`, libwebp's rescaler reduces
 *   the image to that size while decoding (shrink-on-load).
 * - avif: libavif 1.4.2 + dav1d 1.5.1 (our wasm/avif.wasm, `decodeAvif`), converted to 8-bit
 *   RGBA whatever the coded depth; `irot`/`imir` transforms are not applied; first frame of an
 *   image sequence. The pipeline calls `decodeAvif` itself, with a crop and a box shrink.
 * - gif: omggif (pure JS), first frame composited onto a transparent canvas of the logical
 *   screen size (the size the probe reports); pixels outside the frame rectangle are
 *   transparent, the background colour is ignored (as browsers do).
 *
 * @param target WebP only: decode reduced to exactly this size (at most the coded size);
 *   ignored for other formats.
 * @returns a RawImage whose `data` is a fresh buffer (`data.length === width * height * 4`).
 * @throws DecodeError for anything the decoder rejects (corrupt, truncated, unsupported), and
 *   when a wasm decoder aborts or traps (its instance is then replaced, so the next call works).
 *   A codec that cannot be instantiated at all throws a plain Error (a server fault).
 */
export async function decodeImage(
  bytes: Uint8Array,
  format: ImageFormat,
  target?: { width: number; height: number },
): Promise<RawImage> {
  try {
    switch (format) {
      case 'jpeg':
        return decodeJpegTurbo(bytes, 8);
      case 'png':
        return checked(format, await withCodec('pngCodec', (c) => c.decode(bytes)));
      case 'webp':
        return isAnimatedWebp(bytes)
          ? await firstFrame(bytes, decodeWebpFrames)
          : decodeWebp(bytes, target);
      case 'avif':
        return decodeAvif(bytes);
      case 'gif':
        return await firstFrame(bytes, decodeGifFrames);
      default:
        throw new DecodeError(`unsupported format ${String(format)}`);
    }
  } catch (err) {
    if (err instanceof CodecCallError) throw new DecodeError(`${format}: ${err.message}`);
    throw err;
  }
}

/** Validates a codec result and narrows it to a RawImage without copying. */
function checked(format: ImageFormat, px: RawImage | null): RawImage {
  if (!px) throw new DecodeError(`${format}: the decoder rejected the data`);
  const { data, width, height } = px;
  if (!(width > 0 && height > 0)) throw new DecodeError(`${format}: empty image`);
  const want = width * height * 4;
  if (!(data instanceof Uint8ClampedArray) || data.length < want)
    throw new DecodeError(
      `${format}: decoder returned ${data.length} bytes for ${width}x${height}`,
    );
  return { data: data.length === want ? data : data.subarray(0, want), width, height };
}

/** True when `bytes` is a VP8X WebP with the animation flag set. */
export function isAnimatedWebp(b: Uint8Array): boolean {
  return (
    b.length > 20 &&
    String.fromCharCode(b[12]!, b[13]!, b[14]!, b[15]!) === 'VP8X' &&
    (b[20]! & 0x02) !== 0
  );
}

/** Signature shared by `decodeWebpFrames` and `decodeGifFrames`. */
type FrameDecoder = (
  bytes: Uint8Array,
  maxPixels: number,
  onInfo: () => void,
  onFrame: (frame: AnimationFrame) => void,
  count?: number,
) => Promise<void>;

/** The first frame of an animation, composited on its canvas. */
async function firstFrame(bytes: Uint8Array, decode: FrameDecoder): Promise<RawImage> {
  let first: RawImage | undefined;
  await decode(
    bytes,
    0,
    () => undefined,
    (f) => void (first ??= { data: f.data, width: f.width, height: f.height }),
    1,
  );
  if (!first) throw new DecodeError('no frames');
  return first;
}
