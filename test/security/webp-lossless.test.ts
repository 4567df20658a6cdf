/**
 * CVE-2023-4863: WebP files that would run libwebp 1.1.0's lossless decoder (a VP8L chunk,
 * alone, inside VP8X or inside an animation frame; or an ALPH chunk compressed losslessly) are
 * refused at upload with 415, before any decoder runs. Test files are made here with
 * @jsquash/webp's own encoder (no binary fixtures).
 */
import { defaultOptions as webpDefaults } from '@jsquash/webp/meta.js';
import { describe, expect, it } from 'vitest';
import { probe } from '../../src/codecs/probe';
import type { RawImage } from '../../src/codecs/types';
import { webpLosslessReason } from '../../src/security/webp-lossless';
import { withCodec } from '../../wasm';
import { call, KEYS, upload } from '../helpers';

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

/** Encodes with libwebp's encoder and explicit options. */
async function webp(img: RawImage, opts: Partial<typeof webpDefaults>): Promise<Uint8Array> {
  const out = await withCodec('webpEnc', (c) =>
    c.encode(img.data, img.width, img.height, { ...webpDefaults, ...opts }),
  );
  if (!out) throw new Error('encode failed');
  return new Uint8Array(out);
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
    const lossless = await webp(picture(false), { lossless: 1 });
    expect(webpLosslessReason(lossless)).toBe('VP8L');
    const vp8l = firstChunk(lossless);
    expect(vp8l.name).toBe('VP8L');
    const extended = riff([...vp8x(0, 24, 16), ...chunk('VP8L', vp8l.data)]);
    expect(probe(extended)).toMatchObject({ format: 'webp', width: 24, height: 16 });
    expect(webpLosslessReason(extended)).toBe('VP8L');

    const lossy = await webp(picture(false), {});
    expect(webpLosslessReason(lossy)).toBeNull();
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
    expect(probe(animated(chunk('VP8L', vp8l.data)))).toMatchObject({ format: 'webp', frames: 1 });

    const alphaLossless = await webp(picture(true), {}); // libwebp default: alpha_compression 1
    expect(webpLosslessReason(alphaLossless)).toBe('ALPH');
    const alphaRaw = await webp(picture(true), { alpha_compression: 0 });
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

describe('upload', () => {
  it('refuses lossless WebP with 415, accepts lossy WebP (with uncompressed alpha too)', async () => {
    const lossless = await webp(picture(false), { lossless: 1 });
    const vp8l = firstChunk(lossless);
    const refused = [
      lossless,
      riff([...vp8x(0, 24, 16), ...chunk('VP8L', vp8l.data)]),
      await webp(picture(true), {}),
    ];
    for (const bytes of refused) {
      const res = await call('/v1/images', { method: 'POST', body: bytes, key: KEYS.alice });
      expect(res.status).toBe(415);
      expect(await res.json()).toMatchObject({
        type: '/problems/unsupported-media-type',
        reason: 'webp-lossless',
      });
    }
    for (const bytes of [
      await webp(picture(false), {}),
      await webp(picture(true), { alpha_compression: 0 }),
    ]) {
      const { res, json } = await upload(bytes);
      expect(res.status).toBe(201);
      const variant = await call(`/img/${json.id as string}/w=12,f=png`);
      expect(variant.status).toBe(200);
    }
  });
});
