/**
 * AVIF outputs through the real Worker, encoded by our own module (wasm/avif_enc.wasm: aom
 * 3.12.1 + libavif 1.4.2; src/codecs/avif-enc.ts): odd output sizes, alpha kept (and no alpha
 * item for an opaque image), the quality option, the stored variant equal to the answer.
 * Outputs are decoded here and compared with the PNG variant of the same transform (lossless).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeImage } from '../../src/codecs/decode';
import { call, fixture, psnr, upload } from '../helpers';

const ids = new Map<string, string>();

beforeAll(async () => {
  for (const file of ['kodak/kodim01.png', 'alpha/blackbug.png']) {
    const { json } = await upload(await fixture(`images/${file}`));
    ids.set(file, json.id as string);
  }
});

/** GETs a variant; asserts a 200 of `type` and returns its bytes and decoded pixels. */
async function get(file: string, transform: string, type: string) {
  const res = await call(`/img/${ids.get(file)!}/${transform}`);
  expect(
    res.status,
    `${transform}: ${res.status} ${res.status !== 200 ? await res.clone().text() : ''}`,
  ).toBe(200);
  expect(res.headers.get('Content-Type')).toBe(type);
  const bytes = new Uint8Array(await res.arrayBuffer());
  return { res, bytes, img: await decodeImage(bytes, type === 'image/avif' ? 'avif' : 'png') };
}

const ALPHA_URN = 'urn:mpeg:mpegB:cicp:systems:auxiliary:alpha';
const has = (bytes: Uint8Array, text: string) =>
  new TextDecoder('latin1').decode(bytes).includes(text);

describe('AVIF output', () => {
  it('encodes odd sizes of an opaque image, without an alpha item', async () => {
    // kodim01 is 768x512: w=301 → 301x201.
    const avif = await get('kodak/kodim01.png', 'w=301,f=avif', 'image/avif');
    const png = await get('kodak/kodim01.png', 'w=301,f=png', 'image/png');
    expect([avif.img.width, avif.img.height]).toEqual([301, 201]);
    expect(has(avif.bytes, ALPHA_URN)).toBe(false);
    expect(psnr(avif.img, png.img, { from: 0, to: 2 })).toBeGreaterThan(26);
    // The second request is the stored variant: the same bytes.
    const again = await get('kodak/kodim01.png', 'w=301,f=avif', 'image/avif');
    expect(again.res.headers.get('X-Cache')).toBe('HIT');
    expect(again.bytes).toEqual(avif.bytes);
  });

  it('keeps alpha at an odd size', async () => {
    const avif = await get('alpha/blackbug.png', 'w=151,f=avif', 'image/avif');
    const png = await get('alpha/blackbug.png', 'w=151,f=png', 'image/png');
    expect(avif.img.width).toBe(151);
    expect(avif.img.height % 2).toBe(1);
    expect(has(avif.bytes, ALPHA_URN)).toBe(true);
    expect(psnr(avif.img, png.img, { from: 3, to: 3 })).toBeGreaterThan(30);
    expect(psnr(avif.img, png.img, { from: 0, to: 2, minAlpha: 255 })).toBeGreaterThan(26);
  });

  it('honours the quality option', async () => {
    const low = await get('kodak/kodim01.png', 'w=400,f=avif,q=20', 'image/avif');
    const high = await get('kodak/kodim01.png', 'w=400,f=avif,q=90', 'image/avif');
    const ref = await get('kodak/kodim01.png', 'w=400,f=png', 'image/png');
    expect(high.bytes.length).toBeGreaterThan(low.bytes.length * 2);
    expect(psnr(high.img, ref.img, { from: 0, to: 2 })).toBeGreaterThan(
      psnr(low.img, ref.img, { from: 0, to: 2 }) + 4,
    );
  });
});
