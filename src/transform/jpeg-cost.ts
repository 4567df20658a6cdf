/**
 * The planner's figures for a baseline JPEG decoded by libjpeg-turbo at M/8
 * (wasm/jpeg_turbo.wasm, src/codecs/jpeg-turbo.ts; `DecodePlan.eighths`), and the rule that
 * prices it against jpeg_scaled.wasm at 1/d for a reduction (src/transform/pipeline.ts
 * `decodePlan`):
 *
 *   turbo:  cpu = 3.5 ms × source MP + 10.5 ms × decoded MP + resize × decoded MP
 *           mem = 2 × RGBA × decoded MP (the module's output and the JS copy); then
 *                 wasm/resize.wasm streams rows into the output-sized RGBA. On the streamed
 *                 path the rows are pulled as decoded instead ({@link TURBO_ROWS_MB}): the
 *                 comparison below keeps the whole-image figure, so the route (and the
 *                 bytes) do not depend on the path.
 *   scaled: cpu = its table figure at 1/d × source MP + resize × decoded MP (in the module)
 *           mem = SCALED_DECODE_MB_PER_DECODED_MP × decoded MP, then the output-sized RGBA
 *
 * M/8 is chosen when it is cheaper in CPU and no dearer in memory (the output-sized RGBA is
 * alike on both paths, so only the decoded images are compared). With @jsquash/resize
 * (12.5-13 MB per MP of its input and output) that was never the case for a reduction; with
 * wasm/resize.wasm, which holds rows only, it is whenever M/8 decodes fewer pixels than 1/d.
 * Measured in workerd on Carrie.jpg (12 MP; `node bench/run.mjs --cases
 * pipe-carrie-webp-800` and `pipe-carrie-webp-1600`, 7 runs each, load average 2-4; the turbo
 * side with the rule forced on): → 800w WebP, 1/2 in the module 174-184 ms (decode and
 * resample 88) and 125 MiB peak RSS, 3/8 + resize.wasm 155-164 ms (decode 50, resize 16) and
 * 123-124 MiB; → 1600w WebP (`large`), 1/1 in the module 568-597 ms (decode and resample
 * 262) and 187-188 MiB, 5/8 + resize.wasm 475 ms (decode 85, resize 54) and 170 MiB. The
 * pipeline asks only for reductions of 2x or more (`turboEighths` in pipeline.ts: under 2x
 * the full decode + lanczos3 stays, sharp's output), so → 800w takes 3/8 and → 1600w 1/1,
 * unless the 1/1 plan is over its place's budget: then the planner's fallback
 * (transform/fallback.ts) takes 5/8.
 */

/** The cost-table figures this module reads (a subset of `CostTable` in cost.ts). */
export interface JpegCostFigures {
  resizeMsPerMP: number | null;
  jpegScaledDecodeMsPerMPByDenom?: Partial<Record<'1' | '2' | '4' | '8', number | null>>;
}

/**
 * libjpeg-turbo CPU: entropy decoding per SOURCE MP plus IDCT, upsampling and colour per
 * DECODED MP, fitted to Node CPU medians on Carrie.jpg (12 MP, `node
 * bench/jpeg-turbo-node.mjs`, one run): 8/8 166 ms, 6/8 98, 4/8 79, 3/8 47, 2/8 49 (the fit,
 * 42 + 10.5 per decoded MP, is within 13 ms of each).
 */
export const TURBO_MS_PER_SOURCE_MP = 3.5;
export const TURBO_MS_PER_DECODED_MP = 10.5;
/**
 * libjpeg-turbo memory decoding the whole image: the module holds its input copy and the RGBA
 * at M/8, and the adapter copies the RGBA out, so 2 RGBA per decoded MP and two input copies;
 * on top, what such a decode adds to the isolate. Fitted to workerd's peak RSS above the ready
 * isolate for Carrie.jpg (`node bench/run.mjs --cases decode-jpeg-12mp-turbo-8,…-6,…-4,…-3`,
 * one run): 106, 66, 37, 27 MB at 8/8, 6/8, 4/8, 3/8 = 14.1 + 7.66 per decoded MP within 0.4
 * MB, i.e. the input copies (5.4) plus this (wasm memory 48.9, 28.9, 14.5, 9.5 MiB). mozjpeg's
 * full decode measured 111 MB in the same run.
 *
 * Not charged on the rows path ({@link TURBO_ROWS_MB}; session 12): there the decode holds
 * only what its own figure counts. Read as rows alone, every row pulled and dropped (`trows:`
 * cases of `node bench/grid-memory.mjs`, bench/results/2026-12-05-rows-refit-memory.json),
 * the peak above the stored input is the module (its input copy, libjpeg's state and a
 * progressive file's coefficients) plus 4.7-8.9 MB of JS and workerd, which the request's
 * fixed figure (15) covers: the 24 MP progressive at 2/8, 4/8, 5/8, 6/8, 8/8 21.7, 32.8,
 * 42.3, 54.7, 80.4 MB above stored, its coefficients
 * ({@link turboProgressiveCoefficientMbPerMP}) 13.0, 21.5, 31.2, 43.0, 68.6; the 48 MP at
 * 4/8-8/8 13.9-14.7 (module 6.4-6.8 MiB), the 99.6 MP 15.9-17.5 (8.1-8.6). Charged there, the
 * 9 put every streamed variant's estimate 21-33 MB above its measured peak (the 24 MP
 * progressive → 2400x3600 WebP at 5/8: 86.4 measured, 118.4 estimated; 109.4 without it).
 */
export const TURBO_FIXED_MB = 9;
/**
 * libjpeg-turbo read as rows (the streamed path, codecs/jpeg-turbo.ts `openJpegTurboRows`),
 * MiB beside its two input copies and a progressive file's coefficients: libjpeg's state (a
 * baseline file's one MCU row of coefficients, the component strips its upsampler keeps: a few
 * rows of the decoded width) and the 16-row RGBA buffer; no decoded image. Measured in workerd
 * (`jpegTurbo` wasm memory after the variant, `node bench/grid-memory.mjs --out
 * bench/results/2026-12-05-jpeg-stream-memory.json …`, 40 cases): the module's memory is its
 * input plus 0.53-0.70 MiB for every baseline source (6.1 to 99.6 MP, outputs up to 3000x4000);
 * for the 4.9 MP progressive one (4:2:0) plus 19.3 MiB, where cost.ts charges 14.0 for its
 * coefficients (+2 here): 3.3 MiB short, covered by the rest of that variant's estimate (its
 * peaks are in test/transform/cost-measured.test.ts). 2 MiB leaves room for rows 12,000 px
 * wide (0.7 MiB for 16).
 * The whole-image decode held 2 RGBA per decoded MP instead: the 12 MP phone photo → full-size
 * WebP measured 143.4 MB above idle that way, 69.4 as rows.
 */
export const TURBO_ROWS_MB = 2;

/**
 * A progressive (multi-scan) JPEG's coefficients kept between scans by libjpeg-turbo decoding
 * at `m`/8, MiB per source MP. Below 8/8 our patch (wasm/jpeg-turbo/progressive-kxk.patch)
 * keeps per 8x8 block only the K x K coefficients the scaled IDCT reads (int16) and an
 * 8-byte mask of the nonzero ones: 2K² + 8 bytes instead of 128. K is `m` for luma and, at
 * 4:2:0, 2`m` for chroma while that is under 8 (libjpeg scales chroma up in its IDCT rather
 * than upsampling it; the patch stops that at 8, which would read all 64), else `m`:
 * 0.27, 0.54, 0.98, 0.89, 1.30, 1.79, 2.37 MiB per MP at 1/8..7/8, 2.86 at 8/8. Assumes
 * 4:2:0 (1.5 blocks per 64 pixels) like cost.ts `progressiveCoefficientMbPerMP`: 4:2:2
 * holds up to 1.4 times that, 4:4:4 up to twice. The module's memory for the grid's 24 MP
 * progressive source (4:2:0) read as rows (wasm MiB, Node, its input 3.5 MiB): 10.3, 16.8,
 * 27.6, 25.4, 35.2, 47.0, 61.0, 72.9 at 1/8..8/8, within 1.6 MiB under input +
 * {@link TURBO_ROWS_MB} + this; 72.5-72.9 at every scale before the patch.
 */
export function turboProgressiveCoefficientMbPerMP(m: number): number {
  const block = (k: number) => (k >= 8 ? 128 : 2 * k * k + 8);
  const chroma = 2 * m < 8 ? 2 * m : m;
  const bytesPerPixel = block(m) / 64 + (2 * block(chroma)) / 256;
  return bytesPerPixel / 1.048576;
}

/**
 * jpeg_scaled.wasm (shrink-on-load) at 1/2, 1/4 or 1/8, by what the module holds: its scaled
 * image (RGB planes and the converted output), MB per DECODED MP, plus two copies of the
 * compressed input (the JS buffer and the module's). Fitted to the module's peaks for the
 * grid's large JPEGs and Carrie.jpg (`node bench/jpeg-scaled-node.mjs --case resized <file>
 * <denom> 1 WxH`, wasm MiB: 48 MP 6.2 MB → 400w at 1/8 10.9, 800w at 1/4 20.6, 1600w at 1/2
 * 59.2; 99.6 MP 7.9 MB → 400w at 1/8 16.1, 1600w at 1/4 36.1, 1600w at 1/2 116.4; Carrie 12 MP
 * 2.8 MB at 1/2, 1/4, 1/8: 17.1, 7.4, 4.9): the module's memory is 1.7 + its input copy + 4.3
 * per decoded MP within 1 MiB in every case; the figure was rounded up to 4.5, then raised to
 * 6.5 when the planner was fitted to per-variant workerd peaks (bench/grid-memory.mjs). The
 * per-source-MP figures (cost.ts `SCALED_DECODE_MB_PER_MP`) stand when the compressed size is
 * unknown (`PlanSource.bytes`); they overstate a 48 MP source at 1/8 by 3x, which refused
 * every variant of a 100 MP photo. Since the planner prices the module by what it holds
 * ({@link scaledModuleMb}), this figure is used only where the pipeline compares routes
 * ({@link turboPaysOff}: changing it would change which decoder makes a variant, and its
 * bytes) and for a lossy WebP reduced by libwebp (cost.ts).
 */
export const SCALED_DECODE_MB_PER_DECODED_MP = 7;

/** Bytes per RGBA pixel, as MiB per MP. */
const RGBA_MB_PER_MP = 4 / 1.048576;
const MP = 1_000_000;

/**
 * What jpeg_scaled.wasm itself holds per DECODED MP at its peak (any scale 1/d): the
 * decoder's component planes (1.5 bytes per pixel at 4:2:0) and its RGB output (3), i.e.
 * 4.29 MiB, rounded up to 4.5. Measured (wasm MiB after the call, Node, `node
 * bench/jpeg-scaled-node.mjs --case resized <file> <denom> 1 WxH`, and the `jpegScaled`
 * memory of bench/grid-memory.mjs in workerd) against 1.7 + the input copy + the
 * coefficients ({@link scaledModuleMb}) + 4.29 per decoded MP: Carrie 12 MP at 1/4 7.4
 * (model 7.6), the 12 MP phone photo at 1/8 4.9 (5.1), the 24 MP progressive at 1/8 11.9
 * (12.2), 1/4 19.9 (20.3), 1/2 → 1600x2400 52.1 (52.4), the 48 MP at 1/4 20.6 (20.5), the 99.6
 * MP at 1/8 16.1 (15.9) and 1/4 → 1600 px 36.1 (35.9); the 4.9 MP progressive at 1/2 → 800 px
 * 14.8 (12.9: the rounding covers it). Like the coefficient figure (cost.ts
 * `PROGRESSIVE_BYTES_PER_BLOCK`) it assumes 4:2:0: a 4:4:4 file holds 6 bytes per pixel.
 */
export const SCALED_MODULE_MB_PER_DECODED_MP = 4.5;
/** The decoder's component planes alone, MiB per decoded MP (1.5 bytes per pixel, 4:2:0). */
const SCALED_PLANES_MB_PER_DECODED_MP = 1.5 / 1.048576;

/**
 * The decode stage of jpeg_scaled.wasm (decode at 1/d, crop and lanczos3 in one call), MiB,
 * when the compressed size is known, from what the module and the Worker hold:
 * - the input twice (the JS buffer and the module's copy);
 * - a progressive file's coefficients kept between scans (`coefficientsMb`, cost.ts);
 * - the planes and RGB image ({@link SCALED_MODULE_MB_PER_DECODED_MP} per decoded MP);
 * - the module's RGBA output, allocated after the decoder's input, planes and coefficients
 *   are freed: it grows the module unless it fits in that freed memory (the 12 MP phone photo
 *   at 1/2 → 1600x1200: 7.3 MiB of output, 6.8 freed in pieces, module 24.6 MiB measured,
 *   the whole output on top; the 24 MP progressive at 1/2 → 1600x2400: 14.6 MiB into 33.6
 *   freed, 52.1 MiB, none);
 * - the output copied out to JS, unless it is lent (the streamed path: cost.ts `lentCopyMB`
 *   takes this copy off).
 * @param bytesMB the compressed file, MiB.
 * @param decMP pixels decoded at 1/d, MP; `outMP` the module's output, MP.
 */
export function scaledModuleMb(
  bytesMB: number,
  decMP: number,
  outMP: number,
  coefficientsMb: number,
): number {
  const outputMb = RGBA_MB_PER_MP * outMP;
  const freed = bytesMB + coefficientsMb + SCALED_PLANES_MB_PER_DECODED_MP * decMP;
  return (
    2 * bytesMB +
    coefficientsMb +
    SCALED_MODULE_MB_PER_DECODED_MP * decMP +
    (outputMb > freed ? outputMb : 0) +
    outputMb
  );
}

/**
 * True when decoding `turboPixels` with libjpeg-turbo (then resizing them) is cheaper than
 * jpeg_scaled at 1/`denom` decoding `scaledPixels` and resampling in the module, for a
 * source of `sourcePixels`: less CPU and no more memory by the figures above.
 */
export function turboPaysOff(
  sourcePixels: number,
  turboPixels: number,
  scaledPixels: number,
  denom: 1 | 2 | 4 | 8,
  t: JpegCostFigures,
): boolean {
  const resizeMs = t.resizeMsPerMP ?? 0;
  const srcMP = sourcePixels / MP;
  const turboMP = turboPixels / MP;
  const scaledMP = scaledPixels / MP;
  const scaledMsPerMP = t.jpegScaledDecodeMsPerMPByDenom?.[`${denom}`];
  if (typeof scaledMsPerMP !== 'number') return false; // unmeasured: keep the known path
  const turboMs = TURBO_MS_PER_SOURCE_MP * srcMP + (TURBO_MS_PER_DECODED_MP + resizeMs) * turboMP;
  const scaledMs = scaledMsPerMP * srcMP + resizeMs * scaledMP;
  // Per decoded MP only: the fixed parts (instances, input copies) and the output-sized RGBA
  // (resize.wasm writes it row by row; the module copies its own out) are alike on both paths.
  const turboMb = 2 * RGBA_MB_PER_MP * turboMP;
  const scaledMb = SCALED_DECODE_MB_PER_DECODED_MP * scaledMP;
  return turboMs < scaledMs && turboMb <= scaledMb;
}
