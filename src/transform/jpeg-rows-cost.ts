/**
 * The planner's memory figures for a JPEG encoded from rows by libjpeg-turbo
 * (codecs/jpeg-rows.ts, transform/streamed.ts), measured in workerd (VmHWM,
 * `node bench/grid-memory.mjs jrows`; docs/performance.md, "JPEG encoded from rows").
 *
 * The encoder's instance holds, per output MP: the quantised coefficients of the whole image
 * (optimised Huffman tables and progressive scans need them: 2 bytes × 64 per 8x8 block, 1.5
 * blocks' worth of samples per pixel at 4:2:0 = 2.86 MiB), and the .jpg it writes, which
 * jpeg_mem_dest grows by doubling (up to twice the file while it copies), then copied out to
 * JS: about 4 times the file, bounded by {@link outputBytesPerPixel}. A turned output (or one
 * flipped top to bottom) is written whole into the encoder's input first: RGBA on top.
 */
import { DEFAULT_QUALITY } from '../codecs/encode';

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
 * highest 1.6 over the model with 6.5 (rounded up to 2).
 */
export const JPEG_ROWS_FIXED_MB = 8.5;

/**
 * A bound on the .jpg's bytes per pixel at a libjpeg quality (4:2:0 photos; measured on the
 * photos at 1600–2000 px, bench/jpeg-rows-node.mjs: 0.10–0.22 at q82, 0.29 at q90, 0.77 at
 * q100 on the noisiest): 0.35 up to q85,
 * 1.2 above.
 */
export const outputBytesPerPixel = (quality: number): number => (quality <= 85 ? 0.35 : 1.2);

/**
 * The rows encoder's memory for `outMP` output megapixels at `quality` (1..100; default our
 * JPEG default), MiB; `whole`: the image is written whole into its input (a turned output).
 */
export function jpegRowsEncodeMb(
  outMP: number,
  quality: number | undefined,
  whole: boolean,
): number {
  const q = quality ?? DEFAULT_QUALITY.jpeg ?? 82;
  const outputMb = (4 * outputBytesPerPixel(q)) / 1.048576;
  return (COEFFICIENTS_MB_PER_MP + outputMb + (whole ? RGBA_MB_PER_MP : 0)) * outMP;
}
