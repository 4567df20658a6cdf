/**
 * Peak memory per operation in workerd, for recalibrating the planner's memory figures
 * (issue 13; src/transform/cost-table.json). Each case runs in a fresh workerd (the bench
 * Worker, bench/worker.js, bundled as `wrangler deploy` bundles it): its input is stored, the
 * peak RSS is reset (`clear_refs`), one operation runs, and VmHWM is read. Recorded per case,
 * MiB: `idle` (RSS of the started isolate, before the input is stored), `stored` (RSS with the
 * input stored), `peak` (VmHWM during the operation), and the wasm memory left per codec.
 * `peak − idle` is the figure the planner's estimate must cover (an estimate is "above an
 * idle isolate" and the input is held while a variant is made).
 *
 * Cases:
 *   encode-<fmt>-<W>x<H>        RGBA of the 12 MP phone photo resized (fill) by sharp → encode
 *   decode-<kind>-<W>x<H>|full  a 12 MP grid source (webp-lossless, webp-lossy, avif) decoded
 *                               (WebP: scaled by libwebp's rescaler to WxH)
 *   trows:<source label>|<M>    a grid JPEG decoded by libjpeg-turbo at M/8 as rows, every row
 *                               pulled and dropped (the streamed path's decode alone)
 *   twhole:<source label>|<M>   the same decoded whole and copied out
 *   grid:<source label>|<t>|<f> the production pipeline (probe + parseTransform + the
 *                               planner's shape, src/transform/fallback.ts + runShape) on a
 *                               grid source (scripts/lib/grid-sources.mjs)
 *   alpha-scaled:<W>x<H>|<t>|webp  the pipeline on the 3 MP alpha PNG stretched to WxH
 *   alpha-<kind>:<W>x<H>|<t>|webp  the pipeline on a WxH PNG whose alpha is noise (`noise`,
 *                               `noise4`: 4 levels) or a gradient (`gradient`)
 *   grid:<…>|<t>|<f>|m8         the same on the shape's decode fallback, forced (JPEG
 *                               sources: libjpeg-turbo at M/8; the lossy WebP: libwebp's
 *                               scaled decode; skipped where the variant has none)
 *   jrows:<source label>|<t>|jpeg  the pipeline with the JPEG encoded from rows, forced
 *   jrows:<…>|jpeg|m8           the same on the shape's decode fallback, forced
 *   jone:<source label>|<t>|jpeg[|m8]  the same in libjpeg-turbo's single pass, forced
 *   prog:<label>|<t>|webp[|m8]  progressive JPEGs reduced: the planner's shape, or (m8) its
 *                               decode fallback forced (libjpeg-turbo at M/8)
 *   standin:<label>|<t>|<f>|<N> a low-resolution stand-in (delivery/stand-in.ts): the variant
 *                               made at 1/N, enlarged into the cheapest encoder
 *
 *   node bench/grid-memory.mjs [--out FILE] [filter ...]   (case ids containing a filter)
 *
 * Results are merged by case id into FILE (default bench/results/<date>-memory.json).
 * Memory only: times on a shared machine mean nothing (npm run bench has those).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { GRID_SOURCES, sourcePath } from '../scripts/lib/grid-sources.mjs';
import { machine } from './lib/report.mjs';
import { BenchWorker, buildWorker } from './lib/ours.mjs';

const root = path.resolve(import.meta.dirname, '..');
const phone = path.join(root, '..', 'shared', 'images', 'phone', 'IMG_1063.JPG');

/** @typedef {{ id: string, input: () => Promise<{ bytes: Uint8Array, raw?: { width: number, height: number } }>, params: Record<string, string | number> }} Case */

/** @type {Case[]} */
const CASES = [];

const ENCODES = {
  webp: ['800x1067', '1600x2133', '2000x2000', '3000x4000'],
  jpeg: ['800x1067', '1600x2133', '2000x2000'],
  avif: ['800x1067', '1600x1200', '1600x2133'],
  png: ['800x1067', '1600x2133', '2400x3200', '3000x4000'],
};
/** With transparency: a horizontal alpha ramp, as bench/png-memory.mjs's `alpha` kind. */
ENCODES['webp-alpha'] = [
  '800x1067',
  '1600x1200',
  '2000x2000',
  '2048x1536',
  '2400x2400',
  '3000x2000',
  '3000x3000',
];
for (const [kind, sizes] of Object.entries(ENCODES))
  for (const size of sizes) {
    const [width, height] = size.split('x').map(Number);
    const format = kind.replace('-alpha', '');
    CASES.push({
      id: `encode-${kind}-${size}`,
      input: async () => {
        const data = await sharp(phone)
          .rotate()
          .resize(width, height, { fit: 'fill' })
          .ensureAlpha()
          .raw()
          .toBuffer();
        if (kind.endsWith('-alpha'))
          for (let i = 0; i < width * height; i++)
            data[i * 4 + 3] = Math.round((255 * (i % width)) / (width - 1));
        return { bytes: new Uint8Array(data), raw: { width, height } };
      },
      params: { op: 'encode', format },
    });
  }

/** @param {string} label */
const gridBytes = async (label) => {
  const s = GRID_SOURCES.find((g) => g.label === label);
  if (!s) throw new Error(`no grid source ${label}`);
  return { bytes: new Uint8Array(await fs.promises.readFile(await sourcePath(s))) };
};

const DECODES = [
  ['webp-lossless', '12 MP WebP (lossless)', 'webp', ['800x600', '1600x1200', 'full']],
  ['webp-lossy', '12 MP WebP (lossy)', 'webp', ['800x600', '1600x1200', 'full']],
  ['avif', '12 MP AVIF', 'avif', ['full']],
];
/**
 * libjpeg-turbo's decode alone (session 12, branch rowsfit): `trows:` read as rows (every row
 * pulled and dropped, the streamed path's decode), `twhole:` the whole M/8 image copied out,
 * on the grid's JPEG sources at the scales the planner's M/8 fallback takes.
 */
const TURBO_DECODES = [
  ['24 MP progressive JPEG', [2, 4, 5, 6, 8]],
  ['4.9 MP progressive JPEG', [4, 8]],
  ['12 MP phone JPEG', [4, 8]],
  ['48 MP JPEG', [4, 6, 8]],
  ['99.6 MP JPEG', [3, 4, 8]],
];
for (const [label, ms] of TURBO_DECODES)
  for (const m of /** @type {number[]} */ (ms))
    for (const rows of [1, 0])
      CASES.push({
        id: `${rows ? 'trows' : 'twhole'}:${label}|${m}`,
        input: () => gridBytes(/** @type {string} */ (label)),
        params: { op: 'decode-turbo', m, ...(rows ? { rows: 1 } : {}) },
      });
for (const [kind, label, format, sizes] of DECODES)
  for (const size of /** @type {string[]} */ (sizes)) {
    const [tw, th] = size === 'full' ? [] : size.split('x').map(Number);
    CASES.push({
      id: `decode-${kind}-${size}`,
      input: () => gridBytes(/** @type {string} */ (label)),
      params: { op: 'decode', format: /** @type {string} */ (format), ...(tw ? { tw, th } : {}) },
    });
  }

/** Grid variants as transform and concrete format (`f=auto` measured as each candidate). */
const VARIANTS = [
  ['w=150,h=150,fit=cover', 'avif'],
  ['w=400', 'webp'],
  ['w=800', 'webp'],
  ['w=800', 'avif'],
  ['w=800', 'jpeg'],
  ['w=1600', 'webp'],
  ['w=1600', 'avif'],
  ['w=2000,h=2000,fit=cover', 'webp'],
  ['', 'webp'],
];
for (const s of GRID_SOURCES)
  for (const [t, f] of VARIANTS)
    CASES.push({
      id: `grid:${s.label}|${t}|${f}`,
      input: () => gridBytes(s.label),
      params: { op: 'pipeline', t, f },
    });

/**
 * Variants beyond the grid (issue 13: nothing below a full-size output may be refused): wider
 * outputs and the encoders other than WebP, on the grid's photos, to fit the planner's
 * figures where it refuses them today.
 */
const BEYOND = [
  ['12 MP phone JPEG', 'w=1600', 'avif'],
  ['12 MP phone JPEG', 'w=2000', 'avif'],
  ['12 MP phone JPEG', 'w=2000', 'jpeg'],
  ['12 MP phone JPEG', 'w=1600,h=1600,fit=cover', 'jpeg'],
  ['12 MP phone JPEG', 'w=2400', 'png'],
  ['12 MP phone JPEG', 'w=2400,h=2400,fit=cover', 'webp'],
  ['12 MP phone JPEG', 'w=3000', 'webp'],
  ['12 MP JPEG (Carrie)', 'w=1200', 'avif'],
  ['12 MP JPEG (Carrie)', 'w=1600', 'jpeg'],
  ['12 MP JPEG (Carrie)', 'w=1600', 'png'],
  ['12 MP JPEG (Carrie)', 'w=2400', 'webp'],
  ['8 MP phone JPEG (portrait, EXIF 6)', 'w=1200', 'avif'],
  ['24 MP progressive JPEG', 'w=1200', 'avif'],
  ['24 MP progressive JPEG', 'w=2400', 'webp'],
  ['12 MP PNG', 'w=1600', 'jpeg'],
  ['12 MP WebP (lossy)', 'w=1600', 'jpeg'],
  ['12 MP phone JPEG', 'w=1600', 'png'],
  ['12 MP JPEG (Carrie)', 'w=2400', 'png'],
  ['12 MP PNG', 'w=1600', 'png'],
  ['3 MP alpha PNG', 'w=1600', 'png'],
  // JPEG outputs the rows encoder takes into the queue (session 9).
  ['12 MP JPEG (Carrie)', 'w=2000', 'jpeg'],
  ['12 MP JPEG (Carrie)', 'w=2400', 'jpeg'],
  ['12 MP phone JPEG', 'w=2400', 'jpeg'],
  ['12 MP phone JPEG', 'w=3000', 'jpeg'],
  ['8 MP phone JPEG (portrait, EXIF 6)', 'w=2000', 'jpeg'],
  ['4.9 MP progressive JPEG', '', 'jpeg'],
  ['24 MP progressive JPEG', 'w=2000', 'jpeg'],
  ['12 MP PNG', 'w=3000', 'jpeg'],
  ['12 MP WebP (lossless)', 'w=3000', 'jpeg'],
  ['12 MP AVIF', 'w=2400', 'jpeg'],
  ['48 MP JPEG', 'w=2000', 'jpeg'],
  // Variants libjpeg-turbo's row stream brings within a budget (session 10, branch jpegstream).
  ['12 MP JPEG (Carrie)', 'w=3000', 'webp'],
  ['12 MP JPEG (Carrie)', 'w=3000,h=3000,fit=cover', 'jpeg'],
  ['8 MP phone JPEG (portrait, EXIF 6)', 'w=3000', 'webp'],
  ['8 MP phone JPEG (portrait, EXIF 6)', 'w=3000', 'jpeg'],
  ['99.6 MP JPEG', 'w=2400', 'webp'],
  ['99.6 MP JPEG', 'w=3000,h=3000,fit=cover', 'webp'],
  ['99.6 MP JPEG', 'w=2400,h=2400,fit=cover', 'jpeg'],
  // The 8/8 fallback (a reduction under 8/7: libjpeg-turbo's full decode, as rows, + lanczos3).
  ['12 MP phone JPEG', 'w=3000,h=3000,fit=cover', 'webp'],
  ['8 MP phone JPEG (portrait, EXIF 6)', 'w=2400', 'webp'],
  ['8 MP phone JPEG (portrait, EXIF 6)', 'w=2400', 'jpeg'],
  ['8 MP phone JPEG (portrait, EXIF 6)', 'w=2400,h=2400,fit=cover', 'webp'],
  ['6.1 MP JPEG', 'w=2400', 'png'],
  // PNG outputs on the streamed path (session 10): rows into the PNG encoder, no RGBA image;
  // banded, written whole (EXIF 6), an alpha source flattened onto an opaque background.
  ['12 MP phone JPEG', 'w=2400,h=2400,fit=cover', 'png'],
  ['12 MP phone JPEG', 'w=3000', 'png'],
  ['8 MP phone JPEG (portrait, EXIF 6)', 'w=1600', 'png'],
  ['8 MP phone JPEG (portrait, EXIF 6)', 'w=2000', 'png'],
  ['4.9 MP progressive JPEG', 'w=1600', 'png'],
  ['24 MP progressive JPEG', 'w=2000,h=2000,fit=cover', 'png'],
  ['12 MP PNG', 'w=2400', 'png'],
  ['12 MP PNG', 'w=2400,h=2400,fit=cover', 'png'],
  ['12 MP WebP (lossless)', 'w=2400,h=2400,fit=cover', 'png'],
  ['12 MP AVIF', 'w=2400', 'png'],
  ['48 MP JPEG', 'w=2000', 'png'],
  ['3 MP alpha PNG', 'w=1600,background=ffffff', 'png'],
  // PNG sources on the streamed path (session 10): the module feeds its output rows on.
  ['12 MP PNG', 'w=3000', 'webp'],
  ['12 MP PNG', 'w=3000,h=3000,fit=cover', 'webp'],
  ['12 MP PNG', 'w=4000', 'webp'],
  ['12 MP PNG', 'w=3000', 'png'],
  // AVIF sources on the streamed path (session 11): the module feeds its output rows on.
  ['12 MP AVIF', 'w=800', 'png'],
  ['12 MP AVIF', 'w=1600', 'jpeg'],
  ['12 MP AVIF', 'w=1600', 'png'],
  ['12 MP AVIF', 'w=2400', 'webp'],
  ['12 MP AVIF', 'w=2400,h=2400,fit=cover', 'webp'],
  ['12 MP AVIF', 'w=2400,h=2400,fit=cover', 'png'],
  ['12 MP AVIF', 'w=3000', 'webp'],
  ['12 MP AVIF', 'w=3000', 'jpeg'],
  ['12 MP AVIF', 'w=2400,h=2400,fit=cover', 'jpeg'],
  ['12 MP AVIF', 'w=3000,h=3000,fit=cover', 'jpeg'],
  ['12 MP AVIF', 'w=3000', 'png'],
  ['12 MP AVIF', 'w=3000,h=3000,fit=cover', 'webp'],
  ['12 MP AVIF', 'w=4000', 'webp'],
  // Reductions of 2x and more on the M/8 fallback, as rows (session 11): the JPEG module's
  // whole 1/2 or 1/4 decode did not fit.
  ['48 MP JPEG', 'w=2400', 'webp'],
  ['48 MP JPEG', 'w=2400,h=2400,fit=cover', 'webp'],
  ['48 MP JPEG', 'w=2400', 'png'],
  ['48 MP JPEG', 'w=3000,h=3000,fit=cover', 'png'],
  ['99.6 MP JPEG', 'w=2000', 'webp'],
  ['99.6 MP JPEG', 'w=2000', 'jpeg'],
  ['99.6 MP JPEG', 'w=2000', 'png'],
  // Near full size, placed in the queue once its CPU budget is 5 s (session 11).
  ['12 MP phone JPEG', 'w=4000', 'webp'],
  ['12 MP phone JPEG', 'w=4000,h=4000,fit=cover', 'webp'],
  ['12 MP phone JPEG', 'w=4000', 'jpeg'],
  ['12 MP JPEG (Carrie)', 'w=3000', 'jpeg'],
  ['12 MP PNG', 'w=4000', 'jpeg'],
  ['48 MP JPEG', 'w=3000', 'jpeg'],
  ['99.6 MP JPEG', 'w=3000', 'webp'],
  // Placed (or placed inline) once libjpeg-turbo's rows path was refitted (session 12).
  ['12 MP phone JPEG', 'w=4000', 'png'],
  ['8 MP phone JPEG (portrait, EXIF 6)', 'w=2400', 'png'],
  ['8 MP phone JPEG (portrait, EXIF 6)', 'w=3000', 'png'],
  ['4.9 MP progressive JPEG', 'w=4000,h=4000,fit=cover', 'webp'],
  ['4.9 MP progressive JPEG', 'w=3000,h=3000,fit=cover', 'png'],
  ['24 MP progressive JPEG', 'w=2000', 'png'],
  ['24 MP progressive JPEG', 'w=2400', 'jpeg'],
  ['48 MP JPEG', 'w=3000', 'png'],
  ['48 MP JPEG', 'w=4000,h=4000,fit=cover', 'webp'],
  ['48 MP JPEG', 'w=4000,h=4000,fit=cover', 'jpeg'],
  // Large WebPs once libwebp keeps its levels instead of its tokens (session 12,
  // wasm/libwebp/level-store.patch): the banded encode's figure beyond 4 MP.
  ['48 MP JPEG', 'w=4000', 'webp'],
  ['48 MP JPEG', 'w=5000', 'webp'],
  ['48 MP JPEG', 'w=5000,h=5000,fit=cover', 'webp'],
  ['99.6 MP JPEG', 'w=5000', 'webp'],
  ['99.6 MP JPEG', 'w=5000,h=5000,fit=cover', 'webp'],
  ['24 MP progressive JPEG', 'w=4000,h=4000,fit=cover', 'webp'],
  ['12 MP PNG', 'w=4000,h=4000,fit=cover', 'webp'],
  ['12 MP AVIF', 'w=4000,h=4000,fit=cover', 'webp'],
  ['12 MP WebP (lossy)', 'w=4000', 'webp'],
  ['12 MP WebP (lossless)', 'w=3000', 'webp'],
  ['24 MP progressive JPEG', 'w=3000,h=3000,fit=cover', 'webp'],
  ['99.6 MP JPEG', 'w=4000', 'webp'],
  ['99.6 MP JPEG', 'w=4000,h=4000,fit=cover', 'webp'],
  // PNG outputs once the file is drained out of the encoder band by band (session 13,
  // png_encode_drain): held once, in JS.
  ['24 MP progressive JPEG', 'w=2400', 'png'],
  ['24 MP progressive JPEG', 'w=3000,h=3000,fit=cover', 'png'],
  ['12 MP phone JPEG', 'w=4000,h=4000,fit=cover', 'png'],
  ['12 MP PNG', 'w=4000', 'png'],
  ['12 MP WebP (lossy)', 'w=3000,h=3000,fit=cover', 'png'],
  ['12 MP WebP (lossless)', 'w=3000', 'png'],
  ['12 MP AVIF', 'w=3000,h=3000,fit=cover', 'png'],
  ['12 MP AVIF', 'w=4000', 'png'],
  ['48 MP JPEG', 'w=4000', 'png'],
  ['48 MP JPEG', 'w=4000,h=4000,fit=cover', 'png'],
  ['99.6 MP JPEG', 'w=3000', 'png'],
  ['99.6 MP JPEG', 'w=4000,h=4000,fit=cover', 'png'],
  // JPEG outputs placed once libjpeg-turbo's output is drained as written and, where its two
  // passes do not fit the queue, encoded in one (session 13, transform/fallback.ts).
  ['48 MP JPEG', 'w=4000', 'jpeg'],
  ['99.6 MP JPEG', 'w=4000', 'jpeg'],
  ['99.6 MP JPEG', 'w=4000,h=4000,fit=cover', 'jpeg'],
  ['12 MP phone JPEG', 'w=4000,h=4000,fit=cover', 'jpeg'],
  ['12 MP PNG', 'w=4000,h=4000,fit=cover', 'jpeg'],
  ['12 MP AVIF', 'w=4000', 'jpeg'],
  ['12 MP WebP (lossy)', 'w=4000', 'jpeg'],
  ['12 MP WebP (lossless)', 'w=3000,h=3000,fit=cover', 'jpeg'],
  ['12 MP WebP (lossless)', 'w=4000', 'jpeg'],
  ['12 MP WebP (lossless)', 'w=4000,h=4000,fit=cover', 'jpeg'],
  ['24 MP progressive JPEG', 'w=3000', 'jpeg'],
  ['24 MP progressive JPEG', 'w=4000', 'jpeg'],
  ['24 MP progressive JPEG', 'w=4000,h=4000,fit=cover', 'jpeg'],
  ['24 MP progressive JPEG', 'w=5000', 'jpeg'],
  // Over 5 s of CPU, placed once the queue's budget is 10 s (one pass).
  ['48 MP JPEG', 'w=5000', 'jpeg'],
  ['48 MP JPEG', 'w=5000,h=5000,fit=cover', 'jpeg'],
  ['48 MP JPEG', 'w=6000', 'jpeg'],
  ['48 MP JPEG', 'w=6000,h=6000,fit=cover', 'jpeg'],
  ['99.6 MP JPEG', 'w=5000', 'jpeg'],
  ['99.6 MP JPEG', 'w=5000,h=5000,fit=cover', 'jpeg'],
  ['99.6 MP JPEG', 'w=6000', 'jpeg'],
  ['99.6 MP JPEG', 'w=6000,h=6000,fit=cover', 'jpeg'],
  ['99.6 MP JPEG', 'w=8192', 'jpeg'],
  // A lossless WebP's rows pulled into the streamed path (session 13,
  // wasm/libwebp/vp8l-rows.patch): no held output, lanczos3 in resize.wasm.
  ['12 MP WebP (lossless)', 'w=3000,h=3000,fit=cover', 'webp'],
  ['12 MP WebP (lossless)', 'w=3000,h=3000,fit=cover', 'png'],
  ['12 MP WebP (lossless)', 'w=3000,h=3000,fit=cover', 'jpeg'],
  ['12 MP WebP (lossless)', 'w=4000', 'webp'],
  ['12 MP WebP (lossless)', 'w=4000', 'jpeg'],
  ['12 MP WebP (lossless)', 'w=4000,h=4000,fit=cover', 'webp'],
  ['12 MP WebP (lossless)', 'w=4000', 'png'],
  ['12 MP WebP (lossless)', 'w=4000,h=4000,fit=cover', 'png'],
];
for (const [label, t, f] of BEYOND)
  CASES.push({
    id: `beyond:${label}|${t}|${f}`,
    input: () => gridBytes(label),
    params: { op: 'pipeline', t, f },
  });
/**
 * Wide WebPs (and PNGs where named) on the decode fallback (libjpeg-turbo at M/8), forced: the
 * M/8 figures' fit.
 */
const BEYOND_M8 = [
  ['12 MP phone JPEG', 'w=2400,h=2400,fit=cover'],
  ['12 MP phone JPEG', 'w=3000'],
  ['12 MP phone JPEG', 'w=3500'],
  ['12 MP JPEG (Carrie)', 'w=2400'],
  ['12 MP JPEG (Carrie)', 'w=2800'],
  ['8 MP phone JPEG (portrait, EXIF 6)', 'w=2000'],
  ['6.1 MP JPEG', 'w=2400'],
  // A 2x reduction that the JPEG module's whole 1/2 decode cannot make (session 11).
  ['48 MP JPEG', 'w=3000'],
  // Queued once the WebP encode keeps its levels (session 12): the production shape, whose
  // source has no profile (the bench's probe facts charge a colour stage, and pick the
  // default shape).
  ['24 MP progressive JPEG', 'w=3000,h=3000,fit=cover'],
  // PNG outputs on the streamed path (session 10).
  ['8 MP phone JPEG (portrait, EXIF 6)', 'w=2000', 'png'],
  ['12 MP JPEG (Carrie)', 'w=2400,h=2400,fit=cover', 'png'],
  ['12 MP JPEG (Carrie)', 'w=2000', 'png'],
  // Large outputs the refitted rows path brings within the queue's budget (session 12).
  ['48 MP JPEG', 'w=4000'],
  ['48 MP JPEG', 'w=4000,h=4000,fit=cover'],
  ['48 MP JPEG', 'w=4000,h=4000,fit=cover', 'png'],
  ['99.6 MP JPEG', 'w=4000'],
  ['99.6 MP JPEG', 'w=4000,h=4000,fit=cover'],
  ['99.6 MP JPEG', 'w=4000,h=4000,fit=cover', 'png'],
  ['24 MP progressive JPEG', 'w=2400', 'png'],
  ['24 MP progressive JPEG', 'w=3000,h=3000,fit=cover'],
  ['24 MP progressive JPEG', 'w=3000,h=3000,fit=cover', 'png'],
];
for (const [label, t, f = 'webp'] of BEYOND_M8)
  CASES.push({
    id: `beyond:${label}|${t}|${f}|m8`,
    input: () => gridBytes(label),
    params: { op: 'pipeline', t, f, m8: 1 },
  });

/**
 * Low-resolution stand-ins (delivery/stand-in.ts, priced by src/transform/cost.ts
 * `estimateEnlarged`): full-size outputs of the 12 MP sources, made at 1/8, 1/4 and 1/2 and
 * enlarged on the streamed path into WebP at method 0 or libjpeg-turbo's rows; a 2000 px cover.
 */
const STANDINS = [];
for (const label of [
  '12 MP phone JPEG',
  '12 MP JPEG (Carrie)',
  '12 MP PNG',
  '12 MP WebP (lossy)',
  '12 MP WebP (lossless)',
  '12 MP AVIF',
])
  for (const f of ['webp', 'jpeg'])
    for (const factor of [8, 4, 2]) STANDINS.push([label, '', f, factor]);
STANDINS.push(['12 MP phone JPEG', 'w=2000,h=2000,fit=cover', 'webp', 2]);
STANDINS.push(['3 MP alpha PNG', 'w=2000,h=2000,fit=cover', 'webp', 8]);
STANDINS.push(['8 MP phone JPEG (portrait, EXIF 6)', '', 'webp', 2]);
for (const [label, t, f, factor] of STANDINS)
  CASES.push({
    id: `standin:${label}|${t}|${f}|${factor}`,
    input: () => gridBytes(String(label)),
    params: { op: 'standin', t: String(t), f: String(f), factor: Number(factor) },
  });
/**
 * The nearest stored variant enlarged (stand-in choice 2 below the requested size): a 1600x1200
 * WebP of the 12 MP PNG (as the grid stores `w=1600,f=webp`) to its full 4032x3024, id
 * `standin:near <format> <W>x<H>|<t>|<f>|<factor>`.
 */
for (const f of ['webp', 'jpeg'])
  CASES.push({
    id: `standin:near webp 1600x1200|w=4032,h=3024,fit=cover|${f}|2.52`,
    input: async () => ({
      bytes: new Uint8Array(
        await sharp(await sourcePath(GRID_SOURCES.find((s) => s.label === '12 MP PNG')))
          .resize(1600, 1200)
          .webp()
          .toBuffer(),
      ),
    }),
    params: { op: 'standin', t: 'w=4032,h=3024,fit=cover', f, factor: 2.52 },
  });

/**
 * JPEG outputs on libjpeg-turbo's rows encoder (src/codecs/jpeg-rows.ts), forced (`jr=1`: the
 * planner's shape with `jpegRows`), to fit its figures (src/transform/jpeg-rows-cost.ts): bands
 * (orientation 1), the whole image written at once (EXIF 6), alpha flattened, full size.
 */
const JROWS = [
  ['12 MP JPEG (Carrie)', 'w=1600'],
  ['12 MP JPEG (Carrie)', 'w=2400'],
  ['12 MP phone JPEG', 'w=2000'],
  ['12 MP phone JPEG', 'w=1600,h=1600,fit=cover'],
  ['12 MP phone JPEG', ''],
  ['8 MP phone JPEG (portrait, EXIF 6)', 'w=1600'],
  ['24 MP progressive JPEG', 'w=2400'],
  ['12 MP PNG', 'w=1600'],
  ['12 MP PNG', 'w=3000'],
  ['12 MP WebP (lossless)', 'w=3000'],
  ['24 MP progressive JPEG', 'w=2000'],
  ['3 MP alpha PNG', ''],
  // On the decode fallback too (`|m8`): a 2x reduction libjpeg-turbo reads as rows (session 11).
  ['48 MP JPEG', 'w=2400', 'm8'],
  ['99.6 MP JPEG', 'w=3000'],
  // Large outputs the refitted rows path brings within the queue's budget (session 12).
  ['24 MP progressive JPEG', 'w=2400', 'm8'],
  ['24 MP progressive JPEG', 'w=3000,h=3000,fit=cover', 'm8'],
  ['48 MP JPEG', 'w=4000,h=4000,fit=cover', 'm8'],
  ['99.6 MP JPEG', 'w=4000,h=4000,fit=cover', 'm8'],
  ['12 MP phone JPEG', 'w=4000,h=4000,fit=cover'],
  ['8 MP phone JPEG (portrait, EXIF 6)', 'w=3000,h=3000,fit=cover'],
  // Two passes, placed in the queue once the file is drained as written (session 13).
  ['48 MP JPEG', 'w=4000', 'm8'],
];
for (const [label, t, m8] of JROWS)
  CASES.push({
    id: `jrows:${label}|${t}|jpeg${m8 ? '|m8' : ''}`,
    input: () => gridBytes(label),
    params: { op: 'pipeline', t, f: 'jpeg', jr: 1, ...(m8 && { m8: 1 }) },
  });

/**
 * JPEG outputs in libjpeg-turbo's single pass (`jo=1`: the planner's shape, or `|m8` its decode
 * fallback, with `jpegRows` and `jpegOnePass`), to fit jpeg-rows-cost.ts's one-pass figure:
 * bands, the whole image written at once (EXIF 6), alpha flattened, full size, and the largest
 * outputs (over the queue's CPU budget today, so priced by memory only).
 */
const JONE = [
  ['12 MP phone JPEG', ''],
  ['12 MP phone JPEG', 'w=4000,h=4000,fit=cover'],
  ['8 MP phone JPEG (portrait, EXIF 6)', 'w=3000,h=3000,fit=cover'],
  ['12 MP PNG', 'w=3000'],
  ['3 MP alpha PNG', ''],
  ['48 MP JPEG', 'w=4000', 'm8'],
  ['48 MP JPEG', 'w=6000', 'm8'],
  ['99.6 MP JPEG', 'w=8192', 'm8'],
  ['99.6 MP JPEG', 'w=8192,h=8192,fit=cover', 'm8'],
];
for (const [label, t, m8] of JONE)
  CASES.push({
    id: `jone:${label}|${t}|jpeg${m8 ? '|m8' : ''}`,
    input: () => gridBytes(label),
    params: { op: 'pipeline', t, f: 'jpeg', jo: 1, ...(m8 && { m8: 1 }) },
  });

/**
 * Alpha PNGs larger than the grid's (blackbug.png stretched by sharp), through the pipeline as
 * WebP: outputs above 4 MP that are not enlarged, where libwebp's lossless alpha encode grows
 * fastest (the `webpAlpha` slope in cost-table.json).
 */
const BUG = path.join(root, '..', 'shared', 'images', 'alpha', 'blackbug.png');
for (const [w, h, t] of [
  [2400, 2400, ''],
  [2400, 2400, 'w=2000'],
  [3000, 4000, 'w=2000'],
  [2800, 2100, ''],
])
  CASES.push({
    id: `alpha-scaled:${w}x${h}|${t}|webp`,
    input: async () => ({
      bytes: new Uint8Array(await sharp(BUG).resize(w, h, { fit: 'fill' }).png().toBuffer()),
    }),
    params: { op: 'pipeline', t, f: 'webp' },
  });

/**
 * Alpha planes unlike a photo's, as PNGs through the pipeline as WebP: hashed noise (every
 * pixel its own level: VP8L's references take a token per pixel), 4 levels of noise, and a
 * diagonal gradient, over a colour gradient. libwebp's lossless alpha encode runs within a
 * budget set by the plane's size (wasm/libwebp/alpha-budget.patch); these check that it holds
 * whatever the content.
 */
const ALPHA_KINDS = {
  noise: (/** @type {number} */ x, /** @type {number} */ y) => hash(x, y) & 255,
  noise4: (/** @type {number} */ x, /** @type {number} */ y) => (hash(x, y) & 3) * 85,
  gradient: (
    /** @type {number} */ x,
    /** @type {number} */ y,
    /** @type {number} */ w,
    /** @type {number} */ h,
  ) => Math.round((255 * (x + y)) / (w + h - 2)),
};
/** @param {number} x @param {number} y */
function hash(x, y) {
  let s = Math.imul(x, 73856093) ^ Math.imul(y, 19349663);
  s = Math.imul(s ^ (s >>> 16), 0x45d9f3b);
  return (s ^ (s >>> 16)) >>> 0;
}
for (const [kind, alpha] of Object.entries(ALPHA_KINDS))
  for (const [w, h, t] of [
    [2000, 2000, ''],
    [3000, 4000, 'w=2000'],
    [2048, 1536, 'w=1600'],
  ])
    CASES.push({
      id: `alpha-${kind}:${w}x${h}|${t}|webp`,
      input: async () => {
        const px = Buffer.alloc(w * h * 4);
        for (let y = 0; y < h; y++)
          for (let x = 0; x < w; x++) {
            const i = (y * w + x) * 4;
            px[i] = (x * 255) / w;
            px[i + 1] = (y * 255) / h;
            px[i + 2] = 128;
            px[i + 3] = alpha(x, y, w, h);
          }
        const png = await sharp(px, { raw: { width: w, height: h, channels: 4 } })
          .png()
          .toBuffer();
        return { bytes: new Uint8Array(png) };
      },
      params: { op: 'pipeline', t, f: 'webp' },
    });

/** The decode fallback (src/transform/fallback.ts) of the wide variants, forced. */
const FALLBACK = [
  ['w=1600', 'webp'],
  ['w=1600', 'avif'],
  ['w=2000,h=2000,fit=cover', 'webp'],
];
for (const s of GRID_SOURCES.filter(
  (g) => g.label.includes('JPEG') || g.label === '12 MP WebP (lossy)',
))
  for (const [t, f] of FALLBACK)
    CASES.push({
      id: `grid:${s.label}|${t}|${f}|m8`,
      input: () => gridBytes(s.label),
      params: { op: 'pipeline', t, f, m8: 1 },
    });

/**
 * Progressive JPEGs reduced (session 11, branch progk): the planner's shape (`prog:`) and,
 * with `|m8`, its decode fallback forced (libjpeg-turbo at M/8 keeping only the M x M
 * coefficients per block it reads, wasm/jpeg-turbo/progressive-kxk.patch).
 */
const PROGRESSIVE = [
  ['24 MP progressive JPEG', ['w=400', 'w=800', 'w=1600', 'w=2000', 'w=2400', 'w=3000']],
  ['4.9 MP progressive JPEG', ['w=400', 'w=800', 'w=1600']],
];
for (const [label, ts] of PROGRESSIVE)
  for (const t of ts)
    for (const m8 of [0, 1])
      CASES.push({
        id: `prog:${label}|${t}|webp${m8 ? '|m8' : ''}`,
        input: () => gridBytes(label),
        params: { op: 'pipeline', t, f: 'webp', ...(m8 ? { m8: 1 } : {}) },
      });

const args = process.argv.slice(2);
const outIdx = args.indexOf('--out');
const date = new Date().toISOString().slice(0, 10);
const out =
  outIdx >= 0
    ? path.resolve(args[outIdx + 1] ?? '')
    : path.join(root, 'bench', 'results', `${date}-memory.json`);
const filters = args.filter((_, i) => outIdx < 0 || (i !== outIdx && i !== outIdx + 1));
const cases = CASES.filter((c) => filters.length === 0 || filters.some((f) => c.id.includes(f)));
if (cases.length === 0) throw new Error(`no case matches ${filters.join(' ')}`);

/** @type {{ measured: string, machine: string, command: string, cases: Record<string, unknown> }} */
const results = fs.existsSync(out)
  ? JSON.parse(fs.readFileSync(out, 'utf8'))
  : { measured: date, machine: '', command: '', cases: {} };
results.machine = machine().summary;
results.command = 'node bench/grid-memory.mjs [filter ...]';

const outdir = await buildWorker(root);
const MB = 2 ** 20;
try {
  for (const c of cases) {
    const input = await c.input();
    const worker = await BenchWorker.start(root, outdir);
    try {
      const idle = worker.memory().rssMB;
      await worker.put('in', input.bytes, input.raw);
      const stored = worker.memory().rssMB;
      worker.resetPeak();
      const r = await worker.run({ key: 'in', reps: 1, ...c.params });
      const peak = worker.memory().hwmMB;
      const wasm = Object.fromEntries(
        Object.entries(r.wasm)
          .filter(([, v]) => v > 0)
          .map(([k, v]) => [k, +(v / MB).toFixed(1)]),
      );
      const rec = {
        output: `${r.width}x${r.height}`,
        inputMB: +(input.bytes.length / MB).toFixed(2),
        idleMB: +idle.toFixed(1),
        storedMB: +stored.toFixed(1),
        peakMB: +peak.toFixed(1),
        peakAboveIdleMB: +(peak - idle).toFixed(1),
        peakAboveStoredMB: +(peak - stored).toFixed(1),
        wasmMB: wasm,
        loadavg: +os.loadavg()[0].toFixed(1),
      };
      results.cases[c.id] = rec;
      console.log(
        `${c.id}: ${rec.output} peak ${rec.peakMB} (above idle ${rec.peakAboveIdleMB}, above stored ${rec.peakAboveStoredMB}) wasm ${JSON.stringify(wasm)}`,
      );
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      // An m8 case whose variant has no decode fallback (reduced 2x or more, or not reduced).
      if (message.includes('no decode fallback'))
        console.log(`${c.id}: skipped (no decode fallback)`);
      else console.log(`${c.id}: FAILED ${message}`);
    } finally {
      await worker.stop();
    }
    const sorted = Object.fromEntries(
      Object.entries(results.cases).sort(([a], [b]) => (a < b ? -1 : 1)),
    );
    fs.writeFileSync(out, `${JSON.stringify({ ...results, cases: sorted }, null, 2)}\n`);
  }
} finally {
  fs.rmSync(outdir, { recursive: true, force: true });
}
