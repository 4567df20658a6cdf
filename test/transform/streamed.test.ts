/**
 * The streamed still path (src/transform/streamed.ts) against the buffered one: for each
 * decode path (the JPEG module at 1/1 and reduced, libjpeg-turbo, the PNG module with alpha,
 * libwebp's scaled decode, the AVIF module, a GIF), each EXIF orientation, rotate/flip, an embedded profile
 * and an enlargement, the WebP bytes equal those of decoding, finishing in JS and encoding
 * a copy (forced here through a same-size `enlargeTo`, which never streams). Both encode
 * through libwebp's bands of rows, whose bytes equal the whole-buffer import's
 * (test/codecs/webp.test.ts); the cases below the EXIF ones cross band boundaries.
 */
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { decodeImage } from '../../src/codecs/decode';
import { encodePng } from '../../src/codecs/png-enc';
import { probe } from '../../src/codecs/probe';
import { sha256Hex } from '../../src/hash';
import { planVariant, runPipeline } from '../../src/transform/pipeline';
import { parseTransform } from '../../src/transform/spec';
import { streams } from '../../src/transform/streamed';
import { fixture } from '../helpers';

const CASES: [file: string, transform: string][] = [
  ['images/large/2569067123_aca715a2ee_o.jpg', 'w=600,h=400,fit=cover'],
  ['images/large/2569067123_aca715a2ee_o.jpg', 'w=1500,h=1500,fit=cover'],
  ['images/large/2569067123_aca715a2ee_o.jpg', 'w=700,rotate=90,flip=h'],
  ['images/phone/IMG_6556.JPG', 'w=600'],
  ['images/color/Shoes-AdobeRGB.jpg', 'w=200'],
  ['images/color/Shoes-AdobeRGB.jpg', 'w=3000'],
  ['images/alpha/blackbug.png', 'w=300'],
  ['images/small/4.webp', 'w=200'],
  ['images/small/4.webp', 'w=300,rotate=270'],
  ['images/alpha/5_webp_a.webp', 'w=300'],
  ['images/animated/rotating-squares.webp', 'w=60,anim=false'],
  ['images/kodak/kodim03.png', 'w=900,flip=v'],
  ['images/animated/rotating-squares.gif', 'w=40,anim=false'],
  ...[1, 2, 3, 4, 5, 6, 7, 8].map(
    (n) => [`images/exif/Landscape_${n}.jpg`, 'w=300'] as [string, string],
  ),
  ['images/exif/Landscape_6.jpg', 'f=webp'],
  // libwebp's bands of rows (codecs/webp.ts encodeWebpRows): odd heights end in a single row,
  // flipped outputs fill the bands bottom to top, heights at and just past a band boundary.
  ['images/kodak/kodim03.png', 'w=301,flip=v'],
  ['images/kodak/kodim03.png', 'h=33,rotate=180'],
  ['images/kodak/kodim03.png', 'h=64,flip=h'],
  ['images/kodak/kodim03.png', 'h=65'],
  ['images/alpha/blackbug.png', 'h=97,rotate=180'],
  ['images/alpha/PNG_transparency_demonstration_1.png', 'w=199,flip=v'],
];

describe('streamed WebP encode', () => {
  it.each(CASES)('%s %s: the same bytes as the buffered path', async (file, t) => {
    const bytes = await fixture(file);
    const src = probe(bytes);
    const spec = parseTransform(t);
    const { canvas } = planVariant(src, spec).geometry;
    const streamed = await runPipeline(bytes, src, spec, 'webp');
    const buffered = await runPipeline(bytes, src, spec, 'webp', 0, canvas);
    expect([streamed.width, streamed.height]).toEqual([canvas.width, canvas.height]);
    expect(streamed.bytes.length).toBeGreaterThan(0);
    expect(await sha256Hex(streamed.bytes)).toBe(await sha256Hex(buffered.bytes));
  });

  it("an AVIF (the grid's 12 MP AVIF, scaled by its module): the same bytes", async () => {
    const grid = (await (await env.FIXTURES.fetch('http://fixtures/grid/')).json()) as {
      label: string;
      path: string;
    }[];
    const bytes = await fixture(grid.find((g) => g.label === '12 MP AVIF')!.path);
    const src = probe(bytes);
    for (const t of ['w=1000,h=1000,fit=cover', 'w=300,rotate=90']) {
      const spec = parseTransform(t);
      const { canvas } = planVariant(src, spec).geometry;
      const streamed = await runPipeline(bytes, src, spec, 'webp');
      const buffered = await runPipeline(bytes, src, spec, 'webp', 0, canvas);
      expect(await sha256Hex(streamed.bytes), t).toBe(await sha256Hex(buffered.bytes));
    }
  }, 60_000);

  it('an RGBA PNG that is fully opaque: the same bytes, and no alpha plane (as libwebp decides)', async () => {
    const photo = await decodeImage(await fixture('images/kodak/kodim03.png'), 'png');
    const bytes = encodePng(photo, { channels: 4 }); // RGBA, every alpha 255
    const src = probe(bytes);
    expect(src.hasAlpha).toBe(true);
    for (const t of ['w=301', 'w=301,flip=v', 'w=300,rotate=90']) {
      const spec = parseTransform(t);
      const { canvas } = planVariant(src, spec).geometry;
      const streamed = await runPipeline(bytes, src, spec, 'webp');
      const buffered = await runPipeline(bytes, src, spec, 'webp', 0, canvas);
      expect(await sha256Hex(streamed.bytes), t).toBe(await sha256Hex(buffered.bytes));
      expect(new TextDecoder().decode(streamed.bytes).includes('ALPH'), t).toBe(false);
    }
  });

  it('streams only geometry and colour into a still WebP', () => {
    const src = { width: 400, height: 300, hasAlpha: true };
    const take = (t: string, format: 'webp' | 'avif' = 'webp', enlarged = false) => {
      const spec = parseTransform(t);
      const { inner } = planVariant({ ...src, format: 'png', orientation: 1 }, spec);
      return streams(src, spec, format, inner, enlarged);
    };
    expect(take('w=200')).toBe(true);
    expect(take('w=200,h=200,fit=cover,rotate=90')).toBe(true);
    expect(take('w=200', 'avif')).toBe(false);
    expect(take('w=200', 'webp', true)).toBe(false);
    expect(take('w=200,blur=2')).toBe(false);
    expect(take('w=200,sharpen=1')).toBe(false);
    expect(take('w=200,brightness=1.1')).toBe(false);
    expect(take('w=200,h=200,fit=pad')).toBe(false);
    expect(take('w=200,background=ff0000')).toBe(false);
    expect(take('w=200,border.width=2,border.color=ff0000')).toBe(false);
    expect(take('trim=border')).toBe(false);
  });
});
