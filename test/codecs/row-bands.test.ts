/**
 * The row loops (src/codecs/row-bands.ts) shared by the JPEG and PNG rows encoders: rows land
 * in the band buffer, each band is put once (full ones as the next band starts, the last at
 * the end) after `onBand` has seen it with its top row; a yielding producer; rows out of
 * order, outside the image or left out are refused; the whole image is put once, after a
 * (yielding) fill.
 */
import { describe, expect, it } from 'vitest';
import { filledWhole, inOrderBands, type BandTarget } from '../../src/codecs/row-bands';
import type { RawImage } from '../../src/codecs/types';

/** A buffer in JS (8 bytes ahead of the band) that records each put: its rows and first pixel. */
function recorder(width: number, rows: number) {
  const mem = new ArrayBuffer(8 + rows * width * 4);
  const puts: { rows: number; first: number[] }[] = [];
  const target: BandTarget = {
    memory: () => mem,
    ptr: 8,
    put: (n) => puts.push({ rows: n, first: [...new Uint8Array(mem, 8, 4)] }),
  };
  return { target, puts };
}

/** Writes row `y` as (y, y, y, 255) into every pixel. */
const paint = (row: Uint8ClampedArray, y: number) => {
  for (let i = 0; i < row.length; i += 4) row.set([y, y, y, 255], i);
};

describe('inOrderBands', () => {
  it('puts full bands as the next starts and the short last band at the end', () => {
    const { target, puts } = recorder(3, 4);
    const seen: [number, number][] = [];
    const onBand = (band: RawImage, top: number) => {
      expect(band.width).toBe(3);
      expect(band.data.length).toBe(band.height * 3 * 4);
      expect(band.data[0]).toBe(top); // the band's first row, as painted
      seen.push([top, band.height]);
    };
    const done = inOrderBands(
      'test',
      3,
      10,
      4,
      target,
      (rowAt) => {
        for (let y = 0; y < 10; y++) {
          paint(rowAt(y), y);
          // A band is put only when the next band's first row is asked for.
          expect(puts.length).toBe(Math.floor(y / 4));
        }
      },
      onBand,
    );
    expect(done).toBeUndefined(); // a producer that does not yield: no promise
    expect(seen).toEqual([
      [0, 4],
      [4, 4],
      [8, 2],
    ]);
    expect(puts).toEqual([
      { rows: 4, first: [0, 0, 0, 255] },
      { rows: 4, first: [4, 4, 4, 255] },
      { rows: 2, first: [8, 8, 8, 255] },
    ]);
  });

  it('waits for a producer that yields, then puts the last band', async () => {
    const { target, puts } = recorder(2, 3);
    const done = inOrderBands('test', 2, 7, 3, target, async (rowAt) => {
      for (let y = 0; y < 7; y++) {
        if (y % 2 === 0) await Promise.resolve();
        paint(rowAt(y), y);
      }
    });
    expect(done).toBeInstanceOf(Promise);
    await done;
    expect(puts.map((p) => p.rows)).toEqual([3, 3, 1]);
  });

  it('refuses rows out of order, outside the image or left out', async () => {
    const run = (produce: (rowAt: (y: number) => Uint8ClampedArray) => void) =>
      inOrderBands('enc', 2, 5, 2, recorder(2, 2).target, produce);
    expect(() => run((rowAt) => void rowAt(1))).toThrow('enc: row 1 asked for, row 0 next');
    expect(() =>
      run((rowAt) => {
        for (let y = 0; y < 6; y++) rowAt(y);
      }),
    ).toThrow('enc: row 5 outside 0..4');
    expect(() =>
      run((rowAt) => {
        for (let y = 0; y < 4; y++) rowAt(y);
      }),
    ).toThrow('enc: 4 of 5 rows written');
    await expect(
      inOrderBands('enc', 2, 5, 2, recorder(2, 2).target, async (rowAt) => {
        await Promise.resolve();
        rowAt(0);
      }),
    ).rejects.toThrow('enc: 1 of 5 rows written');
  });
});

describe('filledWhole', () => {
  it('puts every row once, after the fill (which may yield)', async () => {
    const { target, puts } = recorder(2, 3);
    await filledWhole(2, 3, target, async (px) => {
      expect(px.length).toBe(2 * 3 * 4);
      expect(puts).toEqual([]);
      await Promise.resolve();
      px.fill(9);
    });
    expect(puts).toEqual([{ rows: 3, first: [9, 9, 9, 9] }]);
  });
});
