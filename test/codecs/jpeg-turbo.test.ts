/**
 * libjpeg-turbo at M/8 (src/codecs/jpeg-turbo.ts, wasm/jpeg_turbo.wasm): sizes at every
 * eighth, the same pixels as sharp's decode at 8/8 and jpeg_scaled's CMYK rule, errors and
 * instance recovery, the pixel limit before any image-sized allocation, and through the
 * Worker: a baseline JPEG that is not reduced is decoded by it, a truncated one is a 422.
 */
import { env } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { dropCodecs, wasmMemory } from '../../wasm/instances';
import { decodeImage } from '../../src/codecs/decode';
import { decodeJpegScaled } from '../../src/codecs/jpeg-scaled';
import { chooseJpegEighths, decodeJpegTurbo, type JpegEighths } from '../../src/codecs/jpeg-turbo';
import { DecodeError } from '../../src/codecs/types';
import { call, fixture, fixtureList, upload } from '../helpers';

const MiB = 1024 * 1024;

let carrie: Uint8Array; // 3000x4000 baseline 4:2:0
let small: Uint8Array; // 800x533 baseline
let cmyk: Uint8Array; // 80x16 YCCK, five colour patches (test/fixtures/README.md)

beforeAll(async () => {
  carrie = await fixture('images/large/Carrie.jpg');
  small = await fixture('images/small/Giunchedi_Filippo_January_2015_01.jpg');
  cmyk = await fixture('local/cmyk.jpg');
});

/** Number of differing R, G, B samples of two RGBA images of the same size. */
function differing(a: Uint8ClampedArray, b: Uint8ClampedArray): number {
  expect(a.length).toBe(b.length);
  let n = 0;
  for (let i = 0; i < a.length; i++) if (i % 4 !== 3 && a[i] !== b[i]) n++;
  return n;
}

describe('libjpeg-turbo in the pipeline', () => {
  it('decodes a baseline JPEG that is not reduced', async () => {
    dropCodecs();
    const { json } = await upload(small);
    const res = await call(`/img/${json.id as string}/w=1000,fit=contain,f=png`);
    expect(res.status).toBe(200);
    const img = await decodeImage(new Uint8Array(await res.arrayBuffer()), 'png');
    expect([img.width, img.height]).toEqual([1000, 666]);
    expect(wasmMemory().jpegTurbo).toBeGreaterThan(0);
  });

  it('answers 422 problem+json for a truncated baseline JPEG (no grey-filled image)', async () => {
    const { res: up, json } = await upload(small.subarray(0, Math.floor(small.length * 0.6)));
    expect(up.status).toBe(201);
    const res = await call(`/img/${json.id as string}/f=png`);
    expect(res.status).toBe(422);
    expect(res.headers.get('Content-Type')).toMatch(/application\/problem\+json/);
  });
});

describe('decodeJpegTurbo', () => {
  it.each([8, 7, 6, 5, 4, 3, 2, 1] as JpegEighths[])(
    'decodes Carrie.jpg at %i/8 to ceil(size × M / 8), opaque',
    (m) => {
      const img = decodeJpegTurbo(carrie, m);
      expect([img.width, img.height]).toEqual([
        Math.ceil((3000 * m) / 8),
        Math.ceil(4000 * (m / 8)),
      ]);
      expect(img.data.length).toBe(img.width * img.height * 4);
      expect(img.data.every((v, i) => i % 4 !== 3 || v === 255)).toBe(true);
    },
  );

  it('gives sharp’s pixels at 8/8, and jpeg_scaled’s CMYK conversion', async () => {
    for (const path of [
      'images/small/Giunchedi_Filippo_January_2015_01.jpg',
      'images/color/Shoes-sRGB.jpg',
    ]) {
      const mine = decodeJpegTurbo(await fixture(path), 8);
      // sharp (libjpeg-turbo) at the same size, profile ignored: its decode, untouched.
      const q = `w=${mine.width}&h=${mine.height}&icc=ignore`;
      const res = await env.FIXTURES.fetch(`http://fixtures/sharp/${path}?${q}`);
      const ref = new Uint8ClampedArray(await res.arrayBuffer());
      expect(differing(mine.data, ref), path).toBe(0);
    }
    const turbo = decodeJpegTurbo(cmyk, 8);
    expect(differing(turbo.data, decodeJpegScaled(cmyk, 1).data)).toBe(0);
    const cyan = turbo.data.subarray((8 * 80 + 8) * 4, (8 * 80 + 8) * 4 + 3);
    [0, 255, 255].forEach((v, c) => expect(Math.abs(cyan[c]! - v)).toBeLessThanOrEqual(3));
  });

  it('picks the smallest eighth that covers the output', () => {
    expect(chooseJpegEighths(3000, 4000, 800, 1067)).toBe(3);
    expect(chooseJpegEighths(3000, 4000, 1600, 2133)).toBe(5);
    expect(chooseJpegEighths(3000, 4000, 2250, 3000)).toBe(6);
    expect(chooseJpegEighths(3000, 4000, 2251, 3000)).toBe(7);
    expect(chooseJpegEighths(3000, 4000, 3000, 4000)).toBe(8);
    expect(chooseJpegEighths(3000, 4000, 100, 100)).toBe(1);
  });

  it('refuses a source above the pixel limit before allocating its image', () => {
    dropCodecs(); // a fresh instance: its memory afterwards is this call's peak
    expect(() => decodeJpegTurbo(carrie, 8, 3000 * 4000 - 1)).toThrow(/too-large/);
    // The instance holds the input copy, not a 46 MiB RGBA image.
    expect(wasmMemory().jpegTurbo).toBeLessThan(8 * MiB);
    expect(decodeJpegTurbo(carrie, 1, 3000 * 4000).width).toBe(375);
  });

  it('throws a DecodeError for truncated, corrupt and foreign input, and keeps working', async () => {
    const bad: [string, Uint8Array][] = [
      ['cut in the header', small.subarray(0, 300)],
      ['cut in the scan', small.subarray(0, Math.floor(small.length * 0.6))],
      ['empty', new Uint8Array(0)],
      ['not a JPEG', new TextEncoder().encode('<html>hello</html>')],
    ];
    for (const f of await fixtureList('bad-images')) {
      if (/\.jpe?g$/i.test(f)) bad.push([f, await fixture(`bad-images/${f}`)]);
    }
    for (const [name, bytes] of bad) {
      try {
        const img = decodeJpegTurbo(bytes, 4);
        expect(img.data.length, name).toBe(img.width * img.height * 4);
      } catch (err) {
        expect(err, name).toBeInstanceOf(DecodeError);
      }
      expect(decodeJpegTurbo(small, 4).width, `after ${name}`).toBe(400);
    }
    expect(() => decodeJpegTurbo(small.subarray(0, 5000), 8)).toThrow(
      /premature end of data segment|no image/,
    );
    expect(() => decodeJpegTurbo(small, 9 as JpegEighths)).toThrow(RangeError);
  });
});
