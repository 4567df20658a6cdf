/**
 * The planner's libjpeg-turbo M/8 fallback (src/transform/fallback.ts): a JPEG reduced by
 * less than 2x keeps the 1/1 path (full decode + lanczos3, sharp's output) while that fits
 * the request's budget, and is decoded at M/8 only when the 1/1 plan would be stood in for
 * or refused and M/8 fits a better place. Through the Worker: the bytes served are those of
 * the path the planner chose.
 */
import { describe, expect, it } from 'vitest';
import { probe } from '../../src/codecs/probe';
import { loadConfig } from '../../src/config';
import { estimateShape, type PlanSource } from '../../src/transform/cost';
import { eighthsFallback, placeShape } from '../../src/transform/fallback';
import { runPipeline, runShape, shapeVariant } from '../../src/transform/pipeline';
import { parseTransform } from '../../src/transform/spec';
import { call, fixture, upload } from '../helpers';

const config = loadConfig({});

/** Planner facts of a shared image, as sourceFacts gives them for its record. */
async function source(path: string): Promise<{ bytes: Uint8Array; src: PlanSource }> {
  const bytes = await fixture(path);
  return { bytes, src: { ...probe(bytes), bytes: bytes.byteLength, focal: null } };
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
  it('keeps the 1/1 path for an under-2x reduction within the inline budget: the same bytes', async () => {
    const { bytes, src } = await source(FLOWERS);
    const spec = parseTransform('w=1200,f=webp'); // 1.6x
    const shape = shapeVariant(src, spec);
    const placed = placeShape(shape, 'webp', config);
    expect(placed.placement).toBe('inline');
    expect(placed.shape).toBe(shape);
    expect(shape.decode).toMatchObject({ scale: 1, inModule: true });
    expect(shape.decode.eighths).toBeUndefined();

    const fullDecode = await runPipeline(bytes, src, spec, 'webp');
    const alt = eighthsFallback(shape);
    expect(alt?.decode.eighths).toBe(5);
    const atEighths = await runShape(bytes, alt!, 'webp');
    expect(atEighths.bytes).not.toEqual(fullDecode.bytes);

    const res = await served(FLOWERS, 'w=1200,f=webp');
    expect(res.status).toBe(200);
    expect(res.headers.get('X-Variant-Source')).toBe('computed');
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(fullDecode.bytes);
  });

  it('decodes at M/8 inline when the 1/1 plan would be stood in for (a progressive JPEG)', async () => {
    const { bytes, src } = await source(CERKIEW);
    // sharpen: not streamed (transform/streamed.ts), so the 1/1 plan is over the inline budget.
    const spec = parseTransform('w=1200,sharpen=1,f=webp'); // 1.6x
    const shape = shapeVariant(src, spec);
    const placed = placeShape(shape, 'webp', config);
    expect(placeShape({ ...shape }, 'webp', { ...config, inlineBudgetMb: 1000 }).shape.decode).toBe(
      shape.decode,
    );
    expect(placed.placement).toBe('inline');
    expect(placed.shape.decode).toMatchObject({ scale: 1, eighths: 6, inModule: false });
    // libjpeg keeps every coefficient of a progressive file: 2.86 MiB per source MP charged.
    const baseline = estimateShape(
      { ...placed.shape, src: { ...src, progressive: false } },
      'webp',
    );
    expect(placed.estimate.memoryMB - baseline.memoryMB).toBeCloseTo(
      ((2 * 1.5) / 1.048576) * ((1914 * 2565) / 1e6),
      1,
    );

    const expected = await runShape(bytes, placed.shape, 'webp');
    expect([expected.width, expected.height]).toEqual([1200, 1608]);
    const res = await served(CERKIEW, 'w=1200,sharpen=1,f=webp');
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

  it('does not apply to 2x reductions and more, other formats or trim=border', async () => {
    const { src } = await source(CARRIE);
    expect(eighthsFallback(shapeVariant(src, parseTransform('w=1400')))).toBeNull(); // 2.1x
    expect(eighthsFallback(shapeVariant(src, parseTransform('w=3000')))).toBeNull(); // kept
    expect(eighthsFallback(shapeVariant(src, parseTransform('w=1600,trim=border')))).toBeNull();
    const png = { ...src, format: 'png' as const };
    expect(eighthsFallback(shapeVariant(png, parseTransform('w=1600')))).toBeNull();
  });
});
