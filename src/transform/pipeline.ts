/**
 * The transform pipeline: decode → crop (in the stored frame) → resize → orient (EXIF, flip,
 * rotate as one move) → blur/sharpen → pad or flatten → encode. Cropping and resizing happen
 * before orienting, so the full-size image is never turned: only the small result is.
 * Metadata never reaches the output: encoders get pixels only.
 */
import { decodeImage } from '../codecs/decode';
import { encodeImage } from '../codecs/encode';
import type { ImageFormat } from '../codecs/probe';
import { resizeImage } from '../codecs/resize';
import type { EncodeFormat, RawImage } from '../codecs/types';
import { blur, composite, cropInPlace, sharpen } from './effects';
import { planGeometry, type Geometry } from './geometry';
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
  const geometry = planGeometry(orientSize(orientation, src), spec);
  return { orientation, geometry };
}

/**
 * Runs the pipeline on an original's bytes.
 * @throws DecodeError when the bytes do not decode (→ 422); encoder errors propagate.
 */
export async function runPipeline(
  bytes: Uint8Array,
  src: SourceFacts,
  spec: TransformSpec,
  format: EncodeFormat,
): Promise<PipelineResult> {
  const { orientation, geometry } = planVariant(src, spec);
  let t = performance.now();
  const timings: StageTimings = { decode: 0, resize: 0, encode: 0 };
  const lap = (stage: keyof StageTimings) => {
    const now = performance.now();
    timings[stage] += now - t;
    t = now;
  };

  let img: RawImage = await decodeImage(bytes, src.format);
  lap('decode');
  img = cropInPlace(img, rectToSource(orientation, img, geometry.crop));
  const target = orientSize(orientation, geometry.resize);
  img = await resizeImage(img, target.width, target.height, { premultiply: src.hasAlpha });
  img = applyOrientation(img, orientation);
  if (spec.blur) img = blur(img, spec.blur);
  if (spec.sharpen) img = sharpen(img, spec.sharpen);
  const bg = spec.background ?? WHITE;
  const fill = format === 'jpeg' ? { ...bg, a: 255 } : bg; // JPEG has no alpha: flatten opaque
  const padded = geometry.canvas.width !== img.width || geometry.canvas.height !== img.height;
  if (padded) img = composite(img, geometry.canvas, geometry.offset, fill);
  else if (src.hasAlpha && (format === 'jpeg' || spec.background))
    img = composite(img, img, { left: 0, top: 0 }, fill);
  lap('resize');
  const out = await encodeImage(img, format, { quality: spec.quality });
  lap('encode');
  return { bytes: out, format, width: img.width, height: img.height, timings };
}
