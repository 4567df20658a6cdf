/**
 * The planner's memory figures for a JPEG encoded from rows by libjpeg-turbo
 * (codecs/jpeg-rows.ts, transform/streamed.ts), measured in workerd (VmHWM,
 * `node bench/grid-memory.mjs jrows`; docs/performance.md, "JPEG encoded from rows").
 *
 * Per output MP: in two passes (optimised Huffman tables, progressive scans) the encoder's
 * instance holds the quantised coefficients of the whole image (2 bytes × 64 per 8x8 block,
 * 1.5 blocks' worth of samples per pixel at 4:2:0 = 2.86 MiB); in one pass (`onePass`: the
 * planner's `jpegOnePass`) none. The .jpg leaves wasm memory a 256 KiB segment at a time, into
 * one JS buffer allocated at codecs/jpeg-rows.ts `jpegFileBound` (the file once, at
 * `jpegBytesPerPixel`). A turned output (or one flipped top to bottom) is written whole into
 * the encoder's input first: RGBA on top.
 */
import { DEFAULT_QUALITY } from '../codecs/encode';
import { jpegBytesPerPixel } from '../codecs/jpeg-rows';

/** Coefficients, MiB per output MP (see the module comment). */
const COEFFICIENTS_MB_PER_MP = (2 * 64 * 1.5) / 64 / 1.048576;

/** RGBA, MiB per MP. */
const RGBA_MB_PER_MP = 4 / 1.048576;

/**
 * Fixed memory, MiB: the instance (1 MiB initial memory, libjpeg's tables, a band of 32 rows:
 * about 2) and what the JS side holds besides (the band views, a flattened band's garbage, the
 * output's copy out): fitted to the PNG sources' peaks in workerd, the highest against this
 * model (bench/results/2026-12-05-jpeg-rows-memory.json): the 12 MP PNG → 1600x1200 measured
 * 72.0–74.1 MB above idle (3.2 over the model with 3 fixed), the 3 MP alpha PNG at full size
 * 50.9 (2.5 over), the 12 MP PNG → 3000x2250 109.1 (0.5 under). Raised from 6.5 when the
 * PNG module began feeding its rows on (session 10, bench/results/2026-12-05-png-feed-memory.json):
 * the same 12 MP PNG → 1600x1200 then measured 62.2–68.6 MB above idle over three runs, the
 * highest 1.6 over the model with 6.5 (rounded up to 2). Raised from 8.5 when the file began to
 * leave wasm as it is written (session 13, bench/results/2026-12-06-jpeg-out-memory.json, two
 * runs: the file is charged once, not four times): the 12 MP PNG → 1600x1200 measured 69.4 and
 * 68.0 above idle, 2.3 and 0.9 over the model with 8.5 (the higher one while a test ran beside
 * it; 1 added).
 */
export const JPEG_ROWS_FIXED_MB = 9.5;

/**
 * What else grows with the output on this path besides the file and the coefficients, MiB per
 * output MP (not attributed: wider rows through the decode, resize and colour stages, JS
 * garbage): fitted to the largest outputs in one pass, where nothing else hides it, on the
 * uploaded record's facts (no colour stage charged for a source without a profile; the bench's
 * probe facts charge 3 MB more): the 99.6 MP → 5666x8192 measured 65.6-67.0 above idle over
 * three runs, 4.5 over the model without it (46.4 MP: 0.097 per MP); → 8192x8192 73.6-73.7,
 * 4.4 over (67.1 MP: 0.066).
 */
const ROWS_MB_PER_MP = 0.1;

/**
 * The rows encoder's memory for `outMP` output megapixels at `quality` (1..100; default our
 * JPEG default), MiB; `whole`: the image is written whole into its input (a turned output);
 * `onePass`: libjpeg-turbo's single pass (no coefficients).
 */
export function jpegRowsEncodeMb(
  outMP: number,
  quality: number | undefined,
  whole: boolean,
  onePass = false,
): number {
  const q = quality ?? DEFAULT_QUALITY.jpeg ?? 82;
  const outputMb = jpegBytesPerPixel(q) / 1.048576;
  const coefficientsMb = onePass ? 0 : COEFFICIENTS_MB_PER_MP;
  return (coefficientsMb + outputMb + ROWS_MB_PER_MP + (whole ? RGBA_MB_PER_MP : 0)) * outMP;
}
