/**
 * Large PNG outputs through the Worker once the PNG encoder's file is drained into JS band by
 * band (codecs/png-enc.ts `png_encode_drain`, session 13): the grid's 12 MP PNG at
 * `w=4000,f=png` (12 MP out), estimated 125 MB with the file held twice (in the module and in
 * its copy out) and so refused, is queued on the streamed path, priced with the file held once
 * (transform/png-cost.ts `streamedPngEncodeMb`; 95.2 MB measured,
 * bench/results/2026-12-06-png-drain-memory.json), and answers 200 image/png of the planned
 * size (a stand-in or a 503 first).
 */
import { env } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config';
import type { ImageRecord } from '../../src/storage/images-db';
import { sourceFacts } from '../../src/transform/cost';
import { placeShape } from '../../src/transform/fallback';
import { planVariant, shapeVariant } from '../../src/transform/pipeline';
import { streamedPngEncodeMb } from '../../src/transform/png-cost';
import { parseTransform } from '../../src/transform/spec';
import { dropCodecs } from '../../wasm/instances';
import { uploadGrid } from '../helpers';
import { madeThroughQueue } from '../work/helpers';

let records: Map<string, ImageRecord>;

beforeAll(async () => {
  records = await uploadGrid(['12 MP PNG']);
}, 120_000);

describe('a large PNG with its file drained, through the Worker', () => {
  it('12 MP PNG w=4000,f=png (refused with the file held twice): queued, then 200 image/png of the planned size', async () => {
    const rec = records.get('12 MP PNG')!;
    const t = 'w=4000,f=png';
    const spec = parseTransform(t);
    const src = sourceFacts(rec);
    const placed = placeShape(shapeVariant(src, spec), 'png', loadConfig(env));
    expect(placed.placement).toBe('queue');
    const { canvas } = planVariant(src, spec).geometry;
    expect([canvas.width, canvas.height]).toEqual([4000, 3000]);
    // The encode's figure holds the file once: twice would not fit the queue's budget.
    expect(placed.estimate.stages.encode.mb).toBeCloseTo(streamedPngEncodeMb(4000, 3000, false), 5);
    const twice = placed.estimate.memoryMB + (3.03 * 4000 * 3000) / 2 ** 20;
    expect(twice).toBeGreaterThan(loadConfig(env).queueBudgetMb);
    dropCodecs();
    const info = await madeThroughQueue(`/img/${rec.id}/${t}`, 'png');
    expect([info.format, info.width, info.height]).toEqual(['png', 4000, 3000]);
  }, 300_000);
});
