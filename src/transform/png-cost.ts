/**
 * The planner's figures for a PNG source (src/transform/cost.ts): PNGs decode, crop and
 * resample in one streaming call of wasm/png_scaled.wasm (src/codecs/png-scaled.ts), so what
 * a PNG costs in memory follows the OUTPUT and the compressed file, not the source pixels:
 *
 *   memory = file (the JS buffer; the module reads it in 32 KiB chunks, never whole)
 *          + 2 × RGBA × module output (its output in wasm memory and the JS copy)
 *          + interlaced: the crop's even rows at the worst expanded depth (16-bit: 6 bytes per
 *            pixel, 8 with alpha), i.e. 3-4 bytes per crop pixel (Adam7, see wasm/png-scaled)
 *          + an enlargement (the module only reduces): wasm/resize.wasm, per enlarged MP, or
 *            only its fixed memory when the rows go straight to the encoder (the streamed
 *            path: codecs/resize.ts `resizeRows` keeps a window of rows, never the image)
 *
 * The constants are fitted to peaks measured in workerd (VmHWM of the bench Worker, `node
 * bench/png-memory.mjs`; docs/performance.md, "PNG sources"). CPU stays on the full-decode
 * figure per source MP (`decodeMsPerMP.png`, measured for @jsquash/png, which the issue found
 * slower than this crate: the safe side) plus the resize figure per crop MP.
 *
 * A PNG OUTPUT on the streamed path (transform/streamed.ts: opaque, written as RGB by
 * codecs/png-enc.ts `encodePngRows` a band at a time) is charged {@link streamedPngEncodeMb}.
 */
import type { Geometry } from './geometry';

/** The cost-table figures this module reads (a subset of `CostTable` in cost.ts). */
export interface PngCostFigures {
  decodeMsPerMP: { png: number | null } & Record<string, number | null>;
  resizeMsPerMP: number | null;
  memoryMBPerMP: { resize: number | null; resizeAlpha?: number | null };
  memoryFixedMB: { resize: number | null };
}

const MP = 1_000_000;
const MIB = 1024 * 1024;
/** Bytes per RGBA pixel, as MiB per MP. */
const RGBA_MB_PER_MP = (4 * MP) / MIB;
/** The module instance (code, stack, rows, filter weights), MiB. */
export const PNG_MODULE_FIXED_MB = 2;
/**
 * Compressed bytes per pixel assumed when the file size is unknown: a 12 MP photo saved by
 * sharp (zlib level 6, adaptive filters) takes 1.8 (8-bit RGB and 16-bit RGB); 4 covers
 * noisier 8-bit RGBA.
 */
const PNG_BYTES_PER_PIXEL_UNKNOWN = 4;

/** What the planner knows about a PNG source. */
export interface PngFacts {
  width: number;
  height: number;
  hasAlpha: boolean;
  /** Adam7 interlaced (`progressive` in the probe and the image record). */
  progressive?: boolean;
  /** Size of the file, bytes (absent: assumed from the pixels). */
  bytes?: number;
}

/**
 * The decode stage of a PNG variant, resampling included (the module resizes while it
 * decodes), and the pixels the module holds at once (the inline ceiling's measure).
 * @param geometry the variant's geometry (crop and resize in the output frame: only their
 *   areas and per-axis ratios are used, which orientation does not change).
 * @param streamed the variant takes the streamed path (transform/streamed.ts): an enlargement's
 *   rows go straight to the encoder.
 */
export function pngDecodeCost(
  src: PngFacts,
  geometry: Geometry,
  t: PngCostFigures,
  streamed = false,
): { decode: { ms: number; mb: number }; resizeMs: number; heldPixels: number } {
  const srcMP = (src.width * src.height) / MP;
  const { crop, resize } = geometry;
  const cropMP = (crop.width * crop.height) / MP;
  const outPixels = Math.min(crop.width, resize.width) * Math.min(crop.height, resize.height);
  const outMP = outPixels / MP;
  const fileMB = (src.bytes ?? src.width * src.height * PNG_BYTES_PER_PIXEL_UNKNOWN) / MIB;
  const evenRowsMB = src.progressive ? (cropMP * MP * (src.hasAlpha ? 4 : 3)) / MIB : 0;
  const enlarged = resize.width > crop.width || resize.height > crop.height;
  const resizeMB = (src.hasAlpha ? t.memoryMBPerMP.resizeAlpha : null) ?? t.memoryMBPerMP.resize;
  const enlargedImageMB = streamed ? 0 : (resizeMB ?? 0) * ((resize.width * resize.height) / MP);
  const enlargeMB = enlarged ? enlargedImageMB + (t.memoryFixedMB.resize ?? 0) : 0;
  const fullMs = t.decodeMsPerMP.png ?? Math.max(0, ...Object.values(t.decodeMsPerMP).map(Number));
  const reduced = outPixels < crop.width * crop.height;
  return {
    decode: {
      ms: fullMs * srcMP,
      mb: PNG_MODULE_FIXED_MB + fileMB + 2 * RGBA_MB_PER_MP * outMP + evenRowsMB + enlargeMB,
    },
    resizeMs:
      (reduced ? (t.resizeMsPerMP ?? 0) * cropMP : 0) +
      (enlarged ? (t.resizeMsPerMP ?? 0) * ((resize.width * resize.height) / MP) : 0),
    heldPixels: outPixels + (src.progressive ? Math.ceil((crop.width * crop.height) / 2) : 0),
  };
}

/**
 * Fixed memory of a streamed PNG encode, MiB, in place of `memoryFixedMB.encode.png`: the
 * instance (about 2.2: stack, data, deflate state) and what the JS side holds besides (the band
 * views, a flattened band's garbage, the drained segments' garbage). Fitted to the highest
 * peak against this model, the 12 MP PNG → 1600x1200 (74.3 MB above idle measured, 1.8 over the
 * model with 3; bench/results/2026-12-05-png-rows-memory.json), as JPEG_ROWS_FIXED_MB is; raised
 * from 5.5 when the file began to be drained (session 13,
 * bench/results/2026-12-06-png-drain-memory.json: the 12 MP phone JPEG → 1600x1200 measured
 * 1.7 over the model with 5.5).
 */
export const PNG_ROWS_FIXED_MB = 7.5;

/**
 * Bytes per pixel of a streamed PNG's file, a bound for any content: 8-bit RGB stored raw (3,
 * plus a filter byte per row; deflate falls back to stored blocks, 5 bytes per 64 KiB, where
 * it cannot compress), with 1 % to spare. Photos take 1.7-1.9 (docs/performance.md, "PNG
 * output encoded a band at a time").
 */
const STREAMED_PNG_FILE_BYTES_PER_PIXEL = 3.03;

/**
 * Segments of the file in the PNG module between drains, MiB: up to two of 1 MiB (the one being
 * written and a full one not yet drained; codecs/png-enc.ts drains after every band).
 */
const PNG_UNDRAINED_MB = 2;

/**
 * The PNG encoder's memory for a `width` × `height` output on the streamed path, MiB
 * (besides {@link PNG_ROWS_FIXED_MB}): the file (at most
 * {@link STREAMED_PNG_FILE_BYTES_PER_PIXEL}), drained band by band into one JS buffer, so held
 * once, with {@link PNG_UNDRAINED_MB} in the module, and the band buffer (32 RGBA rows);
 * `whole`: the image is written whole into the band buffer first (an output turned or flipped
 * top to bottom, codecs/png-enc.ts `encodePngFilled`).
 */
export function streamedPngEncodeMb(width: number, height: number, whole: boolean): number {
  const pixels = width * height;
  const band = 4 * (whole ? pixels : 32 * width);
  return (STREAMED_PNG_FILE_BYTES_PER_PIXEL * pixels + band) / MIB + PNG_UNDRAINED_MB;
}
