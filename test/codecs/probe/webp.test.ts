/**
 * Lossless WebP (a VP8L chunk, alone, inside VP8X or inside an animation frame; or an ALPH
 * chunk compressed losslessly) is found by `webpLosslessReason`, recorded for the planner, and
 * decoded by libwebp 1.5.0 (wasm/libwebp.wasm, which has the CVE-2023-4863 fix). Test files
 * are made here with libwebp's own encoder (no binary fixtures).
 */
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { decodeImage } from '../../../src/codecs/decode';
import { probe } from '../../../src/codecs/probe';
import type { RawImage } from '../../../src/codecs/types';
import { riffChunks, webpLosslessReason } from '../../../src/codecs/probe/webp';
import { wasmMemory } from '../../../wasm/instances';
import { getImageById } from '../../../src/storage/images-db';
import { call, encodeWebp, upload } from '../../helpers';

/** A 24x16 gradient; `alpha` makes the left half half-transparent. */
function picture(alpha: boolean): RawImage {
  const width = 24;
  const height = 16;
  const data = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      data.set([x * 10, y * 15, 128, alpha && x < 12 ? 128 : 255], i);
    }
  return { data, width, height };
}

const ascii = (s: string) => Array.from(s, (c) => c.charCodeAt(0));
const le = (n: number, bytes: number) =>
  Array.from({ length: bytes }, (_, i) => (n >>> (8 * i)) & 255);
const chunk = (name: string, data: number[]) => [
  ...ascii(name),
  ...le(data.length, 4),
  ...data,
  ...(data.length & 1 ? [0] : []),
];
const riff = (chunks: number[]) =>
  new Uint8Array([...ascii('RIFF'), ...le(4 + chunks.length, 4), ...ascii('WEBP'), ...chunks]);

/** The payload of the first chunk of a simple-format WebP file. */
const firstChunk = (file: Uint8Array) => {
  const size = file[16]! | (file[17]! << 8) | (file[18]! << 16) | (file[19]! << 24);
  return {
    name: String.fromCharCode(...file.subarray(12, 16)),
    data: [...file.subarray(20, 20 + size)],
  };
};

/** VP8X header chunk: flags, canvas w x h. */
const vp8x = (flags: number, w: number, h: number) =>
  chunk('VP8X', [flags, 0, 0, 0, ...le(w - 1, 3), ...le(h - 1, 3)]);

describe('webpLosslessReason', () => {
  it('finds VP8L alone, in VP8X, in animation frames, and lossless ALPH', async () => {
    const lossless = await encodeWebp(picture(false), { lossless: 1 });
    expect(webpLosslessReason(lossless)).toBe('VP8L');
    const vp8l = firstChunk(lossless);
    expect(vp8l.name).toBe('VP8L');
    const extended = riff([...vp8x(0, 24, 16), ...chunk('VP8L', vp8l.data)]);
    expect(probe(extended)).toMatchObject({ format: 'webp', width: 24, height: 16 });
    expect(webpLosslessReason(extended)).toBe('VP8L');
    // The probe reports it as a fact (what uploads record for the planner).
    expect(probe(lossless).webpLossless).toBe(true);
    expect(probe(extended).webpLossless).toBe(true);
    // …and whether the image itself is VP8L (decoded in a window of rows).
    expect(probe(lossless).webpVp8l).toBe(true);
    expect(probe(extended).webpVp8l).toBe(true);

    const lossy = await encodeWebp(picture(false), {});
    expect(webpLosslessReason(lossy)).toBeNull();
    expect(probe(lossy).webpLossless).toBe(false);
    expect(probe(lossy).webpVp8l).toBe(false);
    const vp8 = firstChunk(lossy);
    const frame = (inner: number[]) =>
      chunk('ANMF', [
        ...le(0, 3),
        ...le(0, 3),
        ...le(23, 3),
        ...le(15, 3),
        ...le(100, 3),
        0,
        ...inner,
      ]);
    const anim = chunk('ANIM', [0, 0, 0, 0, 0, 0]);
    const animated = (inner: number[]) => riff([...vp8x(0x02, 24, 16), ...anim, ...frame(inner)]);
    expect(webpLosslessReason(animated(chunk('VP8 ', vp8.data)))).toBeNull();
    expect(webpLosslessReason(animated(chunk('VP8L', vp8l.data)))).toBe('VP8L');
    expect(probe(animated(chunk('VP8L', vp8l.data)))).toMatchObject({
      format: 'webp',
      frames: 1,
      webpLossless: true,
      webpVp8l: false,
    });

    const alphaLossless = await encodeWebp(picture(true), {}); // libwebp default: alpha_compression 1
    expect(webpLosslessReason(alphaLossless)).toBe('ALPH');
    expect(probe(alphaLossless)).toMatchObject({ webpLossless: true, webpVp8l: false });
    const alphaRaw = await encodeWebp(picture(true), { alpha_compression: 0 });
    expect(webpLosslessReason(alphaRaw)).toBeNull();
    expect(probe(alphaRaw)).toMatchObject({ hasAlpha: true });
  });

  it('never throws and stays inside the data for truncated or hostile chunk sizes', () => {
    const cases = [
      new Uint8Array(),
      riff([]),
      riff([...ascii('VP8X'), ...le(0xffffffff, 4)]),
      riff([...vp8x(0x02, 1, 1), ...ascii('ANMF'), ...le(0xfffffff0, 4), 1, 2, 3]),
      riff([...vp8x(0, 1, 1), ...ascii('ALPH'), ...le(0, 4)]),
      riff([...vp8x(0, 1, 1), ...ascii('ALPH'), ...le(1, 4)]).subarray(0, 40),
    ];
    for (const c of cases) expect(() => webpLosslessReason(c)).not.toThrow();
  });
});

describe('upload and delivery', () => {
  it('accepts lossless WebP and lossless alpha, and decodes them exactly', async () => {
    const lossless = await encodeWebp(picture(false), { lossless: 1 });
    const vp8l = firstChunk(lossless);
    const files: [string, Uint8Array, RawImage][] = [
      ['VP8L', lossless, picture(false)],
      ['VP8X + VP8L', riff([...vp8x(0, 24, 16), ...chunk('VP8L', vp8l.data)]), picture(false)],
      ['VP8L with alpha', await encodeWebp(picture(true), { lossless: 1 }), picture(true)],
    ];
    for (const [name, bytes, source] of files) {
      const { res, json } = await upload(bytes);
      expect(res.status, name).toBe(201);
      // Recorded, so the planner charges the lossless decoder's figures.
      expect((await getImageById(env.DB, json.id as string))?.webpLossless, name).toBe(true);
      const out = await call(`/img/${json.id as string}/f=png`);
      expect(out.status, name).toBe(200);
      // Lossless all the way: the PNG holds the source pixels exactly.
      const png = await decodeImage(new Uint8Array(await out.arrayBuffer()), 'png');
      expect(png.data, name).toEqual(source.data);
    }
    // A lossy picture with lossless alpha (libwebp's default): its alpha plane is exact.
    const { json } = await upload(await encodeWebp(picture(true), {}));
    const alpha = await decodeImage(
      new Uint8Array(await (await call(`/img/${json.id as string}/f=png`)).arrayBuffer()),
      'png',
    );
    for (let i = 3; i < alpha.data.length; i += 4)
      expect(alpha.data[i]).toBe(picture(true).data[i]);
    expect(wasmMemory().webpDec).toBeGreaterThan(0);
  });

  it('records lossy WebP (and uncompressed alpha) as lossy', async () => {
    for (const bytes of [
      await encodeWebp(picture(false), {}),
      await encodeWebp(picture(true), { alpha_compression: 0 }),
    ]) {
      const { res, json } = await upload(bytes);
      expect(res.status).toBe(201);
      expect((await getImageById(env.DB, json.id as string))?.webpLossless).toBe(false);
      const variant = await call(`/img/${json.id as string}/w=12,f=png`);
      expect(variant.status).toBe(200);
    }
  });
});

describe('riffChunks (the one WebP chunk walker)', () => {
  /** A chunk: FourCC, u32 LE size, data, pad byte when odd. */
  const chunk = (name: string, data: number[]) => [
    ...ascii(name),
    data.length & 0xff,
    (data.length >> 8) & 0xff,
    0,
    0,
    ...data,
    ...(data.length & 1 ? [0] : []),
  ];
  const walk = (b: number[], end = b.length) =>
    [...riffChunks(Uint8Array.from(b), 0, end)].map((c) => [
      String.fromCharCode(
        c.type >>> 24,
        (c.type >>> 16) & 0xff,
        (c.type >>> 8) & 0xff,
        c.type & 0xff,
      ),
      c.size,
      c.data,
      c.end,
      c.complete,
    ]);

  it('steps over pad bytes and stops at a header that does not fit', () => {
    const b = [...chunk('VP8X', [1, 2, 3]), ...chunk('EXIF', [4, 5]), 9, 9, 9];
    expect(walk(b)).toEqual([
      ['VP8X', 3, 8, 11, true],
      ['EXIF', 2, 20, 22, true],
    ]);
  });

  it('yields a truncated chunk once, clamped to the end, and stops there', () => {
    const b = [...chunk('ANMF', [1, 2, 3, 4, 5, 6]), ...chunk('ALPH', [1])];
    expect(walk(b, 12)).toEqual([['ANMF', 6, 8, 12, false]]);
  });
});
