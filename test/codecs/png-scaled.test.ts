/**
 * PNG sources through the Worker: every common variant of large PNGs of each kind (8-bit,
 * 16-bit, palette + tRNS, Adam7 interlaced, alpha) is served inline in the requested format
 * and size by the streaming PNG module (wasm/png_scaled.wasm), with pixels close to sharp's
 * resize of the same PNG; and the module itself, on small files and hostile ones.
 */
import { env } from 'cloudflare:test';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeImage } from '../../src/codecs/decode';
import { decodePngResized, decodePngRows } from '../../src/codecs/png-scaled';
import { wasmMemory } from '../../wasm/instances';
import { probe, sniffFormat } from '../../src/codecs/probe';
import { DecodeError, type EncodeFormat, type RawImage } from '../../src/codecs/types';
import { loadConfig } from '../../src/config';
import { orientSize } from '../../src/transform/orient';
import { planVariant, shapeVariant } from '../../src/transform/pipeline';
import type { PlanSource } from '../../src/transform/cost';
import { placeShape } from '../../src/transform/fallback';
import { parseTransform } from '../../src/transform/spec';
import { call, fixture, KEYS, upload } from '../helpers';
import { envWith, FakeQueue, pump } from '../work/helpers';

/**
 * sharp's lanczos3 resize of a PNG (`source`: a `sharp-png/…?kind=…` or a ../shared path) to
 * exactly `width` x `height`, RGBA8, its profile ignored (ours is converted after the decode).
 */

async function sharpResize(source: string, width: number, height: number): Promise<RawImage> {
  const q = `w=${width}&h=${height}&icc=ignore`;
  const sep = source.includes('?') ? '&' : '?';
  const path = source.startsWith('sharp-png/') ? source : `sharp/${source}`;
  const res = await env.FIXTURES.fetch(`http://fixtures/${path}${sep}${q}`);
  expect(res.status).toBe(200);
  return { data: new Uint8ClampedArray(await res.arrayBuffer()), width, height };
}

/** Index of the first differing byte, -1 when equal (toEqual is slow on megabytes). */
const firstDiff = (a: Uint8ClampedArray, b: Uint8ClampedArray) =>
  a.length !== b.length ? 0 : a.findIndex((v, i) => v !== b[i]);

/**
 * Mean and 99th percentile of the absolute difference per channel (0-255), colour weighted
 * by alpha (a transparent pixel's colour does not matter), alpha as it is.
 */
function difference(a: RawImage, b: RawImage): { mean: number; p99: number } {
  expect([a.width, a.height]).toEqual([b.width, b.height]);
  const hist = new Float64Array(256);
  let sum = 0;
  let n = 0;
  for (let i = 0; i < a.data.length; i += 4) {
    const w = Math.min(a.data[i + 3]!, b.data[i + 3]!) / 255;
    for (let c = 0; c < 4; c++) {
      const d = Math.round(Math.abs(a.data[i + c]! - b.data[i + c]!) * (c === 3 ? 1 : w));
      hist[d]!++;
      sum += d;
      n++;
    }
  }
  let p99 = 0;
  for (let acc = 0; p99 < 255 && (acc += hist[p99]!) < 0.99 * n;) p99++;
  return { mean: sum / n, p99 };
}

const PHONE = 'images/phone/IMG_1063.JPG'; // 4032x3024, 12.2 MP
const PHONE_8MP = 'images/phone/IMG_6556.JPG'; // 3264x2448 stored, EXIF 6: 2448x3264 upright

/** The variants with the format each must answer (thumbnail is f=auto: WebP here). */
const VARIANTS: [string, string][] = [
  ['thumbnail', 'webp'],
  ['w=400,f=webp', 'webp'],
  ['w=800,f=jpeg', 'jpeg'],
  ['w=1600,f=webp', 'webp'],
  ['large', 'webp'],
  ['w=2000,h=2000,fit=cover,f=webp', 'webp'],
];

/** Presets as options (for the expected geometry). */
const OPTIONS: Record<string, string> = {
  thumbnail: 'w=150,h=150,fit=cover,f=webp',
  large: 'w=1600,f=webp',
};

/**
 * Mean / p99 bounds against sharp (8-bit per channel). The module and sharp run the same
 * filter (lanczos3, premultiplied) but sharp's shrink is libvips' (box shrink in integer
 * steps, then reduce): measured means 0.4-1.0, p99 3-5 on these sources.
 */
const MEAN_BOUND = 1.5;
const P99_BOUND = 8;

/** Sources: a name and where the PNG comes from (a `sharp-png/` kind or a ../shared file). */
const SOURCES: [string, string][] = [
  ['12 MP 8-bit RGB', `sharp-png/${PHONE}?kind=rgb8`],
  ['12 MP 16-bit RGB', `sharp-png/${PHONE}?kind=rgb16`],
  ['8 MP RGBA (alpha ramp)', `sharp-png/${PHONE_8MP}?kind=alpha`],
  ['12 MP Adam7 interlaced', `sharp-png/${PHONE}?kind=interlaced`],
  ['8 MP palette + tRNS', `sharp-png/${PHONE_8MP}?kind=palette`],
  ['16-bit flag (deep/)', 'images/deep/Flag_of_the_Netherlands-16bit.png'],
  ['16-bit RGBA 32x32 (deep/)', 'images/deep/tbgn2c16.png'],
];

/** The bytes of a SOURCES entry. */
async function sourceBytes(source: string): Promise<Uint8Array> {
  const res = await env.FIXTURES.fetch(`http://fixtures/${source}`);
  expect(res.status).toBe(200);
  return new Uint8Array(await res.arrayBuffer());
}

describe('PNG sources through the Worker', () => {
  for (const [name, source] of SOURCES) {
    it(`serves every variant of a ${name} in the requested format and size, close to sharp`, async () => {
      const png = await sourceBytes(source);
      const facts = probe(png);
      const { res, json } = await upload(png);
      expect(res.status, JSON.stringify(json)).toBe(201);
      const id = json.id as string;
      const q = new FakeQueue();
      const testEnv = envWith(q);
      const config = loadConfig(env);
      const get = (variant: string) =>
        call(`/img/${id}/${variant}`, {
          key: KEYS.alice,
          headers: { Accept: 'image/webp,image/*' },
          env: testEnv,
        });
      /**
       * The variant as a user gets it: inline, or (when the planner queues it) after the
       * queue consumer made it; null when the planner refuses it (checked here).
       */
      const serve = async (variant: string, format: EncodeFormat) => {
        const spec = parseTransform(OPTIONS[variant] ?? variant);
        // As the Worker places it (with its fallbacks: a JPEG may go to the rows encoder).
        const src: PlanSource = { ...facts, bytes: png.length };
        const placed = placeShape(shapeVariant(src, spec), format, config);
        const { estimate: est, placement: where } = placed;
        let out = await get(variant);
        if (where === 'refuse') {
          // Refused by the planner's encode and fixed figures, not by the PNG decode (with
          // any enlargement): the decode stage alone fits the queue budget. `large` is f=auto:
          // with WebP refused the Worker falls back to the basic format (negotiate.ts), queued:
          // a stand-in of it when one fits inline, else a 503.
          if (variant === 'large') {
            expect([200, 422, 503], `${name} ${variant}`).toContain(out.status);
            if (out.status === 200) expect(out.headers.get('X-Variant-Source')).toBe('stand-in');
          } else expect(out.status, `${name} ${variant}`).toBe(422);
          expect(est.stages.decode.mb, variant).toBeLessThanOrEqual(config.queueBudgetMb);
          refused.push(`${name} ${variant}: ${Math.round(est.memoryMB)} MB estimated`);
          return null;
        }
        if (where === 'queue') {
          // Made by the queue consumer (a stand-in or a 503 meanwhile), then served.
          expect([200, 503], variant).toContain(out.status);
          await pump(q, testEnv);
          out = await get(variant);
        }
        expect(out.status, `${name} ${variant}: ${await out.clone().text()}`).toBe(200);
        expect(out.headers.get('X-Variant-Source'), variant).not.toBe('stand-in');
        const bytes = new Uint8Array(await out.arrayBuffer());
        expect(sniffFormat(bytes), variant).toBe(format);
        return { spec, img: await decodeImage(bytes, format as 'webp' | 'jpeg' | 'png') };
      };
      // Pixels: a lossless output against sharp's resize of the same PNG.
      const mine = (await serve(`w=${Math.min(800, facts.width)},f=png`, 'png'))!.img;
      const diff = difference(mine, await sharpResize(source, mine.width, mine.height));
      console.log(`${name}: mean ${diff.mean.toFixed(2)}, p99 ${diff.p99}`);
      expect(diff.mean, name).toBeLessThanOrEqual(MEAN_BOUND);
      expect(diff.p99, name).toBeLessThanOrEqual(P99_BOUND);
      for (const [variant, format] of VARIANTS) {
        const served = await serve(variant, format as EncodeFormat);
        if (!served) continue;
        const { spec, img } = served;
        const { geometry } = planVariant(facts, spec);
        expect([img.width, img.height], variant).toEqual([
          geometry.canvas.width,
          geometry.canvas.height,
        ]);
        if (facts.width * facts.height > 4e6) {
          // The sizes, independently of the planner.
          const w = { thumbnail: 150, large: 1600 }[variant] ?? Number(/w=(\d+)/.exec(variant)![1]);
          const square = variant.includes('h=') || variant === 'thumbnail';
          const { width, height } = orientSize(facts.orientation as never, facts);
          expect([img.width, img.height], variant).toEqual([
            w,
            square ? w : Math.round((w * height) / width),
          ]);
        }
      }
    }, 240_000); // a 12 MP PNG is made by sharp, then ~8 variants of it
  }

  afterAll(() => console.log(`refused by the encode estimate:\n${refused.join('\n')}`));
});

/** Cells the planner refuses (422), for the report. */
const refused: string[] = [];

describe('png_scaled.wasm', () => {
  it('decodes every PNG kind of the Kodak and alpha sets at full size like @jsquash/png', async () => {
    for (const file of ['images/kodak/kodim01.png', 'images/alpha/blackbug.png']) {
      const bytes = await fixture(file);
      const { width, height } = probe(bytes);
      const mine = decodePngResized(bytes, { left: 0, top: 0, width, height }, width, height);
      const ref = await decodeImage(bytes, 'png');
      expect(difference(mine, ref)).toEqual({ mean: 0, p99: 0 });
    }
  });

  it('keeps 16-bit precision until the resample (rounds, not truncates)', async () => {
    const bytes = await fixture('images/deep/tbgn2c16.png');
    const img = decodePngResized(bytes, { left: 0, top: 0, width: 32, height: 32 }, 32, 32);
    const ref = await sharpResize('images/deep/tbgn2c16.png', 32, 32);
    expect(difference(img, ref).p99).toBeLessThanOrEqual(1);
  });

  it('crops, and refuses a crop outside the image or an enlargement', async () => {
    const bytes = await fixture('images/kodak/kodim01.png'); // 768x512
    const crop = decodePngResized(bytes, { left: 100, top: 50, width: 200, height: 100 }, 200, 100);
    const full = await decodeImage(bytes, 'png');
    for (let y = 0; y < 100; y++)
      for (let x = 0; x < 200; x += 37) {
        const a = (y * 200 + x) * 4;
        const b = ((y + 50) * 768 + x + 100) * 4;
        expect(Array.from(crop.data.subarray(a, a + 4))).toEqual(
          Array.from(full.data.subarray(b, b + 4)),
        );
      }
    expect(() =>
      decodePngResized(bytes, { left: 700, top: 0, width: 100, height: 10 }, 10, 10),
    ).toThrow(RangeError);
    expect(() =>
      decodePngResized(bytes, { left: 0, top: 0, width: 100, height: 10 }, 200, 10),
    ).toThrow(RangeError);
  });

  it('hands out the same rows one at a time, synchronously or pausing (JSPI)', async () => {
    const cases: [
      string,
      { left: number; top: number; width: number; height: number },
      number,
      number,
    ][] = [
      ['images/kodak/kodim01.png', { left: 0, top: 0, width: 768, height: 512 }, 300, 200],
      ['images/kodak/kodim01.png', { left: 100, top: 50, width: 200, height: 100 }, 200, 100],
      ['images/alpha/blackbug.png', { left: 0, top: 0, width: 2048, height: 1536 }, 400, 300],
    ];
    for (const [file, crop, w, h] of cases) {
      const bytes = await fixture(file);
      const whole = decodePngResized(bytes, crop, w, h);
      const collect =
        (out: Uint8ClampedArray, ys: number[]) => (row: Uint8ClampedArray, y: number) => {
          ys.push(y);
          out.set(row, y * w * 4);
        };
      const syncRows = new Uint8ClampedArray(w * h * 4);
      const syncYs: number[] = [];
      expect(decodePngRows(bytes, crop, w, h, collect(syncRows, syncYs))).toBeUndefined();
      expect(syncYs).toEqual(Array.from({ length: h }, (_, y) => y));
      expect(firstDiff(syncRows, whole.data), file).toBe(-1);

      let pauses = 0;
      const pausedRows = new Uint8ClampedArray(w * h * 4);
      const pausedYs: number[] = [];
      const pausing = decodePngRows(bytes, crop, w, h, collect(pausedRows, pausedYs), 0, {
        rows: 16,
        pause: async () => {
          pauses++;
          await new Promise<void>((r) => setTimeout(r, 0));
        },
      });
      expect(pausing).toBeInstanceOf(Promise);
      await pausing;
      expect(pauses).toBe(Math.floor(h / 16));
      expect(pausedYs).toEqual(syncYs);
      expect(firstDiff(pausedRows, whole.data), file).toBe(-1);
    }
    // A truncated file: a DecodeError, synchronous or pausing.
    const truncated = (await fixture('images/alpha/blackbug.png')).slice(0, 80_000);
    const crop = { left: 0, top: 0, width: 2048, height: 1536 };
    expect(() => decodePngRows(truncated, crop, 100, 75, () => undefined)).toThrow(DecodeError);
    await expect(
      decodePngRows(truncated, crop, 100, 75, () => undefined, 0, {
        rows: 8,
        pause: async () => undefined,
      }),
    ).rejects.toThrow(DecodeError);
  });

  it('gives a DecodeError, never a trap that poisons the instance, for hostile files', async () => {
    const good = await fixture('images/kodak/kodim03.png');
    const cases: Record<string, string> = {
      'malformed/sharp_truncated.png': 'DecodeError',
      'malformed/libpng_badcrc.png': '1x1', // checksums are not verified, as before
      'malformed/libpng_badadler.png': '1x1',
      'malformed/pillow_broken.png': 'DecodeError',
      'bombs/sharp_65536-uint32-limit.png': 'DecodeError',
      'polyglot-metadata/synthetic_png_with_trailing_html.png': '1x1',
    };
    for (const [file, want] of Object.entries(cases)) {
      const bytes = await fixture(`bad-images/${file}`);
      let got: string;
      try {
        const img = decodePngResized(bytes, { left: 0, top: 0, width: 1, height: 1 }, 1, 1, 24e6);
        got = `${img.width}x${img.height}`;
      } catch (err) {
        if (!(err instanceof DecodeError) && !(err instanceof RangeError)) throw err;
        got = err instanceof DecodeError ? 'DecodeError' : 'RangeError';
      }
      expect(got, file).toBe(want);
      const ok = decodePngResized(good, { left: 0, top: 0, width: 768, height: 512 }, 384, 256);
      expect([ok.width, ok.height]).toEqual([384, 256]);
    }
    // A truncated large file fails cleanly, and the instance does not keep its memory.
    const truncated = (await fixture('images/alpha/blackbug.png')).slice(0, 80_000);
    expect(() =>
      decodePngResized(truncated, { left: 0, top: 0, width: 2048, height: 1536 }, 100, 75),
    ).toThrow(DecodeError);
    expect(wasmMemory().pngScaled ?? 0).toBeLessThan(24 * 2 ** 20);
  });
});
