/**
 * PNG outputs on the streamed path (src/transform/streamed.ts, codecs/row-sink.ts): an output
 * known to be opaque before its first row (a source without alpha, or one flattened onto an
 * opaque background) streams as RGB, byte for byte the file of the buffered path (decoding,
 * finishing in JS and encodeImage, which picks RGB for an opaque image; forced here through a
 * same-size `enlargeTo`, which never streams), for each decode path, EXIF orientation (the
 * turned and flipped ones written whole), embedded profile and band boundary; an output that
 * may keep transparency stays on the buffered path.
 */
import { describe, expect, it } from 'vitest';
import { probe } from '../../src/codecs/probe';
import { sha256Hex } from '../../src/hash';
import { planVariant, runPipeline } from '../../src/transform/pipeline';
import { parseTransform } from '../../src/transform/spec';
import { streams } from '../../src/transform/streamed';
import { fixture } from '../helpers';

const CASES: [file: string, transform: string][] = [
  ['images/large/2569067123_aca715a2ee_o.jpg', 'w=600,h=400,fit=cover'],
  ['images/phone/IMG_6556.JPG', 'w=600'],
  ['images/color/Shoes-AdobeRGB.jpg', 'w=200'],
  ['images/color/Shoes-AdobeRGB.jpg', 'w=3000'],
  ...[1, 2, 3, 4, 5, 6, 7, 8].map(
    (n) => [`images/exif/Landscape_${n}.jpg`, 'w=300'] as [string, string],
  ),
  ['images/kodak/kodim03.png', 'w=301,flip=v'],
  ['images/kodak/kodim03.png', 'h=65'],
  ['images/kodak/kodim03.png', 'h=64,flip=h'],
  ['images/small/4.webp', 'w=300,rotate=270'],
  ['images/alpha/blackbug.png', 'w=300,background=ff8000'],
  ['images/alpha/PNG_transparency_demonstration_1.png', 'w=199,flip=v,background=336699'],
];

/** The IHDR colour type of a PNG (byte 25: 2 RGB, 6 RGBA). */
const colourType = (png: Uint8Array) => png[25];

/** Whether `t` of `file` takes the streamed path as a PNG. */
function streamsPng(src: ReturnType<typeof probe>, t: string): boolean {
  const spec = parseTransform(t);
  return streams(src, spec, 'png', planVariant(src, spec).inner, false);
}

describe('streamed PNG encode', () => {
  it.each(CASES)('%s %s: RGB, the same bytes as the buffered path', async (file, t) => {
    const bytes = await fixture(file);
    const src = probe(bytes);
    const spec = parseTransform(t);
    expect(streamsPng(src, t)).toBe(true);
    const { canvas } = planVariant(src, spec).geometry;
    const streamed = await runPipeline(bytes, src, spec, 'png');
    const buffered = await runPipeline(bytes, src, spec, 'png', 0, canvas);
    expect([streamed.width, streamed.height]).toEqual([canvas.width, canvas.height]);
    expect(colourType(streamed.bytes)).toBe(2);
    expect(await sha256Hex(streamed.bytes)).toBe(await sha256Hex(buffered.bytes));
  });

  it('keeps a PNG that may hold transparency on the buffered path (RGBA there)', async () => {
    const bytes = await fixture('images/alpha/blackbug.png');
    const src = probe(bytes);
    expect(src.hasAlpha).toBe(true);
    expect(streamsPng(src, 'w=300')).toBe(false);
    expect(streamsPng(src, 'w=300,background=ff800080')).toBe(false); // a translucent background
    expect(streamsPng(src, 'w=300,background=ff8000')).toBe(true);
    const made = await runPipeline(bytes, src, parseTransform('w=300'), 'png');
    expect(colourType(made.bytes)).toBe(6);
    // And what streams for WebP stays as it was: no PNG-only condition leaks into it.
    expect(
      streams(
        src,
        parseTransform('w=300'),
        'webp',
        planVariant(src, parseTransform('w=300')).inner,
        false,
      ),
    ).toBe(true);
  });

  it('streams only geometry and colour into a PNG', () => {
    const src = { width: 400, height: 300, hasAlpha: false };
    const take = (t: string, enlarged = false) => {
      const spec = parseTransform(t);
      const { inner } = planVariant({ ...src, format: 'jpeg', orientation: 1 }, spec);
      return streams(src, spec, 'png', inner, enlarged);
    };
    expect(take('w=200')).toBe(true);
    expect(take('w=200,h=200,fit=cover,rotate=90')).toBe(true);
    expect(take('w=200', true)).toBe(false);
    expect(take('w=200,blur=2')).toBe(false);
    expect(take('w=200,brightness=1.1')).toBe(false);
    expect(take('w=200,h=200,fit=pad')).toBe(false);
    expect(take('w=200,border.width=2,border.color=ff0000')).toBe(false);
    expect(take('trim=border')).toBe(false);
  });
});
