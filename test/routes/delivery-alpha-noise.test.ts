/**
 * A WebP variant of an upload whose alpha is noise, through the real Worker. libwebp encodes
 * the alpha plane losslessly within a memory budget set by the plane's size alone
 * (wasm/libwebp/alpha-budget.patch; wasm/README.md, "The alpha plane's memory"): a plane that
 * needs more (noise: a VP8L reference for nearly every pixel) is stored uncompressed instead.
 * Its alpha must come out exactly as the PNG variant of the same transform has it, and a real
 * alpha plane must still be compressed.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeImage } from '../../src/codecs/decode';
import { encodeImage } from '../../src/codecs/encode';
import { call, fixture, upload } from '../helpers';

const W = 1600;
const H = 1200;
const ids = new Map<string, string>();

/** Hashed noise in 0..255 (every pixel its own level). */
function noise(x: number, y: number): number {
  let s = Math.imul(x, 73856093) ^ Math.imul(y, 19349663);
  s = Math.imul(s ^ (s >>> 16), 0x45d9f3b);
  return (s ^ (s >>> 16)) & 255;
}

beforeAll(async () => {
  const data = new Uint8ClampedArray(W * H * 4);
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++) {
      const i = (y * W + x) * 4;
      data.set([(x * 255) / W, (y * 255) / H, 128, noise(x, y)], i);
    }
  const png = await encodeImage({ data, width: W, height: H }, 'png');
  const up = await upload(png);
  expect(up.res.status).toBe(201);
  ids.set('noise', up.json.id as string);
  ids.set('bug', (await upload(await fixture('images/alpha/blackbug.png'))).json.id as string);
}, 120_000);

/** GETs a variant of `name`; asserts a 200 of `type` and returns its bytes and pixels. */
async function get(name: string, transform: string, format: 'webp' | 'png') {
  const res = await call(`/img/${ids.get(name)!}/${transform},f=${format}`);
  const body = new Uint8Array(await res.arrayBuffer());
  expect(res.status, `${transform}: ${new TextDecoder().decode(body.slice(0, 300))}`).toBe(200);
  expect(res.headers.get('Content-Type')).toBe(`image/${format}`);
  return { bytes: body, img: await decodeImage(body, format) };
}

/** The ALPH chunk's compression method (0 raw, 1 lossless), or null without one. */
function alphMethod(webp: Uint8Array): number | null {
  for (let i = 12; i + 8 <= webp.length;) {
    const tag = String.fromCharCode(...webp.subarray(i, i + 4));
    const size = webp[i + 4]! | (webp[i + 5]! << 8) | (webp[i + 6]! << 16) | (webp[i + 7]! << 24);
    if (tag === 'ALPH') return webp[i + 8]! & 3;
    i += 8 + size + (size & 1);
  }
  return null;
}

const alphaOf = (d: ArrayLike<number>) =>
  Uint8Array.from({ length: d.length / 4 }, (_, i) => d[i * 4 + 3]!);

describe('WebP of an upload whose alpha is noise', () => {
  it('serves w=1000 with the alpha of the PNG variant, the plane stored uncompressed', async () => {
    const webp = await get('noise', 'w=1000', 'webp');
    const png = await get('noise', 'w=1000', 'png');
    expect([webp.img.width, webp.img.height]).toEqual([1000, 750]);
    expect(alphMethod(webp.bytes)).toBe(0); // over libwebp's budget: raw
    const a = alphaOf(webp.img.data);
    const b = alphaOf(png.img.data);
    expect(a.findIndex((v, i) => v !== b[i])).toBe(-1);
  });

  it('serves the full size with the uploaded alpha', async () => {
    const webp = await get('noise', `w=${W}`, 'webp');
    expect([webp.img.width, webp.img.height]).toEqual([W, H]);
    const a = alphaOf(webp.img.data);
    let diff = -1;
    for (let i = 0; i < a.length && diff < 0; i++)
      if (a[i] !== noise(i % W, Math.floor(i / W))) diff = i;
    expect(diff).toBe(-1);
  });

  it('still compresses a real alpha plane of the same size', async () => {
    const webp = await get('bug', 'w=1000', 'webp');
    expect(alphMethod(webp.bytes)).toBe(1);
  });
});
