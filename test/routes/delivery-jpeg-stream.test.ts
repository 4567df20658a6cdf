/**
 * JPEG sources decoded by libjpeg-turbo as a stream of rows on the streamed path
 * (codecs/jpeg-turbo.ts `openJpegTurboRows`, transform/streamed.ts), through the Worker:
 * variants the planner refused while the decoded image was held whole (the session-9 ratchet,
 * test/transform/planner-reach.test.ts) answer 200 in the requested format and size, inline or
 * (a stand-in or a 503 first) after the queue consumer has run; libjpeg-turbo's
 * instance is left holding its input and a few rows, not the image (a whole 3000x4000 decode
 * is 46 MiB), or for a progressive file its coefficients at the scale read. A JPEG whose data stops part way is a 422 problem, never a 5xx, nothing stored.
 */
import { env } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { probe } from '../../src/codecs/probe';
import type { EncodeFormat } from '../../src/codecs/types';
import { loadConfig } from '../../src/config';
import type { ImageRecord } from '../../src/storage/images-db';
import { variantPrefix } from '../../src/storage/keys';
import { placeShape } from '../../src/transform/fallback';
import { planVariant, shapeVariant } from '../../src/transform/pipeline';
import { sourceFacts } from '../../src/transform/cost';
import { turboProgressiveCoefficientMbPerMP } from '../../src/transform/jpeg-cost';
import { parseTransform } from '../../src/transform/spec';
import { dropCodecs, wasmMemory } from '../../wasm/instances';
import { call, fixture, uploadGrid, uploadRecord } from '../helpers';
import { envWith, FakeQueue, pump } from '../work/helpers';

const LABELS = [
  '12 MP JPEG (Carrie)',
  '8 MP phone JPEG (portrait, EXIF 6)',
  '48 MP JPEG',
  '99.6 MP JPEG',
  '24 MP progressive JPEG',
];
let records = new Map<string, ImageRecord>();
const MiB = 1_048_576;

beforeAll(async () => {
  records = await uploadGrid(LABELS);
}, 240_000);

/** The answer's format and size, from its header. */
async function described(res: Response): Promise<[string, number, number]> {
  const info = probe(new Uint8Array(await res.arrayBuffer()));
  return [info.format, info.width, info.height];
}

describe('JPEG rows through the Worker', () => {
  it.each([
    ['12 MP JPEG (Carrie)', 'w=3000,f=webp', 'webp'],
    ['12 MP JPEG (Carrie)', 'w=3000,h=3000,fit=cover,f=jpeg', 'jpeg'],
    // Full size (2448x3264, turned): the output whole in libwebp's buffer, the source in rows.
    ['8 MP phone JPEG (portrait, EXIF 6)', 'w=3000,f=webp', 'webp'],
    // Reduced 2x and more, where the JPEG module's whole 1/2 or 1/4 decode did not fit (session
    // 11): libjpeg-turbo at 4/8 and 2/8, as rows.
    ['48 MP JPEG', 'w=2400,f=webp', 'webp'],
    ['48 MP JPEG', 'w=2400,f=jpeg', 'jpeg'],
    ['99.6 MP JPEG', 'w=2000,f=png', 'png'],
    // Refused until libjpeg-turbo's rows path was priced without the whole decode's fixed
    // memory (session 12), now queued: 16 MP WebPs from 6/8 (48 MP, 8/8 then lanczos3: under
    // 2x) and 4/8 (99.6 MP), and a progressive 24 MP at 5/8 as JPEG from rows.
    ['48 MP JPEG', 'w=4000,h=4000,fit=cover,f=webp', 'webp'],
    ['99.6 MP JPEG', 'w=4000,h=4000,fit=cover,f=webp', 'webp'],
    ['24 MP progressive JPEG', 'w=2400,f=jpeg', 'jpeg'],
  ])('%s %s: 200 %s of the planned size', async (label, t, format) => {
    const rec = records.get(label)!;
    const spec = parseTransform(t);
    const src = sourceFacts(rec);
    const placed = placeShape(shapeVariant(src, spec), spec.format as EncodeFormat, loadConfig({}));
    // libjpeg-turbo decodes it (at M/8), and the variant streams: its rows are read as pulled.
    expect(placed.shape.decode.eighths).toBeGreaterThan(0);
    expect(placed.placement).not.toBe('refuse');
    const { canvas } = planVariant(src, spec).geometry;

    dropCodecs();
    const q = new FakeQueue();
    const url = `/img/${rec.id}/${t}`;
    let res = await call(url, { env: envWith(q) });
    if (res.status === 503 || res.headers.get('X-Variant-Source') === 'stand-in') {
      // Queued (a 503 problem naming the wait, or a stand-in of the requested format and
      // size): the consumer makes it, then it is served.
      if (res.status === 200) {
        expect(await described(res)).toEqual([format, canvas.width, canvas.height]);
      } else expect(res.headers.get('Content-Type')).toBe('application/problem+json');
      dropCodecs();
      await pump(q, envWith(q));
      res = await call(url, { env: envWith(q) });
      expect(res.headers.get('X-Variant-Source')).not.toBe('stand-in');
    }
    expect(res.status, res.status === 200 ? '' : await res.clone().text()).toBe(200);
    expect(res.headers.get('Content-Type')).toBe(`image/${format}`);
    expect(await described(res)).toEqual([format, canvas.width, canvas.height]);
    // The decoder held its input (2.7-3 MB) and rows, not the decoded image; a progressive
    // file its coefficients too (jpeg-cost.ts turboProgressiveCoefficientMbPerMP), after which
    // an instance over JPEG_TURBO_DROP_ABOVE_BYTES is dropped (none held).
    const held = wasmMemory().jpegTurbo ?? 0;
    if (rec.progressive) {
      const m = placed.shape.decode.eighths ?? 8;
      const coefficients = turboProgressiveCoefficientMbPerMP(m) * ((src.width * src.height) / 1e6);
      expect(held).toBeLessThan(rec.bytes + (coefficients + 4) * MiB);
      return;
    }
    expect(held).toBeGreaterThan(0);
    expect(held).toBeLessThan(rec.bytes + 4 * MiB);
  });

  it('a JPEG cut short: 422 problem on the rows path, nothing stored', async () => {
    const whole = await fixture('images/large/2569067123_aca715a2ee_o.jpg');
    const cut = whole.slice(0, Math.floor(whole.length * 0.6));
    const rec = await uploadRecord(cut);
    const src = sourceFacts(rec);
    for (const t of ['f=webp', 'w=1000,f=webp', 'w=900,rotate=90,f=jpeg']) {
      const spec = parseTransform(t);
      const shape = placeShape(
        shapeVariant(src, spec),
        spec.format as EncodeFormat,
        loadConfig({}),
      ).shape;
      if (t === 'f=webp') expect(shape.decode.eighths).toBe(8); // the rows path
      const q = new FakeQueue();
      const res = await call(`/img/${rec.id}/${t}`, { env: envWith(q) });
      await pump(q, envWith(q));
      expect(res.status, t).toBeGreaterThanOrEqual(400);
      expect(res.status, t).toBeLessThan(500);
      expect(res.headers.get('Content-Type')).toBe('application/problem+json');
      expect(await res.text()).toMatch(/jpeg|JPEG/);
    }
    const stored = await env.BUCKET.list({ prefix: variantPrefix(rec.sha256) });
    expect(stored.objects).toEqual([]);
  });
});
