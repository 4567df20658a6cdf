/**
 * PNG outputs on the streamed path, through the Worker (issue 13): rows go straight into the
 * PNG encoder (src/transform/streamed.ts, codecs/row-sink.ts), so no RGBA image of the output
 * is made. `w=2000,h=2000,fit=cover,f=png` of the grid's 4.9 MP progressive JPEG and
 * `w=2000,f=png` of Carrie (refused with 422 when the output was made whole: estimated over the
 * queue's budget) and `w=2400,f=png` of the 12 MP phone photo (queued then) answer 200
 * image/png of the planned size, RGB, from the PNG encoder: inline, or (Carrie) a stand-in
 * first and the real variant after the queue consumer has run. And PNG sources whose module
 * feeds its output rows on (transform/pipeline.ts `streamFor`): the 12 MP PNG at `w=3000` as
 * WebP, refused while the module's output was held whole.
 */
import { env } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { probe } from '../../src/codecs/probe';
import { loadConfig } from '../../src/config';
import type { ImageRecord } from '../../src/storage/images-db';
import {
  estimateShape,
  placement,
  sourceFacts,
  type Placement,
  type PlanShape,
} from '../../src/transform/cost';
import { decodeFallback, placeShape } from '../../src/transform/fallback';
import { planVariant, shapeVariant } from '../../src/transform/pipeline';
import { parseTransform } from '../../src/transform/spec';
import { dropCodecs, wasmMemory } from '../../wasm/instances';
import { call, uploadGrid } from '../helpers';
import { envWith, FakeQueue, pump, variantAfterQueue } from '../work/helpers';

const LABELS = ['4.9 MP progressive JPEG', '12 MP phone JPEG', '12 MP JPEG (Carrie)', '12 MP PNG'];

let records: Map<string, ImageRecord>;

beforeAll(async () => {
  records = await uploadGrid(LABELS);
}, 120_000);

/** The PNG's size and IHDR colour type, after checking the answer is a PNG. */
async function pngInfo(res: Response): Promise<[number, number, number]> {
  expect(res.headers.get('Content-Type')).toBe('image/png');
  const bytes = new Uint8Array(await res.arrayBuffer());
  const info = probe(bytes);
  expect(info.format).toBe('png');
  return [info.width, info.height, bytes[25]!];
}

const RANK: Record<Placement, number> = { inline: 0, queue: 1, refuse: 2 };

describe('PNG from rows through the Worker', () => {
  it.each([
    ['4.9 MP progressive JPEG', 'w=2000,h=2000,fit=cover,f=png', 'refuse', 'inline'],
    ['12 MP phone JPEG', 'w=2400,f=png', 'queue', 'inline'],
    ['12 MP JPEG (Carrie)', 'w=2000,f=png', 'refuse', 'queue'],
  ])(
    '%s %s (made whole: %s, now %s): 200 image/png of the planned size',
    async (label, t, before, now) => {
      const rec = records.get(label)!;
      const spec = parseTransform(t);
      const src = sourceFacts(rec);
      const config = loadConfig(env);
      // Made whole (never streamed: the estimate of a stand-in's shape), on the shape or its
      // decode fallback, as the planner placed PNGs before: refused or queued.
      const whole = (s: PlanShape | null) =>
        s ? placement(estimateShape(s, 'png', undefined, undefined, true), config) : 'refuse';
      const shape = shapeVariant(src, spec);
      const old = [whole(shape), whole(decodeFallback(shape))].sort((a, b) => RANK[a] - RANK[b])[0];
      expect(old).toBe(before);
      const placed = placeShape(shape, 'png', config);
      expect(placed.placement).toBe(now);
      const { canvas } = planVariant(src, spec).geometry;

      dropCodecs();
      const { first, real } = await variantAfterQueue(`/img/${rec.id}/${t}`);
      expect(real !== undefined).toBe(now === 'queue'); // a stand-in first
      const shown = await pngInfo(first);
      expect(shown.slice(0, 2)).toEqual([canvas.width, canvas.height]);
      const info = real ? await pngInfo(real) : shown;
      expect(info).toEqual([canvas.width, canvas.height, 2]); // RGB
      expect(wasmMemory().pngEnc).toBeGreaterThan(0);
    },
  );
});

describe('PNG sources feeding their rows through the Worker', () => {
  // The first answer: a stand-in of the requested size (the original made small, enlarged into
  // WebP at method 0: delivery/stand-in.ts), then the variant.
  it.each([['w=3000,f=webp'], ['w=3000,h=3000,fit=cover,f=webp']])(
    '12 MP PNG %s (refused while the module output was held): queued (a stand-in first), then 200 image/webp, the module holding rows',
    async (t) => {
      const rec = records.get('12 MP PNG')!;
      const config = loadConfig(env);
      const spec = parseTransform(t);
      const shape = shapeVariant(sourceFacts(rec), spec);
      // Held whole (the estimate off the streamed path) it was over the queue's budget.
      expect(placement(estimateShape(shape, 'webp', undefined, undefined, true), config)).toBe(
        'refuse',
      );
      expect(placeShape(shape, 'webp', config).placement).toBe('queue');
      const { canvas } = planVariant(sourceFacts(rec), spec).geometry;
      dropCodecs();
      const q = new FakeQueue();
      const url = `/img/${rec.id}/${t}`;
      const first = await call(url, { env: envWith(q) });
      expect(first.status, first.headers.get('Content-Type') ?? '').toBe(200);
      expect(first.headers.get('X-Variant-Source')).toBe('stand-in');
      expect(first.headers.get('Content-Type')).toBe('image/webp');
      const shown = probe(new Uint8Array(await first.arrayBuffer()));
      expect([shown.width, shown.height]).toEqual([canvas.width, canvas.height]);
      dropCodecs(); // the stand-in's small decode grew the PNG module: the variant's is measured
      await pump(q, envWith(q));
      const made = await call(url, { env: envWith(q) });
      expect(made.status, made.status === 200 ? '' : await made.clone().text()).toBe(200);
      expect(made.headers.get('Content-Type')).toBe('image/webp');
      const info = probe(new Uint8Array(await made.arrayBuffer()));
      expect([info.width, info.height]).toEqual([canvas.width, canvas.height]);
      // The PNG module held a row of the output, not the output (3000 px wide: 26+ MiB).
      expect(wasmMemory().pngScaled ?? 0).toBeLessThan(8 * 2 ** 20);
    },
  );
});
