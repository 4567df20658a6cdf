/**
 * Large WebPs through the Worker once libwebp keeps its quantized levels instead of its tokens
 * (wasm/libwebp/level-store.patch, session 12): the grid's 48 MP JPEG at
 * `w=4000,h=4000,fit=cover,f=webp` (16 MP out), estimated just over the queue's 112 MB with
 * the tokens and so refused (77.9 MB measured then, 67.7 now;
 * bench/results/2026-12-05-webp-encode-memory.json), is queued on the streamed path, priced at
 * the module's figures (transform/cost.ts `bandedWebpMb`, `STREAMED_WEBP_FIXED_MB`), and
 * answers 200 image/webp of the planned size (a stand-in or a 503 first).
 */
import { env } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config';
import type { ImageRecord } from '../../src/storage/images-db';
import { bandedWebpMb, sourceFacts } from '../../src/transform/cost';
import { placeShape } from '../../src/transform/fallback';
import { planVariant, shapeVariant } from '../../src/transform/pipeline';
import { parseTransform } from '../../src/transform/spec';
import { dropCodecs } from '../../wasm/instances';
import { uploadGrid } from '../helpers';
import { madeThroughQueue } from '../work/helpers';

let records: Map<string, ImageRecord>;

beforeAll(async () => {
  records = await uploadGrid(['48 MP JPEG']);
}, 120_000);

describe('a large WebP with the level store, through the Worker', () => {
  it('48 MP JPEG w=4000,h=4000,fit=cover,f=webp (refused with the tokens): queued, then 200 image/webp of the planned size', async () => {
    const rec = records.get('48 MP JPEG')!;
    const t = 'w=4000,h=4000,fit=cover,f=webp';
    const spec = parseTransform(t);
    const src = sourceFacts(rec);
    const placed = placeShape(shapeVariant(src, spec), 'webp', loadConfig(env));
    expect(placed.placement).toBe('queue');
    // The banded encode's own figure: 16 MP at the level store's memory.
    expect(placed.estimate.stages.encode.mb).toBeCloseTo(bandedWebpMb(16), 5);
    const { canvas } = planVariant(src, spec).geometry;
    expect([canvas.width, canvas.height]).toEqual([4000, 4000]);
    dropCodecs();
    const info = await madeThroughQueue(`/img/${rec.id}/${t}`, 'webp');
    expect([info.width, info.height]).toEqual([4000, 4000]);
  }, 300_000);
});
