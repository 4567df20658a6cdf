/**
 * wasm/libwebp.wasm (libwebp 1.5.0) through src/codecs/webp.ts: exact lossless pixels, lossy
 * pixels as @jsquash/webp's libwebp 1.1.0 decoded them, scaled decode, animation frames with
 * their timing, encoders on a par with @jsquash's SIMD encoder, and hostile bytes that only
 * ever give a DecodeError.
 */
import webpDecFactory from '@jsquash/webp/codec/dec/webp_dec.js';
import webpDecWasm from '@jsquash/webp/codec/dec/webp_dec.wasm';
import webpEncFactory from '@jsquash/webp/codec/enc/webp_enc_simd.js';
import webpEncWasm from '@jsquash/webp/codec/enc/webp_enc_simd.wasm';
import { defaultOptions as webpDefaults } from '@jsquash/webp/meta.js';
import { env } from 'cloudflare:test';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeImage } from '../../src/codecs/decode';
import { probe } from '../../src/codecs/probe';
import { resizeImage } from '../../src/codecs/resize';
import {
  DecodeError,
  type AnimationFrame,
  type AnimationInfo,
  type RawImage,
} from '../../src/codecs/types';
import {
  decodeWebp,
  decodeWebpFrames,
  encodeWebp,
  encodeWebpFilled,
  encodeWebpRows,
  openWebpRows,
  WebpAnimationEncoder,
} from '../../src/codecs/webp';
import { fixture, psnr } from '../helpers';

/** Index of the first differing byte, -1 when equal (toEqual is slow on megabytes). */
const firstDiff = (a: Uint8ClampedArray, b: Uint8ClampedArray) =>
  a.length !== b.length ? 0 : a.findIndex((v, i) => v !== b[i]);

type Factory = (opts: object) => Promise<Record<string, (...a: unknown[]) => unknown>>;

/** @jsquash/webp 1.5.0's own decoder and SIMD encoder (libwebp 1.1.0), for reference only. */
async function jsquash(factory: unknown, module: WebAssembly.Module) {
  return (factory as Factory)({
    noInitialRun: true,
    instantiateWasm(imports: WebAssembly.Imports, done: (i: WebAssembly.Instance) => void) {
      const instance = new WebAssembly.Instance(module, imports);
      done(instance);
      return instance.exports;
    },
  });
}

/** Every frame of a WebP, with the info. */
async function frames(bytes: Uint8Array, maxPixels = 0) {
  let info: AnimationInfo | undefined;
  const out: AnimationFrame[] = [];
  await decodeWebpFrames(
    bytes,
    maxPixels,
    (i) => (info = i),
    (f) => void out.push(f),
  );
  return { info: info!, frames: out };
}

describe('libwebp.wasm', () => {
  let photo: RawImage; // kodim03, 768x512, with a left-to-right alpha ramp
  beforeAll(async () => {
    photo = await decodeImage(await fixture('images/kodak/kodim03.png'), 'png');
    for (let i = 0; i < photo.data.length; i += 4)
      photo.data[i + 3] = Math.round((((i / 4) % photo.width) * 255) / (photo.width - 1));
  });

  it('gives the exact pixels of a lossless file, with and without alpha', async () => {
    // `exact`: keep the colour of fully transparent pixels (libwebp drops it by default).
    const img = decodeWebp(encodeWebp(photo, { lossless: true, exact: true }));
    expect([img.width, img.height]).toEqual([768, 512]);
    expect(firstDiff(img.data, photo.data)).toBe(-1);
    const opaque = { ...photo, data: photo.data.map((v, i) => (i % 4 === 3 ? 255 : v)) };
    expect(firstDiff(decodeWebp(encodeWebp(opaque, { lossless: true })).data, opaque.data)).toBe(
      -1,
    );
  });

  it('decodes lossless files taller than its window of rows exactly (our VP8L patch)', async () => {
    // The grid's 12 MP lossless photo keeps 399 of its 3024 rows at a time: the same pixels as
    // @jsquash's libwebp 1.1.0, which keeps the whole ARGB image.
    const grid = (await (await env.FIXTURES.fetch('http://fixtures/grid/')).json()) as {
      label: string;
      path: string;
    }[];
    const bytes = await fixture(grid.find((s) => s.label === '12 MP WebP (lossless)')!.path);
    const old = await jsquash(webpDecFactory, webpDecWasm);
    const ref = old.decode!(bytes) as RawImage;
    const mine = decodeWebp(bytes);
    expect([mine.width, mine.height]).toEqual([4032, 3024]);
    expect(firstDiff(mine.data, ref.data)).toBe(-1);
    // A narrow image: 300 px wide keeps 5269 rows, so 6000 rows slide once. Cropped by
    // libwebp, it gives exactly those pixels of the full decode; scaled too, close to them.
    const tall = { width: 300, height: 6000, data: new Uint8ClampedArray(300 * 6000 * 4) };
    for (let y = 0; y < tall.height; y++)
      for (let x = 0; x < tall.width; x++) {
        const from = ((y % 512) * 768 + ((x + (y >> 9) * 37) % 768)) * 4;
        const to = (y * tall.width + x) * 4;
        for (let c = 0; c < 4; c++) tall.data[to + c] = photo.data[from + c]!;
        tall.data[to + 3] = 255;
      }
    const encoded = encodeWebp(tall, { lossless: true });
    expect(firstDiff(decodeWebp(encoded).data, tall.data)).toBe(-1);
    const crop = { left: 7, top: 1001, width: 123, height: 4999 };
    const cropped = decodeWebp(encoded, undefined, 0, crop);
    expect([cropped.width, cropped.height]).toEqual([123, 4999]);
    const want = new Uint8ClampedArray(123 * 4999 * 4);
    for (let y = 0; y < crop.height; y++)
      want.set(
        tall.data.subarray(
          ((crop.top + y) * tall.width + crop.left) * 4,
          ((crop.top + y) * tall.width + crop.left + crop.width) * 4,
        ),
        y * crop.width * 4,
      );
    expect(firstDiff(cropped.data, want)).toBe(-1);
    const scaled = decodeWebp(encoded, { width: 82, height: 3333 }, 0, crop);
    const resized = await resizeImage({ data: want, width: 123, height: 4999 }, 82, 3333);
    expect(psnr(scaled, resized)).toBeGreaterThan(30);
    expect(() => decodeWebp(encoded, undefined, 0, { ...crop, left: 200 })).toThrow(/crop outside/);
    expect(() => decodeWebp(encoded, { width: 124, height: 10 }, 0, crop)).toThrow(/only reduces/);
  }, 60_000);

  it('pulls a lossless file as rows, a band at a time: the pixels of a whole, cropped or scaled decode (vp8l-rows.patch)', async () => {
    /** Every row of `bytes` pulled through openWebpRows (those of `rows` only, when given). */
    const pulled = (bytes: Uint8Array, rows = Infinity) =>
      openWebpRows(bytes, 0, (r) => {
        const n = Math.min(rows, r.height);
        const out = new Uint8ClampedArray(r.width * n * 4);
        let bands = 0;
        r.onBand = () => void bands++;
        for (let y = 0; y < n; y++) out.set(r.row(y), y * r.width * 4);
        return { out, width: r.width, height: r.height, bands };
      });
    // The grid's 12 MP photo (its window slides every 133 rows) and a tall narrow image
    // (300 px wide keeps 5269 rows: 6000 slide once), with alpha, of odd sizes.
    const grid = (await (await env.FIXTURES.fetch('http://fixtures/grid/')).json()) as {
      label: string;
      path: string;
    }[];
    const photo12 = await fixture(grid.find((s) => s.label === '12 MP WebP (lossless)')!.path);
    const tall = await resizeImage(photo, 301, 6001);
    const seeds = [
      photo12,
      encodeWebp(tall, { lossless: true, exact: true }),
      encodeWebp(await resizeImage(photo, 1, 1), { lossless: true }),
      encodeWebp(await resizeImage(photo, 77, 17), { lossless: true, quality: 100, method: 6 }),
    ];
    for (const bytes of seeds) {
      const whole = decodeWebp(bytes);
      const rows = pulled(bytes);
      expect([rows.width, rows.height]).toEqual([whole.width, whole.height]);
      expect(rows.bands).toBe(Math.ceil(whole.height / 16));
      expect(firstDiff(rows.out, whole.data)).toBe(-1);
    }
    // Rows above a crop's bottom only: the rest is never decoded; the next stream works.
    const top = pulled(photo12, 1000);
    expect(firstDiff(top.out, decodeWebp(photo12).data.subarray(0, 4032 * 1000 * 4))).toBe(-1);
    // Cropped by libwebp, and scaled by its rescaler: decodeWebp's pixels with the same crop
    // and target (odd crops, reductions by any factor, a band of 1-17 output rows per step).
    for (const [bytes, crop, target] of [
      [photo12, { left: 709, top: 254, width: 3200, height: 2661 }, { width: 2733, height: 96 }],
      [photo12, { left: 3918, top: 934, width: 44, height: 1326 }, undefined],
      [photo12, { left: 0, top: 0, width: 4032, height: 3024 }, { width: 1008, height: 756 }],
      [seeds[1]!, { left: 7, top: 1001, width: 123, height: 4999 }, { width: 82, height: 3333 }],
      [seeds[1]!, { left: 0, top: 5999, width: 301, height: 2 }, { width: 1, height: 1 }],
    ] as const) {
      const want = decodeWebp(bytes, target, 0, crop);
      const got = openWebpRows(
        bytes,
        0,
        (r) => {
          const out = new Uint8ClampedArray(r.width * r.height * 4);
          for (let y = 0; y < r.height; y++) out.set(r.row(y), y * r.width * 4);
          return { out, width: r.width, height: r.height };
        },
        crop,
        target,
      );
      expect([got.width, got.height]).toEqual([want.width, want.height]);
      expect(firstDiff(got.out, want.data)).toBe(-1);
    }
    const crop = { left: 7, top: 1001, width: 123, height: 4999 };
    expect(() => openWebpRows(seeds[1]!, 0, () => 0, { ...crop, left: 200 })).toThrow(DecodeError);
    expect(() => openWebpRows(seeds[1]!, 0, () => 0, crop, { width: 124, height: 9 })).toThrow(
      DecodeError,
    );
    expect(() =>
      openWebpRows(seeds[1]!, 0, (r) => {
        r.row(40);
        r.row(3);
      }),
    ).toThrow(RangeError);
    // Lossy, animated, truncated or too large: a DecodeError.
    const lossy = encodeWebp(photo, { quality: 70 });
    expect(() => pulled(lossy)).toThrow(DecodeError);
    expect(() => pulled(seeds[1]!.slice(0, 20_000))).toThrow(DecodeError);
    expect(() => openWebpRows(seeds[1]!, 300 * 6000, () => 0)).toThrow(DecodeError);
    const animated = await fixture('images/animated/rotating-squares.webp');
    expect(() => pulled(animated)).toThrow(DecodeError);
    expect(firstDiff(pulled(seeds[3]!).out, decodeWebp(seeds[3]!).data)).toBe(-1);
  }, 120_000);

  it('decodes lossy files (with lossless alpha) as @jsquash/webp libwebp 1.1.0 did', async () => {
    const old = await jsquash(webpDecFactory, webpDecWasm);
    for (const bytes of [
      await fixture('images/small/4.webp'),
      await fixture('images/alpha/5_webp_a.webp'),
      encodeWebp(photo, { quality: 80 }),
    ]) {
      const mine = decodeWebp(bytes);
      const ref = old.decode!(bytes) as RawImage;
      expect([mine.width, mine.height]).toEqual([ref.width, ref.height]);
      // Measured: identical (VP8 decoding is exact; both use libwebp's "fancy" upsampler).
      expect(psnr(mine, ref)).toBeGreaterThan(50);
      const alphaDiff = mine.data.findIndex((v, i) => i % 4 === 3 && v !== ref.data[i]);
      expect(alphaDiff).toBe(-1);
    }
  });

  it('decodes scaled to the target size, close to a full decode resized', async () => {
    const bytes = await fixture('images/small/4.webp'); // 1024x772
    const full = decodeWebp(bytes);
    const scaled = decodeWebp(bytes, { width: 256, height: 193 });
    expect([scaled.width, scaled.height]).toEqual([256, 193]);
    const resized = await resizeImage(full, 256, 193);
    expect(psnr(scaled, resized)).toBeGreaterThan(30);
    expect(() => decodeWebp(bytes, { width: 2048, height: 1544 })).toThrow(/only reduces/);
    expect(() => decodeWebp(bytes, { width: 0, height: 10 })).toThrow(RangeError);
    expect(() => decodeWebp(bytes, undefined, 1000)).toThrow(/too-large/);
  });

  it('decodes animations frame by frame with durations and loop count', async () => {
    const loop = await frames(await fixture('images/animated/animated-loop-3.webp'));
    expect(loop.info).toEqual({ width: 370, height: 285, frames: 10, loopCount: 3 });
    expect(loop.frames.map((f) => f.duration)).toEqual([
      3000, 3000, 3000, 3000, 3000, 3000, 3000, 3000, 3000, 15000,
    ]);
    expect(loop.frames.every((f) => f.data.length === 370 * 285 * 4)).toBe(true);
    const squares = await frames(await fixture('images/animated/rotating-squares.webp'));
    expect(squares.info.frames).toBe(9);
    expect(squares.frames.length).toBe(9);
    // A still WebP is one frame; the still decoder refuses an animation.
    expect((await frames(await fixture('images/small/4.webp'))).info.frames).toBe(1);
    expect(() => decodeWebp(loop.frames.length ? new Uint8Array(0) : new Uint8Array(1))).toThrow(
      DecodeError,
    );
    const animated = await fixture('images/animated/animated-loop-3.webp');
    expect(() => decodeWebp(animated)).toThrow(/animat/);
    await expect(frames(animated, 1000)).rejects.toThrow(/too-large/);
  });

  it('encodes stills like @jsquash/webp SIMD at equal quality (bytes and PSNR)', async () => {
    const old = await jsquash(webpEncFactory, webpEncWasm);
    for (const q of [50, 80, 90]) {
      const mine = encodeWebp(photo, { quality: q });
      const ref = new Uint8Array(
        old.encode!(photo.data, photo.width, photo.height, {
          ...webpDefaults,
          quality: q,
        }) as Uint8Array,
      );
      // Measured at 80: 1.5 % apart in size, PSNR within 0.1 dB.
      expect(Math.abs(mine.length / ref.length - 1)).toBeLessThan(0.05);
      const a = psnr(decodeWebp(mine), photo);
      const b = psnr(decodeWebp(ref), photo);
      expect(Math.abs(a - b)).toBeLessThan(0.3);
    }
  });

  describe('banded encode (wasm/libwebp/yuva-rows.patch): the bytes of the whole-buffer one', () => {
    /** `w` x `h` of the photo from (x, y), its alpha set by `alpha(x, y)` (default: kept). */
    const part = (w: number, h: number, alpha?: (x: number, y: number) => number): RawImage => {
      const data = new Uint8ClampedArray(w * h * 4);
      for (let y = 0; y < h; y++) {
        const at = (y % photo.height) * photo.width * 4;
        data.set(photo.data.subarray(at, at + w * 4), y * w * 4);
        if (alpha) for (let x = 0; x < w; x++) data[(y * w + x) * 4 + 3] = alpha(x, y);
      }
      return { data, width: w, height: h };
    };
    /** Banded, the rows put bottom to top when `up`. */
    const banded = (img: RawImage, bandRows: number, up = false, quality = 80) => {
      const n = img.width * 4;
      return encodeWebpRows(
        img.width,
        img.height,
        (rowAt) => {
          for (let i = 0; i < img.height; i++) {
            const y = up ? img.height - 1 - i : i;
            rowAt(y).set(img.data.subarray(y * n, (y + 1) * n));
          }
        },
        { quality, bandRows },
      );
    };
    const whole = (img: RawImage, quality = 80) =>
      encodeWebpFilled(img.width, img.height, (px) => px.set(img.data), { quality });
    const hasAlphChunk = (webp: Uint8Array) => new TextDecoder().decode(webp).includes('ALPH');

    it('odd and even sizes, band boundaries, both orders, with and without alpha', () => {
      const opaque = () => 255;
      const lastRowOnly = (h: number) => (x: number, y: number) =>
        y === h - 1 && x === 0 ? 7 : 255;
      const cases: [w: number, h: number, alpha: ((x: number, y: number) => number) | undefined][] =
        [
          [768, 512, undefined], // the alpha ramp
          [768, 512, opaque], // an alpha source that turns out fully opaque
          [333, 97, undefined], // odd width and height: the last band ends in one row
          [333, 97, opaque],
          [333, 97, lastRowOnly(97)], // transparency in the odd last row alone
          [64, 64, (x, y) => (y === 32 && x === 5 ? 0 : 255)], // a band's first row only
          [64, 63, (x, y) => (y === 31 && x === 63 ? 128 : 255)], // a band's last row only
          [1, 1, undefined],
          [1, 3, undefined],
          [5, 2, opaque],
          [2, 65, undefined],
        ];
      for (const [w, h, alpha] of cases) {
        const img = part(w, h, alpha);
        const ref = whole(img);
        for (const [bandRows, up] of [
          [32, false],
          [2, false],
          [6, true],
          [64, true],
        ] as const) {
          const out = banded(img, bandRows, up);
          expect(
            firstDiff(new Uint8ClampedArray(out), new Uint8ClampedArray(ref)),
            `${w}x${h} ${alpha ? 'alpha fn' : 'ramp'} bands of ${bandRows}${up ? ' up' : ''}`,
          ).toBe(-1);
        }
        if (alpha === opaque) expect(hasAlphChunk(ref)).toBe(false);
      }
      expect(hasAlphChunk(whole(part(333, 97, lastRowOnly(97))))).toBe(true);
    });

    it('any size, transparency and band height (property)', () => {
      fc.assert(
        fc.property(
          fc.integer({ min: 1, max: 70 }),
          fc.integer({ min: 1, max: 70 }),
          fc.integer({ min: 1, max: 20 }).map((n) => n * 2),
          fc.boolean(),
          fc.option(fc.tuple(fc.nat(), fc.nat(), fc.integer({ min: 0, max: 254 }))),
          (w, h, bandRows, up, hole) => {
            const img = part(w, h, (x, y) =>
              hole && x === hole[0] % w && y === hole[1] % h ? hole[2] : 255,
            );
            const a = banded(img, bandRows, up, 70);
            const b = whole(img, 70);
            return firstDiff(new Uint8ClampedArray(a), new Uint8ClampedArray(b)) === -1;
          },
        ),
        { numRuns: 60, seed: 13 },
      );
    });

    it('refuses lossless, odd bands, a band left unfinished or a row put twice, and recovers', () => {
      const img = part(40, 40);
      const rows = (ys: number[]) => (rowAt: (y: number) => Uint8ClampedArray) =>
        ys.forEach((y) => rowAt(y).fill(200));
      expect(() => encodeWebpRows(40, 40, rows([0]), { lossless: true })).toThrow(RangeError);
      expect(() => encodeWebpRows(40, 40, rows([0]), { bandRows: 3 })).toThrow(RangeError);
      expect(() => encodeWebpRows(40, 40, rows([0, 1, 2, 33]), { bandRows: 32 })).toThrow(
        /band 0 left with 3\/32 rows/,
      );
      expect(() => encodeWebpRows(40, 4, rows([0, 1, 1]), { bandRows: 4 })).toThrow(/twice/);
      expect(() => encodeWebpRows(40, 4, rows([0, 1, 2, 3, 0]), { bandRows: 2 })).toThrow(/twice/);
      expect(() => encodeWebpRows(40, 40, rows([40]))).toThrow(RangeError);
      expect(() => encodeWebpRows(40, 40, rows([0, 1]), { bandRows: 2 })).toThrow(/not every row/);
      expect(
        firstDiff(new Uint8ClampedArray(banded(img, 4)), new Uint8ClampedArray(whole(img))),
      ).toBe(-1);
    });
  });

  it('gives the thread back during its own encode when asked to pause (JSPI), same bytes', async () => {
    const opaque = photo.data.map((v, i) => (i % 4 === 3 ? 255 : v));
    const n = photo.width * 4;
    const rows = (rowAt: (y: number) => Uint8ClampedArray) => {
      for (let y = 0; y < photo.height; y++) rowAt(y).set(opaque.subarray(y * n, (y + 1) * n));
    };
    const { width, height } = photo;
    const plain = encodeWebpRows(width, height, rows, { quality: 80 });
    // The rows are written before the first pause: every pause counted is inside WebPEncode,
    // and every timer turn counted ran while the encode was suspended.
    let pauses = 0;
    let turns = 0;
    const pause = async () => {
      pauses++;
      await new Promise<void>((r) => setTimeout(r, 0));
    };
    const tick = setInterval(() => turns++, 0);
    try {
      const byRows = await encodeWebpRows(width, height, async (rowAt) => rows(rowAt), {
        quality: 80,
        pause,
      });
      expect(firstDiff(new Uint8ClampedArray(byRows), new Uint8ClampedArray(plain))).toBe(-1);
      // 768x512 = 393 Ki pixels: a pause every 2 % of libwebp's progress (config.ts).
      expect(pauses).toBeGreaterThanOrEqual(20);
      expect(turns).toBeGreaterThan(0);
      const before = pauses;
      const filled = await encodeWebpFilled(width, height, async (px) => px.set(opaque), {
        quality: 80,
        pause,
      });
      expect(pauses - before).toBeGreaterThanOrEqual(20);
      expect(firstDiff(new Uint8ClampedArray(filled), new Uint8ClampedArray(plain))).toBe(-1);
      // The whole-image encode (pipeline.ts's non-streamed variants) too.
      const again = pauses;
      const whole = await encodeWebp({ data: opaque, width, height }, { quality: 80, pause });
      expect(pauses - again).toBeGreaterThanOrEqual(20);
      expect(firstDiff(new Uint8ClampedArray(whole), new Uint8ClampedArray(plain))).toBe(-1);
    } finally {
      clearInterval(tick);
    }
    // A synchronous encode never pauses (JSPI cannot suspend it).
    const count = pauses;
    encodeWebpRows(width, height, rows, { quality: 80, pause });
    expect(pauses).toBe(count);
  });

  it('encodes animations that decode back with their durations and loop count', async () => {
    const small = await resizeImage(photo, 96, 64);
    const enc = new WebpAnimationEncoder(96, 64, 2, { quality: 80 });
    const shifted = (k: number) => ({ ...small, data: small.data.map((v) => (v + k * 50) & 255) });
    [120, 80, 200].forEach((d, k) => enc.add(shifted(k), d));
    const out = enc.finish();
    const back = await frames(out);
    expect(back.info).toEqual({ width: 96, height: 64, frames: 3, loopCount: 2 });
    expect(back.frames.map((f) => f.duration)).toEqual([120, 80, 200]);
    expect(() => new WebpAnimationEncoder(96, 64, 0).add(photo, 10)).toThrow(RangeError);
  });

  it('keeps an animation instance whose memory grows past the still-image drop size', async () => {
    // 2100x2100: the decoder holds two canvases (2 x 17.6 MB) and the encoder more, over the
    // 32 MiB after which a shared instance is dropped; an animation's instance must survive.
    const side = 2100;
    const flat = (v: number) => ({
      width: side,
      height: side,
      data: new Uint8ClampedArray(side * side * 4).fill(v),
    });
    const enc = new WebpAnimationEncoder(side, side, 0, { quality: 50, method: 0 });
    enc.add(flat(40), 100);
    enc.add(flat(200), 100);
    const back = await frames(enc.finish());
    expect(back.info.frames).toBe(2);
    expect(back.frames.map((f) => f.data[0])).toEqual([
      expect.closeTo(40, 3) as number,
      expect.closeTo(200, 3) as number,
    ]);
  });

  it('survives mutated and truncated files the probe accepts: a DecodeError or an image', async () => {
    const small = await resizeImage(photo, 96, 64);
    const seeds = [
      encodeWebp(small, { lossless: true }),
      encodeWebp(small, { quality: 70 }), // lossy + lossless alpha
      encodeWebp(small, { quality: 70, alphaUncompressed: true }),
      await fixture('images/animated/rotating-squares.webp'),
    ];
    const good = seeds[0]!;
    let decoded = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.nat(),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 12 }),
        fc.option(fc.nat(), { nil: undefined }),
        async (which, edits, cut) => {
          const seed = seeds[which % seeds.length]!;
          const b = seed.slice(
            0,
            cut === undefined ? seed.length : 12 + (cut % (seed.length - 11)),
          );
          for (const [at, v] of edits) b[12 + (at % (b.length - 12))] = v;
          // As in production: only what the probe accepts, within a pixel limit, is decoded.
          let facts: ReturnType<typeof probe>;
          try {
            facts = probe(b);
          } catch {
            return;
          }
          if (facts.format !== 'webp' || facts.width * facts.height > 1 << 22) return;
          try {
            if (facts.frames > 1) {
              const all = await frames(b, 1 << 22);
              for (const f of all.frames) expect(f.data.length).toBe(f.width * f.height * 4);
            } else {
              const img = decodeWebp(b, undefined, 1 << 22);
              expect(img.data.length).toBe(img.width * img.height * 4);
              // Pulled as rows too (lossless only): the same pixels, or a DecodeError.
              if (facts.webpVp8l) {
                const rows = openWebpRows(b, 1 << 22, (r) => {
                  const out = new Uint8ClampedArray(r.width * r.height * 4);
                  for (let y = 0; y < r.height; y++) out.set(r.row(y), y * r.width * 4);
                  return out;
                });
                expect(firstDiff(rows, img.data)).toBe(-1);
              }
            }
            decoded++;
          } catch (err) {
            expect(err).toBeInstanceOf(DecodeError);
          }
        },
      ),
      { numRuns: 300 },
    );
    expect(decoded).toBeGreaterThan(0);
    // Whatever happened, the next decode still works.
    expect(decodeWebp(good).width).toBe(96);
    expect(openWebpRows(good, 0, (r) => r.row(63).length)).toBe(96 * 4);
  });
});
