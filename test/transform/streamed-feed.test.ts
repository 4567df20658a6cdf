/**
 * A PNG whose module feeds its output rows on (codecs/png-scaled.ts `decodePngRows`, a
 * `RowFeed`) into the streamed path (transform/streamed.ts `encodeStreamed`) gives the same
 * bytes as the module's output held whole (`decodePngResized`): WebP, PNG and JPEG (rows
 * encoder) outputs, with alpha, 16-bit samples, an embedded ICC profile (converted after the
 * reduction, per band), a crop with an offset, and a quarter turn (the output whole in the
 * encoder's buffer, the rows still fed); and pausing (JSPI) between slices of rows. A file
 * whose data stops part way is a DecodeError from the feed.
 */
import { describe, expect, it } from 'vitest';
import { embeddedProfile } from '../../src/codecs/icc';
import { decodePngResized, decodePngRows } from '../../src/codecs/png-scaled';
import { probe } from '../../src/codecs/probe';
import { DecodeError, type EncodeFormat, type RowFeed } from '../../src/codecs/types';
import { shapeVariant } from '../../src/transform/pipeline';
import { parseTransform } from '../../src/transform/spec';
import { fixture } from '../helpers';
import { streamedEncoder } from './streamed-harness';

const CASES: [file: string, transform: string, format: EncodeFormat][] = [
  ['images/kodak/kodim01.png', 'w=300', 'webp'],
  ['images/kodak/kodim01.png', 'w=200,h=200,fit=cover', 'png'],
  ['images/kodak/kodim01.png', 'w=500,h=300,fit=cover,gravity=left', 'jpeg'],
  ['images/kodak/kodim01.png', 'w=300,rotate=90', 'webp'],
  ['images/alpha/blackbug.png', 'w=600', 'webp'],
  ['images/deep/Flag_of_the_Netherlands-16bit.png', 'w=400', 'webp'],
  ['images/color/prophoto.png', 'w=300', 'webp'],
  ['images/color/prophoto.png', 'w=300', 'png'],
];

/** A feed of `bytes`' crop reduced to `width` x `height`, pausing when asked. */
const feedOf = (
  bytes: Uint8Array,
  crop: { left: number; top: number; width: number; height: number },
  width: number,
  height: number,
): RowFeed => ({
  width,
  height,
  sourcePixels: crop.width * crop.height,
  feed: (write, pause) => decodePngRows(bytes, crop, width, height, write, 0, pause),
});

describe('PNG rows fed into the streamed path', () => {
  it.each(CASES)('%s %s %s: the bytes of the output held whole', async (file, t, format) => {
    const bytes = await fixture(file);
    const src = probe(bytes);
    const spec = parseTransform(t);
    const shape = shapeVariant(src, spec);
    const profile = await embeddedProfile(bytes);
    const icc = profile && profile.model !== 'cmyk' ? profile : null;
    if (file.includes('prophoto')) expect(icc).not.toBeNull();
    const { crop, target } = shape;
    const { run, pauses } = streamedEncoder(shape, spec, format, src.hasAlpha, icc);
    const held = await run(decodePngResized(bytes, crop, target.width, target.height));
    const before = pauses();
    const fed = await run(feedOf(bytes, crop, target.width, target.height));
    expect([fed.width, fed.height]).toEqual([held.width, held.height]);
    expect(fed.bytes.length).toBe(held.bytes.length);
    expect(fed.bytes.findIndex((v, i) => v !== held.bytes[i])).toBe(-1);
    expect(pauses()).toBeGreaterThan(before); // the feed's own pauses, besides the stages'
  });

  it('gives a DecodeError for a file whose data stops part way', async () => {
    const bytes = (await fixture('images/alpha/blackbug.png')).slice(0, 80_000);
    const src = probe(bytes);
    const spec = parseTransform('w=400');
    const shape = shapeVariant(src, spec);
    const { crop, target } = shape;
    const { run } = streamedEncoder(shape, spec, 'webp', true);
    await expect(run(feedOf(bytes, crop, target.width, target.height))).rejects.toThrow(
      DecodeError,
    );
    // The module decodes again afterwards.
    const good = await fixture('images/kodak/kodim01.png');
    expect(decodePngResized(good, { left: 0, top: 0, width: 768, height: 512 }, 96, 64).width).toBe(
      96,
    );
  });
});
