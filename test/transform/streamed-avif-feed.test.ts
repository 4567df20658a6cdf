/**
 * An AVIF whose module feeds its output rows on (codecs/avif.ts `openAvifRows`, a `RowFeed`)
 * gives the pixels of the module's output held whole (`decodeAvif`, the same options): scaled
 * to a size (`size`, box 0: libyuv's box filter from 2x reductions, bilinear below, each band
 * of output rows scaled on its own by the windowed scaler, wasm/avif/scale-rows.patch) at
 * 8-bit 4:4:4, 10-bit 4:2:0 and 4:4:4, with alpha, a crop at odd offsets, a height-only
 * reduction and one whose chroma planes keep their size; and box-shrunk (`box` 1 and 3). Fed
 * into the streamed path (transform/streamed.ts `encodeStreamed`) it gives the bytes of the
 * output held whole (WebP, PNG, JPEG rows encoder), pausing (JSPI) between slices of rows. A
 * file whose data stops part way is a DecodeError at the start, before any row; mutated files
 * give a DecodeError or every row.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeAvif, openAvifRows, type AvifDecodeOptions } from '../../src/codecs/avif';
import { probe } from '../../src/codecs/probe';
import { DecodeError, type EncodeFormat } from '../../src/codecs/types';
import { avifFeedSize, shapeVariant } from '../../src/transform/pipeline';
import { parseTransform } from '../../src/transform/spec';
import { wasmMemory } from '../../wasm/instances';
import { fixture } from '../helpers';
import { streamedEncoder } from './streamed-harness';

/** The rows a feed hands on, gathered into one image (checking their order). */
async function gather(file: Uint8Array, opts: AvifDecodeOptions, pause = false) {
  let pauses = 0;
  return openAvifRows(file, opts, async (rows) => {
    const data = new Uint8ClampedArray(rows.width * rows.height * 4);
    let next = 0;
    await rows.feed(
      (row, y) => {
        expect(y).toBe(next++);
        data.set(row, y * rows.width * 4);
      },
      pause
        ? {
            rows: 100,
            pause: async () => {
              pauses++;
              await new Promise<void>((r) => setTimeout(r, 0));
            },
          }
        : undefined,
    );
    expect(next).toBe(rows.height);
    return { width: rows.width, height: rows.height, data, alpha: rows.alpha, pauses };
  });
}

const PIXEL_CASES: [file: string, opts: AvifDecodeOptions][] = [
  ['avif/12mp.avif', { size: { width: 3000, height: 2250 } }], // bilinear
  ['avif/12mp.avif', { size: { width: 1600, height: 1200 } }], // box filter (2x and more)
  [
    'avif/12mp.avif',
    { rect: { left: 101, top: 57, width: 2001, height: 1501 }, size: { width: 1337, height: 999 } },
  ],
  ['avif/12mp.avif', { rect: { left: 0, top: 0, width: 4032, height: 3024 }, box: 3 }],
  ['avif/alpha.avif', { size: { width: 1500, height: 1125 } }],
  ['avif/alpha.avif', { box: 1 }],
  ['avif/10bit.avif', { size: { width: 700, height: 500 } }],
  ['avif/10bit.avif', { size: { width: 1023, height: 767 } }], // chroma planes keep their size
  ['avif/10bit-444.avif', { size: { width: 1024, height: 500 } }], // height only
  ['avif/p3-nclx.avif', { rect: { left: 3, top: 5, width: 701, height: 501 }, box: 1 }],
];

describe('AVIF rows', () => {
  it.each(PIXEL_CASES)('%s %j: the pixels of the output held whole', async (file, opts) => {
    const bytes = await fixture(file);
    const held = decodeAvif(bytes, opts);
    const fed = await gather(bytes, opts, true);
    expect([fed.width, fed.height]).toEqual([held.width, held.height]);
    expect(fed.alpha).toBe(held.alpha);
    expect(fed.data.findIndex((v, i) => v !== held.data[i])).toBe(-1);
    expect(fed.pauses).toBeGreaterThan(0);
  });

  it('holds neither the output nor the scaled planes (12 MP → 3000x2250)', async () => {
    const bytes = await fixture('avif/12mp.avif');
    const opts = { size: { width: 3000, height: 2250 } };
    const whole = decodeAvif(bytes, opts, () => wasmMemory().avifDec ?? 0);
    let rows = 0;
    await openAvifRows(bytes, opts, (feed) =>
      feed.feed(() => {
        rows = Math.max(rows, wasmMemory().avifDec ?? 0);
      }),
    );
    // avif_decode held the scaled planes (3 bytes × 6.75 MP) beside dav1d's frame; the rows, a
    // band of them.
    expect(whole - rows).toBeGreaterThan(15 * 2 ** 20);
  });

  it('gives a DecodeError at the start for a file whose data stops part way', async () => {
    const bytes = (await fixture('avif/alpha.avif')).slice(0, 20_000);
    let fed = false;
    expect(() =>
      openAvifRows(bytes, { box: 1 }, () => {
        fed = true;
      }),
    ).toThrow(DecodeError);
    expect(fed).toBe(false);
    // The module decodes again afterwards.
    expect(decodeAvif(await fixture('avif/tiny.avif')).width).toBeGreaterThan(0);
  });
});

describe('hostile AVIFs as rows', () => {
  it('give only DecodeErrors or whole feeds for mutated files, and the module keeps working', async () => {
    const small = await fixture('avif/10bit.avif');
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), {
          minLength: 1,
          maxLength: 12,
        }),
        fc.boolean(),
        (edits, scaled) => {
          const bytes = small.slice();
          for (const [at, v] of edits) bytes[at % bytes.length] = v;
          try {
            return openAvifRows(
              bytes,
              scaled ? { size: { width: 500, height: 300 } } : { box: 1 },
              (rows) => {
                let n = 0;
                void rows.feed(() => void n++);
                return n === rows.height;
              },
            );
          } catch (err) {
            return err instanceof DecodeError;
          }
        },
      ),
      { numRuns: 60, seed: 11 },
    );
    expect(decodeAvif(small).width).toBe(1024);
  });
});

const STREAM_CASES: [file: string, transform: string, format: EncodeFormat][] = [
  ['avif/12mp.avif', 'w=3000', 'webp'],
  ['avif/12mp.avif', 'w=2400,h=2400,fit=cover', 'png'],
  ['avif/12mp.avif', 'w=2000,rotate=90', 'webp'],
  ['avif/alpha.avif', 'w=1200', 'webp'],
  ['avif/p3-nclx.avif', 'w=1000', 'jpeg'],
];

describe('AVIF rows fed into the streamed path', () => {
  it.each(STREAM_CASES)('%s %s %s: the bytes of the output held whole', async (file, t, format) => {
    const bytes = await fixture(file);
    const src = probe(bytes);
    const spec = parseTransform(t);
    const shape = shapeVariant(src, spec);
    const { crop, target, decode } = shape;
    expect(avifFeedSize(crop, target, decode.box)).toBe(true);
    const opts = decode.box === 0 ? { rect: crop, size: target } : { rect: crop, box: decode.box };
    const { run, pauses } = streamedEncoder(shape, spec, format, src.hasAlpha);
    const held = await decodeAvif(bytes, opts, run);
    const before = pauses();
    const fed = await openAvifRows(bytes, opts, run);
    expect([fed.width, fed.height]).toEqual([held.width, held.height]);
    expect(fed.bytes.length).toBe(held.bytes.length);
    expect(fed.bytes.findIndex((v, i) => v !== held.bytes[i])).toBe(-1);
    expect(pauses()).toBeGreaterThan(before + 1); // the feed's own pauses, besides the stages'
  });
});
