/**
 * The planner's decode fallbacks (src/transform/fallback.ts): a JPEG reduced by less than 2x
 * keeps the 1/1 path (full decode + lanczos3, sharp's output) while that fits the request's
 * budget, and is decoded with libjpeg-turbo at M/8 only when the 1/1 plan would be stood in
 * for or refused and M/8 fits a better place; a still lossy WebP likewise, cropped and scaled
 * by libwebp while decoding. Through the Worker: the bytes served are those of the path the
 * planner chose. A JPEG output goes to libjpeg-turbo's rows encoder where mozjpeg does not fit,
 * and to its single pass only where its two passes are refused.
 */
import { env } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { mayConvertColour } from '../../src/codecs/icc';
import { probe } from '../../src/codecs/probe';
import { loadConfig } from '../../src/config';
import { estimateShape, placement, type PlanSource } from '../../src/transform/cost';
import {
  decodeFallback,
  eighthsFallback,
  fullTurbo,
  placeShape,
  webpScaledFallback,
} from '../../src/transform/fallback';
import { runPipeline, runShape, shapeVariant } from '../../src/transform/pipeline';
import { parseTransform } from '../../src/transform/spec';
import { call, fixture, gridSources, upload } from '../helpers';

const config = loadConfig({});

/** Planner facts of a shared image, as sourceFacts gives them for its record. */
async function source(path: string): Promise<{ bytes: Uint8Array; src: PlanSource }> {
  const bytes = await fixture(path);
  const facts = probe(bytes);
  const colour = mayConvertColour(facts) ? {} : { colourManaged: false };
  return { bytes, src: { ...facts, ...colour, bytes: bytes.byteLength, focal: null } };
}

/** Uploads a shared image and answers `/img/<id>/<options>`. */
async function served(path: string, options: string): Promise<Response> {
  const { json } = await upload(await fixture(path));
  return call(`/img/${String(json.id)}/${options}`);
}

const FLOWERS = 'images/crop/flowers.jpeg'; // 1920x1080 baseline
const CERKIEW = 'images/progressive/Cerkiew.jpg'; // 1914x2565 progressive
const CARRIE = 'images/large/Carrie.jpg'; // 3000x4000 baseline

describe('the M/8 fallback', () => {
  it('takes libjpeg-turbo at 8/8 (not M/8) for an under-2x reduction within the inline budget', async () => {
    const { bytes, src } = await source(FLOWERS);
    const spec = parseTransform('w=1200,f=webp'); // 1.6x
    const shape = shapeVariant(src, spec);
    expect(shape.decode).toMatchObject({ scale: 1, inModule: true });
    expect(shape.decode.eighths).toBeUndefined();
    const placed = placeShape(shape, 'webp', config);
    expect(placed.placement).toBe('inline');
    // sharp's own decode, then lanczos3: rows on the streamed path, cheaper on every count.
    expect(placed.shape).toEqual(fullTurbo(shape));
    expect(placed.shape.decode).toMatchObject({ scale: 1, eighths: 8, inModule: false });
    const module = estimateShape(shape, 'webp');
    expect(placed.estimate.cpuMs).toBeLessThan(module.cpuMs);
    expect(placed.estimate.memoryMB).toBeLessThanOrEqual(module.memoryMB);

    const full = await runShape(bytes, placed.shape, 'webp');
    const alt = eighthsFallback(shape);
    expect(alt?.decode.eighths).toBe(5);
    const atEighths = await runShape(bytes, alt!, 'webp');
    expect(atEighths.bytes).not.toEqual(full.bytes);

    const res = await served(FLOWERS, 'w=1200,f=webp');
    expect(res.status).toBe(200);
    expect(res.headers.get('X-Variant-Source')).toBe('computed');
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(full.bytes);
  });

  it("keeps the module's 1/1 where libjpeg-turbo's whole 8/8 decode would hold more", async () => {
    const { src } = await source(FLOWERS);
    // AVIF is not streamed: libjpeg-turbo would hold the whole RGBA image.
    const shape = shapeVariant(src, parseTransform('w=1200,f=avif'));
    expect(estimateShape(fullTurbo(shape)!, 'avif').memoryMB).toBeGreaterThan(
      estimateShape(shape, 'avif').memoryMB,
    );
    expect(placeShape(shape, 'avif', config).shape).toBe(shape);
  });

  it('decodes at M/8 inline when the 1/1 plan would be stood in for (a progressive JPEG)', async () => {
    const { bytes, src } = await source(CERKIEW);
    // sharpen: not streamed (transform/streamed.ts), so the 1/1 plan is over the inline budget.
    const spec = parseTransform('w=1300,sharpen=1,f=webp'); // 1.47x
    const shape = shapeVariant(src, spec);
    const placed = placeShape(shape, 'webp', config);
    expect(placeShape({ ...shape }, 'webp', { ...config, inlineBudgetMb: 1000 }).shape.decode).toBe(
      shape.decode,
    );
    expect(placed.placement).toBe('inline');
    expect(placed.shape.decode).toMatchObject({ scale: 1, eighths: 6, inModule: false });
    // libjpeg keeps the 6x6 coefficients of each block of a progressive file at 6/8 and a
    // mask (wasm/jpeg-turbo/progressive-kxk.patch): 2·36 + 8 = 80 bytes per block, 1.5 blocks
    // per 64 pixels (4:2:0 charged), 1.79 MiB per source MP.
    const baseline = estimateShape(
      { ...placed.shape, src: { ...src, progressive: false } },
      'webp',
    );
    expect(placed.estimate.memoryMB - baseline.memoryMB).toBeCloseTo(
      ((80 * 1.5) / 64 / 1.048576) * ((1914 * 2565) / 1e6),
      1,
    );

    const expected = await runShape(bytes, placed.shape, 'webp');
    expect([expected.width, expected.height]).toEqual([1300, 1742]);
    const res = await served(CERKIEW, 'w=1300,sharpen=1,f=webp');
    expect(res.status).toBe(200);
    expect(res.headers.get('X-Variant-Source')).toBe('computed');
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(expected.bytes);
  });

  it('makes a variant the 1/1 plan cannot make anywhere in the queue at M/8', async () => {
    const { src } = await source(CARRIE);
    // sharpen: not streamed, so the 1/1 plan is over the queue's budget.
    const shape = shapeVariant(src, parseTransform('w=1600,sharpen=1,f=webp')); // 1.9x
    const placed = placeShape(shape, 'webp', config);
    expect(placeShape(shape, 'webp', { ...config, queueBudgetMb: 1000 }).placement).toBe('queue');
    expect(placed.shape.decode.eighths).toBe(5);
    expect(placed.placement).toBe('queue');
    expect(placed.estimate.memoryMB).toBeLessThanOrEqual(config.queueBudgetMb);
  });

  it("decodes at 8/8 (sharp's decode, then lanczos3) where no smaller M covers the target", async () => {
    const { src } = await source(CARRIE);
    const shape = shapeVariant(src, parseTransform('w=2900,f=webp')); // 1.03x: 7/8 is 2625 wide
    expect(shape.decode).toMatchObject({ scale: 1, inModule: true });
    expect(eighthsFallback(shape)?.decode).toMatchObject({ eighths: 8, inModule: false });
  });

  it('takes a 2x reduction from the JPEG module to libjpeg-turbo at the same scale', async () => {
    const { src } = await source(CARRIE);
    const shape = shapeVariant(src, parseTransform('w=1400,f=webp')); // 2.1x
    expect(shape.decode).toMatchObject({ scale: 2, inModule: true });
    // libjpeg-turbo at 4/8 (1500x2000, as the module's 1/2), read as rows on the streamed path.
    expect(eighthsFallback(shape)?.decode).toMatchObject({
      scale: 1,
      eighths: 4,
      decoded: { width: 1500, height: 2000 },
      inModule: false,
    });
    // Within the inline budget the module's plan stays (its bytes unchanged).
    expect(placeShape(shape, 'webp', config).shape).toBe(shape);
  });

  it('names the plan least over the budget when every plan is refused', () => {
    // The grid's 99.6 MP JPEG (8300x12000, 7.5 MiB) → 5000x7229 WebP: the JPEG module decodes it
    // whole at 1/1 (about 720 MB); libjpeg-turbo's 5/8 rows, about 119, are still over 112.
    // (At w=4000 its 4/8 rows fit the queue since libwebp keeps its levels: about 95.) Its 8/8
    // rows hold as much memory and take more CPU, both within the 10 s budget: the tie goes to
    // the plan with less CPU.
    const src: PlanSource = {
      format: 'jpeg',
      width: 8300,
      height: 12000,
      orientation: 1,
      hasAlpha: false,
      colourManaged: false,
      bytes: 7_906_264,
    };
    const shape = shapeVariant(src, parseTransform('w=5000,f=webp'));
    expect(shape.decode).toMatchObject({ scale: 1, inModule: true });
    const placed = placeShape(shape, 'webp', config);
    expect(placed.placement).toBe('refuse');
    expect(placed.shape.decode).toMatchObject({ eighths: 5, inModule: false });
    expect(placed.estimate.memoryMB).toBeLessThan(estimateShape(shape, 'webp').memoryMB / 2);
    expect(placed.estimate.memoryMB).toBeGreaterThan(config.queueBudgetMb);
  });

  it('does not apply to full size, other formats or trim=border', async () => {
    const { src } = await source(CARRIE);
    expect(eighthsFallback(shapeVariant(src, parseTransform('w=3000')))).toBeNull(); // kept
    expect(eighthsFallback(shapeVariant(src, parseTransform('w=1600,trim=border')))).toBeNull();
    const png = { ...src, format: 'png' as const };
    expect(eighthsFallback(shapeVariant(png, parseTransform('w=1600')))).toBeNull();
  });
});

/** The grid's 12 MP lossy WebP (scripts/lib/grid-sources.mjs), as the fixtures serve it. */
async function gridWebp(): Promise<string> {
  const list = (await (await env.FIXTURES.fetch('http://fixtures/grid/')).json()) as {
    label: string;
    path: string;
  }[];
  return list.find((s) => s.label === '12 MP WebP (lossy)')!.path;
}

const WEBP = 'images/small/4.webp'; // 1024x772 lossy

describe('the lossy WebP scaled-decode fallback', () => {
  it('keeps the 1/1 path for an under-2x reduction within the inline budget: the same bytes', async () => {
    const { bytes, src } = await source(WEBP);
    const spec = parseTransform('w=700,f=webp'); // 1.46x
    const shape = shapeVariant(src, spec);
    const placed = placeShape(shape, 'webp', config);
    expect(placed.placement).toBe('inline');
    expect(placed.shape).toBe(shape);
    expect(shape.decode).toMatchObject({ scale: 1, inModule: false });

    const whole = await runPipeline(bytes, src, spec, 'webp');
    const alt = webpScaledFallback(shape);
    expect(alt?.decode).toMatchObject({ scale: 1, inModule: true });
    const scaled = await runShape(bytes, alt!, 'webp');
    expect([scaled.width, scaled.height]).toEqual([whole.width, whole.height]);
    expect(scaled.bytes).not.toEqual(whole.bytes);

    const res = await served(WEBP, 'w=700,f=webp');
    expect(res.status).toBe(200);
    expect(res.headers.get('X-Variant-Source')).toBe('computed');
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(whole.bytes);
  });

  it('has libwebp crop and scale a 12 MP WebP to 2000x2000 inline, where 1/1 is refused', async () => {
    const path = await gridWebp();
    const { bytes, src } = await source(path);
    const shape = shapeVariant(src, parseTransform('w=2000,h=2000,fit=cover,f=webp')); // 1.5x
    expect(placement(estimateShape(shape, 'webp'), config)).toBe('refuse');
    const placed = placeShape(shape, 'webp', config);
    expect(placed.shape.decode).toMatchObject({ scale: 1, inModule: true });
    expect(placed.placement).toBe('inline');
    // Measured 50.1-50.8 MB above idle with libwebp's level store
    // (bench/results/2026-12-05-webp-encode-memory.json; 62.8-64.0 with its tokens,
    // 2026-12-05-planner-memory.json, 2026-12-05-decode-memory.json); 97.4 at 1/1.
    expect(placed.estimate.memoryMB).toBeGreaterThanOrEqual(51);

    const expected = await runShape(bytes, placed.shape, 'webp');
    expect([expected.width, expected.height]).toEqual([2000, 2000]);
    const res = await served(path, 'w=2000,h=2000,fit=cover,f=webp');
    expect(res.status).toBe(200);
    expect(res.headers.get('X-Variant-Source')).toBe('computed');
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(expected.bytes);
  }, 60_000);

  it('does not apply to 2x reductions, lossless or animated WebPs, JPEGs or trim=border', async () => {
    const { src } = await source(WEBP);
    const none = (s: PlanSource, t: string) =>
      webpScaledFallback(shapeVariant(s, parseTransform(t)));
    expect(none(src, 'w=500')).toBeNull(); // 2x: libwebp's rescaler already
    expect(none(src, 'w=1024')).toBeNull(); // not reduced
    expect(none(src, 'w=700,trim=border')).toBeNull();
    expect(none({ ...src, webpVp8l: true, webpLossless: true }, 'w=700')).toBeNull();
    expect(none({ ...src, frames: 3 }, 'w=700')).toBeNull();
    expect(none({ ...src, format: 'jpeg' }, 'w=700')).toBeNull();
    // decodeFallback takes either fallback.
    expect(decodeFallback(shapeVariant(src, parseTransform('w=700')))?.decode.inModule).toBe(true);
  });
});

describe("libjpeg-turbo's single pass", () => {
  /** The grid's 12 MP WebPs (scripts/lib/grid-sources.mjs), as their records give them. */
  let lossless: PlanSource;
  let lossy: PlanSource;
  beforeAll(async () => {
    const grid = await gridSources();
    const facts = async (label: string) => ({
      ...(await source(grid.find((g) => g.label === label)!.path)).src,
      colourManaged: false,
    });
    lossless = await facts('12 MP WebP (lossless)');
    lossy = await facts('12 MP WebP (lossy)');
  }, 120_000);

  it('is taken only where two passes are refused, and costs no coefficients', () => {
    // w=4000: two passes hold 2.86 MiB per output MP of coefficients (12 MP: 34), over 112.
    // (The grid's lossless WebP fits them since its rows are pulled, codecs/webp.ts
    // `openWebpRows`: the lossy one, whose decode holds its image, is the case here.)
    const big = shapeVariant(lossy, parseTransform('w=4000,f=jpeg'));
    const twoPass = estimateShape({ ...big, jpegRows: true }, 'jpeg');
    expect(placement(twoPass, config)).toBe('refuse');
    const placed = placeShape(big, 'jpeg', config);
    expect(placed.placement).toBe('queue');
    expect(placed.shape).toMatchObject({ jpegRows: true, jpegOnePass: true });
    expect(twoPass.memoryMB - placed.estimate.memoryMB).toBeGreaterThan(30);
    // w=2400: two passes fit the queue, so they are kept (smaller files).
    const small = placeShape(
      shapeVariant(lossless, parseTransform('w=2400,f=jpeg')),
      'jpeg',
      config,
    );
    expect(small.placement).not.toBe('refuse');
    expect(small.shape.jpegOnePass).toBeUndefined();
  });

  it('is never taken for other formats', () => {
    const placed = placeShape(
      shapeVariant(lossless, parseTransform('w=4000,f=png')),
      'png',
      config,
    );
    expect(placed.shape.jpegOnePass).toBeUndefined();
  });
});
