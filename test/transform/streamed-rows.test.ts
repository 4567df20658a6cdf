/**
 * A JPEG decoded by libjpeg-turbo as a stream of rows (codecs/jpeg-turbo.ts
 * `openJpegTurboRows`) into the streamed path (transform/streamed.ts `encodeStreamed`) gives the
 * same bytes as the same decode held whole (`decodeJpegTurbo`): WebP and JPEG (rows encoder),
 * with and without EXIF orientation 6 (a transposing one: the output is whole in the encoder's
 * buffer, the source still streams) and an embedded ICC profile converted before resizing
 * (per band as decoded) and after; crops with an offset; at 8/8 and at M/8. In libjpeg-turbo's
 * single pass the file is baseline with the two passes' pixels. And a JPEG whose data stops
 * part way is a DecodeError from the stream, after which the module decodes again.
 */
import { describe, expect, it } from 'vitest';
import { embeddedProfile } from '../../src/codecs/icc';
import {
  decodeJpegTurbo,
  eighthsSize,
  openJpegTurboRows,
  type JpegEighths,
  type JpegRows,
} from '../../src/codecs/jpeg-turbo';
import { probe } from '../../src/codecs/probe';
import { DecodeError } from '../../src/codecs/types';
import { shapeVariant } from '../../src/transform/pipeline';
import { parseTransform } from '../../src/transform/spec';
import { encodeStreamed, streamedOutput } from '../../src/transform/streamed';
import type { EncodeFormat } from '../../src/codecs/types';
import { fixture } from '../helpers';

const CASES: [file: string, transform: string, format: EncodeFormat, eighths: JpegEighths][] = [
  // EXIF 6 and an "Apple Generic RGB" profile, converted after resizing (a reduction).
  ['images/exif/Landscape_6.jpg', 'w=300', 'webp', 8],
  ['images/exif/Landscape_6.jpg', 'w=300', 'jpeg', 8],
  ['images/exif/Landscape_6.jpg', 'f=webp', 'webp', 8],
  ['images/exif/Landscape_1.jpg', 'w=200,h=200,fit=cover', 'jpeg', 8],
  // An Adobe RGB profile converted before resizing (an enlargement), and after.
  ['images/color/Shoes-AdobeRGB.jpg', 'w=1200', 'webp', 8],
  ['images/color/Shoes-AdobeRGB.jpg', 'w=1200', 'jpeg', 8],
  ['images/color/Shoes-AdobeRGB.jpg', 'w=250,h=100,fit=cover', 'webp', 4],
  // No profile, no orientation: a crop with an offset, rows dropped above it.
  ['images/large/2569067123_aca715a2ee_o.jpg', 'w=600,h=400,fit=cover', 'webp', 8],
  ['images/large/2569067123_aca715a2ee_o.jpg', 'w=700,rotate=90', 'jpeg', 5],
  ['images/large/2569067123_aca715a2ee_o.jpg', 'h=700', 'webp', 8],
];

/** The crop `c` (source pixels) on an image decoded at `m`/8 (whole pixels, covering it). */
function scaled(c: { left: number; top: number; width: number; height: number }, m: number) {
  const left = Math.floor((c.left * m) / 8);
  const top = Math.floor((c.top * m) / 8);
  return {
    left,
    top,
    width: Math.floor(((c.left + c.width) * m) / 8) - left,
    height: Math.floor(((c.top + c.height) * m) / 8) - top,
  };
}

describe('JPEG rows into the streamed path', () => {
  it.each(CASES)('%s %s %s at %i/8: the bytes of the whole decode', async (file, t, format, m) => {
    const bytes = await fixture(file);
    const src = probe(bytes);
    const spec = parseTransform(t);
    const shape = shapeVariant(src, spec);
    const profile = await embeddedProfile(bytes);
    const icc = profile && profile.model !== 'cmyk' ? profile : null;
    if (file.includes('Landscape_6') || file.includes('AdobeRGB')) expect(icc).not.toBeNull();
    const crop = scaled(shape.crop, m);
    const plan = { orientation: shape.orientation, target: shape.target };
    const out = streamedOutput(spec, format, false);
    const run = (img: Parameters<typeof encodeStreamed>[0]['img']) =>
      encodeStreamed({ img, crop }, false, plan, icc, undefined, undefined, out);
    const whole = await run(decodeJpegTurbo(bytes, m));
    let bands = 0;
    const rows = await openJpegTurboRows(bytes, m, 0, (r) => {
      expect([r.width, r.height]).toEqual(Object.values(eighthsSize(src.width, src.height, m)));
      // Count the bands decoded (after encodeStreamed set its conversion, if any).
      return run(
        new Proxy(r, {
          set(target, key, value: unknown) {
            if (key !== 'onBand') return Reflect.set(target, key, value);
            const convert = value as NonNullable<JpegRows['onBand']>;
            target.onBand = (band) => {
              bands++;
              convert(band);
            };
            return true;
          },
        }),
      );
    });
    expect([rows.width, rows.height]).toEqual([whole.width, whole.height]);
    expect(rows.bytes).toEqual(whole.bytes);
    // The conversion ran per band exactly when it comes before the resize.
    const first = crop.width * crop.height < shape.target.width * shape.target.height;
    expect(bands > 0).toBe(icc !== null && first);
  });

  it.each(['w=300', 'w=300,h=300,fit=cover'])(
    "%s in one pass (the planner's jpegOnePass): baseline, the two passes' pixels",
    async (t) => {
      // EXIF 6: the output is written whole into the encoder; the profile is converted.
      const bytes = await fixture('images/exif/Landscape_6.jpg');
      const spec = parseTransform(`${t},f=jpeg`);
      const shape = shapeVariant(probe(bytes), spec);
      const icc = await embeddedProfile(bytes);
      const plan = { orientation: shape.orientation, target: shape.target };
      const one = streamedOutput(spec, 'jpeg', false, true);
      expect(one.sink).toEqual({ format: 'jpeg', progressive: false, singlePass: true });
      // One after the other: the encoder's instance is shared (yield.ts `inLane` in production).
      const made = [];
      for (const out of [one, streamedOutput(spec, 'jpeg', false)])
        made.push(
          await encodeStreamed(
            { img: decodeJpegTurbo(bytes, 8), crop: shape.crop },
            false,
            plan,
            icc,
            undefined,
            undefined,
            out,
          ),
        );
      const [a, b] = made.map((m) => m.bytes);
      expect(a!.findIndex((x, i) => x === 0xff && a![i + 1] === 0xc0)).toBeGreaterThan(0);
      expect(b!.findIndex((x, i) => x === 0xff && b![i + 1] === 0xc2)).toBeGreaterThan(0);
      expect(decodeJpegTurbo(a!, 8).data).toEqual(decodeJpegTurbo(b!, 8).data);
      expect(a!.length).toBeGreaterThan(b!.length);
    },
  );

  it('a baseline JPEG cut short: a DecodeError from the rows, then the module decodes again', async () => {
    const bytes = await fixture('images/large/2569067123_aca715a2ee_o.jpg');
    const cut = bytes.slice(0, Math.floor(bytes.length * 0.6));
    const src = probe(bytes);
    let read = 0;
    expect(() =>
      openJpegTurboRows(cut, 8, 0, (rows) => {
        for (let y = 0; y < rows.height; y++, read++) rows.row(y);
      }),
    ).toThrow(DecodeError);
    expect(read).toBeGreaterThan(0);
    expect(read).toBeLessThan(src.height);
    // The trapped instance was discarded: the next stream works.
    const rows = openJpegTurboRows(bytes, 1, 0, (r) => {
      for (let y = 0; y < r.height; y++) r.row(y);
      return r.height;
    });
    expect(rows).toBe(Math.ceil(src.height / 8));
  });

  it('rows are pulled in order: an earlier band is a RangeError', () => {
    const bytes = new Uint8Array(0);
    expect(() => openJpegTurboRows(bytes, 8, 0, () => 0)).toThrow(DecodeError);
    return fixture('images/exif/Landscape_1.jpg').then((jpeg) => {
      expect(() =>
        openJpegTurboRows(jpeg, 8, 0, (r) => {
          r.row(40);
          r.row(40);
          r.row(3);
        }),
      ).toThrow(RangeError);
    });
  });
});
