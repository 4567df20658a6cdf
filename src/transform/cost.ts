/**
 * The cost planner: estimates a variant's CPU time and peak memory from header facts only
 * (source pixels and format, output pixels and format, AVIF speed), before any byte is
 * decoded, and decides where the work may run: inline in the request, in the queue consumer,
 * or nowhere (a 422).
 *
 * Coefficients come from one table, `cost-table.json`, written by `npm run bench` with the
 * date and machine it was measured on (docs/performance.md, "The cost table"):
 *
 *   cpu    = decode(srcFormat) × decodedSrcMP + resize × resizeInputMP + colour
 *            + encode(out) × outMP
 *   memory = request + input + fixed(codecs used) + decodeMB + resizeMB + encodeMB − handoffs
 *
 * Memory is summed over the stages (every codec keeps its own wasm memory, which never
 * shrinks), minus half an RGBA buffer per handoff (`HANDOFF_FREED`). The memory figures are
 * fitted to per-variant peaks in workerd (`node bench/grid-memory.mjs`,
 * bench/results/2026-12-05-memory.json), and test/transform/cost-measured.test.ts holds every
 * estimate at or above its measured peak (docs/performance.md, "Memory per variant"). How each rule and constant was derived and
 * measured (shrink-on-load, progressive JPEGs, colour management, encode sizes):
 * docs/performance.md, "The cost model's derivations".
 *
 * AVIF (wasm/avif.wasm, src/codecs/avif.ts): dav1d decodes the whole image to YUV (charged
 * by what the module holds, src/transform/avif-cost.ts); the module hands out only the crop,
 * box-shrunk or scaled to the target (`box` in `decodePlan`), so resize sees that and no
 * full-size RGBA; on the streamed path, where that is the target itself, as rows (`avifFeed`:
 * neither the output nor the scaled planes held).
 *
 * PNG sources stream through their own
 * module (decode, crop and resample in one call): their decode is charged per output MP and
 * per byte of the file, not per source MP (src/transform/png-cost.ts).
 */
import type { JpegScale } from '../codecs/jpeg-scaled';
import type { AvifCoding, ImageFormat } from '../codecs/probe';
import { preShrinkFactor } from '../codecs/resize';
import type { EncodeFormat } from '../codecs/types';
import { STAND_IN_QUALITY, type Config } from '../config';
import type { ImageRecord } from '../storage/images-db';
import { avifModuleMb } from './avif-cost';
import { JPEG_ROWS_FIXED_MB, jpegRowsEncodeMb } from './jpeg-rows-cost';
import table from './cost-table.json';
import { PNG_ROWS_FIXED_MB, pngDecodeCost, streamedPngEncodeMb } from './png-cost';
import {
  SCALED_DECODE_MB_PER_DECODED_MP,
  scaledModuleMb,
  TURBO_FIXED_MB,
  TURBO_MS_PER_DECODED_MP,
  TURBO_MS_PER_SOURCE_MP,
  TURBO_ROWS_MB,
  turboProgressiveCoefficientMbPerMP,
} from './jpeg-cost';
import {
  avifFeedSize,
  isAnimatedOutput,
  shapeVariant,
  type SourceFacts,
  type VariantShape,
} from './pipeline';
import { encoderQuality } from './quality';
import { streams } from './streamed';
import type { Size } from './geometry';
import type { TransformSpec } from './spec';

type PerFormat<K extends string> = Record<K, number | null>;
/**
 * Encoder figures: GIF (gifenc) is not benchmarked yet, so it falls back to the dearest;
 * `webpAlpha` (memory only, optional): WebP of an image with transparency.
 */
type PerEncodeFormat = PerFormat<Exclude<EncodeFormat, 'gif'>> & {
  gif?: number | null;
  webpAlpha?: number | null;
};

/** The shape of `cost-table.json` (docs/performance.md documents each field). */
export interface CostTable {
  /** Date of the bench run, YYYY-MM-DD. */
  measured: string;
  /** `nproc N, <CPU> @ MHz, Node vX, Linux Y`. */
  machine: string;
  /** ms per source MP, full decode to RGBA. */
  decodeMsPerMP: PerFormat<ImageFormat>;
  /** lanczos3 resize, ms per MP of resize input. */
  resizeMsPerMP: number | null;
  /** ms per output MP at the default quality. */
  encodeMsPerMP: PerEncodeFormat;
  /** libavif speed the AVIF encode figure was measured at. */
  avifSpeed: number;
  /** MiB of RSS per MP for one operation, above the codecs' fixed cost. */
  memoryMBPerMP: {
    decode: PerFormat<ImageFormat>;
    /**
     * Resize (wasm/resize.wasm, lanczos3 after an integer box pre-shrink), per OUTPUT MP: the
     * module reads its input a row at a time and writes each output row straight into the
     * output's RGBA buffer, so what it adds is that buffer and its rows (the input is the
     * decoder's, counted there; the instance is `memoryFixedMB.resize`).
     */
    resize: number | null;
    /** The same with premultiplied alpha (a source with alpha; optional, `resize` when absent). */
    resizeAlpha?: number | null;
    /** Also `webpAlpha`: a WebP that keeps transparency (libwebp's lossless alpha plane). */
    encode: PerEncodeFormat;
    /**
     * Encode, per output MP beyond 800x1067 (the slope between the bench's 800w and 1600w
     * encodes; optional, `encode` when absent). Encode memory is piecewise linear through
     * zero and both measured points: `encode` × MP up to 0.85 MP, this slope above.
     */
    encodeAbove800w?: PerEncodeFormat;
    /**
     * Lossless WebP decode (VP8L bitstreams) of a whole image, per SOURCE MP: the ARGB image
     * libwebp's VP8L decoder keeps for a losslessly compressed alpha plane (and for records
     * that do not tell a VP8L image apart: `webpVp8l` absent), on top of the input copy and
     * the decoded (possibly rescaled) RGBA. A VP8L image keeps a window of rows instead
     * ({@link vp8lWindowMB}).
     */
    webpLosslessDecode?: number | null;
    /** Shrink-on-load decode by denominator, per SOURCE MP (optional; see the fallback). */
    jpegScaledDecode?: Partial<Record<'1' | '2' | '4' | '8', number | null>>;
  };
  /** MiB: an idle workerd, and what instantiating each codec adds. */
  memoryFixedMB: {
    idle: number | null;
    decode: PerFormat<ImageFormat>;
    resize: number | null;
    encode: PerEncodeFormat;
    jpegScaledDecode?: number | null;
    /**
     * What a request adds whatever its codecs (the Worker's JS heap, request and response
     * objects); optional, 0 when absent.
     */
    request?: number | null;
  };
  /**
   * MiB of RSS per MiB of the original's file held while a variant is made (the body read
   * from R2 and its transient buffers), beyond the copies the decode figures count
   * (optional, 0 when absent).
   */
  memoryMBPerInputMB?: number | null;
  /** The results file the memory figures were fitted to (bench/grid-memory.mjs). */
  memorySource?: string;
  /** Lossless WebP decode (VP8L bitstreams), ms per source MP. */
  webpLosslessDecodeMsPerMP?: number | null;
  /** Shrink-on-load decode at 1/2, ms per source MP. */
  jpegScaledDecodeMsPerMP?: number | null;
  /** The same by denominator. */
  jpegScaledDecodeMsPerMPByDenom?: Partial<Record<'1' | '2' | '4' | '8', number | null>>;
}

/** The coefficients in use (imported at build time). */
export const COST_TABLE: CostTable = table as CostTable;

/**
 * Fallbacks for figures the table lacks (a failed bench case is `null`): the largest figure
 * of the same kind, so a missing number never makes work look cheap. Shrink-on-load memory
 * per SOURCE MP (docs/performance.md, "The cost model's derivations").
 */
const SCALED_DECODE_MB_PER_MP: Record<'1' | '2' | '4' | '8', number> = {
  '1': 5,
  '2': 2.2,
  '4': 1.3,
  '8': 1.05,
};
/** The 1/1 module's output buffers, MB per output MP (see SCALED_DECODE_MB_PER_MP). */
const UNSCALED_OUTPUT_MB_PER_MP = 7;
const SCALED_DECODE_FIXED_MB = 2;
/**
 * Bytes a progressive JPEG's coefficients take per 8x8 block between scans, by decode scale
 * 1/d: our patch of jpeg-decoder keeps the k x k (k = 8/d) i16 coefficients the IDCT reads
 * and, below 1/1, an 8-byte non-zero bitmap of the others (wasm/README.md, "Progressive
 * JPEGs"): 128, 40, 16, 10.
 */
const PROGRESSIVE_BYTES_PER_BLOCK: Record<'1' | '2' | '4' | '8', number> = {
  '1': 128,
  '2': 40,
  '4': 16,
  '8': 10,
};
/** 8x8 blocks per source pixel at 4:2:0 (1.5 samples per pixel). */
const PROGRESSIVE_BLOCKS_PER_PIXEL = 1.5 / 64;
/**
 * Coefficient storage of a progressive JPEG decoded at 1/`d`, MiB per source MP (bytes per
 * pixel / 1.048576): 2.86 at 1/1, 0.89 at 1/2, 0.36 at 1/4, 0.22 at 1/8 (4:2:0; 4:4:4 takes
 * twice that).
 */
const progressiveCoefficientMbPerMP = (d: '1' | '2' | '4' | '8'): number =>
  (PROGRESSIVE_BYTES_PER_BLOCK[d] * PROGRESSIVE_BLOCKS_PER_PIXEL) / 1.048576;

/** Little CMS 8-bit RGB → sRGB, ms per MP, and ms to build the transform (docs/performance.md). */
const COLOUR_MS_PER_MP = 30;
const COLOUR_PREPARE_MS = 5;
/** The module's instance: 1.4 MiB after a transform, the 1 MiB chunk buffer, the profile. */
const COLOUR_FIXED_MB = 3;

/**
 * libwebp's memory for an opaque image written straight into its input (transform/streamed.ts),
 * MB per output MP, when the orientation transposes (a quarter turn: the whole RGBA input is
 * written, then converted): the RGBA input, the YUV 4:2:0 picture it is converted to, the
 * encoder's own buffers. Measured (the `webpEnc` instance in bench/grid-memory.mjs, after
 * streaming): 4.8, 10.4, 18.3, 21.3 MiB at 0.85, 1.92, 3.41, 4 MP, at most 5.6 per MP (the
 * instance itself is `memoryFixedMB.encode.webp`). With transparency the table's `webpAlpha`
 * figures stand.
 */
export const STREAMED_WEBP_MB_PER_MP = 5.6;

/**
 * As {@link STREAMED_WEBP_MB_PER_MP} for the other orientations, whose rows libwebp takes a
 * band at a time (codecs/webp.ts `encodeWebpRows`): the YUV 4:2:0 picture (1.43 MiB per MP),
 * the quantized levels its token loop keeps until the probabilities are known (our patch,
 * wasm/libwebp/level-store.patch: 0.2-0.3 MiB per MP for photos at q80, where the tokens took
 * 0.9-1.5), the encoder's per-macroblock state, the band, no RGBA image. Measured (wasm memory
 * of one encode of the grid's photos resized, `node bench/libwebp-encode-memory.mjs`, session
 * 12): 2.2, 4.3, 6.9, 8.0 MiB at 0.85, 1.92, 3.41, 4 MP, at most 2.6 per MP; beyond 4 MP
 * 11.1, 16.8, 21.4, 28.2, 37.0, 43.3, 57.0, 61.5 MiB at 5.76, 9, 12, 16, 21.3, 25, 33.3, 36 MP:
 * at most 1.7 MiB more per MP than at 4 MP, charged 1.8. (With the tokens: 4.5 per MP to 4 MP,
 * 3 beyond.)
 */
export const BANDED_WEBP_MB_PER_MP = 2.6;
/** Output MP up to which {@link BANDED_WEBP_MB_PER_MP} applies, and the figure beyond it. */
const BANDED_WEBP_KNEE_MP = 4;
const BANDED_WEBP_MB_PER_MP_BEYOND = 1.8;

/** libwebp's memory for a banded opaque encode of `outMP` output MP (see above), MB. */
export const bandedWebpMb = (outMP: number) =>
  BANDED_WEBP_MB_PER_MP * Math.min(outMP, BANDED_WEBP_KNEE_MP) +
  BANDED_WEBP_MB_PER_MP_BEYOND * Math.max(0, outMP - BANDED_WEBP_KNEE_MP);

/**
 * Fixed memory of an opaque WebP encode on the streamed path, MiB, in place of
 * `memoryFixedMB.encode.webp` (16, fitted to the whole-image encoders): the libwebp instance
 * (1-2 MiB before an encode), the band views and the file's copy out, since libwebp keeps its
 * levels instead of its tokens and writes the file at its exact size (session 12). Fitted to
 * every grid, beyond and prog WebP case measured again with that module
 * (bench/results/2026-12-05-webp-encode-memory.json): with 16 the closest was the 12 MP PNG →
 * 400x300, 8.7 MB over its peak (60.1 MB above idle; 55.8-60.4 in earlier files) with the
 * colour stage's 3 MB charged, which a source without a profile (this one) does not get in
 * production (`colourManaged: false`); 13 leaves 2.4 over the highest of them without it.
 */
export const STREAMED_WEBP_FIXED_MB = 13;

/** Output MP of the bench's smaller encode case (800x1067), the knee of the encode curve. */
const ENCODE_KNEE_MP = (800 * 1067) / 1_000_000;

/** Bytes per RGBA pixel, as MiB per MP. */
const RGBA_MB_PER_MP = 4 / 1.048576;

/** Share of a buffer handed from one stage to the next that is freed by the next one's peak. */
const HANDOFF_FREED = 0.5;

const MP = 1_000_000;

/**
 * ARGB pixels libwebp's VP8L decoder keeps for the main image of a lossless WebP `width` x
 * `height` pixels: with our patch (wasm/libwebp/vp8l-sliding-window.patch, `WindowRows()`),
 * the rows a backward reference can reach (2^20 pixels, or 7 rows and 8 pixels) plus those a
 * copy can write (4096 pixels) and a row, half as much again as slack, at most the whole
 * image; and its 17 rows of transform output. A 4032 px wide image keeps 399 rows (6.1 MiB)
 * where it kept all 3024 (46.5 MiB).
 */
export function vp8lWindowPixels(width: number, height: number): number {
  const behind = Math.max(Math.ceil(Math.max(2 ** 20, 7 * width + 8) / width) + 1, 16);
  const kept = behind + 2 + Math.ceil(4096 / width);
  return width * (Math.min(height, kept + Math.floor(kept / 2)) + 17);
}

/**
 * What libwebp's VP8L decoder holds besides its window, per source MP (Huffman tables,
 * transform images, colour cache: under 1 MB for the grid's 12 MP photo), MiB.
 */
const VP8L_TABLES_MB_PER_MP = 0.1;

/** Rows of a lossless WebP's band pulled on the streamed path (wasm/libwebp/glue.c ROWS_OUT). */
const VP8L_ROWS_BAND = 32;

/** {@link vp8lWindowPixels} in MiB (4 bytes per pixel). */
export const vp8lWindowMB = (width: number, height: number): number =>
  (4 * vp8lWindowPixels(width, height)) / 1_048_576;

/** Facts the planner needs: the pipeline's source facts plus the JPEG coding mode. */
export interface PlanSource extends SourceFacts {
  /** Progressive JPEG (all entropy decoding, coefficients kept between scans). Absent = baseline. */
  progressive?: boolean;
  /** WebP with a lossless (VP8L) bitstream (see ImageRecord), priced on its own figures. */
  webpLossless?: boolean;
  /**
   * False when the original is known to carry no ICC profile to convert (ImageRecord
   * colourManaged); absent (unknown: records stored before it was recorded) is charged the
   * colour transform.
   */
  colourManaged?: boolean;
  /** AVIF: the AV1 coding (ImageRecord avifCoding); absent is charged the largest frame (avif-cost.ts). */
  avifCoding?: AvifCoding;
  /**
   * Size of the original file, bytes (ImageRecord.bytes): shrink-on-load input copies, and
   * PNG memory counts the compressed input (png-cost.ts).
   */
  bytes?: number;
}

/** One stage's share of an estimate. */
export interface StageCost {
  ms: number;
  mb: number;
}

/** A variant's estimated cost. */
export interface CostEstimate {
  /** Estimated CPU time, ms (the sum of the stages). */
  cpuMs: number;
  /** Estimated peak memory above an idle isolate, MiB (see the module comment). */
  memoryMB: number;
  /** Stored pixels of the original. */
  sourcePixels: number;
  /**
   * Pixels the decoder produces (after shrink-on-load); for a PNG, the pixels its streaming
   * module holds at once (the output, plus half the crop when interlaced).
   */
  decodedPixels: number;
  /** Pixels of the encoded output (canvas). */
  outputPixels: number;
  /** Shrink-on-load denominator (1 = full decode). */
  decodeScale: JpegScale;
  /** Per-stage figures, and the codecs' fixed memory. */
  stages: {
    decode: StageCost;
    resize: StageCost;
    colour: StageCost;
    encode: StageCost;
    fixedMB: number;
  };
}

/** What one place may spend on a variant. */
export interface Budget {
  cpuMs: number;
  memoryMB: number;
  /** Largest decoded image, pixels (the inline ceiling `maxInlinePixels`); none when absent. */
  maxDecodedPixels?: number;
}

/** Where a variant is computed: in the request, in the queue consumer, or nowhere. */
export type Placement = 'inline' | 'queue' | 'refuse';

const num = (v: number | null | undefined, fallback: number) =>
  typeof v === 'number' && Number.isFinite(v) ? v : fallback;
const maxOf = (rec: Record<string, number | null>) =>
  Math.max(0, ...Object.values(rec).filter((v): v is number => typeof v === 'number'));

/**
 * The shrink-on-load denominator the pipeline will use for this spec (its own rule,
 * `decodePlan`): 1 unless the source is a JPEG whose crop is reduced at least 2x in both axes.
 */
export function decodeScale(src: PlanSource, spec: TransformSpec): JpegScale {
  return shapeVariant(src, spec).decode.scale;
}

/** A planned shape whose source carries the planner's facts (see {@link PlanSource}). */
export interface PlanShape extends VariantShape {
  src: PlanSource;
}

/**
 * The encode stage of `outMP` output megapixels in `format` (see the module comment); `alpha`:
 * the image may keep transparency (a WebP then compresses an alpha plane losslessly).
 */
function encodeCost(
  format: EncodeFormat,
  outMP: number,
  avifSpeed: number,
  t: CostTable,
  alpha = false,
): StageCost {
  const mem = t.memoryMBPerMP;
  let ms = num(t.encodeMsPerMP[format], maxOf(t.encodeMsPerMP)) * outMP;
  if (format === 'avif' && avifSpeed < t.avifSpeed) ms *= 4 ** (t.avifSpeed - avifSpeed);
  const key = alpha && format === 'webp' && mem.encode.webpAlpha != null ? 'webpAlpha' : format;
  const perMP = num(mem.encode[key], maxOf(mem.encode));
  return {
    ms,
    mb:
      perMP * Math.min(outMP, ENCODE_KNEE_MP) +
      num(mem.encodeAbove800w?.[key], perMP) * Math.max(0, outMP - ENCODE_KNEE_MP),
  };
}

/**
 * The encoder's fixed memory: `memoryFixedMB.encode[format]`, or `webpAlpha` for a WebP that
 * keeps transparency (its figures were fitted apart, see docs/performance.md).
 */
function encodeFixed(
  format: EncodeFormat,
  alpha: boolean,
  t: CostTable,
): number | null | undefined {
  const f = t.memoryFixedMB.encode;
  return alpha && format === 'webp' && f.webpAlpha != null ? f.webpAlpha : f[format];
}

/**
 * Estimates one variant of a spec: {@link estimateShape} on its shape (tests and one-off
 * callers; request flows plan the shape once, transform/plan.ts).
 */
export function estimateVariant(
  src: PlanSource,
  spec: TransformSpec,
  format: EncodeFormat,
  avifSpeed = COST_TABLE.avifSpeed,
  t: CostTable = COST_TABLE,
): CostEstimate {
  return estimateShape(shapeVariant(src, spec), format, avifSpeed, t);
}

/**
 * Estimates the CPU time and peak memory of one variant from header facts and its planned
 * shape (geometry and decode plan, computed once by the caller).
 * @param shape the variant's shape: its `src` holds the stored (coded) size, format,
 *   orientation, alpha and JPEG mode of the original, its `spec` the validated transform. (coded) size, format, orientation, alpha and JPEG mode of the original.
 * @param spec the validated transform (its geometry decides the output size).
 * @param format the resolved output format.
 * @param avifSpeed the libavif speed the encoder will use; AVIF encode time is scaled by
 *   4x per speed step below the table's (measured: speed 8 is ~4x speed 9).
 * @param enlarged the variant is made small and enlarged (a stand-in: {@link estimateEnlarged}),
 *   so it never takes the streamed path.
 */
export function estimateShape(
  shape: PlanShape,
  format: EncodeFormat,
  avifSpeed = COST_TABLE.avifSpeed,
  t: CostTable = COST_TABLE,
  enlarged = false,
): CostEstimate {
  const { src, spec, geometry } = shape;
  const sourcePixels = src.width * src.height;
  const outputPixels = geometry.canvas.width * geometry.canvas.height;
  const { scale, box, decoded, eighths } = shape.decode;
  // The streamed path (transform/streamed.ts) writes the output once, into libwebp's input
  // (see the encode stage below).
  const streamed =
    !isAnimatedOutput(src, spec, format) &&
    streams(src, spec, format, shape.inner, enlarged, shape.jpegRows);
  // A still lossless (VP8L) WebP is pulled as rows on the streamed path (pipeline.ts
  // `streamFor`, codecs/webp.ts `openWebpRows`), cropped by libwebp and, where the module path
  // would scale it (decodePlan `inModule`), scaled by libwebp's rescaler as it is decoded:
  // libwebp holds its window of rows, tables, input and one band of rows, no image and no
  // output.
  const vp8lRows =
    streamed && src.format === 'webp' && src.webpVp8l === true && (src.frames ?? 1) <= 1;
  const { inModule } = shape.decode;
  const avif = src.format === 'avif';
  const decodedPixels =
    avif || eighths
      ? decoded.width * decoded.height
      : scale === 1
        ? sourcePixels
        : Math.ceil(src.width / scale) * Math.ceil(src.height / scale);
  const srcMP = sourcePixels / MP;
  const decMP = decodedPixels / MP;
  const outMP = outputPixels / MP;
  const mem = t.memoryMBPerMP;
  const fixed = t.memoryFixedMB;
  /** AVIF: the module's output, the crop reduced as `decoded` is (see decodePlan). */
  const avifMP = (geometry.crop.width * geometry.crop.height * decodedPixels) / sourcePixels / MP;
  // A JPEG on the streamed path is libjpeg-turbo's rows encoder (jpeg-rows-cost.ts); a PNG,
  // the PNG module fed rows (png-cost.ts `streamedPngEncodeMb`).
  const jpegRows = streamed && format === 'jpeg';
  const pngRows = streamed && format === 'png';
  // PNG: decode + crop + resample stream through one module (png-cost.ts); `trim=border`
  // decodes the whole PNG first, charged per source MP below.
  const png =
    src.format === 'png' && spec.trim?.kind !== 'border'
      ? pngDecodeCost(src, geometry, t, streamed)
      : null;

  // A PNG reduced by its module (or kept) on the streamed path feeds its output rows straight
  // on (transform/pipeline.ts `streamFor`, codecs/png-scaled.ts `decodePngRows`): the module
  // holds one output row, and nothing is copied out.
  const pngFeed =
    streamed &&
    png !== null &&
    geometry.resize.width <= geometry.crop.width &&
    geometry.resize.height <= geometry.crop.height;
  // An AVIF whose module output is the target, on the streamed path, feeds its rows on
  // (pipeline.ts `streamFor`, codecs/avif.ts `openAvifRows`): the module holds no output and
  // no scaled planes (avif-cost.ts), and nothing is copied out.
  const avifFeed = streamed && avif && avifFeedSize(shape.crop, shape.target, box);
  /** The JPEG and PNG modules' output: the crop reduced to the target (they only reduce). */
  const moduleOutMP =
    (Math.min(geometry.crop.width, geometry.resize.width) *
      Math.min(geometry.crop.height, geometry.resize.height)) /
    MP;

  // Decode.
  let decode: StageCost;
  let decodeFixed: number;
  const fullMs = num(t.decodeMsPerMP[src.format], maxOf(t.decodeMsPerMP));
  const fullMb = num(mem.decode[src.format], maxOf(mem.decode));
  if (src.format === 'webp' && src.webpLossless) {
    // libwebp's VP8L decoder keeps a window of ARGB rows (vp8lWindowMB) and its tables for a
    // VP8L image, the whole ARGB image for a lossless alpha plane or an untold record
    // (`webpLosslessDecode` per source MP); the module also holds its input and its output
    // (cropped and scaled to the target by libwebp on the module path, else the whole
    // image or 1/`scale` of it), which is copied out to JS; pulled as rows (`vp8lRows`), a
    // band of VP8L_ROWS_BAND rows in the module, no output.
    const bytesMB = (src.bytes ?? sourcePixels * 4) / 1_048_576;
    const heldMP = vp8lRows
      ? (VP8L_ROWS_BAND * src.width) / MP / 2
      : inModule
        ? (geometry.resize.width * geometry.resize.height) / MP
        : decMP;
    const argbMB = src.webpVp8l
      ? VP8L_TABLES_MB_PER_MP * srcMP + vp8lWindowMB(src.width, src.height)
      : num(mem.webpLosslessDecode, maxOf(mem.decode)) * srcMP;
    decode = {
      ms: num(t.webpLosslessDecodeMsPerMP, maxOf(t.decodeMsPerMP)) * srcMP,
      mb: argbMB + 2 * bytesMB + 2 * RGBA_MB_PER_MP * heldMP,
    };
    // Pulled as rows, nothing fixed beyond them (as libjpeg-turbo's rows, TURBO_FIXED_MB): the
    // decode's fixed figure was fitted to decodes that hold an image (measured:
    // bench/results/2026-12-06-vp8l-rows-memory.json, 12-21 MB under the estimates without it).
    decodeFixed = vp8lRows ? 0 : num(fixed.decode.webp, maxOf(fixed.decode));
  } else if (src.format === 'webp' && inModule) {
    // A lossy still WebP cropped and scaled to the target by libwebp while decoding (the
    // planner's fallback under 2x, fallback.ts): its input twice and its output, in libwebp's
    // memory and copied out (VP8 decodes a few macroblock rows at a time into the rescaler).
    // Measured: 17.2 MiB of libwebp memory for the grid's 12 MP WebP (1.1 MB) → 2000x2000.
    decode = {
      ms: fullMs * srcMP,
      mb:
        (2 * (src.bytes ?? sourcePixels * 4)) / 1_048_576 +
        (2 * RGBA_MB_PER_MP * geometry.resize.width * geometry.resize.height) / MP,
    };
    decodeFixed = num(fixed.decode.webp, maxOf(fixed.decode));
  } else if (png) {
    decode = png.decode;
    decodeFixed = 0; // inside png.decode
  } else if (!inModule && src.format === 'webp' && scale > 1 && src.bytes !== undefined) {
    // A lossy still WebP reduced by libwebp's rescaler while decoding: the module holds its
    // input and the reduced RGBA, not the full-size image. Measured (wasm MiB, the grid's
    // 12 MP lossy WebP of 1.1 MB → 150x113, 400x300, 800x600, 1600x1200: 1.9, 2.3, 3.7, 9.2)
    // within the JPEG module's figure per decoded MP, which is used for both.
    decode = {
      ms: fullMs * srcMP,
      mb: (2 * src.bytes) / 1_048_576 + SCALED_DECODE_MB_PER_DECODED_MP * decMP,
    };
    decodeFixed = num(fixed.decode.webp, maxOf(fixed.decode));
  } else if (avif) {
    // wasm/avif.wasm: what the module holds (avif-cost.ts: dav1d's frame, the scaled planes,
    // its output where it does not reuse the frame's memory), and its output (the crop
    // box-shrunk or scaled to the target: `avifMP`) copied out.
    const scaled = avifMP * MP < geometry.crop.width * geometry.crop.height;
    decode = {
      ms: fullMs * srcMP,
      mb: avifModuleMb(src, avifMP * MP, box, scaled, avifFeed) + RGBA_MB_PER_MP * avifMP,
    };
    decodeFixed = num(fixed.decode.avif, maxOf(fixed.decode));
  } else if (eighths) {
    const inputMb = src.bytes !== undefined ? src.bytes / 1_048_576 : 0.25 * srcMP;
    // A progressive JPEG (at 8/8 when not reduced, else the planner's fallback: pipeline.ts
    // decodePlan): libjpeg decodes all its coefficients and keeps, between scans, those its
    // scale M/8 reads (jpeg-cost.ts turboProgressiveCoefficientMbPerMP).
    const coefficients = src.progressive ? turboProgressiveCoefficientMbPerMP(eighths) * srcMP : 0;
    // On the streamed path its rows are decoded as they are pulled (codecs/jpeg-turbo.ts
    // `openJpegTurboRows`, always taken there): no decoded image, only libjpeg's strips and
    // 16 rows (jpeg-cost.ts TURBO_ROWS_MB), and nothing fixed beyond them (measured: see
    // TURBO_FIXED_MB); else the M/8 image, in the module and copied out.
    decode = {
      ms:
        (src.progressive ? fullMs : TURBO_MS_PER_SOURCE_MP) * srcMP +
        TURBO_MS_PER_DECODED_MP * decMP,
      mb: 2 * inputMb + coefficients + (streamed ? TURBO_ROWS_MB : 2 * RGBA_MB_PER_MP * decMP),
    };
    decodeFixed = streamed ? 0 : TURBO_FIXED_MB;
  } else if (!inModule) {
    // A progressive JPEG's decoder keeps all its coefficients for every scan (as 1/1 below).
    const coefficients =
      src.format === 'jpeg' && src.progressive ? progressiveCoefficientMbPerMP('1') * srcMP : 0;
    decode = { ms: fullMs * srcMP, mb: fullMb * srcMP + coefficients };
    decodeFixed = num(fixed.decode[src.format], maxOf(fixed.decode));
  } else {
    const d = String(scale) as '1' | '2' | '4' | '8';
    // Without a measured figure: 1/1 costs at least the full decode (decodeImage).
    const scaledMs = num(
      t.jpegScaledDecodeMsPerMPByDenom?.[d],
      scale === 1 ? fullMs : num(t.jpegScaledDecodeMsPerMP, fullMs),
    );
    // Progressive JPEGs keep their DCT coefficients between scans, only those the scale reads
    // (3 MB per source MP at 1/1 down to 0.23 at 1/8, 4:2:0), and do all the entropy decoding:
    // charged the full decode's CPU (or the module's 1/1 figure, if higher) and the
    // coefficients on top of the scaled figure. The module's peak for the 24 MP progressive
    // grid source (3.7 MB) → 400x600 at 1/8 is 11.9 MiB (75.1 before the patch), → 800x1200
    // at 1/4 19.9 (79.9), → 1600x2400 at 1/2 52.1 (99.3); this estimates 14.3, 22.8, 56.5 MB
    // (`node bench/jpeg-scaled-node.mjs --case resized <file> <denom> 1 WxH`).
    const ms = src.progressive ? Math.max(fullMs, scaledMs) : scaledMs;
    const coefficientsMb = src.progressive ? progressiveCoefficientMbPerMP(d) * srcMP : 0;
    // Shrunk on load, with the compressed size known: what the module holds (jpeg-cost.ts
    // scaledModuleMb). At 1/1 the figures per source and output MP stand: the same model
    // there covers the 8 MP portrait → 2000 cover only to the MB (105.6 for 105.6 measured,
    // its turned rows and the 8 MP source's JS objects), so it stays fitted to the peaks.
    const mb =
      scale > 1 && src.bytes !== undefined
        ? scaledModuleMb(src.bytes / 1_048_576, decMP, moduleOutMP, coefficientsMb)
        : coefficientsMb +
          SCALED_DECODE_MB_PER_MP[d] * srcMP +
          (scale === 1 ? UNSCALED_OUTPUT_MB_PER_MP * outMP : 0);
    decode = { ms: ms * srcMP, mb };
    decodeFixed = num(fixed.jpegScaledDecode, SCALED_DECODE_FIXED_MB);
  }

  // Resize: free when nothing changes size (the pipeline skips it: a format change, a crop
  // kept at its size). On the module path the module resamples while it decodes (streaming
  // lanczos3, no RGBA copy of the decoded image): its memory is inside the module's figure,
  // so only CPU is charged. Elsewhere wasm/resize.wasm streams rows from the decoded image
  // into the output: memory per output MP. Large reductions box-shrink first (inside the
  // module, src/codecs/resize.ts), so lanczos3 sees 1/k² of the decoded pixels; the box pass
  // itself costs about a fifth of lanczos3.
  // An AVIF scaled to the target by its module (box 0) needs no resize; a box-shrunk one is
  // resized from the module's output.
  const resized =
    (geometry.crop.width !== geometry.resize.width ||
      geometry.crop.height !== geometry.resize.height) &&
    !(avif && box === 0);
  // (A JPEG at M/8 is resized from the crop as decoded.)
  const shrunk = eighths ? eighths / 8 : 1;
  const k =
    inModule || avif
      ? 1
      : preShrinkFactor(
          geometry.crop.width * shrunk,
          geometry.crop.height * shrunk,
          geometry.resize.width,
          geometry.resize.height,
        );
  const lanczosMP = avif ? avifMP : decMP / (k * k);
  const resizedMP = (geometry.resize.width * geometry.resize.height) / MP;
  const resizePerMP = src.hasAlpha ? num(mem.resizeAlpha, num(mem.resize, 0)) : num(mem.resize, 0);
  const resizeMs = num(t.resizeMsPerMP, 0);
  // `trim=border` decodes the whole source at full size (decodedPixels above) and scans it
  // for the box (transform/trim.ts): not benchmarked yet, charged as one more lanczos3 pass
  // over the decoded source (the scan reads 9 pixels per band where it looks, usually only
  // the border). Resizing is charged on the untrimmed crop: the trimmed one is never larger.
  const trimMs = spec.trim?.kind === 'border' ? resizeMs * decMP : 0;
  // A WebP on the module path (a VP8L image, or the lossy fallback: decodePlan) is scaled by
  // libwebp's rescaler inside the decode, whose figure includes it (the same CPU as a full
  // decode, measured): no resize stage.
  const losslessInModule = src.format === 'webp' && inModule;
  const resize: StageCost = png
    ? { ms: png.resizeMs, mb: 0 }
    : !resized || losslessInModule
      ? { ms: trimMs, mb: 0 }
      : {
          ms:
            trimMs + (inModule || k === 1 ? resizeMs * decMP : resizeMs * (lanczosMP + decMP / 5)),
          mb: inModule ? 0 : resizePerMP * resizedMP,
        };

  // Colour: on the smaller of the crop (as decoded) and the output, in place (no buffer).
  const cropMP = inModule
    ? outMP
    : (geometry.crop.width * geometry.crop.height * decodedPixels) / sourcePixels / MP;
  const colour: StageCost =
    src.colourManaged === false
      ? { ms: 0, mb: 0 }
      : { ms: COLOUR_PREPARE_MS + COLOUR_MS_PER_MP * Math.min(cropMP, outMP), mb: 0 };

  // The streamed path (transform/streamed.ts) writes the output once, into the encoder's input:
  // no resized or turned copy in JS, nothing handed on as garbage, and a decoder that lends its
  // output (codecs/own-wasm.ts `Lend`) is not copied out, where the decode figure counts that
  // copy: the JPEG module at 1/1, the PNG module and the AVIF module (their output; fed as
  // rows, `pngFeed` and `avifFeed`, the module holds none either),
  // lossless WebP (the decoded image; on the VP8L module path, libwebp's scaled output);
  // libjpeg-turbo's output is never whole there (a row stream, priced in its decode above).
  const alpha = src.hasAlpha && !spec.background;
  const { transpose, flipX, flipY } = shape.orientation;
  const encode = jpegRows
    ? {
        ...encodeCost(format, outMP, avifSpeed, t),
        mb: jpegRowsEncodeMb(
          outMP,
          encoderQuality(spec.quality, format),
          transpose || flipY,
          shape.jpegOnePass === true,
        ),
      }
    : pngRows
      ? {
          ...encodeCost(format, outMP, avifSpeed, t),
          mb: streamedPngEncodeMb(
            geometry.canvas.width,
            geometry.canvas.height,
            transpose || flipY,
          ),
        }
      : streamed && !alpha
        ? {
            ...encodeCost(format, outMP, avifSpeed, t),
            mb: shape.orientation.transpose ? STREAMED_WEBP_MB_PER_MP * outMP : bandedWebpMb(outMP),
          }
        : encodeCost(format, outMP, avifSpeed, t, alpha);
  const lentCopyMB = !streamed
    ? 0
    : avif
      ? RGBA_MB_PER_MP * avifMP
      : eighths || vp8lRows
        ? 0 // a row stream (above)
        : losslessInModule
          ? RGBA_MB_PER_MP * resizedMP
          : src.format === 'webp' && src.webpLossless
            ? RGBA_MB_PER_MP * decMP
            : pngFeed
              ? 2 * RGBA_MB_PER_MP * moduleOutMP // rows fed on: neither copy is made
              : png || (inModule && (scale === 1 || src.bytes !== undefined))
                ? RGBA_MB_PER_MP * moduleOutMP
                : 0;

  const fixedMB =
    num(fixed.request, 0) +
    num(t.memoryMBPerInputMB, 0) * ((src.bytes ?? 0) / 1_048_576) +
    decodeFixed +
    (src.colourManaged === false ? 0 : COLOUR_FIXED_MB) +
    (inModule || !resized ? 0 : num(fixed.resize, 0)) +
    (jpegRows
      ? JPEG_ROWS_FIXED_MB
      : pngRows
        ? PNG_ROWS_FIXED_MB
        : streamed && !alpha && format === 'webp'
          ? STREAMED_WEBP_FIXED_MB
          : num(encodeFixed(format, alpha, t), maxOf(fixed.encode)));
  // Buffers handed between stages are counted by both; the module path, and a decode that is
  // not resized, hand over only the output-sized image. A buffer handed on is garbage, but V8
  // has often not collected it yet when the next stage peaks: half of it is subtracted
  // (HANDOFF_FREED, fitted to the grid's peaks, bench/results/2026-12-04-memory.json; it
  // holds for those of 2026-12-05-memory.json).
  // A lossless WebP's output is held twice by its decode (in libwebp's memory and copied
  // out): the copy in the module is handed on too.
  const losslessOut = losslessInModule ? resizedMP : 0;
  const handoffs = streamed
    ? 0
    : HANDOFF_FREED *
      RGBA_MB_PER_MP *
      ((inModule || !resized ? 0 : avif ? avifMP : decMP) + outMP + losslessOut);
  // A turned or flipped output is copied once more at its size (transform/orient.ts); both
  // are live while it is copied, and the unturned one is garbage only afterwards: counted
  // whole (half of it, as a handoff, fell 1 MB short of the 8 MP portrait photo's measured
  // peaks, bench/results/2026-12-05-planner-memory.json). Not when streamed: the rows are put
  // in place turned.
  const orientMB = !streamed && (transpose || flipX || flipY) ? RGBA_MB_PER_MP * resizedMP : 0;
  const resizeMB = streamed ? 0 : resize.mb;
  const memoryMB = Math.max(
    fixedMB + decode.mb - lentCopyMB,
    fixedMB + decode.mb - lentCopyMB + resizeMB + orientMB + encode.mb - handoffs,
  );
  // An animation is decoded, resized and encoded frame by frame: CPU for every frame, memory
  // for about one (the decoder's canvas and one output frame at a time).
  const frames = isAnimatedOutput(src, spec, format) ? (src.frames ?? 1) : 1;
  return {
    cpuMs: (decode.ms + resize.ms + colour.ms + encode.ms) * frames,
    memoryMB,
    sourcePixels,
    // What is held decoded: the PNG module's rows, libwebp's window of VP8L rows and its
    // output, else the decoded image.
    decodedPixels: png
      ? png.heldPixels
      : vp8lRows
        ? vp8lWindowPixels(src.width, src.height) + VP8L_ROWS_BAND * src.width
        : losslessInModule
          ? (src.webpLossless || src.webpVp8l ? vp8lWindowPixels(src.width, src.height) : 0) +
            geometry.resize.width * geometry.resize.height
          : decodedPixels,
    outputPixels,
    decodeScale: scale,
    stages: { decode, resize: { ms: resize.ms, mb: resizeMB }, colour, encode, fixedMB },
  };
}

/**
 * A low-resolution stand-in's encode (config.ts STAND_IN_QUALITY, pipeline.ts `standInSink`),
 * ms per output MP: WebP at method 0 and quality 50, JPEG from rows by libjpeg-turbo (baseline,
 * quality 60), PNG as a variant's. Measured in workerd (docs/performance.md, "Stand-ins").
 */
export const STAND_IN_ENCODE_MS_PER_MP: Readonly<Record<'webp' | 'jpeg', number>> = {
  webp: 38,
  jpeg: 32,
};

/**
 * The cost of a low-resolution stand-in (delivery/stand-in.ts): the variant made small
 * (`reduced`, the shape of the same spec at a fraction of the size, so a JPEG or WebP decodes at
 * 1/2 to 1/8), then enlarged to `canvas` (lanczos3) on the streamed path, its rows written
 * into the cheapest encoder (pipeline.ts `standInSink`; AVIF and GIF: whole, as a variant).
 * Charged as the small variant's estimate (not streamed) with its encode replaced by the
 * stand-in's at `canvas` ({@link STAND_IN_ENCODE_MS_PER_MP}; memory as the streamed path's
 * encoders, the resize module's instance on top), plus the enlargement's CPU per OUTPUT MP;
 * memory is at least the small variant's whole estimate (its encoder included).
 */
export function estimateEnlarged(
  reduced: PlanShape,
  canvas: Size,
  format: EncodeFormat,
  t: CostTable = COST_TABLE,
): CostEstimate {
  const small = estimateShape(reduced, format, t.avifSpeed, t, true);
  const outMP = (canvas.width * canvas.height) / MP;
  const alpha = reduced.src.hasAlpha && !reduced.spec.background;
  const smallEncodeFixed = num(encodeFixed(format, alpha, t), maxOf(t.memoryFixedMB.encode));
  const table = encodeCost(format, outMP, t.avifSpeed, t, alpha);
  let encode: StageCost;
  let encodeFixedMB = smallEncodeFixed;
  if (format === 'webp')
    encode = {
      ms: STAND_IN_ENCODE_MS_PER_MP.webp * outMP,
      mb: alpha ? table.mb : bandedWebpMb(outMP),
    };
  else if (format === 'jpeg') {
    encode = {
      ms: STAND_IN_ENCODE_MS_PER_MP.jpeg * outMP,
      mb: jpegRowsEncodeMb(outMP, STAND_IN_QUALITY.jpeg, false, true),
    };
    encodeFixedMB = JPEG_ROWS_FIXED_MB;
  } else if (format === 'png') {
    // Bounded for RGB; an RGBA file (pipeline.ts `standInSink` with alpha) is 4/3 of that.
    const rgb = streamedPngEncodeMb(canvas.width, canvas.height, false);
    encode = { ms: table.ms, mb: reduced.src.hasAlpha ? (rgb * 4) / 3 : rgb };
    encodeFixedMB = PNG_ROWS_FIXED_MB;
  } else {
    // Whole: the enlarged RGBA image (the resize figure) and the table's encode.
    encode = { ms: table.ms, mb: table.mb + num(t.memoryMBPerMP.resize, 0) * outMP };
  }
  const enlargeMs = num(t.resizeMsPerMP, 0) * outMP;
  const { stages } = small;
  const standIn =
    small.memoryMB -
    stages.encode.mb -
    smallEncodeFixed +
    encodeFixedMB +
    encode.mb +
    num(t.memoryFixedMB.resize, 0);
  return {
    ...small,
    cpuMs: small.cpuMs - stages.encode.ms + encode.ms + enlargeMs,
    memoryMB: Math.max(small.memoryMB, standIn),
    outputPixels: canvas.width * canvas.height,
    stages: {
      ...stages,
      encode,
      resize: { ms: stages.resize.ms + enlargeMs, mb: stages.resize.mb },
      fixedMB: stages.fixedMB - smallEncodeFixed + encodeFixedMB,
    },
  };
}

/**
 * The cost of making several formats of one spec one after another (as the consumer does for
 * `f=auto`): CPU adds up; memory is the largest single pipeline's (each run is measured from a
 * fresh isolate in the bench, so a run's figure already holds its codecs).
 */
export function combine(estimates: readonly CostEstimate[]): CostEstimate {
  const first = estimates[0];
  if (!first) throw new RangeError('combine: no estimates');
  const heaviest = estimates.reduce((a, b) => (b.memoryMB > a.memoryMB ? b : a));
  return { ...heaviest, cpuMs: estimates.reduce((s, e) => s + e.cpuMs, 0) };
}

/** What a request may spend inline: `INLINE_BUDGET_MS`, `INLINE_BUDGET_MB`, `MAX_INLINE_PIXELS`. */
export const inlineBudget = (config: Config): Budget => ({
  cpuMs: config.inlineBudgetMs,
  memoryMB: config.inlineBudgetMb,
  maxDecodedPixels: config.maxInlinePixels,
});

/** What the queue consumer may spend on one message: `QUEUE_BUDGET_MS`, `QUEUE_BUDGET_MB`. */
export const queueBudget = (config: Config): Budget => ({
  cpuMs: config.queueBudgetMs,
  memoryMB: config.queueBudgetMb,
});

/** Why an estimate does not fit a budget: one line per exceeded limit (empty when it fits). */
export function overBudget(est: CostEstimate, budget: Budget): string[] {
  const reasons: string[] = [];
  if (est.cpuMs > budget.cpuMs)
    reasons.push(`about ${Math.round(est.cpuMs)} ms of CPU (budget ${budget.cpuMs} ms)`);
  if (est.memoryMB > budget.memoryMB)
    reasons.push(`about ${Math.round(est.memoryMB)} MB of memory (budget ${budget.memoryMB} MB)`);
  if (budget.maxDecodedPixels !== undefined && est.decodedPixels > budget.maxDecodedPixels)
    reasons.push(`${est.decodedPixels} decoded pixels (ceiling ${budget.maxDecodedPixels} pixels)`);
  return reasons;
}

/** True when the estimate fits the budget. */
export const fits = (est: CostEstimate, budget: Budget) => overBudget(est, budget).length === 0;

/** Inline within the inline budget; else the queue within its budget; else refuse. */
export function placement(est: CostEstimate, config: Config): Placement {
  if (fits(est, inlineBudget(config))) return 'inline';
  if (fits(est, queueBudget(config))) return 'queue';
  return 'refuse';
}

/**
 * The stored (coded) facts of an image record, as the pipeline and the planner take them
 * (records hold displayed sizes).
 */
export function sourceFacts(rec: ImageRecord): PlanSource {
  const turned = rec.orientation >= 5 && rec.orientation <= 8;
  return {
    format: rec.format,
    width: turned ? rec.height : rec.width,
    height: turned ? rec.width : rec.height,
    orientation: rec.orientation,
    hasAlpha: rec.hasAlpha,
    cmyk: rec.cmyk,
    progressive: rec.progressive,
    webpLossless: rec.webpLossless,
    webpVp8l: rec.webpVp8l === true,
    ...(rec.colourManaged === false && { colourManaged: false }),
    ...(rec.avifCoding && { avifCoding: rec.avifCoding }),
    bytes: rec.bytes,
    frames: rec.frames,
    focal: rec.focal ?? null,
  };
}
