/**
 * The transform pipeline: decode → crop (in the stored frame) → resize → colour (embedded
 * ICC profile → sRGB) → orient (EXIF, flip, rotate as one move) → blur/sharpen → pad or
 * flatten → encode. Cropping and resizing happen before orienting, so the full-size image is
 * never turned: only the small result is. The colour transform runs on the smaller of the
 * crop and the resized image (after resizing when reducing: measured within ΔE76 1.3 mean,
 * 3.8 p95 of converting first, on the colour test images; see wasm/README.md, lcms.wasm).
 * Metadata never reaches the output: encoders get pixels only, and no profile (sRGB).
 */
import { decodeImage } from '../codecs/decode';
import { decodeGifFrames, GifAnimationEncoder } from '../codecs/gif';
import {
  chooseJpegScale,
  decodeJpegResized,
  JpegDecodeError,
  type JpegScale,
} from '../codecs/jpeg-scaled';
import { DEFAULT_QUALITY, encodeImage } from '../codecs/encode';
import { decodePngResized } from '../codecs/png-scaled';
import { embeddedProfile, type IccProfile } from '../codecs/icc';
import { convertToSrgb } from '../codecs/lcms';
import type { ImageFormat } from '../codecs/probe';
import { resizeImage } from '../codecs/resize';
import {
  DecodeError,
  type AnimationFrame,
  type AnimationInfo,
  type EncodeFormat,
  type RawImage,
} from '../codecs/types';
import { decodeWebpFrames, WebpAnimationEncoder } from '../codecs/webp';
import { blur, composite, cropInPlace, sharpen } from './effects';
import { planGeometry, type Geometry, type Rect, type Size } from './geometry';
import {
  applyOrientation,
  orientSize,
  outputOrientation,
  rectToSource,
  type Orientation,
} from './orient';
import type { Rgba, TransformSpec } from './spec';

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

/** Stage durations, ms (0 in production Workers, whose clocks stop during CPU work). */
export interface StageTimings {
  decode: number;
  resize: number;
  encode: number;
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

/** The whole plan for a spec on a source: orientation, then geometry in the output frame. */
export function planVariant(
  src: SourceFacts,
  spec: TransformSpec,
): { orientation: Orientation; geometry: Geometry } {
  const orientation = outputOrientation(src.orientation, spec.flip, spec.rotate);
  const geometry = planGeometry(
    orientSize(orientation, src),
    spec,
    rotatedFocal(src.focal, spec.rotate),
  );
  return { orientation, geometry };
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
 *   call. True for every JPEG that is shrunk on load, every JPEG crop that is reduced at all
 *   (at scale 1 too: the module's RGB buffer and streaming lanczos3 need about a quarter of
 *   the memory of mozjpeg's RGBA plus @jsquash/resize, measured 56 vs 225 MiB for 12 MP →
 *   1600x2133, at no more CPU), and every CMYK JPEG (mozjpeg cannot read them). False
 *   means a @jsquash decode, then crop and resize by the caller. Every PNG is `inModule` too:
 *   our PNG module (wasm/png_scaled.wasm) streams rows into its resampler, so `decoded` is
 *   then the output-sized result (the full image never exists, Adam7 files excepted).
 */
export function decodePlan(
  src: SourceFacts,
  crop: Size,
  target: Size,
): { scale: JpegScale; decoded: Size; inModule: boolean } {
  const jpeg = src.format === 'jpeg';
  const stillWebp = src.format === 'webp' && (src.frames ?? 1) <= 1;
  const scale =
    jpeg || stillWebp ? chooseJpegScale(crop.width, crop.height, target.width, target.height) : 1;
  const reduced =
    target.width <= crop.width &&
    target.height <= crop.height &&
    target.width * target.height < crop.width * crop.height;
  return {
    scale,
    decoded: { width: Math.ceil(src.width / scale), height: Math.ceil(src.height / scale) },
    inModule: (jpeg && (scale > 1 || reduced || src.cmyk === true)) || src.format === 'png',
  };
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

/**
 * Decodes for a crop and target. PNGs go through the PNG module (decode, crop, resample in one
 * call). Reduced JPEGs (and CMYK JPEGs, which mozjpeg cannot read) go through the JPEG module, which decodes at 1/1, 1/2, 1/4 or 1/8, crops and resamples
 * (lanczos3, sRGB) in one call, so the decoded image never leaves its wasm memory: the result
 * is already `target`-sized (see `decodePlan`). Everything else decodes through @jsquash and
 * is cropped and resized by the caller.
 * @throws DecodeError when the bytes do not decode.
 */
async function decodeFor(
  bytes: Uint8Array,
  src: SourceFacts,
  crop: Rect,
  target: Size,
): Promise<{ img: RawImage; crop: Rect }> {
  const { scale, decoded, inModule } = decodePlan(src, crop, target);
  if (!inModule) {
    if (scale === 1) return { img: await decodeImage(bytes, src.format), crop };
    // A still WebP, reduced by libwebp while decoding.
    const img = await decodeImage(bytes, src.format, decoded);
    return { img, crop: scaleRect(crop, src, decoded) };
  }
  const region = scaleRect(crop, src, decoded);
  if (src.format === 'png') {
    // Enlarged axes are decoded at the crop's size and resized by the caller.
    const img = decodePngResized(
      bytes,
      region,
      Math.min(target.width, region.width),
      Math.min(target.height, region.height),
      src.width * src.height,
    );
    return { img, crop: { left: 0, top: 0, width: img.width, height: img.height } };
  }
  try {
    // The module only reduces: an enlarged CMYK crop is decoded at its own size and resized
    // by the caller.
    const img = decodeJpegResized(
      bytes,
      scale,
      region,
      Math.min(target.width, region.width),
      Math.min(target.height, region.height),
      src.width * src.height,
    );
    return { img, crop: { left: 0, top: 0, width: img.width, height: img.height } };
  } catch (err) {
    if (err instanceof JpegDecodeError) throw new DecodeError(`${err.code}: ${err.message}`);
    throw err;
  }
}

/** The embedded profile to convert from, unless it is CMYK (see runPipeline). */
async function rgbProfile(bytes: Uint8Array): Promise<IccProfile | null> {
  const profile = await embeddedProfile(bytes);
  return profile && profile.model !== 'cmyk' ? profile : null;
}

/**
 * Everything after decoding, for one image or frame: crop, resize, colour (`icc` → sRGB, on
 * the smaller of the crop and the resized image), orient, effects, pad.
 */
async function finishFrame(
  decoded: { img: RawImage; crop: Rect },
  src: SourceFacts,
  spec: TransformSpec,
  format: EncodeFormat,
  plan: { orientation: Orientation; geometry: Geometry; target: Size },
  icc: IccProfile | null,
): Promise<RawImage> {
  const { orientation, geometry, target } = plan;
  let img = cropInPlace(decoded.img, decoded.crop);
  const convertFirst = img.width * img.height < target.width * target.height;
  if (icc && convertFirst) convertToSrgb(img, icc);
  img = await resizeImage(img, target.width, target.height, { premultiply: src.hasAlpha });
  if (icc && !convertFirst) convertToSrgb(img, icc);
  img = applyOrientation(img, orientation);
  if (spec.blur) img = blur(img, spec.blur);
  if (spec.sharpen) img = sharpen(img, spec.sharpen);
  const bg = spec.background ?? WHITE;
  const fill = format === 'jpeg' ? { ...bg, a: 255 } : bg; // JPEG has no alpha: flatten opaque
  const padded = geometry.canvas.width !== img.width || geometry.canvas.height !== img.height;
  if (padded) img = composite(img, geometry.canvas, geometry.offset, fill);
  else if (src.hasAlpha && (format === 'jpeg' || spec.background))
    img = composite(img, img, { left: 0, top: 0 }, fill);
  return img;
}

/**
 * Runs the pipeline on an original's bytes. An animated source whose variant is animated
 * ({@link isAnimatedOutput}) is decoded, transformed and encoded frame by frame, each frame
 * through the same steps as a still image, delays and loop count kept; it must be within
 * `maxAnimationPixels` (canvas × frames), checked before any frame is decoded.
 * `enlargeTo` (still images only; a stand-in, delivery/stand-in.ts): the finished image is resized
 * (lanczos3) to this size before encoding.
 * @throws DecodeError when the bytes do not decode (→ 422); encoder errors propagate.
 */
export async function runPipeline(
  bytes: Uint8Array,
  src: SourceFacts,
  spec: TransformSpec,
  format: EncodeFormat,
  maxAnimationPixels = 0,
  enlargeTo?: Size,
): Promise<PipelineResult> {
  const { orientation, geometry } = planVariant(src, spec);
  let t = performance.now();
  const timings: StageTimings = { decode: 0, resize: 0, encode: 0 };
  const lap = (stage: keyof StageTimings) => {
    const now = performance.now();
    timings[stage] += now - t;
    t = now;
  };

  const target = orientSize(orientation, geometry.resize);
  const plan = { orientation, geometry, target };
  if (isAnimatedOutput(src, spec, format) && !enlargeTo) {
    const crop = rectToSource(orientation, src, geometry.crop);
    const frames = src.format === 'gif' ? decodeGifFrames : decodeWebpFrames;
    let enc: WebpAnimationEncoder | GifAnimationEncoder | undefined;
    const onInfo = (info: AnimationInfo) => {
      if (maxAnimationPixels > 0 && info.width * info.height * info.frames > maxAnimationPixels)
        throw new AnimationTooLargeError(info, maxAnimationPixels);
      const { width, height } = geometry.canvas;
      enc =
        format === 'webp'
          ? new WebpAnimationEncoder(width, height, info.loopCount, {
              quality: spec.quality ?? DEFAULT_QUALITY.webp ?? undefined,
            })
          : new GifAnimationEncoder(width, height, info.loopCount);
    };
    const icc = await rgbProfile(bytes);
    const onFrame = async (frame: AnimationFrame) => {
      lap('decode');
      const img = await finishFrame({ img: frame, crop }, src, spec, format, plan, icc);
      lap('resize');
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
    const { width, height } = geometry.canvas;
    return { bytes: out, format, width, height, timings };
  }
  const decoded = await decodeFor(
    bytes,
    src,
    rectToSource(orientation, src, geometry.crop),
    target,
  );
  // CMYK JPEGs are converted to RGB naively by the JPEG module, so a CMYK profile no longer
  // describes the pixels: such images stay as they are (not yet colour managed).
  const icc = await rgbProfile(bytes);
  lap('decode');
  let img = await finishFrame(decoded, src, spec, format, plan, icc);
  if (enlargeTo && (enlargeTo.width !== img.width || enlargeTo.height !== img.height))
    img = await resizeImage(img, enlargeTo.width, enlargeTo.height, {
      premultiply: src.hasAlpha,
    });
  lap('resize');
  const out = await encodeImage(img, format, { quality: spec.quality });
  lap('encode');
  return { bytes: out, format, width: img.width, height: img.height, timings };
}

/** An animation over the total-frame-pixel limit (a 422 naming the limit). */
export class AnimationTooLargeError extends Error {
  constructor(
    readonly info: AnimationInfo,
    readonly limit: number,
  ) {
    super(
      `The animation has ${info.frames} frames of ${info.width}x${info.height}: ${info.width * info.height * info.frames} frame pixels, over the limit of ${limit}. Ask for anim=false to get its first frame.`,
    );
    this.name = 'AnimationTooLargeError';
  }
}
