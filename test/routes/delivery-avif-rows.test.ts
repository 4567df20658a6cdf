/**
 * AVIF sources on the streamed path, through the Worker (issue 13): the AVIF module hands its
 * output rows on as it makes them (codecs/avif.ts `openAvifRows`, transform/pipeline.ts
 * `streamFor`), scaled a band at a time, so neither its output nor its scaled planes are held.
 * The grid's 12 MP AVIF at `w=3000,f=webp` and `w=2400,h=2400,fit=cover,f=webp`, refused while
 * the module's output was held (estimated over the queue's budget), are queued and answer 200
 * image/webp of the planned size (a stand-in or a 503 first). Hostile AVIFs (truncated,
 * mutated) uploaded and asked for as variants that take the rows path answer a 4xx problem,
 * never a 5xx, and the next valid request works.
 */
import { env } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { probe } from '../../src/codecs/probe';
import { loadConfig } from '../../src/config';
import type { ImageRecord } from '../../src/storage/images-db';
import { estimateShape, placement, sourceFacts } from '../../src/transform/cost';
import { placeShape } from '../../src/transform/fallback';
import { avifFeedSize, planVariant, shapeVariant } from '../../src/transform/pipeline';
import { parseTransform } from '../../src/transform/spec';
import { streams } from '../../src/transform/streamed';
import { dropCodecs } from '../../wasm/instances';
import { call, fixture, KEYS, upload, uploadGrid } from '../helpers';
import { madeThroughQueue } from '../work/helpers';

let records: Map<string, ImageRecord>;

beforeAll(async () => {
  records = await uploadGrid(['12 MP AVIF']);
}, 120_000);

describe('AVIF sources feeding their rows through the Worker', () => {
  it.each([['w=3000,f=webp'], ['w=2400,h=2400,fit=cover,f=webp']])(
    '12 MP AVIF %s (refused while the module output was held): queued, then 200 image/webp of the planned size',
    async (t) => {
      const rec = records.get('12 MP AVIF')!;
      const config = loadConfig(env);
      const spec = parseTransform(t);
      const src = sourceFacts(rec);
      const shape = shapeVariant(src, spec);
      expect(avifFeedSize(shape.crop, shape.target, shape.decode.box)).toBe(true);
      // Held whole (the estimate off the streamed path) it was over the queue's budget.
      expect(placement(estimateShape(shape, 'webp', undefined, undefined, true), config)).toBe(
        'refuse',
      );
      expect(placeShape(shape, 'webp', config).placement).toBe('queue');
      const { canvas } = planVariant(src, spec).geometry;
      dropCodecs();
      const info = await madeThroughQueue(`/img/${rec.id}/${t}`, 'webp');
      expect([info.width, info.height]).toEqual([canvas.width, canvas.height]);
    },
  );
});

/** Truncated and mutated copies of a valid AVIF (2016x1512 with alpha), labelled. */
async function hostileAvifs(): Promise<[string, Uint8Array][]> {
  const good = await fixture('avif/alpha.avif');
  const out: [string, Uint8Array][] = [];
  for (const share of [0.3, 0.6, 0.9, 0.99]) {
    out.push([`truncated to ${share * 100} %`, good.slice(0, Math.floor(good.length * share))]);
  }
  let x = 0x2545f491;
  for (let n = 0; n < 6; n++) {
    const bytes = good.slice();
    // Past the first 2 KiB (the boxes the probe reads): the coded data.
    for (let k = 0; k < 8; k++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      bytes[2048 + ((x >>> 0) % (bytes.length - 2048))] = x & 0xff;
    }
    out.push([`mutated #${n}`, bytes]);
  }
  return out;
}

describe('hostile AVIFs on the rows path', () => {
  it('answer 2xx or a 4xx problem, never a 5xx, and the next valid request works', async () => {
    const control = records.get('12 MP AVIF')!;
    let refused = 0;
    for (const [label, bytes] of await hostileAvifs()) {
      const { res, json } = await upload(bytes, KEYS.alice);
      if (res.status >= 300) {
        expect(res.status, label).toBeLessThan(500);
        continue;
      }
      const id = json.id as string;
      for (const t of ['w=1500,f=webp', 'w=1000,h=1000,fit=cover,f=webp', 'w=1200,f=png']) {
        const spec = parseTransform(t);
        const f = spec.format as 'webp' | 'png';
        const shape = shapeVariant(probe(bytes), spec);
        expect(streams(probe(bytes), spec, f, shape.inner, false), `${label} ${t}`).toBe(
          f === 'webp',
        );
        const r = await call(`/img/${id}/${t}`);
        const text = r.status >= 300 ? await r.text() : '';
        expect(r.status, `${label} ${t}: ${text}`).toBeLessThan(500);
        if (r.status >= 400) {
          expect(r.headers.get('Content-Type')).toBe('application/problem+json');
          if (f === 'webp') refused++; // refused on the rows path
        }
      }
      const ok = await call(`/img/${control.id}/w=${100 + refused},f=webp`);
      expect(ok.status, `after ${label}`).toBe(200);
    }
    expect(refused).toBeGreaterThanOrEqual(4);
  }, 300_000);
});
