/**
 * The streamed still path: a variant that is only geometry and colour (crop, resize, embedded
 * profile → sRGB, orientation) into a still WebP, a JPEG the planner put on libjpeg-turbo's
 * rows encoder (flattened onto its background), or an opaque PNG, writes its pixels once,
 * straight into the encoder's memory (codecs/row-sink.ts), instead of making the output image
 * in JS and copying it into the encoder: a band of rows at a time (for WebP each converted to
 * libwebp's YUV picture when it is full, codecs/encode.ts `encodeWebpRowsInto`; for JPEG
 * compressed, codecs/jpeg-rows.ts; for PNG filtered and deflated, codecs/png-enc.ts), so the
 * output's RGBA never exists whole; for an orientation that transposes (EXIF 5..8, a quarter
 * turn), whose output rows need every stored row (and for JPEG and PNG, whose rows go top to
 * bottom, one that flips rows), into the encoder's whole RGBA input buffer (`encodeWebpInto`,
 * `encodeJpegFilled`, `encodePngFilled`):
 * - the decoder's output is read where it lies, in the decoder's wasm memory (codecs/own-wasm.ts
 *   `Lend`: the JPEG and PNG modules and libjpeg-turbo), not copied out first; the PNG and AVIF
 *   modules hand their output rows on as they make them (a `RowFeed`); a JPEG that
 *   libjpeg-turbo decodes at M/8 is not held whole at all: its rows are decoded as they are
 *   pulled (codecs/jpeg-turbo.ts `openJpegTurboRows`), rows above the crop dropped, the crop's
 *   left offset a subarray, so only 16 decoded rows exist at a time; a still lossless WebP's
 *   rows are pulled alike, cropped (and scaled to the target) by libwebp as they are decoded
 *   (codecs/webp.ts `openWebpRows`);
 * - resampled rows (wasm/resize.wasm, codecs/resize.ts `resizeRows`), or the decoder's rows
 *   when the size is already right, are put in place turned (orient.ts `rowPlacer`);
 * - the colour transform runs on the crop before resizing or on libwebp's buffer after (each
 *   band, or the whole buffer), as transform/pipeline.ts `finishFrame` does, so the bytes are
 *   the same as that path's.
 * It yields to the event loop (./yield.ts) after decoding, between slices of output rows (or,
 * when resizing, of source rows: JSPI, codecs/resize.ts) and before the encoder's last step,
 * holding the decoder's output and the encoder's state across each yield (the caller runs it
 * in yield.ts `inLane`).
 * Measured in workerd: docs/performance.md, "Memory per variant".
 */
import { YIELD_SLICE_PIXELS } from '../config';
import { WEBP_BAND_ROWS } from '../codecs/webp';
import type { IccProfile } from '../codecs/icc';
import { convertToSrgb } from '../codecs/lcms';
import type { JpegRows } from '../codecs/jpeg-turbo';
import { resizeRows, rowsOf } from '../codecs/resize';
import { rowSink, type RowSinkFormat } from '../codecs/row-sink';
import type { EncodeFormat, RawImage, RowFeed, RowSource } from '../codecs/types';
import { hasAdjustments } from './adjust';
import { borderSides } from './border';
import { composite, cropInPlace } from './effects';
import type { Geometry, Rect, Size } from './geometry';
import { orientSize, rowPlacer, type Orientation } from './orient';
import type { Rgba, TransformSpec } from './spec';
import { yieldToLoop } from './yield';

/**
 * True when a still variant takes the streamed path: a WebP, a JPEG the planner put on the
 * rows encoder (`jpegRows`: transform/fallback.ts), or a PNG known to be opaque before its
 * first row (a source without alpha, or one flattened onto an opaque `background`: written as
 * RGB, the colour type encodeImage picks for an opaque image, so the same bytes), whose
 * finishing is geometry and colour only: no `trim=border`, colour adjustment, blur, sharpen,
 * padding, border, or (WebP) background to flatten transparency onto; no stand-in
 * enlargement. (A JPEG or PNG is flattened onto its background band by band, as pipeline.ts
 * `finishFrame` flattens it.) A PNG with transparency stays on the inline path, which picks
 * RGB or RGBA from the finished image.
 */
export function streams(
  src: { hasAlpha: boolean },
  spec: TransformSpec,
  format: EncodeFormat,
  inner: Geometry,
  enlarged: boolean,
  jpegRows = false,
): boolean {
  const { canvas, resize, offset } = inner;
  return (
    (format === 'webp' ||
      (format === 'jpeg' && jpegRows) ||
      (format === 'png' && (!src.hasAlpha || spec.background?.a === 255))) &&
    !enlarged &&
    spec.trim?.kind !== 'border' &&
    !hasAdjustments(spec) &&
    !spec.blur &&
    !spec.sharpen &&
    !borderSides(spec) &&
    !(format === 'webp' && src.hasAlpha && spec.background) &&
    canvas.width === resize.width &&
    canvas.height === resize.height &&
    offset.left === 0 &&
    offset.top === 0
  );
}

/** Progressive JPEG output unless the spec asks for baseline or fast compression. */
export const jpegProgressive = (spec: TransformSpec): boolean =>
  spec.format !== 'baseline-jpeg' && spec.compression !== 'fast';

/**
 * What a streamed variant of `spec` ({@link streams}) is encoded as, and for a JPEG or PNG of
 * a source with transparency, the opaque colour it is flattened onto (`background`; for JPEG
 * default white). `jpegOnePass`: a JPEG in libjpeg-turbo's single pass (the planner's
 * `jpegOnePass`), else progressive or baseline as {@link jpegProgressive} says.
 */
export function streamedOutput(
  spec: TransformSpec,
  format: EncodeFormat,
  hasAlpha: boolean,
  jpegOnePass = false,
): { sink: RowSinkFormat; flatten?: Rgba } {
  if (format !== 'jpeg' && format !== 'png') return { sink: { format: 'webp' } };
  const bg = spec.background ?? { r: 255, g: 255, b: 255, a: 255 };
  return {
    sink:
      format === 'png'
        ? { format: 'png', channels: 3 }
        : jpegOnePass
          ? { format: 'jpeg', progressive: false, singlePass: true }
          : { format: 'jpeg', progressive: jpegProgressive(spec) },
    flatten: hasAlpha ? { ...bg, a: 255 } : undefined,
  };
}

/** Rows of `img` flattened onto the opaque `fill`, in place, 32 rows at a time (effects.ts `composite`). */
function flattenInPlace(img: RawImage, fill: Rgba): void {
  const n = img.width * 4;
  for (let top = 0; top < img.height; top += 32) {
    const rows = Math.min(32, img.height - top);
    const band = {
      data: img.data.subarray(top * n, (top + rows) * n),
      width: img.width,
      height: rows,
    };
    band.data.set(composite(band, band, { left: 0, top: 0 }, fill).data);
  }
}

/**
 * The crop `r` of `src`'s rows (rows above it are read and dropped, the left offset is a
 * subarray): pulled in order as `src` is.
 */
function cropRows(src: RowSource, r: Rect): RowSource {
  if (r.left === 0 && r.top === 0 && r.width === src.width && r.height === src.height) return src;
  return {
    width: r.width,
    height: r.height,
    row: (y) => src.row(r.top + y).subarray(r.left * 4, (r.left + r.width) * 4),
  };
}

/**
 * Crops the decoded image (`decoded.img`: a whole image, cropped in place (it may be a view
 * into a decoder's memory, which it then alters), or a JPEG's or lossless WebP's rows as they
 * are decoded (a `RowStream`), cropped as they are read, or a PNG or AVIF module's feed of rows already cropped and reduced to
 * `target`),
 * resizes it to `target` (stored frame; lanczos3, premultiplied when
 * `hasAlpha`), converts it from `icc` to sRGB, turns it by `orientation`, flattens it onto
 * `out.flatten` when given and encodes it as `out.sink` at `quality` (1..100; default
 * codecs/encode.ts DEFAULT_QUALITY), writing the output image only into the encoder's memory
 * (a band at a time unless `orientation` transposes, or flips rows for an encoder that takes
 * them top to bottom only: codecs/row-sink.ts). Source rows are read once, top to bottom, in
 * every case. Yields to the event loop first, after every {@link sliceRows} rows written
 * without resizing, and before the encoder's last step; a lent view of `decoded.img` (or the
 * row stream) stays valid throughout (the caller keeps other transforms off the decoder and
 * the encoder: yield.ts `inLane`). `lap` is called after the pixels are made (`resize`; with
 * bands, their conversion counts too; with a row stream, the decode too), before encoding.
 * `pause` is the yield (default {@link yieldToLoop}).
 * The output bytes are the same whether the source is whole or a row stream of the same pixels.
 * @returns the encoded file and its size.
 * @throws as resizeRows, convertToSrgb (DecodeError), the row stream (DecodeError) and the
 *   encoder.
 */
export async function encodeStreamed(
  decoded: { img: RawImage | JpegRows | RowFeed; crop: Rect },
  hasAlpha: boolean,
  plan: { orientation: Orientation; target: Size },
  icc: IccProfile | null,
  quality: number | undefined,
  lap: () => void = () => undefined,
  out: { sink: RowSinkFormat; flatten?: Rgba } = { sink: { format: 'webp' } },
  pause: () => Promise<void> = yieldToLoop,
): Promise<{ bytes: Uint8Array; width: number; height: number }> {
  await pause();
  const { orientation, target } = plan;
  const sink = rowSink(out.sink, quality, pause);
  const { flatten } = out;
  const { crop } = decoded;
  const convertFirst = crop.width * crop.height < target.width * target.height;
  let src: RowSource | RowFeed;
  if ('feed' in decoded.img) {
    if (decoded.img.width !== target.width || decoded.img.height !== target.height)
      throw new RangeError('encodeStreamed: a row feed comes at the target size');
    src = decoded.img;
  } else if ('data' in decoded.img) {
    const img = cropInPlace(decoded.img, crop);
    if (icc && convertFirst) convertToSrgb(img, icc);
    src = rowsOf(img);
  } else {
    // Converted band by band as decoded (whole rows: the pixels outside the crop are dropped).
    if (icc && convertFirst) decoded.img.onBand = (band) => convertToSrgb(band, icc);
    src = cropRows(decoded.img, crop);
  }
  const sameSize = src.width === target.width && src.height === target.height;
  const { width, height } = orientSize(orientation, target);
  const made = async () => {
    lap();
    await pause();
  };
  if (!orientation.transpose && (sink.anyOrder || !orientation.flipY)) {
    // Output rows are stored rows, in order or reversed: the encoder takes them band by band.
    const mirror = { transpose: false, flipX: orientation.flipX, flipY: false };
    const onBand =
      (icc && !convertFirst) || flatten
        ? (band: RawImage) => {
            if (icc && !convertFirst) convertToSrgb(band, icc);
            if (flatten) flattenInPlace(band, flatten);
          }
        : undefined;
    const bytes = await sink.rows(
      width,
      height,
      async (rowAt) => {
        const place = (row: Uint8ClampedArray, y: number) =>
          rowPlacer(
            mirror,
            { width, height: 1 },
            rowAt(orientation.flipY ? height - 1 - y : y),
          )(row, 0);
        if ('feed' in src) await src.feed(place, feedSlices(src, pause));
        else if (sameSize) {
          const slice = sliceRows(width);
          for (let y = 0; y < height; y++) {
            if (y > 0 && y % slice === 0) await pause();
            place(src.row(y), y);
          }
        } else await resizeRows(src, width, height, place, hasAlpha, slices(src.width, pause));
        await made();
      },
      onBand,
    );
    return { bytes, width, height };
  }
  const bytes = await sink.whole(width, height, async (px) => {
    const put = rowPlacer(orientation, target, px);
    if ('feed' in src) await src.feed(put, feedSlices(src, pause));
    else if (sameSize) for (let y = 0; y < target.height; y++) put(src.row(y), y);
    else
      await resizeRows(src, target.width, target.height, put, hasAlpha, slices(src.width, pause));
    if (icc && !convertFirst) convertToSrgb({ data: px, width, height }, icc);
    if (flatten) flattenInPlace({ data: px, width, height }, flatten);
    await made();
  });
  return { bytes, width, height };
}

/**
 * The pauses of a resample whose source rows are `width` pixels wide: one after every
 * YIELD_SLICE_PIXELS source pixels read (codecs/resize.ts `resizeRows`, JSPI).
 */
const slices = (width: number, pause: () => Promise<void>) => ({
  rows: Math.max(1, Math.floor(YIELD_SLICE_PIXELS / width)),
  pause,
});

/**
 * The pauses of a row feed: one after the output rows made from every YIELD_SLICE_PIXELS
 * source pixels it reads.
 */
const feedSlices = (src: RowFeed, pause: () => Promise<void>) => ({
  rows: Math.max(1, Math.floor((YIELD_SLICE_PIXELS * src.height) / src.sourcePixels)),
  pause,
});

/**
 * Rows of `width` pixels written between two yields: YIELD_SLICE_PIXELS of them, in whole
 * libwebp bands of 32 rows (at least one).
 */
export const sliceRows = (width: number): number =>
  Math.max(1, Math.round(YIELD_SLICE_PIXELS / width / WEBP_BAND_ROWS)) * WEBP_BAND_ROWS;
