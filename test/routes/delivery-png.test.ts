/**
 * PNG outputs of large photos through the Worker: since PNG is encoded a band of rows at a time
 * (src/codecs/png-enc.ts: the encoder holds the compressed file, not the RGBA), the planner
 * charges its encode by measurement (cost-table.json) and serves variants it refused before
 * (`w=1600,f=png` of the 12 MP Carrie.jpg: 158 MB estimated, a 422, before session 9).
 */
import { describe, expect, it } from 'vitest';
import { probe, sniffFormat } from '../../src/codecs/probe';
import { loadConfig } from '../../src/config';
import { sourceFacts } from '../../src/transform/cost';
import { placeShape } from '../../src/transform/fallback';
import { planVariant, shapeVariant } from '../../src/transform/pipeline';
import { parseTransform } from '../../src/transform/spec';
import type { ImageRecord } from '../../src/storage/images-db';
import { call, fixture, KEYS, upload } from '../helpers';
import { envWith, FakeQueue, pump } from '../work/helpers';

/** Uploads `path` and returns what the planner knows of it. */
async function uploaded(path: string): Promise<{ id: string; rec: ImageRecord }> {
  const { res, json } = await upload(await fixture(path), KEYS.alice);
  expect([200, 201]).toContain(res.status);
  const p = probe(await fixture(path));
  const rec = {
    format: p.format,
    width: p.width,
    height: p.height,
    orientation: p.orientation ?? 1,
    hasAlpha: false,
    frames: 1,
  } as unknown as ImageRecord;
  return { id: json.id as string, rec };
}

/** Checks an answer: a PNG of `width` x `height` that decodes. */
async function expectPng(res: Response, width: number, height: number): Promise<void> {
  expect(res.status, await res.clone().text()).toBe(200);
  expect(res.headers.get('Content-Type')).toBe('image/png');
  const bytes = new Uint8Array(await res.arrayBuffer());
  expect(sniffFormat(bytes)).toBe('png');
  expect(probe(bytes)).toMatchObject({ width, height });
}

describe('PNG outputs of 12 MP photos', () => {
  it('w=1600,f=png of Carrie.jpg (3000x4000) is served, a 422 before', async () => {
    const { id, rec } = await uploaded('images/large/Carrie.jpg');
    const spec = parseTransform('w=1600,f=png');
    const { canvas } = planVariant(sourceFacts(rec), spec).geometry;
    expect([canvas.width, canvas.height]).toEqual([1600, 2133]);
    // Planned in a budget (the queue's: libjpeg-turbo at 5/8), no longer refused.
    const placed = placeShape(shapeVariant(sourceFacts(rec), spec), 'png', loadConfig({}));
    expect(placed.placement).not.toBe('refuse');
    const q = new FakeQueue();
    const url = `/img/${id}/w=1600,f=png`;
    const first = await call(url, { env: envWith(q) });
    const standIn = first.headers.get('X-Variant-Source') === 'stand-in';
    await expectPng(first, 1600, 2133);
    expect(standIn).toBe(placed.placement === 'queue');
    if (!standIn) return;
    await pump(q, envWith(q));
    const real = await call(url, { env: envWith(q) });
    expect(real.headers.get('X-Variant-Source')).not.toBe('stand-in');
    await expectPng(real, 1600, 2133);
  }, 120_000);
});
