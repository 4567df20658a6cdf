/**
 * Lossless (VP8L) WebP sources on the streamed path, through the Worker (issue 13): libwebp's
 * VP8L decoder hands its rows on as they are pulled, 16 source rows at a time, cropped and
 * scaled by libwebp's rescaler (codecs/webp.ts `openWebpRows`, wasm/libwebp/vp8l-rows.patch,
 * transform/pipeline.ts `streamFor`) into the encoder, so neither the image nor libwebp's
 * scaled output is held. The grid's 12 MP lossless WebP at `w=3000,h=3000,fit=cover` and
 * `w=4000,h=4000,fit=cover` as WebP, refused while libwebp's scaled output (or the whole image)
 * was held (estimated over the queue's budget), are queued and answer 200 image/webp of the
 * planned size (a stand-in or a 503 first). The rows path's pixels are sharp's decode + resize
 * of the same file (PSNR). Hostile lossless WebPs asked for as
 * variants that take the rows path answer a 4xx problem or an image, never a 5xx, and the next
 * valid request works.
 */
import { env } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeImage } from '../../src/codecs/decode';
import { probe } from '../../src/codecs/probe';
import { encodeWebp } from '../../src/codecs/webp';
import { resizeImage } from '../../src/codecs/resize';
import { loadConfig } from '../../src/config';
import type { ImageRecord } from '../../src/storage/images-db';
import { estimateShape, placement, sourceFacts } from '../../src/transform/cost';
import { placeShape } from '../../src/transform/fallback';
import { planVariant, runPipeline, shapeVariant } from '../../src/transform/pipeline';
import { parseTransform } from '../../src/transform/spec';
import { streams } from '../../src/transform/streamed';
import { dropCodecs } from '../../wasm/instances';
import { call, fixture, KEYS, psnr, upload, uploadGrid } from '../helpers';
import { madeThroughQueue } from '../work/helpers';

const LABEL = '12 MP WebP (lossless)';

let records: Map<string, ImageRecord>;

beforeAll(async () => {
  records = await uploadGrid([LABEL]);
}, 120_000);

describe('lossless WebP sources pulled as rows through the Worker', () => {
  it.each([['w=3000,h=3000,fit=cover,f=webp'], ['w=4000,h=4000,fit=cover,f=webp']])(
    '12 MP lossless WebP %s (refused while held): queued, then 200 image/webp of the planned size',
    async (t) => {
      const rec = records.get(LABEL)!;
      const config = loadConfig(env);
      const spec = parseTransform(t);
      const src = sourceFacts(rec);
      expect(src.webpVp8l).toBe(true);
      const shape = shapeVariant(src, spec);
      // Held (the estimate off the streamed path) it was over the queue's budget.
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

  it("makes sharp's decode + resize of the same file (libwebp's rescaler, as sharp's)", async () => {
    const bytes = await fixture(
      (
        (await (await env.FIXTURES.fetch('http://fixtures/grid/')).json()) as {
          label: string;
          path: string;
        }[]
      ).find((s) => s.label === LABEL)!.path,
    );
    const src = probe(bytes);
    for (const [w, h] of [
      [1000, 750],
      [2400, 1800],
    ] as const) {
      // An opaque PNG output: lossless, on the streamed path.
      const spec = parseTransform(`w=${w},f=png`);
      expect(streams(src, spec, 'png', shapeVariant(src, spec).inner, false)).toBe(true);
      const out = await runPipeline(bytes, src, spec, 'png');
      const mine = await decodeImage(out.bytes, 'png');
      const res = await env.FIXTURES.fetch(`http://fixtures/sharp/?w=${w}&h=${h}&icc=ignore`, {
        method: 'POST',
        body: bytes,
      });
      expect(res.status).toBe(200);
      const ref = new Uint8Array(await res.arrayBuffer());
      // sharp loads a WebP through libwebp's scaled decode too: identical (PSNR ∞) when measured.
      expect(psnr(mine, ref), `${w}x${h}`).toBeGreaterThan(60);
    }
  }, 120_000);
});

/** Truncated and mutated copies of a valid lossless WebP (1536x1024), labelled. */
async function hostileWebps(): Promise<[string, Uint8Array][]> {
  const photo = await decodeImage(await fixture('images/kodak/kodim03.png'), 'png');
  const good = encodeWebp(await resizeImage(photo, 1536, 1024), { lossless: true });
  const out: [string, Uint8Array][] = [];
  for (const share of [0.3, 0.6, 0.9, 0.99])
    out.push([`truncated to ${share * 100} %`, good.slice(0, Math.floor(good.length * share))]);
  let x = 0x2545f491;
  for (let n = 0; n < 6; n++) {
    const bytes = good.slice();
    // Past the header (the probe reads it): the coded data.
    for (let k = 0; k < 8; k++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      bytes[64 + ((x >>> 0) % (bytes.length - 64))] = x & 0xff;
    }
    out.push([`mutated #${n}`, bytes]);
  }
  return out;
}

describe('hostile lossless WebPs on the rows path', () => {
  it('answer 2xx or a 4xx problem, never a 5xx, and the next valid request works', async () => {
    const control = records.get(LABEL)!;
    let refused = 0;
    let n = 0;
    for (const [label, bytes] of await hostileWebps()) {
      const { res, json } = await upload(bytes, KEYS.alice);
      if (res.status >= 300) {
        expect(res.status, label).toBeLessThan(500);
        continue;
      }
      const id = json.id as string;
      for (const t of ['w=1200,f=webp', 'w=700,h=700,fit=cover,f=webp', 'w=1000,f=png']) {
        const r = await call(`/img/${id}/${t}`);
        const text = r.status >= 300 ? await r.text() : '';
        expect(r.status, `${label} ${t}: ${text}`).toBeLessThan(500);
        if (r.status >= 400) {
          expect(r.headers.get('Content-Type')).toBe('application/problem+json');
          refused++;
        }
      }
      const ok = await call(`/img/${control.id}/w=${100 + n++},f=webp`);
      expect(ok.status, `after ${label}`).toBe(200);
    }
    expect(refused).toBeGreaterThanOrEqual(4);
  }, 300_000);
});
