/**
 * Orientation applied to pixels (src/transform/orient.ts): `applyOrientation` and the row
 * placer the streamed path writes through, against the mapping the module documents (output
 * (x', y') shows stored (v, u) when transposed, else (u, v), with u and v flipped per axis).
 */
import { describe, expect, it } from 'vitest';
import {
  applyOrientation,
  fromExif,
  orientSize,
  rowPlacer,
  type Orientation,
} from '../../src/transform/orient';

/** A stored image whose every pixel is distinct: pixel (x, y) holds x + 10 y in each word. */
function stored(width: number, height: number) {
  const words = new Uint32Array(width * height);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) words[y * width + x] = x + 10 * y;
  return { data: new Uint8ClampedArray(words.buffer), width, height };
}

/** The documented mapping, pixel by pixel. */
function expected(o: Orientation, width: number, height: number): number[] {
  const out = orientSize(o, { width, height });
  const px: number[] = [];
  for (let y = 0; y < out.height; y++)
    for (let x = 0; x < out.width; x++) {
      const u = o.flipX ? out.width - 1 - x : x;
      const v = o.flipY ? out.height - 1 - y : y;
      const [sx, sy] = o.transpose ? [v, u] : [u, v];
      px.push(sx + 10 * sy);
    }
  return px;
}

const words = (d: Uint8ClampedArray) => [...new Uint32Array(d.buffer, d.byteOffset, d.length / 4)];

describe('orientation of pixels', () => {
  it.each([1, 2, 3, 4, 5, 6, 7, 8])(
    'EXIF %i: applyOrientation and rowPlacer agree with the mapping',
    (exif) => {
      const o = fromExif(exif);
      const img = stored(3, 2);
      expect(words(applyOrientation(img, o).data)).toEqual(expected(o, 3, 2));

      // Rows handed one at a time, in reverse order, from an unaligned buffer (a decoder's).
      const out = orientSize(o, img);
      const dst = new Uint8ClampedArray(out.width * out.height * 4);
      const place = rowPlacer(o, img, dst);
      const shifted = new Uint8ClampedArray(img.data.length + 1);
      shifted.set(img.data, 1);
      const n = img.width * 4;
      for (let y = img.height - 1; y >= 0; y--)
        place(shifted.subarray(1 + y * n, 1 + (y + 1) * n), y);
      expect(words(dst)).toEqual(expected(o, 3, 2));
    },
  );

  it('refuses a destination of the wrong size', () => {
    expect(() => rowPlacer(fromExif(6), { width: 3, height: 2 }, new Uint8ClampedArray(4))).toThrow(
      RangeError,
    );
  });
});
