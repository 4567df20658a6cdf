/**
 * Colour adjustments and `border` through the Worker (src/transform/adjust.ts, border.ts).
 * Adjustments are compared with sharp on the same lossless input (vitest.config.ts,
 * `fixtures/sharp-adjust/`): brightness and contrast with `linear`, gamma with `gamma`,
 * saturation with `recomb` and the CSS `saturate()` matrix. Bound: mean absolute error per
 * channel ≤ 0.6 and no channel off by more than 1 (the two round differently: sharp truncates
 * some steps, we round once). Borders: output size and edge pixels.
 */
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { decodeImage } from '../../src/codecs/decode';
import type { RawImage } from '../../src/codecs/types';
import { call, fixture, upload } from '../helpers';

/** 768x512 sRGB PNG, no profile, no alpha: the adjustments see exactly its pixels. */
const KODIM = 'images/kodak/kodim03.png';
/** 200x240 PNG with alpha. */
const MC = 'images/trim/trim-mc.png';

const ids = new Map<string, Promise<string>>();
function idOf(path: string): Promise<string> {
  if (!ids.has(path))
    ids.set(
      path,
      (async () => {
        const { res, json } = await upload(await fixture(path));
        expect([200, 201]).toContain(res.status);
        return json.id as string;
      })(),
    );
  return ids.get(path)!;
}

/** One PNG variant through the Worker, decoded, with its ETag. */
async function variant(path: string, options: string) {
  const res = await call(`/img/${await idOf(path)}/${options}`);
  expect(res.status).toBe(200);
  const img = await decodeImage(new Uint8Array(await res.arrayBuffer()), 'png');
  return { img, etag: res.headers.get('etag') };
}

/** sharp's rendering of KODIM with one operation (see vitest.config.ts), raw RGBA8. */
async function sharpAdjusted(query: string): Promise<Uint8Array> {
  const res = await env.FIXTURES.fetch(`http://fixtures/sharp-adjust/${KODIM}?${query}`);
  expect(res.status).toBe(200);
  return new Uint8Array(await res.arrayBuffer());
}

/** Mean and largest absolute difference over the RGB channels. */
function errors(img: RawImage, ref: Uint8Array) {
  expect(img.data.length).toBe(ref.length);
  let sum = 0;
  let max = 0;
  for (let i = 0; i < ref.length; i++) {
    if (i % 4 === 3) continue;
    const d = Math.abs(img.data[i]! - ref[i]!);
    sum += d;
    max = Math.max(max, d);
  }
  return { mean: sum / ((ref.length / 4) * 3), max };
}

/** CSS Filter Effects `saturate(s)` as a row-major 3x3 matrix. */
const saturate = (s: number) => {
  const [r, g, b] = [0.213, 0.715, 0.072];
  return [
    [r + (1 - r) * s, g - g * s, b - b * s],
    [r - r * s, g + (1 - g) * s, b - b * s],
    [r - r * s, g - g * s, b + (1 - b) * s],
  ].flat();
};

describe('brightness, contrast, gamma, saturation (sRGB values, as sharp computes them)', () => {
  const cases: [string, string][] = [
    ['brightness=0.5', 'op=linear&a=0.5&b=0'],
    ['brightness=1.6', 'op=linear&a=1.6&b=0'],
    ['contrast=0.5', `op=linear&a=0.5&b=${127.5 * 0.5}`],
    ['contrast=2', `op=linear&a=2&b=${127.5 * -1}`],
    // gamma g: v^(1/g); sharp's gamma(in, out) applies v^in, then v^(1/out).
    ['gamma=2', 'op=gamma&in=1&out=2'],
    ['gamma=0.5', 'op=gamma&in=2&out=1'],
    ['saturation=0', `op=recomb&m=${saturate(0).join(',')}`],
    ['saturation=0.5', `op=recomb&m=${saturate(0.5).join(',')}`],
    ['saturation=2', `op=recomb&m=${saturate(2).join(',')}`],
  ];
  for (const [option, query] of cases)
    it(`${option} matches sharp within the stated bound`, async () => {
      const { img } = await variant(KODIM, `${option},f=png`);
      const plain = (await variant(KODIM, 'f=png')).img;
      const ref = await sharpAdjusted(query);
      const err = errors(img, ref);
      expect(err.mean).toBeLessThanOrEqual(0.6);
      expect(err.max).toBeLessThanOrEqual(1);
      expect(errors(plain, ref).mean).toBeGreaterThan(5); // the option did change the pixels
    });

  it('1 (and 0 for brightness, contrast, gamma) is no change: the same variant as none', async () => {
    const plain = (await variant(KODIM, 'f=png')).etag;
    for (const o of ['brightness=1', 'contrast=1.0', 'gamma=0', 'saturation=1', 'brightness=0'])
      expect((await variant(KODIM, `${o},f=png`)).etag, o).toBe(plain);
  });

  it('two spellings are one variant; out of range is a 400', async () => {
    expect((await variant(KODIM, 'brightness=0.50,f=png')).etag).toBe(
      (await variant(KODIM, 'f=png,brightness=0.5')).etag,
    );
    const id = await idOf(KODIM);
    for (const [o, option] of [
      ['saturation=11', 'saturation'],
      ['gamma=-1', 'gamma'],
      ['contrast=x', 'contrast'],
    ]) {
      const res = await call(`/img/${id}/${o}`);
      expect(res.status).toBe(400);
      expect(((await res.json()) as { option: string }).option).toBe(option);
    }
  });

  it('leaves alpha alone', async () => {
    const plain = (await variant(MC, 'f=png')).img;
    const { img } = await variant(MC, 'brightness=0.5,saturation=0,f=png');
    let alphaDiffers = 0;
    for (let i = 3; i < img.data.length; i += 4) if (img.data[i] !== plain.data[i]) alphaDiffers++;
    expect(alphaDiffers).toBe(0);
  });
});

describe('border', () => {
  const px = (img: RawImage, x: number, y: number) =>
    Array.from(img.data.subarray((y * img.width + x) * 4, (y * img.width + x) * 4 + 4));

  it('border.width adds a uniform border outside the resized image', async () => {
    const inner = (await variant(KODIM, 'w=300,f=png')).img;
    const { img } = await variant(KODIM, 'w=300,border.width=5,border.color=ff0000,f=png');
    expect([img.width, img.height]).toEqual([inner.width + 10, inner.height + 10]);
    for (const [x, y] of [
      [0, 0],
      [4, 100],
      [img.width - 1, img.height - 1],
      [150, img.height - 5],
    ])
      expect(px(img, x!, y!)).toEqual([255, 0, 0, 255]);
    // Inside: the resized image, untouched.
    for (const [x, y] of [
      [0, 0],
      [inner.width - 1, inner.height - 1],
      [123, 45],
    ])
      expect(px(img, x! + 5, y! + 5)).toEqual(px(inner, x!, y!));
  });

  it('per-side widths, × dpr, around a padded canvas', async () => {
    const { img } = await variant(
      KODIM,
      'w=100,h=100,fit=pad,background=0000ff,dpr=2,border.top=1,border.right=2,border.bottom=3,border.left=4,border.color=00ff0080,f=png',
    );
    expect([img.width, img.height]).toEqual([200 + 12, 200 + 8]);
    expect(px(img, 0, 0)).toEqual([0, 255, 0, 128]); // border (semi-transparent, kept as is)
    expect(px(img, 7, 1)).toEqual([0, 255, 0, 128]); // left border is 8 wide
    expect(px(img, 8, 2)).toEqual([0, 0, 255, 255]); // pad background inside the border
    expect(px(img, img.width - 4, 100)).toEqual([0, 255, 0, 128]); // right border is 4 wide
    expect(px(img, img.width - 5, 100)).not.toEqual([0, 255, 0, 128]);
    expect(px(img, 100, img.height - 6)).toEqual([0, 255, 0, 128]); // bottom border is 6 high
  });

  it('two spellings are one variant; a border without a colour is a 400', async () => {
    expect((await variant(KODIM, 'w=50,border.width=3,border.color=%23FF0000,f=png')).etag).toBe(
      (
        await variant(
          KODIM,
          'w=50,border.top=3,border.right=3,border.bottom=3,border.left=3,border.color=ff0000,f=png',
        )
      ).etag,
    );
    const id = await idOf(KODIM);
    for (const [o, option] of [
      ['border.width=3', 'border.color'],
      ['border.color=red', 'border.color'],
      ['border.width=3,border.top=1,border.color=000', 'border.width'],
      ['border.width=1001,border.color=000', 'border.width'],
    ]) {
      const res = await call(`/img/${id}/${o}`);
      expect(res.status, o).toBe(400);
      expect(((await res.json()) as { option: string }).option).toBe(option);
    }
  });
});
