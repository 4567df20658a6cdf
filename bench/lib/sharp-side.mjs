/**
 * sharp (libvips) side of the benchmark and the quality measure shared by both sides.
 *
 * sharp runs in this Node process with one libvips worker thread (`sharp.concurrency(1)`) and
 * the libvips operation cache off (otherwise repeating an identical pipeline returns the
 * cached result). Encoder settings mirror ours (see {@link sharpEncoder}).
 */
import sharp from 'sharp';
import { ssim } from 'ssim.js';

sharp.concurrency(1);
sharp.cache(false);

/** @typedef {{ width: number, height: number, channels: 1 | 2 | 3 | 4 }} RawInfo */
/** @typedef {{ data: Buffer, info: RawInfo }} Raw */

export const sharpVersion = () => ({
  sharp: sharp.versions.sharp ?? '',
  libvips: sharp.versions.vips,
});

/**
 * sharp encoder options matching our encoder (src/codecs/encode.ts):
 * - jpeg: `mozjpeg: true` (sharp's prebuilt libvips links mozjpeg; this turns on the same
 *   trellis quantisation, progressive scans and quant table 3 that @jsquash/jpeg uses), 4:2:0.
 * - jpeg with `rows` (our libjpeg-turbo rows encoder, src/codecs/jpeg-rows.ts): without
 *   `mozjpeg`, libvips resets mozjpeg to libjpeg-turbo's behaviour (JCP_FASTEST: the standard
 *   tables, no trellis, no scan search); progressive (libjpeg's simple progression),
 *   optimised Huffman tables, 4:2:0, as ours.
 * - webp: lossy, `effort` 4 = libwebp method 4 (ours), alpha quality 100 (both defaults).
 * - avif: 8-bit 4:2:0 like ours (sharp's default is 4:4:4); `effort` = 9 - our libavif speed,
 *   clamped to 0..9 (libvips passes aom cpu-used = 9 - effort; libavif passes speed).
 * - png: sharp defaults (zlib level 6, no palette).
 * @param {sharp.Sharp} s
 * @param {'jpeg'|'png'|'webp'|'avif'|'gif'} format
 * @param {{ quality: Record<string, number | null>, avifSpeed: number }} defaults our encoder defaults
 * @param {boolean} [rows] JPEG: the rows encoder's settings instead of mozjpeg's
 */
export function sharpEncoder(s, format, defaults, rows = false) {
  const q = defaults.quality[format] ?? undefined;
  switch (format) {
    case 'jpeg':
      return rows
        ? s.jpeg({
            quality: q,
            progressive: true,
            optimiseCoding: true,
            chromaSubsampling: '4:2:0',
          })
        : s.jpeg({ quality: q, mozjpeg: true, chromaSubsampling: '4:2:0' });
    case 'webp':
      return s.webp({ quality: q, effort: 4, alphaQuality: 100 });
    case 'avif':
      return s.avif({
        quality: q,
        effort: Math.min(9, Math.max(0, 9 - defaults.avifSpeed)),
        chromaSubsampling: '4:2:0',
        bitdepth: 8,
      });
    case 'png':
      return s.png();
    case 'gif':
      return s.gif();
    default:
      throw new Error(`unknown format ${String(format)}`);
  }
}

/**
 * The operations a benchmark unit runs, on one build of sharp: the native one (this module's
 * `sharp`) or the WebAssembly one (./sharp-wasm32.mjs).
 * @typedef {{
 *   name: string,
 *   sharp: typeof sharp,
 *   decodeRaw: (bytes: Uint8Array) => Promise<Raw>,
 *   fromRaw: (raw: Raw) => sharp.Sharp,
 *   resizeRaw: (raw: Raw, width: number, height: number) => Promise<Raw>,
 * }} Libvips
 */

/**
 * The unit operations on `lib`:
 * - `decodeRaw`: full decode to raw pixels (what sharp does when asked for `.raw()`; JPEGs
 *   give 3 channels);
 * - `fromRaw`: a sharp pipeline reading raw pixels;
 * - `resizeRaw`: lanczos3 resize of raw pixels to exactly `width` x `height` (no
 *   shrink-on-load: the input is already decoded); the stage benchmark and quality references.
 * @param {string} name @param {typeof sharp} lib @returns {Libvips}
 */
export function libvips(name, lib) {
  /** @param {Raw} raw */
  const fromRaw = (raw) => {
    const { width, height, channels } = raw.info;
    return lib(raw.data, { raw: { width, height, channels } });
  };
  return {
    name,
    sharp: lib,
    async decodeRaw(bytes) {
      const { data, info } = await lib(bytes).raw().toBuffer({ resolveWithObject: true });
      return { data, info: /** @type {RawInfo} */ (info) };
    },
    fromRaw,
    async resizeRaw(raw, width, height) {
      const { data, info } = await fromRaw(raw)
        .resize(width, height, { kernel: 'lanczos3', fit: 'fill' })
        .raw()
        .toBuffer({ resolveWithObject: true });
      return { data, info: /** @type {RawInfo} */ (info) };
    },
  };
}

/** Native sharp (the prebuilt libvips for this machine), as used for inputs and references. */
export const native = libvips('native', sharp);
export const { decodeRaw, fromRaw, resizeRaw } = native;

/**
 * The quality reference for an output of `width` x `height` made from `file`: a full decode
 * (EXIF orientation applied), then a lanczos3 downscale of the raw pixels, kept lossless.
 * @param {Uint8Array} file @param {number} width @param {number} height
 */
export async function reference(file, width, height) {
  const full = await sharp(file).rotate().raw().toBuffer({ resolveWithObject: true });
  return resizeRaw({ data: full.data, info: /** @type {RawInfo} */ (full.info) }, width, height);
}

/**
 * RGBA pixels for SSIM: transparent images are flattened onto white first (what a viewer
 * sees on a white page), so hidden colour under alpha 0 does not count.
 * @param {sharp.Sharp} s
 */
async function visibleRgba(s) {
  const { data, info } = await s
    .flatten({ background: '#ffffff' })
    .ensureAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data: new Uint8ClampedArray(data.buffer, data.byteOffset, data.length), ...info };
}

/**
 * SSIM (ssim.js, Weber's algorithm, 11x11 window, luma, full resolution: no downsampling) of
 * an encoded image against a raw reference of the same size. Both are decoded by sharp.
 * @param {Uint8Array} encoded @param {Raw} ref
 * @returns {Promise<number>}
 */
export async function ssimAgainst(encoded, ref) {
  const a = await visibleRgba(sharp(encoded));
  const b = await visibleRgba(fromRaw(ref));
  if (a.width !== b.width || a.height !== b.height)
    throw new Error(`SSIM: ${a.width}x${a.height} output against ${b.width}x${b.height} reference`);
  return ssim(a, b, { downsample: false }).mssim;
}

/**
 * SSIM of raw pixels against a raw reference (for the resize stage).
 * @param {Raw} raw @param {Raw} ref
 */
export async function ssimRaw(raw, ref) {
  const a = await visibleRgba(fromRaw(raw));
  const b = await visibleRgba(fromRaw(ref));
  return ssim(a, b, { downsample: false }).mssim;
}

export { sharp };
