/**
 * The transform pipeline: decode → crop (in the stored frame) → resize → colour (embedded
 * ICC profile → sRGB) → colour adjustments → orient (EXIF, flip, rotate as one move) →
 * blur/sharpen → pad or flatten → border → encode. A pixel `trim` narrows the source window
 * before planning; `trim=border` decodes the whole source first (transform/trim.ts).
 * Cropping and resizing happen before orienting, so the full-size image is never turned:
 * only the small result is. The colour transform runs on the smaller of the
 * crop and the resized image (after resizing when reducing: measured within ΔE76 1.3 mean,
 * 3.8 p95 of converting first, on the colour test images; see wasm/README.md, lcms.wasm).
 * Metadata reaches the output only with `metadata=keep|copyright` (codecs/metadata.ts, spliced
 * into the encoded bytes); otherwise encoders get pixels only, and no profile (sRGB).
 */
import { AVIF_LANCZOS_MAX_PIXELS, STAND_IN_QUALITY, STAND_IN_WEBP_METHOD } from '../config';
import { decodeAvif, openAvifRows, type AvifDecoded } from '../codecs/avif';
import { cicpProfile } from '../codecs/cicp';
import { decodeImage, isAnimatedWebp } from '../codecs/decode';
import { DomainError } from '../errors';
import { decodeGifFrames, GifAnimationEncoder } from '../codecs/gif';
import {
  chooseJpegScale,
  decodeJpegResized,
  JpegDecodeError,
  type JpegScale,
} from '../codecs/jpeg-scaled';
import {
  chooseJpegEighths,
  decodeJpegTurbo,
  eighthsSize,
  openJpegTurboRows,
  type JpegRows,
  type JpegEighths,
} from '../codecs/jpeg-turbo';
import { DEFAULT_QUALITY, encodeImage } from '../codecs/encode';
import { copyImage } from '../codecs/own-wasm';
import { decodePngResized, decodePngRows } from '../codecs/png-scaled';
import { embeddedProfile, type IccProfile } from '../codecs/icc';
import { convertToSrgb } from '../codecs/lcms';
import type { ImageFormat } from '../codecs/probe';
import { preShrinkFactor, resizeImage } from '../codecs/resize';
import type { RowSinkFormat } from '../codecs/row-sink';
import {
  DecodeError,
  type AnimationFrame,
  type AnimationInfo,
  type EncodeFormat,
  type RawImage,
  type RowFeed,
} from '../codecs/types';
import { decodeWebp, decodeWebpFrames, openWebpRows, WebpAnimationEncoder } from '../codecs/webp';
import { adjustColours, hasAdjustments } from './adjust';
import { addBorder, borderSides, withBorder } from './border';
import { embedMetadata, holdsMetadata, keptMetadata } from '../codecs/metadata';
import { encoderQuality } from './quality';
import { blur, composite, cropInPlace, sharpen } from './effects';
import { planGeometry, type Geometry, type Rect, type Size } from './geometry';
import {
  applyOrientation,
  fromExif,
  orientSize,
  outputOrientation,
  rectToSource,
  UPRIGHT,
  type Orientation,
} from './orient';
import costTable from './cost-table.json';
import { turboPaysOff } from './jpeg-cost';
import type { Rgba, TransformSpec } from './spec';
import { encodeStreamed, jpegProgressive, streamedOutput, streams } from './streamed';
import { findTrim, fullRect, trimWindow, uprightCorner, uprightWindow } from './trim';
import { inLane, yieldToLoop } from './yield';
import type { StageTimings } from '../observability/log';

/** Header facts the pipeline needs. `width`/`height` are as stored (coded), pixels. */
export interface SourceFacts {
  format: ImageFormat;
  width: number;
  height: number;
  orientation: number;
  hasAlpha: boolean;
  /** JPEG with four components (CMYK/YCCK): only the shrink-on-load decoder reads it. */
  cmyk?: boolean;
  /** Frames (GIF, WebP; 1 or absent for a still image). */
  frames?: number;
  /** A still WebP whose image is VP8L (ProbeResult.webpVp8l): see decodePlan. */
  webpVp8l?: boolean;
  /**
   * Attention point in fractions of the upright image (images/attention.ts), where
   * `gravity=auto` crops centre; null/absent while the image card is pending (then centred).
   */
  focal?: { x: number; y: number } | null;
}

/** The attention point in the frame after `rotate` (clockwise), as planGeometry takes it. */
function rotatedFocal(
  focal: { x: number; y: number } | null | undefined,
  rotate: TransformSpec['rotate'],
): readonly [number, number] {
  if (!focal) return [0.5, 0.5];
  const { x, y } = focal;
  if (rotate === 90) return [1 - y, x];
  if (rotate === 180) return [1 - x, 1 - y];
  if (rotate === 270) return [y, 1 - x];
  return [x, y];
}

/** An encoded variant and how it was made. */
export interface PipelineResult {
  bytes: Uint8Array;
  format: EncodeFormat;
  width: number;
  height: number;
  timings: StageTimings;
}

const WHITE: Rgba = { r: 255, g: 255, b: 255, a: 255 };

/** How many times {@link planVariant} ran in this isolate. */
let geometryPlans = 0;

/**
 * How many geometry plans ({@link planVariant}) this isolate has made so far. For tests: a
 * miss plans its geometry once (transform/plan.ts `VariantPlan`), whatever the candidates.
 */
export function geometryPlanCount(): number {
  return geometryPlans;
}

/**
 * The whole plan for a spec on a source: orientation, the source window kept before resizing
 * (stored frame: the pixel trim, else the whole image; pass the `trim=border` box once it is
 * found), then geometry in the output frame, its canvas grown by any border (`inner`: the
 * same geometry without the border, which pad and flatten work on).
 */
export function planVariant(
  src: SourceFacts,
  spec: TransformSpec,
  window: Rect = trimWindow(src, spec),
): { orientation: Orientation; geometry: Geometry; inner: Geometry; window: Rect } {
  geometryPlans++;
  const orientation = outputOrientation(src.orientation, spec.flip, spec.rotate);
  const geometry = planGeometry(
    orientSize(orientation, window),
    spec,
    rotatedFocal(windowFocal(src, window), spec.rotate),
  );
  const outer = withBorder(geometry, borderSides(spec));
  return { orientation, geometry: outer, inner: geometry, window };
}

/** The attention point in fractions of the window's upright image (clamped to it). */
function windowFocal(src: SourceFacts, window: Rect): SourceFacts['focal'] {
  if (!src.focal || (window.width === src.width && window.height === src.height)) return src.focal;
  const up = orientSize(fromExif(src.orientation), src);
  const r = uprightWindow(src, window);
  const clamp = (v: number) => Math.min(1, Math.max(0, v));
  return {
    x: clamp((src.focal.x * up.width - r.left) / r.width),
    y: clamp((src.focal.y * up.height - r.top) / r.height),
  };
}

/** The stored-frame rectangle a plan decodes and crops: its crop, inside its window. */
export function sourceCrop(src: SourceFacts, plan: ReturnType<typeof planVariant>): Rect {
  const { orientation, geometry, window } = plan;
  const r = rectToSource(orientation, window, geometry.crop);
  return { ...r, left: r.left + window.left, top: r.top + window.top };
}

/**
 * What a variant decodes: the stored-frame crop and the size it is resized to (stored frame).
 * `trim=border` decodes the whole source at full size (its box needs every pixel).
 */
export function decodeRequest(src: SourceFacts, spec: TransformSpec): { crop: Rect; target: Size } {
  return shapeVariant(src, spec).decodes;
}

/** How a source is decoded for a variant (see {@link decodePlan}). */
export interface DecodePlan {
  scale: JpegScale;
  /** Baseline JPEG: libjpeg-turbo decodes at eighths/8 (see {@link decodePlan}); else absent. */
  eighths?: JpegEighths;
  decoded: Size;
  inModule: boolean;
  /** AVIF: the module's box-shrink factor (0 = decode to the target size; see decodePlan). */
  box: number;
}

/**
 * The format-independent part of a variant's plan (transform/plan.ts `VariantPlan`), computed
 * once per request and handed to the planner, the stand-ins and the pipeline: the
 * {@link planVariant} result (orientation, window, geometry with and without the border), the
 * stored-frame crop and resize target of that geometry, and what is decoded
 * ({@link decodeRequest}) with its decode plan.
 */
export interface VariantShape extends ReturnType<typeof planVariant> {
  src: SourceFacts;
  spec: TransformSpec;
  /** The crop on the stored (coded) image, pixels ({@link sourceCrop}). */
  crop: Rect;
  /** The resize target in the stored frame (`geometry.resize` turned back), pixels. */
  target: Size;
  /** What is decoded (stored frame: the crop, or the whole source for `trim=border`). */
  decodes: { crop: Rect; target: Size };
  decode: DecodePlan;
  /**
   * A JPEG output encoded by libjpeg-turbo from rows (transform/streamed.ts) instead of by
   * mozjpeg from the whole image: set only by the planner (transform/fallback.ts), where
   * mozjpeg's memory does not fit the place the variant would be made in.
   */
  jpegRows?: boolean;
  /**
   * With `jpegRows`: libjpeg-turbo in one pass (baseline, standard Huffman tables, no
   * coefficients kept: codecs/jpeg-rows.ts `singlePass`): set only by the planner, where the
   * two-pass encode does not fit the queue's budget (transform/fallback.ts).
   */
  jpegOnePass?: boolean;
}

/**
 * The shape of a spec on a source (see {@link VariantShape}); `window` as for
 * {@link planVariant} (the `trim=border` box once found). `eighthsFallback`: decode a JPEG
 * reduced by less than 2x with libjpeg-turbo at M/8 (see {@link decodePlan}); only the
 * planner asks for it (transform/fallback.ts), when the default plan does not fit a budget.
 */
export function shapeVariant(
  src: SourceFacts,
  spec: TransformSpec,
  window?: Rect,
  eighthsFallback = false,
): VariantShape {
  const planned = planVariant(src, spec, window);
  const crop = sourceCrop(src, planned);
  const target = orientSize(planned.orientation, planned.geometry.resize);
  const decodes =
    spec.trim?.kind === 'border' && window === undefined
      ? { crop: fullRect(src), target: fullRect(src) }
      : { crop, target };
  return {
    ...planned,
    src,
    spec,
    crop,
    target,
    decodes,
    decode: decodePlan(src, decodes.crop, decodes.target, eighthsFallback),
  };
}

/**
 * True when the variant is an animation: an animated source (GIF or WebP with more than one
 * frame), `anim` not false, and an output format that holds animation (WebP, GIF).
 */
export function isAnimatedOutput(src: SourceFacts, spec: TransformSpec, format: EncodeFormat) {
  return (src.frames ?? 1) > 1 && spec.anim !== false && (format === 'webp' || format === 'gif');
}

/**
 * How the source will be decoded for a crop (stored frame) that is resized to `target`
 * (stored frame):
 * - `scale`: the shrink-on-load denominator (JPEG and still WebP: 2, 4 or 8 when the
 *   reduction is at least 2x in both axes, else 1; a WebP is reduced by libwebp's rescaler
 *   while decoding, then resampled to the target like any other source);
 * - `decoded`: the decoded size in pixels, from which the planner sizes memory and CPU;
 * - `inModule`: the JPEG module (wasm/jpeg_scaled.wasm) decodes, crops and resamples in one
 *   call. True for every JPEG that is shrunk on load or whose crop is reduced at all (at
 *   scale 1 too: the module's RGB buffer and streaming lanczos3 needed about a quarter of the
 *   memory of mozjpeg's RGBA plus @jsquash/resize, the resize step then, measured 56 vs 225
 *   MiB for 12 MP → 1600x2133, at no more CPU), unless libjpeg-turbo takes it (`eighths`),
 *   and every progressive CMYK JPEG (mozjpeg cannot read them). False means another
 *   decoder, then crop and resize by the caller (wasm/resize.wasm).
 * - `eighths`: JPEGs that are not reduced (progressive ones too, CMYK excepted), and baseline
 *   reductions the cost table prices cheaper that way, decode with libjpeg-turbo at
 *   `eighths`/8 (wasm/jpeg_turbo.wasm; {@link turboEighths}); then `scale` is 1, `inModule`
 *   false and `decoded` the whole image at that scale.
 * - `box`: AVIF only (else 1): wasm/avif.wasm converts the crop to RGBA in row bands and
 *   box-shrinks it by this integer factor on the way, or (0) scales it to `target` itself
 *   ({@link avifBoxFactor}); `decoded` is the whole image reduced alike.
 *   Every PNG is `inModule` too:
 *   our PNG module (wasm/png_scaled.wasm) streams rows into its resampler, so `decoded` is
 *   then the output-sized result (the full image never exists, Adam7 files excepted).
 *   So is a still VP8L (lossless) WebP whose crop is reduced (by any factor): libwebp crops and
 *   scales it to the target while decoding (its rescaler, an area average), so neither the
 *   full-size RGBA nor a second resize buffer exists (its VP8L decoder keeps a window of rows,
 *   wasm/libwebp/vp8l-sliding-window.patch); `scale` is 1 and `decoded` the source size. On
 *   the streamed path a still VP8L WebP is pulled as rows instead ({@link streamFor}).
 *
 * `eighthsFallback` (the planner's fallback, transform/fallback.ts): a reduced JPEG, baseline
 * or progressive (not progressive CMYK from 2x), decodes with libjpeg-turbo at the
 * smallest M/8 that covers the target ({@link chooseJpegEighths}; 8/8 when no smaller M
 * does, a reduction under 8/7: sharp's own decode, then lanczos3) instead of in the JPEG
 * module (at 1/1 under 2x, else whole at 1/2-1/8). On the streamed path its rows are decoded as they are pulled, so nothing
 * image-sized is held (codecs/jpeg-turbo.ts `openJpegTurboRows`).
 * It accepts DCT scaling's departure from sharp's output (1.6x reductions: ΔE76 p95 5.5,
 * PSNR 36.9 dB against the full decode; see {@link turboEighths}) for a variant the 1/1 plan
 * cannot make within a budget. A progressive file then keeps, in libjpeg, the M x M
 * coefficients per block its scale reads (wasm/jpeg-turbo/progressive-kxk.patch), which the
 * planner charges. For a still
 * lossy WebP reduced by less than 2x, the same fallback has libwebp crop and scale it to the
 * target while decoding (`inModule`, as a VP8L image always is), so the full-size RGBA never
 * exists; libwebp's rescaler (an area average, as sharp scales WebPs) differs from lanczos3
 * (docs/performance.md, "The decode side refitted").
 */
export function decodePlan(
  src: SourceFacts & { progressive?: boolean },
  crop: Size,
  target: Size,
  eighthsFallback = false,
): DecodePlan {
  const jpeg = src.format === 'jpeg';
  const stillWebp = src.format === 'webp' && (src.frames ?? 1) <= 1;
  const scale =
    jpeg || stillWebp ? chooseJpegScale(crop.width, crop.height, target.width, target.height) : 1;
  const reduced =
    target.width <= crop.width &&
    target.height <= crop.height &&
    target.width * target.height < crop.width * crop.height;
  const fallback =
    jpeg && reduced && eighthsFallback && (scale === 1 || !(src.progressive && src.cmyk));
  const m = fallback ? chooseJpegEighths(crop.width, crop.height, target.width, target.height) : 8;
  const eighths = fallback
    ? m
    : jpeg && (src.progressive !== true || (!reduced && src.cmyk !== true))
      ? turboEighths(src, crop, target, reduced ? scale : 0)
      : 0;
  if (eighths)
    return {
      scale: 1,
      eighths,
      decoded: eighthsSize(src.width, src.height, eighths),
      inModule: false,
      box: 1,
    };
  if (stillWebp && reduced && (src.webpVp8l === true || (eighthsFallback && scale === 1)))
    return { scale: 1, decoded: { width: src.width, height: src.height }, inModule: true, box: 1 };
  const box = src.format === 'avif' ? avifBoxFactor(crop, target) : 1;
  const div = Math.max(scale, box);
  const decoded =
    box === 0
      ? {
          width: Math.ceil((src.width * target.width) / crop.width),
          height: Math.ceil((src.height * target.height) / crop.height),
        }
      : { width: Math.ceil(src.width / div), height: Math.ceil(src.height / div) };
  return {
    scale,
    decoded,
    inModule: (jpeg && (scale > 1 || reduced || src.cmyk === true)) || src.format === 'png',
    box,
  };
}

/**
 * The libjpeg-turbo scale for a JPEG (0: use the other paths), wasm/jpeg_turbo.wasm;
 * `scale` is jpeg_scaled's denominator for a reduction, 0 when the crop is not reduced:
 * - no reduction (full size, enlargements, CMYK included): 8/8, the same pixels as mozjpeg
 *   and sharp (every baseline JPEG in ../shared/images: 0 differing samples, `node
 *   bench/jpeg-turbo-node.mjs --check`), in an instance that is dropped after a large decode
 *   (mozjpeg's keeps its 51 MiB for the isolate's life);
 * - a reduction of 2x or more (jpeg_scaled would scale in the DCT too, at 1/2-1/8): the
 *   smallest M/8 that covers the target ({@link chooseJpegEighths}), when it decodes fewer
 *   pixels than jpeg_scaled's 1/`scale` and the cost table prices it cheaper, resize
 *   included ({@link turboPaysOff});
 * - a reduction of less than 2x stays on jpeg_scaled at 1/1 (full decode + lanczos3, as
 *   sharp does): M/8 there is cheaper (12 MP → 1600w at 5/8: 475 against 568-597 ms, 170
 *   against 188 MiB) but scaling in the DCT strays from sharp's output (Shoes-AdobeRGB.jpg →
 *   400 px at 6/8: ΔE76 p95 5.5 against sharp, over test/transform/colour.test.ts's 5; 1.6x
 *   reductions 36.9 dB PSNR against the full decode, under shrink-on-load.test.ts's 40).
 *   That cost is accepted only in the planner's fallback ({@link decodePlan}'s
 *   `eighthsFallback`, transform/fallback.ts): when the 1/1 plan is over the budget of the
 *   place it would be made in and M/8 fits a better one.
 * A progressive JPEG is reduced by jpeg_scaled (at 1/d it keeps only the coefficients that
 * scale reads; libjpeg would hold them all); one that is not reduced (full size, a format
 * change, an enlargement) is decoded at 8/8 too: every decoder then holds all its
 * coefficients, and libjpeg-turbo lends its output where mozjpeg's was copied out to JS and
 * kept 41 MiB of wasm (4.9 MP progressive → 2000x2000 WebP: 111.0 → 85.4 MB above idle,
 * docs/performance.md). Its pixels are sharp's (Cerkiew.jpg: 0 differing samples), where
 * mozjpeg 3.3.1's differ by up to 2 in 3.8 % of samples (`node bench/jpeg-turbo-node.mjs
 * --check`). Progressive CMYK files stay on the module.
 */
function turboEighths(src: SourceFacts, crop: Size, target: Size, scale: number): JpegEighths | 0 {
  if (scale === 0) return 8;
  if (scale === 1) return 0;
  const m = chooseJpegEighths(crop.width, crop.height, target.width, target.height);
  if (m * scale >= 8) return 0;
  const turbo = eighthsSize(src.width, src.height, m);
  const scaledPixels = Math.ceil(src.width / scale) * Math.ceil(src.height / scale);
  const pays = turboPaysOff(
    src.width * src.height,
    turbo.width * turbo.height,
    scaledPixels,
    scale as JpegScale,
    costTable,
  );
  return pays ? m : 0;
}

/**
 * How wasm/avif.wasm reduces an AVIF crop for `target`: the integer box factor of
 * `preShrinkFactor` (lanczos3 is left at least a 1.5x reduction) while the box-shrunk crop is
 * at most 1 MP; above that, 0: the module scales the crop to the target itself (libavif's
 * YUV scaler: libyuv's box filter from 2x reductions up, bilinear below), so no large RGBA
 * image is handed to the resizer. The limit was set for @jsquash/resize, the resize step
 * before wasm/resize.wasm, whose buffers needed 12.5 MB per input MP (measured in workerd,
 * peak above idle: 4032x3024 → 1600 px WebP 162 MB with box 2 + lanczos3, 95 MB scaled;
 * → 800 px 97 MB with box 3 + lanczos3); wasm/resize.wasm holds rows only, but the box-shrunk
 * RGBA would still be held beside the output. Enlargements are never 0.
 */
export function avifBoxFactor(crop: Size, target: Size): number {
  const k = preShrinkFactor(crop.width, crop.height, target.width, target.height);
  const boxed = Math.ceil(crop.width / k) * Math.ceil(crop.height / k);
  const reduced = target.width <= crop.width && target.height <= crop.height;
  return reduced && boxed > AVIF_LANCZOS_MAX_PIXELS ? 0 : Math.min(k, 64);
}

/** Maps a rectangle on the stored image to the same region of a decoded image of size `to`. */
function scaleRect(r: Rect, from: Size, to: Size): Rect {
  if (from.width === to.width && from.height === to.height) return r;
  const sx = to.width / from.width;
  const sy = to.height / from.height;
  const left = Math.min(to.width - 1, Math.floor(r.left * sx));
  const top = Math.min(to.height - 1, Math.floor(r.top * sy));
  const right = Math.min(to.width, Math.max(left + 1, Math.round((r.left + r.width) * sx)));
  const bottom = Math.min(to.height, Math.max(top + 1, Math.round((r.top + r.height) * sy)));
  return { left, top, width: right - left, height: bottom - top };
}

/** A decoded image and the crop still to take from it (see {@link decodeFor}). */
interface Decoded {
  img: RawImage;
  crop: Rect;
}

/** Keeps a {@link decodeFor} result past its call (copies a lent view out of wasm memory). */
const keep = (d: Decoded, lent: boolean): Decoded =>
  lent ? { img: copyImage(d.img), crop: d.crop } : d;

/**
 * Decodes for a crop and target. PNGs go through the PNG module (decode, crop, resample in one
 * call). Baseline JPEGs with `eighths` decode with libjpeg-turbo at that scale (cropped and
 * resized by the caller). Other reduced JPEGs (and progressive CMYK JPEGs, which mozjpeg
 * cannot read) go through the JPEG module, which decodes at 1/1, 1/2, 1/4 or 1/8, crops and
 * resamples (lanczos3, sRGB) in one call, so the decoded image never leaves its wasm memory:
 * the result is already `target`-sized (see `decodePlan`). Still WebPs decode through
 * libwebp (reduced by its rescaler when `scale` > 1), everything else through decodeImage;
 * both are cropped and resized by the caller.
 * `use` takes the result; `lent` is true when its pixels are a view into the decoder's wasm
 * memory (codecs/own-wasm.ts `Lend`), valid only during the call (it must then be
 * synchronous); the default, {@link keep}, copies such a view out.
 * @throws DecodeError when the bytes do not decode.
 */
async function decodeFor<R = Decoded>(
  bytes: Uint8Array,
  src: SourceFacts,
  crop: Rect,
  target: Size,
  plan: DecodePlan = decodePlan(src, crop, target),
  use: (d: Decoded, lent: boolean) => R = keep as (d: Decoded, lent: boolean) => R,
): Promise<R> {
  const { scale, decoded, inModule, box, eighths } = plan;
  const whole = (img: RawImage) => ({ left: 0, top: 0, width: img.width, height: img.height });
  if (eighths) {
    // A JPEG at eighths/8 (libjpeg-turbo); the caller crops and resizes.
    return decodeJpegTurbo(bytes, eighths, src.width * src.height, (img) => {
      if (img.width !== decoded.width || img.height !== decoded.height)
        throw new DecodeError(`jpeg: frame ${img.width}x${img.height} is not the probed size`);
      return use({ img, crop: scaleRect(crop, src, decoded) }, true);
    });
  }
  if (src.format === 'avif') {
    // Cropped and box-shrunk by the module; the caller resizes the rest.
    const opts = box === 0 ? { rect: crop, size: target } : { rect: crop, box };
    return decodeAvif(bytes, opts, (img) => use({ img, crop: whole(img) }, true));
  }
  if (!inModule) {
    const region = scale === 1 ? crop : scaleRect(crop, src, decoded);
    // A still WebP (reduced by libwebp while decoding when `scale` > 1).
    if (src.format === 'webp' && !isAnimatedWebp(bytes))
      return decodeWebp(bytes, scale === 1 ? undefined : decoded, 0, undefined, (img) =>
        use({ img, crop: region }, true),
      );
    const img = await decodeImage(bytes, src.format, scale === 1 ? undefined : decoded);
    return use({ img, crop: region }, false);
  }
  const region = scaleRect(crop, src, decoded);
  // Enlarged axes are decoded at the crop's size and resized by the caller.
  const outW = Math.min(target.width, region.width);
  const outH = Math.min(target.height, region.height);
  const limit = src.width * src.height;
  if (src.format === 'webp')
    // A lossless WebP, cropped and reduced to the target by libwebp (decodePlan).
    return decodeWebp(bytes, target, limit, region, (img) => use({ img, crop: whole(img) }, true));
  if (src.format === 'png')
    return decodePngResized(bytes, region, outW, outH, limit, (img) =>
      use({ img, crop: whole(img) }, true),
    );
  try {
    // The module only reduces: an enlarged CMYK crop is decoded at its own size and resized
    // by the caller.
    return decodeJpegResized(bytes, scale, region, outW, outH, limit, (img) =>
      use({ img, crop: whole(img) }, true),
    );
  } catch (err) {
    if (err instanceof JpegDecodeError) throw new DecodeError(`${err.code}: ${err.message}`);
    throw err;
  }
}

/**
 * {@link decodeFor} for the streamed path (transform/streamed.ts): a JPEG that libjpeg-turbo
 * decodes at M/8 (`plan.eighths`) is handed on as a stream of its rows (codecs/jpeg-turbo.ts
 * `openJpegTurboRows`: the same pixels, never the whole image), with the crop still to take
 * from them; a PNG reduced by its module (in both axes, or kept) as a feed of its output rows
 * (codecs/png-scaled.ts `decodePngRows`: the same pixels, never the output image, the crop
 * taken); an AVIF whose module output is the target (scaled to it, `box` 0, or box-shrunk to
 * exactly its size: {@link avifFeedSize}) as a feed of the module's rows (codecs/avif.ts
 * `openAvifRows`: the same pixels, neither the output nor the scaled planes held); a still
 * lossless (VP8L) WebP as a stream of the rows decodeFor would decode (codecs/webp.ts
 * `openWebpRows`: the crop, scaled by libwebp's rescaler where it is `inModule`; the same
 * pixels, neither the image nor the output held), resized by the caller where it is not
 * `inModule`; anything else as decodeFor lends it. `use` must finish with the rows before its promise settles.
 * @throws DecodeError when the bytes do not decode, at the start or while rows are read.
 */
function streamFor<R>(
  bytes: Uint8Array,
  src: SourceFacts,
  crop: Rect,
  target: Size,
  plan: DecodePlan,
  use: (d: { img: RawImage | JpegRows | RowFeed; crop: Rect }) => R,
): Promise<R> {
  const { eighths, decoded, box } = plan;
  if (src.format === 'avif' && avifFeedSize(crop, target, box)) {
    const { width, height } = target;
    const opts = box === 0 ? { rect: crop, size: target } : { rect: crop, box };
    return Promise.resolve(
      openAvifRows(bytes, opts, (rows) =>
        use({ img: rows, crop: { left: 0, top: 0, width, height } }),
      ),
    );
  }
  if (
    src.format === 'png' &&
    plan.inModule &&
    target.width <= crop.width &&
    target.height <= crop.height
  ) {
    const { width, height } = target;
    const feed: RowFeed = {
      width,
      height,
      sourcePixels: crop.width * crop.height,
      feed: (write, pause) =>
        decodePngRows(bytes, crop, width, height, write, src.width * src.height, pause),
    };
    return Promise.resolve(use({ img: feed, crop: { left: 0, top: 0, width, height } }));
  }
  if (src.format === 'webp' && src.webpVp8l === true && (src.frames ?? 1) <= 1) {
    // Cropped by libwebp, and scaled to the target where decodeFor would scale it (inModule).
    const out = plan.inModule ? target : crop;
    return Promise.resolve(
      openWebpRows(
        bytes,
        src.width * src.height,
        (rows) => {
          if (rows.width !== out.width || rows.height !== out.height)
            throw new DecodeError(`webp: rows ${rows.width}x${rows.height}, not the planned size`);
          return use({
            img: rows,
            crop: { left: 0, top: 0, width: out.width, height: out.height },
          });
        },
        crop,
        plan.inModule ? target : undefined,
      ),
    );
  }
  if (!eighths) return decodeFor(bytes, src, crop, target, plan, use);
  return Promise.resolve(
    openJpegTurboRows(bytes, eighths, src.width * src.height, (rows) => {
      if (rows.width !== decoded.width || rows.height !== decoded.height)
        throw new DecodeError(`jpeg: frame ${rows.width}x${rows.height} is not the probed size`);
      return use({ img: rows, crop: scaleRect(crop, src, decoded) });
    }),
  );
}

/**
 * True when wasm/avif.wasm's output for `crop` with the decode plan's `box` is `target` itself
 * (scaled to it: `box` 0; or box-shrunk to exactly its size, e.g. `box` 1 at the crop's size),
 * so the streamed path can take its rows as they are made (codecs/avif.ts `openAvifRows`).
 */
export function avifFeedSize(crop: Size, target: Size, box: number): boolean {
  return (
    box === 0 ||
    (Math.ceil(crop.width / box) === target.width && Math.ceil(crop.height / box) === target.height)
  );
}

/** The embedded profile to convert from, unless it is CMYK (see runPipeline). */
async function rgbProfile(bytes: Uint8Array): Promise<IccProfile | null> {
  const profile = await embeddedProfile(bytes);
  return profile && profile.model !== 'cmyk' ? profile : null;
}

/**
 * Everything after decoding, for one image or frame: crop, resize, colour (`icc` → sRGB, on
 * the smaller of the crop and the resized image), colour adjustments, orient, effects, pad
 * or flatten (on `plan.inner`), border; `pause` (a yield to the event loop) after the colour.
 */
async function finishFrame(
  decoded: { img: RawImage; crop: Rect },
  src: SourceFacts,
  spec: TransformSpec,
  format: EncodeFormat,
  plan: { orientation: Orientation; inner: Geometry; target: Size },
  icc: IccProfile | null,
  pause: () => Promise<void>,
): Promise<RawImage> {
  const { orientation, target } = plan;
  let img = cropInPlace(decoded.img, decoded.crop);
  const convertFirst = img.width * img.height < target.width * target.height;
  if (icc && convertFirst) convertToSrgb(img, icc);
  img = await resizeImage(img, target.width, target.height, { premultiply: src.hasAlpha });
  if (icc && !convertFirst) convertToSrgb(img, icc);
  await pause();
  if (hasAdjustments(spec)) adjustColours(img, spec);
  img = applyOrientation(img, orientation);
  if (spec.blur) img = blur(img, spec.blur);
  if (spec.sharpen) img = sharpen(img, spec.sharpen);
  const bg = spec.background ?? WHITE;
  const opaque = (c: Rgba) => (format === 'jpeg' ? { ...c, a: 255 } : c); // JPEG has no alpha
  const fill = opaque(bg);
  const { canvas, offset } = plan.inner;
  const padded = canvas.width !== img.width || canvas.height !== img.height;
  if (padded) img = composite(img, canvas, offset, fill);
  else if (src.hasAlpha && (format === 'jpeg' || spec.background))
    img = composite(img, img, { left: 0, top: 0 }, fill);
  const sides = borderSides(spec);
  if (sides) img = addBorder(img, sides, opaque(spec.border!.color));
  return img;
}

/**
 * Runs the pipeline for a spec on an original's bytes: {@link runShape} on its
 * {@link shapeVariant} (tests and one-off callers; request flows plan once and call runShape).
 * @throws as runShape.
 */
export async function runPipeline(
  bytes: Uint8Array,
  src: SourceFacts,
  spec: TransformSpec,
  format: EncodeFormat,
  maxAnimationPixels = 0,
  enlargeTo?: Size,
): Promise<PipelineResult> {
  return runShape(bytes, shapeVariant(src, spec), format, maxAnimationPixels, enlargeTo);
}

/**
 * Runs the pipeline on an original's bytes along a planned shape. An animated source whose variant is animated
 * ({@link isAnimatedOutput}) is decoded, transformed and encoded frame by frame, each frame
 * through the same steps as a still image, delays and loop count kept; it must be within
 * `maxAnimationPixels` (canvas × frames), checked before any frame is decoded.
 * `enlargeTo` (still images only; a stand-in, delivery/stand-in.ts): the finished image is
 * enlarged (lanczos3) to this size; into WebP, JPEG or PNG on the streamed path (its rows
 * written into the encoder, never held whole) with the cheapest settings ({@link standInSink},
 * STAND_IN_QUALITY), else (AVIF, GIF) whole and encoded as a variant is. An `enlargeTo` of the
 * finished size changes nothing but keeps the variant off the streamed path (tests compare the
 * two paths so).
 * Cooperative (./yield.ts): it gives the thread back to the event loop after decoding, after
 * resizing and colour, between slices of rows on the streamed path, and before encoding, so
 * requests arriving meanwhile are served between stages; it runs in the isolate's transform
 * lane (`inLane`), one transform at a time. Time spent in those yields is not in `timings`.
 * @throws DecodeError when the bytes do not decode (→ 422); encoder errors propagate.
 */
export async function runShape(
  bytes: Uint8Array,
  shape: VariantShape,
  format: EncodeFormat,
  maxAnimationPixels = 0,
  enlargeTo?: Size,
): Promise<PipelineResult> {
  return inLane(() => runStages(bytes, shape, format, maxAnimationPixels, enlargeTo));
}

/** {@link runShape}'s body, in the lane. */
async function runStages(
  bytes: Uint8Array,
  shape: VariantShape,
  format: EncodeFormat,
  maxAnimationPixels: number,
  enlargeTo: Size | undefined,
): Promise<PipelineResult> {
  const { src, spec } = shape;
  let planned = shape;
  let t = performance.now();
  const timings: StageTimings = { decode: 0, resize: 0, encode: 0 };
  const lap = (stage: keyof StageTimings) => {
    const now = performance.now();
    timings[stage] += now - t;
    t = now;
  };
  // A yield whose wait (other requests' turns) is left out of the stage timings.
  const pause = async () => {
    const before = performance.now();
    await yieldToLoop();
    t += performance.now() - before;
  };

  if (isAnimatedOutput(src, spec, format) && !enlargeTo) {
    let crop = planned.crop;
    let plan = planned;
    const frames = src.format === 'gif' ? decodeGifFrames : decodeWebpFrames;
    let enc: WebpAnimationEncoder | GifAnimationEncoder | undefined;
    let loopCount = 0;
    const encoder = () => {
      const { width, height } = planned.geometry.canvas;
      return format === 'webp'
        ? new WebpAnimationEncoder(width, height, loopCount, {
            quality: encoderQuality(spec.quality, 'webp') ?? DEFAULT_QUALITY.webp ?? undefined,
          })
        : new GifAnimationEncoder(width, height, loopCount);
    };
    const onInfo = (info: AnimationInfo) => {
      if (maxAnimationPixels > 0 && info.width * info.height * info.frames > maxAnimationPixels)
        throw new AnimationTooLargeError(info, maxAnimationPixels);
      loopCount = info.loopCount;
      if (spec.trim?.kind !== 'border') enc = encoder();
    };
    const icc = await rgbProfile(bytes);
    const onFrame = async (frame: AnimationFrame) => {
      lap('decode');
      if (!enc && spec.trim?.kind === 'border') {
        // trim=border: the first frame's box, for every frame.
        const box = findTrim(frame, spec.trim, uprightCorner(src), src.hasAlpha);
        planned = shapeVariant(src, spec, box);
        [crop, plan, enc] = [planned.crop, planned, encoder()];
      }
      const img = await finishFrame({ img: frame, crop }, src, spec, format, plan, icc, pause);
      lap('resize');
      await pause();
      enc!.add(img, frame.duration);
      lap('encode');
    };
    try {
      await frames(bytes, 0, onInfo, onFrame);
    } catch (err) {
      if (enc instanceof WebpAnimationEncoder) enc.abandon();
      throw err;
    }
    const out = enc!.finish();
    lap('encode');
    const { width, height } = planned.geometry.canvas;
    return { bytes: out, format, width, height, timings };
  }
  // `metadata=keep` into a format that holds a profile keeps the original's profile and
  // pixels in its colour space instead of converting them to sRGB.
  const kept =
    spec.metadata && holdsMetadata(format) ? await keptMetadata(bytes, spec.metadata) : null;
  const fileIcc = kept?.icc ? null : await rgbProfile(bytes);
  // CMYK JPEGs are converted to RGB naively by the JPEG module, so a CMYK profile no longer
  // describes the pixels: such images stay as they are (not yet colour managed).
  // An AVIF without an ICC profile: its nclx primaries (P3, BT.2020) are converted too.
  const iccOf = (img: RawImage | JpegRows | RowFeed): IccProfile | null => {
    const cicp = 'cicp' in img ? (img as AvifDecoded).cicp : undefined;
    return kept?.icc ? null : (fileIcc ?? (cicp ? cicpProfile(cicp) : null));
  };
  const quality = encoderQuality(spec.quality, format);
  if (streams(src, spec, format, planned.inner, enlargeTo !== undefined, planned.jpegRows)) {
    // The output image is written once, into the encoder's input (transform/streamed.ts).
    const output = streamedOutput(spec, format, src.hasAlpha, planned.jpegOnePass === true);
    const made = await streamFor(bytes, src, planned.crop, planned.target, planned.decode, (d) => {
      lap('decode');
      const icc = iccOf(d.img);
      return encodeStreamed(
        d,
        src.hasAlpha,
        planned,
        icc,
        quality,
        () => lap('resize'),
        output,
        pause,
      );
    });
    const out = kept ? await embedMetadata(made.bytes, format, made, kept) : made.bytes;
    lap('encode');
    return { bytes: out, format, width: made.width, height: made.height, timings };
  }
  let decoded: { img: RawImage; crop: Rect };
  if (spec.trim?.kind === 'border') {
    // The whole source at full size; the box found on it becomes the plan's window.
    const whole = await decodeFor(bytes, src, fullRect(src), fullRect(src), planned.decode);
    const box = findTrim(whole.img, spec.trim, uprightCorner(src), src.hasAlpha);
    planned = shapeVariant(src, spec, box);
    decoded = { img: whole.img, crop: planned.crop };
  } else decoded = await decodeFor(bytes, src, planned.crop, planned.target, planned.decode);
  lap('decode');
  await pause();
  let img = await finishFrame(decoded, src, spec, format, planned, iccOf(decoded.img), pause);
  const enlarged =
    enlargeTo && (enlargeTo.width !== img.width || enlargeTo.height !== img.height)
      ? enlargeTo
      : undefined;
  if (enlarged && format !== 'avif' && format !== 'gif') {
    // A stand-in: enlarged on the streamed path, into the cheapest encoder (STAND_IN_QUALITY).
    const whole = { left: 0, top: 0, width: img.width, height: img.height };
    const made = await encodeStreamed(
      { img, crop: whole },
      src.hasAlpha,
      { orientation: UPRIGHT, target: enlarged },
      null,
      format === 'png' ? undefined : STAND_IN_QUALITY[format],
      () => lap('resize'),
      { sink: standInSink(format, src.hasAlpha) },
      pause,
    );
    lap('encode');
    return { bytes: made.bytes, format, width: made.width, height: made.height, timings };
  }
  if (enlarged)
    img = await resizeImage(img, enlarged.width, enlarged.height, {
      premultiply: src.hasAlpha,
    });
  lap('resize');
  await pause();
  let out = await encodeImage(img, format, {
    quality,
    progressive: jpegProgressive(spec),
    pause,
  });
  if (kept) out = await embedMetadata(out, format, img, kept);
  lap('encode');
  return { bytes: out, format, width: img.width, height: img.height, timings };
}

/**
 * The row sink of a low-resolution stand-in in `format` (see STAND_IN_QUALITY): WebP at
 * STAND_IN_WEBP_METHOD, JPEG from rows (libjpeg-turbo in one pass: baseline, standard Huffman
 * tables, no coefficients held; the image is already flattened), PNG with alpha when the
 * source has it.
 */
export function standInSink(format: 'webp' | 'jpeg' | 'png', hasAlpha: boolean): RowSinkFormat {
  if (format === 'webp') return { format, method: STAND_IN_WEBP_METHOD };
  if (format === 'jpeg') return { format, progressive: false, singlePass: true };
  return { format, channels: hasAlpha ? 4 : 3 };
}

/** An animation over the total-frame-pixel limit (a 422 naming the limit). */
export class AnimationTooLargeError extends DomainError {
  constructor(
    readonly info: AnimationInfo,
    readonly limit: number,
  ) {
    super(
      'too-large',
      `The animation has ${info.frames} frames of ${info.width}x${info.height}: ${info.width * info.height * info.frames} frame pixels, over the limit of ${limit}. Ask for anim=false to get its first frame.`,
    );
    this.name = 'AnimationTooLargeError';
  }
}
