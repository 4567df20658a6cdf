/**
 * JPEG outputs that mozjpeg cannot make within a budget, through the Worker (issue 13): the
 * planner puts them on libjpeg-turbo's rows encoder (src/transform/fallback.ts `jpegRows`,
 * transform/streamed.ts). `w=1600,f=jpeg` of Carrie and `w=2000,f=jpeg` of the 12 MP phone photo
 * (mozjpeg's plans are refused with 422: estimated over the queue's budget), and `w=1600,f=jpeg`
 * of the phone photo (queued with mozjpeg) answer 200 image/jpeg of the planned size, made
 * by the rows encoder (its instance is made, mozjpeg's is not); inline, or a stand-in first and
 * the real variant after the queue consumer has run. A JPEG that mozjpeg makes inline keeps
 * mozjpeg (its bytes unchanged).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { probe } from '../../src/codecs/probe';
import { loadConfig } from '../../src/config';
import { estimateShape, placement, sourceFacts } from '../../src/transform/cost';
import { placeShape } from '../../src/transform/fallback';
import { planVariant, shapeVariant } from '../../src/transform/pipeline';
import { parseTransform } from '../../src/transform/spec';
import type { ImageRecord } from '../../src/storage/images-db';
import { dropCodecs, wasmMemory } from '../../wasm/instances';
import { call, uploadGrid } from '../helpers';
import { variantAfterQueue } from '../work/helpers';

const LABELS = ['12 MP JPEG (Carrie)', '12 MP phone JPEG'];

let records: Map<string, ImageRecord>;

beforeAll(async () => {
  records = await uploadGrid(LABELS);
}, 120_000);

/** The JPEG's size from its header, after checking the answer is a JPEG. */
async function jpegSize(res: Response): Promise<[number, number]> {
  expect(res.headers.get('Content-Type')).toBe('image/jpeg');
  const info = probe(new Uint8Array(await res.arrayBuffer()));
  expect(info.format).toBe('jpeg');
  return [info.width, info.height];
}

describe('JPEG from rows through the Worker', () => {
  it.each([
    ['12 MP JPEG (Carrie)', 'w=1600,f=jpeg', 'refuse'],
    ['12 MP phone JPEG', 'w=2000,f=jpeg', 'refuse'],
    ['12 MP phone JPEG', 'w=1600,f=jpeg', 'queue'],
  ])('%s %s (mozjpeg: %s): 200 image/jpeg of the planned size', async (label, t, before) => {
    const rec = records.get(label)!;
    const spec = parseTransform(t);
    const src = sourceFacts(rec);
    const config = loadConfig({});
    // mozjpeg's plan alone is refused (main answered 422) or queued; the planner's uses the
    // rows encoder, placed better.
    expect(placement(estimateShape(shapeVariant(src, spec), 'jpeg'), config)).toBe(before);
    const placed = placeShape(shapeVariant(src, spec), 'jpeg', config);
    expect(placed.shape.jpegRows).toBe(true);
    expect(before === 'refuse' ? ['inline', 'queue'] : ['inline']).toContain(placed.placement);
    const { canvas } = planVariant(src, spec).geometry;

    dropCodecs();
    const { first, real } = await variantAfterQueue(`/img/${rec.id}/${t}`);
    expect(await jpegSize(first)).toEqual([canvas.width, canvas.height]);
    if (real) expect(await jpegSize(real)).toEqual([canvas.width, canvas.height]);
    expect(wasmMemory().jpegRowsEnc).toBeGreaterThan(0);
    expect(wasmMemory().jpegEnc).toBeUndefined();
  });

  it('keeps mozjpeg where it fits inline (w=800,f=jpeg)', async () => {
    const rec = records.get('12 MP JPEG (Carrie)')!;
    dropCodecs();
    const res = await call(`/img/${rec.id}/w=800,f=jpeg`);
    expect(res.status).toBe(200);
    expect(await jpegSize(res)).toEqual([800, 1067]);
    expect(wasmMemory().jpegEnc).toBeGreaterThan(0);
    expect(wasmMemory().jpegRowsEnc).toBeUndefined();
  });
});
