/**
 * The PNG row sink (src/codecs/row-sink.ts over codecs/png-enc.ts): pixels round-trip
 * losslessly; the colour type is the one asked for (RGB for `channels` 3, RGBA for 4), and the
 * file is byte for byte encodeImage's for the same pixels (which picks RGB for an opaque
 * image); rows from a yielding producer, and the whole image written bottom to top, give the
 * same file; rows go top to bottom only. (WebP and JPEG sinks: test/codecs/jpeg-rows.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { decodeImage } from '../../src/codecs/decode';
import { encodeImage } from '../../src/codecs/encode';
import { rowSink } from '../../src/codecs/row-sink';
import type { RawImage } from '../../src/codecs/types';

/** A deterministic RGBA image (gradients and noise); alpha varies unless `opaque`. */
function synthetic(width: number, height: number, opaque: boolean): RawImage {
  const data = new Uint8ClampedArray(width * height * 4);
  let seed = 99;
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      data.set(
        [x * 5 + y, y * 3, seed >>> 24, opaque ? 255 : (x * 3 + y) & 255],
        (y * width + x) * 4,
      );
    }
  return { data, width, height };
}

/** The IHDR colour type of a PNG (byte 25: 2 RGB, 6 RGBA). */
const colourType = (png: Uint8Array) => png[25];

/** Row `y` of `img`. */
const rowOf = (img: RawImage, y: number) =>
  img.data.subarray(y * img.width * 4, (y + 1) * img.width * 4);

describe('rowSink png', () => {
  it.each([
    [3, true, 2],
    [4, false, 6],
  ] as const)(
    "channels %i: colour type %i, lossless, encodeImage's bytes",
    async (channels, opaque, type) => {
      const img = synthetic(203, 77, opaque); // bands of 32 rows: 32, 32, 13
      const tops: number[] = [];
      const png = await rowSink({ format: 'png', channels }, undefined).rows(
        img.width,
        img.height,
        async (rowAt) => {
          for (let y = 0; y < img.height; y++) {
            if (y % 10 === 0) await Promise.resolve(); // a producer that yields
            rowAt(y).set(rowOf(img, y));
          }
        },
        (band, top) => tops.push(top, band.height),
      );
      expect(tops).toEqual([0, 32, 32, 32, 64, 13]);
      expect(colourType(png)).toBe(type);
      expect(png).toEqual(await encodeImage(img, 'png'));
      const back = await decodeImage(png, 'png');
      expect([back.width, back.height]).toEqual([img.width, img.height]);
      expect(back.data.every((v, i) => v === img.data[i])).toBe(true);
    },
  );

  it('whole(): the image written bottom to top gives the same file as its rows', async () => {
    const img = synthetic(64, 70, true);
    const sink = rowSink({ format: 'png', channels: 3 }, 80); // quality is ignored: lossless
    const whole = await sink.whole(img.width, img.height, async (px) => {
      await Promise.resolve();
      for (let y = img.height - 1; y >= 0; y--) px.set(rowOf(img, y), y * img.width * 4);
    });
    const rows = await sink.rows(img.width, img.height, (rowAt) => {
      for (let y = 0; y < img.height; y++) rowAt(y).set(rowOf(img, y));
    });
    expect(whole).toEqual(rows);
    expect(colourType(whole)).toBe(2);
  });

  it('takes rows top to bottom only, and the encoder stays usable', async () => {
    const sink = rowSink({ format: 'png', channels: 3 }, undefined);
    expect(sink.anyOrder).toBe(false);
    expect(() => sink.rows(8, 40, (rowAt) => void rowAt(39))).toThrow(RangeError);
    const img = synthetic(8, 40, true);
    const png = await sink.rows(8, 40, (rowAt) => {
      for (let y = 0; y < 40; y++) rowAt(y).set(rowOf(img, y));
    });
    expect(png).toEqual(await encodeImage(img, 'png'));
  });
});
