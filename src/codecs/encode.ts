/**
 * RGBA8 pixels → bytes of a variant. Pixel data only: no encoder here writes EXIF, XMP, ICC or
 * text metadata (mozjpeg encodes from pixels and writes JFIF APP0 only; libwebp's `WebPEncode`
 * writes VP8/VP8L/ALPH chunks only; libavif gets no Exif/XMP; the png crate writes
 * IHDR/IDAT/IEND only).
 */
import { defaultOptions as jpegDefaults } from '@jsquash/jpeg/meta.js';
import { withCodec } from '../../wasm';
import { encodeAvif } from './avif-enc';
import type { EncodeFormat, RawImage } from './types';
import { GifAnimationEncoder } from './gif';
import { encodePng } from './png-enc';
import { hasTransparency } from './resize';
import { encodeWebp, encodeWebpFilled, encodeWebpRows, type WebpRowsOptions } from './webp';

/**
 * Default quality per format on our 1..100 scale, which maps 1:1 onto each encoder's own
 * 0..100 `quality` option: mozjpeg (82), libwebp (80) and libavif's
 * `quality` (50; libavif maps it onto AV1 quantizers, 100 = best; the old
 * `cqLevel`/`minQuantizer` options are gone). PNG is always lossless (`null`).
 * Measured on kodim01 (768x512): JPEG q82 95 KB / 33.0 dB PSNR, WebP q80 93 KB / 35.7 dB,
 * AVIF q50 55 KB / 32.0 dB (AVIF tunes for SSIM, so its PSNR understates it).
 */
export const DEFAULT_QUALITY: Readonly<Record<EncodeFormat, number | null>> = {
  jpeg: 82,
  webp: 80,
  avif: 50,
  png: null,
  gif: null,
};

/**
 * Default libavif speed (0 slowest .. 10 fastest): 9. For stills libavif drives aom in
 * all-intra mode with cpu-used = min(speed, 9), so 10 is the same as 9. Measured in local
 * workerd (single-threaded build, q50, best of 3), 768x512 / 800x1067: speed 6 780 / 1380 ms,
 * 8 250 / 445 ms, 9 66 / 117 ms; speed 9 files are 2 % / 10 % larger than speed 8 at about
 * the same PSNR. A variant miss pays this CPU time inline, so we take the 4x cheaper setting.
 */
export const DEFAULT_AVIF_SPEED = 9;

/** Largest width or height libwebp can encode (VP8/VP8L 14-bit size fields). */
const WEBP_MAX_SIDE = 16383;

/** Options for {@link encodeImage}. */
export interface EncodeOptions {
  /** 1..100, higher is better; ignored for PNG. Default {@link DEFAULT_QUALITY}. */
  quality?: number;
  /** libavif speed 0..10 (AVIF only). Default {@link DEFAULT_AVIF_SPEED}. */
  avifSpeed?: number;
  /** JPEG only: progressive scans (default true); false writes baseline sequential JPEG. */
  progressive?: boolean;
  /**
   * WebP only: what libwebp's encode awaits between its steps, where the runtime has JSPI
   * (codecs/webp.ts `yieldingEncode`), e.g. transform/yield.ts `yieldToLoop`.
   */
  pause?: () => Promise<void>;
}

/**
 * The encoder's quality for `format` and `opts` (see {@link EncodeOptions}), rounded.
 * @throws RangeError for a quality outside 1..100.
 */
export function encodeQuality(format: EncodeFormat, opts: EncodeOptions): number {
  const quality = opts.quality ?? DEFAULT_QUALITY[format] ?? 100;
  if (!Number.isFinite(quality) || quality < 1 || quality > 100)
    throw new RangeError(`encode: quality ${quality} outside 1..100`);
  return Math.round(quality);
}

/**
 * Encodes a WebP as {@link encodeImage} does (the same bytes for the same pixels), from pixels
 * that `fill` writes straight into the encoder's input buffer (RGBA8, `width` × `height`;
 * see `encodeWebpFilled`, src/codecs/webp.ts, for a `fill` that yields, and `pause`): the image exists
 * once, inside libwebp.
 * @throws as encodeImage, and whatever `fill` throws.
 */
export function encodeWebpInto(
  width: number,
  height: number,
  fill: (px: Uint8ClampedArray) => void | Promise<void>,
  opts: EncodeOptions & Pick<WebpRowsOptions, 'pause' | 'method'> = {},
): Uint8Array | Promise<Uint8Array> {
  checkWebpSize(width, height);
  const { pause, method } = opts;
  const quality = encodeQuality('webp', opts);
  return encodeWebpFilled(width, height, fill, { quality, pause, method });
}

/**
 * Encodes a WebP as {@link encodeImage} does (the same bytes for the same pixels), from rows
 * that `produce` writes into libwebp's memory a band at a time (`rowAt(y)`: output row `y`,
 * RGBA8; see `encodeWebpRows`, src/codecs/webp.ts, for the band order, `onBand` and a
 * `produce` that yields between bands, whose encode then awaits `pause` between its steps): libwebp holds its YUV picture and one band, never
 * the RGBA image.
 * @throws as encodeImage, as encodeWebpRows, and whatever `produce` or `onBand` throws.
 */
export function encodeWebpRowsInto(
  width: number,
  height: number,
  produce: (rowAt: (y: number) => Uint8ClampedArray) => void | Promise<void>,
  opts: EncodeOptions & Pick<WebpRowsOptions, 'onBand' | 'pause' | 'method'> = {},
): Uint8Array | Promise<Uint8Array> {
  checkWebpSize(width, height);
  const { onBand, pause, method } = opts;
  const quality = encodeQuality('webp', opts);
  return encodeWebpRows(width, height, produce, { quality, onBand, pause, method });
}

/** @throws RangeError for a size over libwebp's 16383 px a side. */
function checkWebpSize(width: number, height: number): void {
  if (width > WEBP_MAX_SIDE || height > WEBP_MAX_SIDE)
    throw new RangeError(`encode: ${width}x${height} too large for WebP`);
}

/**
 * Encodes `img` (RGBA8) as `format`.
 *
 * - jpeg: mozjpeg (progressive unless `progressive: false`, optimised Huffman, trellis quantisation, 4:2:0). The input
 *   must already be opaque: alpha is dropped, not composited, so the pipeline flattens
 *   transparent images onto a background first.
 * - webp: lossy libwebp 1.5.0 (wasm/libwebp.wasm, SIMD), method 4, alpha kept (`alpha_quality`
 *   100, compressed losslessly): libwebp's `WebPConfigInit` defaults plus the quality; the
 *   rows are handed to libwebp band by band (no copy of the image in its memory).
 * - avif: libavif 1.4.2 + aom 3.12.1 (wasm/avif_enc.wasm, src/codecs/avif-enc.ts), 8-bit 4:2:0,
 *   alpha kept; speed from `avifSpeed`.
 * - png: 8-bit RGBA, or RGB when every pixel is opaque, lossless: the `png` crate 0.17.7 in wasm/png_scaled.wasm (Sub filter,
 *   deflate level 1, not size-optimised), fed a band of rows at a time (`encodePng`,
 *   src/codecs/png-enc.ts), so the module never holds the RGBA image.
 * - gif: one frame, ≤ 256 colours quantised by gifenc, 1-bit transparency (alpha < 128).
 *
 * @returns the encoded file, a fresh Uint8Array.
 * @throws RangeError for a malformed RawImage, a quality outside 1..100, an AVIF speed outside
 *   0..10, or a size the format cannot hold; Error when the encoder fails (its instance is
 *   replaced for the next call).
 */
export async function encodeImage(
  img: RawImage,
  format: EncodeFormat,
  opts: EncodeOptions = {},
): Promise<Uint8Array> {
  const { data, width, height } = img;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1)
    throw new RangeError(`encode: bad size ${width}x${height}`);
  if (data.length !== width * height * 4)
    throw new RangeError(`encode: ${data.length} bytes for ${width}x${height} RGBA`);
  const q = encodeQuality(format, opts);

  let out: Uint8Array | null;
  switch (format) {
    case 'jpeg':
      if (width > 65535 || height > 65535)
        throw new RangeError(`encode: ${width}x${height} too large for JPEG`);
      out = await withCodec('jpegEnc', (c) =>
        // auto_subsample would pick 4:2:2 at this quality; 4:2:0 matches libvips and is
        // ~15% smaller at equal SSIM (measured by npm run bench).
        c.encode(data, width, height, {
          ...jpegDefaults,
          quality: q,
          progressive: opts.progressive ?? true,
          auto_subsample: false,
          chroma_subsample: 2,
        }),
      );
      break;
    case 'webp':
      checkWebpSize(width, height);
      out = opts.pause
        ? await encodeWebp(img, { quality: q, pause: opts.pause })
        : encodeWebp(img, { quality: q });
      break;
    case 'avif': {
      const speed = opts.avifSpeed ?? DEFAULT_AVIF_SPEED;
      if (!Number.isInteger(speed) || speed < 0 || speed > 10)
        throw new RangeError(`encode: avifSpeed ${speed} outside 0..10`);
      out = encodeAvif(data, width, height, { quality: q, speed });
      break;
    }
    case 'gif': {
      const gif = new GifAnimationEncoder(width, height, 1);
      gif.add(img, 0);
      out = gif.finish();
      break;
    }
    case 'png':
      // An opaque image as RGB (3 bytes a pixel before deflate), as libvips writes it.
      out = encodePng(img, { channels: hasTransparency(img.data) ? 4 : 3 });
      break;
    default:
      throw new RangeError(`encode: unsupported format ${String(format)}`);
  }
  if (!out || out.length === 0) throw new Error(`encode: ${format} encoder returned nothing`);
  return out;
}
