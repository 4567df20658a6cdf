/**
 * Large JPEG outputs made through the queue once libjpeg-turbo's output leaves wasm memory as it
 * is written (codecs/jpeg-rows.ts) and, where its two passes do not fit the queue's budget, it
 * encodes in one (transform/fallback.ts `jpegOnePass`): `w=4000,f=jpeg` of the 48 MP JPEG
 * (refused before, 131 MB estimated) and of the 12 MP lossy WebP answer a stand-in
 * first, then, after the queue consumer has run, 200 image/jpeg of the requested size that
 * decodes; the one-pass file is baseline (SOF0), the two-pass one progressive (SOF2). (The
 * 12 MP lossless WebP at w=4000, whose rows are pulled as they are decoded, fits two passes:
 * codecs/webp.ts `openWebpRows`.)
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeJpegTurbo } from '../../src/codecs/jpeg-turbo';
import { probe } from '../../src/codecs/probe';
import { loadConfig } from '../../src/config';
import { sourceFacts } from '../../src/transform/cost';
import { placeShape } from '../../src/transform/fallback';
import { planVariant, shapeVariant } from '../../src/transform/pipeline';
import { parseTransform } from '../../src/transform/spec';
import type { ImageRecord } from '../../src/storage/images-db';
import { uploadGrid } from '../helpers';
import { variantAfterQueue } from '../work/helpers';

const LABELS = ['48 MP JPEG', '12 MP WebP (lossy)'];

let records: Map<string, ImageRecord>;

beforeAll(async () => {
  records = await uploadGrid(LABELS);
}, 300_000);

describe('large JPEG outputs through the queue', () => {
  it.each([
    ['48 MP JPEG', 'w=4000,f=jpeg'],
    ['12 MP WebP (lossy)', 'w=4000,f=jpeg'],
  ])(
    '%s %s: queued, then 200 image/jpeg of the requested size',
    async (label, t) => {
      const rec = records.get(label)!;
      const spec = parseTransform(t);
      const src = sourceFacts(rec);
      const placed = placeShape(shapeVariant(src, spec), 'jpeg', loadConfig({}));
      expect(placed.placement).toBe('queue');
      expect(placed.shape.jpegRows).toBe(true);
      const onePass = placed.shape.jpegOnePass === true;
      if (label.includes('WebP')) expect(onePass).toBe(true);
      const { canvas } = planVariant(src, spec).geometry;
      expect(canvas.width).toBe(4000);

      const { real } = await variantAfterQueue(`/img/${rec.id}/${t}`, undefined, {
        pending: true,
      });
      expect(real).toBeDefined();
      expect(real!.headers.get('Content-Type')).toBe('image/jpeg');
      const jpg = new Uint8Array(await real!.arrayBuffer());
      const info = probe(jpg);
      expect([info.format, info.width, info.height]).toEqual(['jpeg', 4000, canvas.height]);
      // SOF0 (baseline) for one pass; two passes are progressive (SOF2) by default.
      const sof = onePass ? 0xc0 : 0xc2;
      expect(jpg.findIndex((b, i) => b === 0xff && jpg[i + 1] === sof)).toBeGreaterThan(0);
      // It decodes (at 1/8, to keep the test's memory small).
      const small = decodeJpegTurbo(jpg, 1);
      expect([small.width, small.height]).toEqual([500, Math.ceil(canvas.height / 8)]);
    },
    300_000,
  );
});
