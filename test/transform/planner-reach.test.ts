/**
 * How far the planner reaches beyond the issue-13 grid (issue 13: only a full-size output too
 * big for the isolate may be refused): every grid source (scripts/lib/grid-sources.mjs),
 * uploaded through the Worker, at `w=N` and `w=N,h=N,fit=cover` for N from 400 to 8192 below
 * its long side, in each output format, placed as a request is (negotiate.ts chooseFormat,
 * an AVIF- and WebP-capable client). A ratchet: the refusals per format may only fall. Counts
 * at the start of session 9 (7e1a4e6), of 220 each: WebP 61, AVIF 142, JPEG 122, PNG 105,
 * auto 61; after it WebP 57, AVIF 57, JPEG 53, PNG 79, auto 53. The limits below are after
 * session 10: opaque PNG outputs streamed (PNG 79 -> 59, transform/streamed.ts), then the
 * JPEG row stream (libjpeg-turbo's rows into the streamed path, no decoded image held; and the
 * M/8 fallback at 8/8 where no smaller M covers the target): WebP 57 -> 46, AVIF 57 -> 46, JPEG
 * 53 -> 48, PNG 59 -> 50, auto 53 -> 43; then PNG sources feeding their module's output rows
 * to the streamed path (pipeline.ts `streamFor`): WebP 43, AVIF 43, PNG 48, auto 41
 * (docs/performance.md, "Beyond the grid"). Session 11: the M/8 fallback also takes reductions
 * of 2x and more as libjpeg-turbo rows (the 48 MP JPEG at 2400-3000 px, the 99.6 MP at 2000):
 * WebP 38, AVIF 38, JPEG 45, PNG 44, auto 36; then the queue's CPU budget at 5 s instead of 2
 * (outputs near full size, chiefly JPEGs from rows): WebP 35, AVIF 35, JPEG 35, auto 33. Then
 * progressive JPEGs at M/8 keeping only the M x M coefficients per block they read
 * (wasm/jpeg-turbo/progressive-kxk.patch, priced by jpeg-cost.ts
 * `turboProgressiveCoefficientMbPerMP`): the 24 MP progressive source at w=2000, both shapes,
 * made in the queue: WebP 33, AVIF 33, JPEG 34, PNG 42, auto 32. Then AVIF sources feeding
 * their module's output rows to the streamed path, scaled a band at a time (codecs/avif.ts
 * `openAvifRows`; the 12 MP AVIF at w=2400,h=2400,fit=cover and w=3000 queued, and as JPEG at
 * w=3000,h=3000,fit=cover too): WebP 31, AVIF 31, JPEG 31, PNG 40, auto 29. Session 12:
 * libjpeg-turbo's rows path priced without the whole decode's fixed memory (jpeg-cost.ts
 * TURBO_FIXED_MB, not there when read as rows): the 24 MP progressive at w=2400 (WebP, JPEG),
 * the 48 and 99.6 MP at w=4000,h=4000,fit=cover (WebP; the 48 MP as JPEG too), the phone
 * photos near full size as JPEG and PNG, and the 48 MP at w=3000 as PNG, queued: WebP 28,
 * AVIF 28, JPEG 27, PNG 36, auto 26 (docs/performance.md, "The rows path refitted"). Then
 * libwebp keeps its quantized levels instead of its tokens (wasm/libwebp/level-store.patch)
 * and the planner prices the streamed WebP encode at that module's memory (cost.ts `bandedWebpMb`, `STREAMED_WEBP_FIXED_MB`): the 48 MP JPEG at w=4000
 * and 5000 cover, the 99.6 MP at w=4000 and 5000 cover, the 12 MP AVIF at w=4000 and 3000
 * cover, the 12 MP WebPs at w=3000 (lossless) and w=4000 (lossy), the 24 MP progressive at
 * 3000 cover (on its M/8 fallback), as WebP, AVIF and auto (WebP stands in): WebP 18, AVIF 18,
 * auto 18. Session 13: the PNG encoder's file drained into JS band by band, so held once
 * (codecs/png-enc.ts, png-cost.ts `streamedPngEncodeMb`; a turned output too): PNG 36 -> 23 (the
 * 12 MP sources at w=4000 and 3000 cover, the 24 MP progressive at 2400 and 3000 cover, the 48
 * and 99.6 MP at 3000-4000); then the queue's CPU budget at 10 s (the 48 MP at w=5000 as WebP):
 * WebP 17, AVIF 17, auto 17.
 * Then libjpeg-turbo's rows encoder hands its file out as it is written (charged once, not four
 * times) and, where its two passes do not fit the queue, encodes in one (no coefficients kept:
 * transform/fallback.ts `jpegOnePass`): the 48 and 99.6 MP JPEGs at w=4000 to 8192 (the 99.6 MP
 * at 8192 cover excepted: 14 s of CPU), the 99.6 MP at 4000 cover, the 12 MP PNG at 4000 cover,
 * the 12 MP AVIF and lossy WebP at w=4000, the lossless WebP at 3000 cover and w=4000, the 24 MP
 * progressive at w=3000 and 3000 and 4000 cover, queued: JPEG 27 -> 7, auto 17 -> 7 (JPEG stands
 * in for AVIF there; with the 5 s CPU budget it was JPEG 16, auto 14). The 7 left are at or
 * beyond the source's full size, over memory in their decodes, or that 99.6 MP cover over CPU
 * (docs/performance.md, "JPEG output drained").
 * Then a still lossless (VP8L) WebP pulled as rows into the streamed path
 * (codecs/webp.ts `openWebpRows`, wasm/libwebp/vp8l-rows.patch: libwebp's scaled output, or the
 * whole image, no longer held): the 12 MP lossless WebP at w=3000,h=3000,fit=cover (WebP, AVIF,
 * auto, JPEG, PNG), w=4000 and w=4000,h=4000,fit=cover (WebP, AVIF, auto; and w=4000 as PNG),
 * made in the queue or inline (and, with the JPEG drain above, w=4000,h=4000,fit=cover as JPEG):
 * WebP 14, AVIF 14, JPEG 6, PNG 20, auto 6.
 */
import { env } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config';
import type { ImageRecord } from '../../src/storage/images-db';
import { sourceFacts } from '../../src/transform/cost';
import { chooseFormat } from '../../src/transform/negotiate';
import { shapeVariant } from '../../src/transform/pipeline';
import { parseTransform } from '../../src/transform/spec';
import { fixture, gridSources, uploadRecord } from '../helpers';

const WIDTHS = [400, 800, 1200, 1600, 2000, 2400, 3000, 4000, 5000, 6000, 8192];
/** The most refusals allowed per requested format (of 220 variants each). */
const MAX_REFUSED = { webp: 14, avif: 14, jpeg: 6, png: 20, auto: 6 } as const;

const records: { label: string; rec: ImageRecord }[] = [];

beforeAll(async () => {
  for (const s of await gridSources())
    records.push({ label: s.label, rec: await uploadRecord(await fixture(s.path)) });
}, 300_000);

describe('the planner beyond the grid', () => {
  it.each(Object.entries(MAX_REFUSED))('refuses at most the recorded count of f=%s', (f, max) => {
    const config = loadConfig(env);
    const refused: string[] = [];
    let total = 0;
    for (const { label, rec } of records) {
      const src = sourceFacts(rec);
      const side = Math.max(rec.width, rec.height);
      for (const w of WIDTHS.filter((n) => n < side))
        for (const t of [`w=${w},f=${f}`, `w=${w},h=${w},fit=cover,f=${f}`]) {
          total++;
          const placed = chooseFormat(shapeVariant(src, parseTransform(t)), 'avif', rec, config);
          if (placed.placement === 'refuse') refused.push(`${label} ${t}`);
        }
    }
    expect(total).toBe(220);
    expect(refused.length, refused.join('\n')).toBeLessThanOrEqual(max);
  });
});
