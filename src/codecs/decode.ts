/**
 * Bytes → RGBA8 pixels, for every format we accept as an original. The format must come from
 * the probe (magic bytes); this module trusts it and does no size limiting of its own, so call
 * it only after the probe has checked dimensions against the configured limits.
 */
import { GifReader } from 'omggif';
import { CodecCallError, withCodec, type CodecPixels } from '../../wasm';
import { webpLosslessReason } from '../security/webp-lossless';
import type { ImageFormat } from './probe';
import { DecodeError, type RawImage } from './types';
import { webpFirstFrame } from './webp-frame';
import { decodeWebpRs } from './webp-rs';

/**
 * Decodes the first (or only) image of `bytes` to RGBA8, exactly as stored: EXIF orientation
 * is NOT applied (the pipeline applies it), and colour values are passed through untouched
 * (no ICC conversion).
 *
 * - jpeg: mozjpeg via @jsquash/jpeg, `preserveOrientation: false` (in jsquash `true` means
 *   "rotate by EXIF"). Truncated files decode leniently (libjpeg fills the rest grey);
 *   CMYK/YCCK files are rejected by this build.
 * - png: Rust `png` crate via @jsquash/png: palette/grey expanded, 16-bit stripped to 8-bit;
 *   APNG gives its default (IDAT) image, which is the first frame when it is part of the
 *   animation. Checksums are not verified.
 * - webp: libwebp `WebPDecodeRGBA` via @jsquash/webp, except files that would run libwebp's
 *   lossless decoder (a `VP8L` chunk, or an `ALPH` plane compressed losslessly: CVE-2023-4863
 *   in libwebp 1.1.0), which go to the memory-safe Rust decoder in wasm/webp_rs.wasm
 *   (`decodeWebpRs`). An animated WebP gives its first frame (`webpFirstFrame`) on a
 *   transparent canvas of the animation's size, like a GIF.
 * - avif: libavif + libaom via @jsquash/avif, converted to 8-bit RGBA whatever the coded depth;
 *   `irot`/`imir` transforms are not applied; first frame of an image sequence.
 * - gif: omggif (pure JS), first frame composited onto a transparent canvas of the logical
 *   screen size (the size the probe reports); pixels outside the frame rectangle are
 *   transparent, the background colour is ignored (as browsers do).
 *
 * @returns a RawImage whose `data` is a fresh buffer (`data.length === width * height * 4`).
 * @throws DecodeError for anything the decoder rejects (corrupt, truncated, unsupported), and
 *   when a wasm decoder aborts or traps (its instance is then replaced, so the next call works).
 *   A codec that cannot be instantiated at all throws a plain Error (a server fault).
 */
export async function decodeImage(bytes: Uint8Array, format: ImageFormat): Promise<RawImage> {
  try {
    switch (format) {
      case 'jpeg':
        return checked(format, await withCodec('jpegDec', (c) => c.decode(bytes, false)));
      case 'png':
        return checked(format, await withCodec('pngCodec', (c) => c.decode(bytes)));
      case 'webp': {
        const frame = webpFirstFrame(bytes);
        if (!frame) return await decodeStillWebp(bytes);
        const { x, y, canvasWidth, canvasHeight } = frame;
        return onCanvas(await decodeStillWebp(frame.still), x, y, canvasWidth, canvasHeight);
      }
      case 'avif':
        return checked(format, await withCodec('avifDec', (c) => c.decode(bytes, 8)));
      case 'gif':
        return decodeGifFirstFrame(bytes);
      default:
        throw new DecodeError(`unsupported format ${String(format)}`);
    }
  } catch (err) {
    if (err instanceof CodecCallError) throw new DecodeError(`${format}: ${err.message}`);
    throw err;
  }
}

/** A still WebP; lossless bitstreams never reach libwebp 1.1.0 (CVE-2023-4863). */
async function decodeStillWebp(bytes: Uint8Array): Promise<RawImage> {
  if (webpLosslessReason(bytes)) return decodeWebpRs(bytes);
  return checked('webp', await withCodec('webpDec', (c) => c.decode(bytes)));
}

/**
 * `img` placed at (`x`, `y`) on a transparent `width` x `height` canvas (itself when it already
 * covers the canvas exactly).
 * @throws DecodeError when the image does not fit inside the canvas there.
 */
function onCanvas(img: RawImage, x: number, y: number, width: number, height: number): RawImage {
  if (x === 0 && y === 0 && img.width === width && img.height === height) return img;
  if (x + img.width > width || y + img.height > height)
    throw new DecodeError(
      `${img.width}x${img.height}+${x}+${y} frame exceeds the ${width}x${height} canvas`,
    );
  const data = new Uint8ClampedArray(width * height * 4);
  const row = img.width * 4;
  for (let r = 0; r < img.height; r++)
    data.set(img.data.subarray(r * row, r * row + row), ((y + r) * width + x) * 4);
  return { data, width, height };
}

/** Validates a codec result and narrows it to a RawImage without copying. */
function checked(format: ImageFormat, px: CodecPixels | null): RawImage {
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

/**
 * First GIF frame on a transparent canvas of the logical screen size.
 * @throws DecodeError for a malformed stream, no frames, an empty screen, or a first frame
 *   that does not fit inside the logical screen (also the guard against frame-rectangle
 *   bombs: omggif allocates frame width × height before decoding).
 */
function decodeGifFirstFrame(bytes: Uint8Array): RawImage {
  let reader: GifReader;
  try {
    reader = new GifReader(bytes);
  } catch (err) {
    throw new DecodeError(`gif: ${err instanceof Error ? err.message : String(err)}`);
  }
  const { width, height } = reader;
  if (!(width > 0 && height > 0)) throw new DecodeError('gif: empty logical screen');
  if (reader.numFrames() < 1) throw new DecodeError('gif: no frames');
  const frame = reader.frameInfo(0);
  if (frame.x + frame.width > width || frame.y + frame.height > height)
    throw new DecodeError(
      `gif: first frame ${frame.width}x${frame.height}+${frame.x}+${frame.y} exceeds the ${width}x${height} screen`,
    );
  const data = new Uint8ClampedArray(width * height * 4);
  try {
    reader.decodeAndBlitFrameRGBA(0, data);
  } catch (err) {
    throw new DecodeError(`gif: ${err instanceof Error ? err.message : String(err)}`);
  }
  return { data, width, height };
}
