/**
 * The streamed still path: a variant that is only geometry and colour (crop, resize, embedded
 * profile → sRGB, orientation) into a still WebP writes its pixels once, straight into
 * libwebp's memory, instead of making the output image in JS and copying it into the encoder:
 * a band of rows at a time, each converted to libwebp's YUV picture when it is full
 * (codecs/encode.ts `encodeWebpRowsInto`), so the output's RGBA never exists whole; for an
 * orientation that transposes (EXIF 5..8, a quarter turn), whose output rows need every
 * stored row, into libwebp's whole RGBA input buffer (`encodeWebpInto`):
 * - the decoder's output is read where it lies, in the decoder's wasm memory (codecs/own-wasm.ts
 *   `Lend`: the JPEG and PNG modules and libjpeg-turbo), not copied out first;
 * - resampled rows (wasm/resize.wasm, codecs/resize.ts `resizeRows`), or the decoder's rows
 *   when the size is already right, are put in place turned (orient.ts `rowPlacer`);
 * - the colour transform runs on the crop before resizing or on libwebp's buffer after (each
 *   band, or the whole buffer), as transform/pipeline.ts `finishFrame` does, so the bytes are
 *   the same as that path's.
 * It yields to the event loop (./yield.ts) after decoding, between slices of output rows and
 * before libwebp's encode, holding the decoder's output and libwebp's picture across each
 * yield (the caller runs it in yield.ts `inLane`).
 * Measured in workerd: docs/performance.md, "Memory per variant".
 */
import { YIELD_SLICE_PIXELS } from '../config';
import { encodeWebpInto, encodeWebpRowsInto } from '../codecs/encode';
import { WEBP_BAND_ROWS } from '../codecs/webp';
import type { IccProfile } from '../codecs/icc';
import { convertToSrgb } from '../codecs/lcms';
import { resizeRows } from '../codecs/resize';
import type { EncodeFormat, RawImage } from '../codecs/types';
import { hasAdjustments } from './adjust';
import { borderSides } from './border';
import { cropInPlace } from './effects';
import type { Geometry, Rect, Size } from './geometry';
import { orientInto, orientSize, rowPlacer, type Orientation } from './orient';
import type { TransformSpec } from './spec';
import { yieldToLoop } from './yield';

/**
 * True when a still variant takes the streamed path: a WebP whose finishing is geometry and
 * colour only: no `trim=border`, colour adjustment, blur, sharpen, padding, border, or
 * background to flatten transparency onto; no stand-in enlargement.
 */
export function streams(
  src: { hasAlpha: boolean },
  spec: TransformSpec,
  format: EncodeFormat,
  inner: Geometry,
  enlarged: boolean,
): boolean {
  const { canvas, resize, offset } = inner;
  return (
    format === 'webp' &&
    !enlarged &&
    spec.trim?.kind !== 'border' &&
    !hasAdjustments(spec) &&
    !spec.blur &&
    !spec.sharpen &&
    !borderSides(spec) &&
    !(src.hasAlpha && spec.background) &&
    canvas.width === resize.width &&
    canvas.height === resize.height &&
    offset.left === 0 &&
    offset.top === 0
  );
}

/**
 * Crops `decoded.img` (in place: it may be a view into a decoder's memory, which it then
 * alters), resizes it to `target` (stored frame; lanczos3, premultiplied when `hasAlpha`),
 * converts it from `icc` to sRGB, turns it by `orientation` and encodes it as WebP at
 * `quality` (1..100; default codecs/encode.ts DEFAULT_QUALITY), writing the output image
 * only into libwebp's memory (a band at a time unless `orientation` transposes). Yields to
 * the event loop first, after every {@link sliceRows} rows written without resizing, and
 * before libwebp encodes; a lent view of `decoded.img` stays valid throughout (the caller
 * keeps other transforms off the decoder: yield.ts `inLane`). `lap` is called after the
 * pixels are made (`resize`; with bands, their conversion to YUV counts too), before encoding.
 * `pause` is the yield (default {@link yieldToLoop}).
 * @returns the .webp file and its size.
 * @throws as resizeRows, convertToSrgb (DecodeError) and encodeWebpInto.
 */
export async function encodeStreamed(
  decoded: { img: RawImage; crop: Rect },
  hasAlpha: boolean,
  plan: { orientation: Orientation; target: Size },
  icc: IccProfile | null,
  quality: number | undefined,
  lap: () => void = () => undefined,
  pause: () => Promise<void> = yieldToLoop,
): Promise<{ bytes: Uint8Array; width: number; height: number }> {
  await pause();
  const { orientation, target } = plan;
  const img = cropInPlace(decoded.img, decoded.crop);
  const convertFirst = img.width * img.height < target.width * target.height;
  if (icc && convertFirst) convertToSrgb(img, icc);
  const { width, height } = orientSize(orientation, target);
  const made = async () => {
    lap();
    await pause();
  };
  if (!orientation.transpose) {
    // Output rows are stored rows, in order or reversed: libwebp takes them band by band.
    const mirror = { transpose: false, flipX: orientation.flipX, flipY: false };
    const bytes = await encodeWebpRowsInto(
      width,
      height,
      async (rowAt) => {
        const place = (row: Uint8ClampedArray, y: number) =>
          rowPlacer(
            mirror,
            { width, height: 1 },
            rowAt(orientation.flipY ? height - 1 - y : y),
          )(row, 0);
        if (img.width === target.width && img.height === target.height) {
          const n = width * 4;
          const slice = sliceRows(width);
          for (let y = 0; y < height; y++) {
            if (y > 0 && y % slice === 0) await pause();
            place(img.data.subarray(y * n, (y + 1) * n), y);
          }
        } else resizeRows(img, width, height, place, hasAlpha);
        await made();
      },
      { quality, onBand: icc && !convertFirst ? (band) => convertToSrgb(band, icc) : undefined },
    );
    return { bytes, width, height };
  }
  const bytes = await encodeWebpInto(
    width,
    height,
    async (px) => {
      if (img.width === target.width && img.height === target.height)
        orientInto(img, orientation, px);
      else
        resizeRows(img, target.width, target.height, rowPlacer(orientation, target, px), hasAlpha);
      if (icc && !convertFirst) convertToSrgb({ data: px, width, height }, icc);
      await made();
    },
    { quality },
  );
  return { bytes, width, height };
}

/**
 * Rows of `width` pixels written between two yields: YIELD_SLICE_PIXELS of them, in whole
 * libwebp bands (at least one).
 */
export const sliceRows = (width: number): number =>
  Math.max(1, Math.round(YIELD_SLICE_PIXELS / width / WEBP_BAND_ROWS)) * WEBP_BAND_ROWS;
