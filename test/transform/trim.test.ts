/**
 * `trim` through the Worker (src/transform/trim.ts): `trim=border` keeps exactly the box
 * sharp's `trim()` keeps (libvips' find_trim, served by vitest.config.ts as
 * `fixtures/sharp-trim/`), with its tolerance, colour and `keep`; `trim=top;right;bottom;left`
 * and `trim.*` cut exact pixels of the upright image before resizing; two spellings of one trim
 * are one variant; malformed trims are 400s.
 */
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { decodeImage } from '../../src/codecs/decode';
import { probe } from '../../src/codecs/probe';
import type { RawImage } from '../../src/codecs/types';
import type { Rect } from '../../src/transform/geometry';
import { estimateVariant } from '../../src/transform/cost';
import { parseTransform } from '../../src/transform/spec';
import { call, fixture, upload } from '../helpers';

const MC = 'images/trim/trim-mc.png';
const GRADIENT = 'images/trim/slight-gradient-border.png';

/** Uploads a ../shared file once per test file; its id and decoded pixels. */
const uploaded = new Map<string, Promise<{ id: string; pixels: RawImage }>>();
function source(path: string) {
  if (!uploaded.has(path))
    uploaded.set(
      path,
      (async () => {
        const bytes = await fixture(path);
        const { res, json } = await upload(bytes);
        expect([200, 201]).toContain(res.status);
        return { id: json.id as string, pixels: await decodeImage(bytes, 'png') };
      })(),
    );
  return uploaded.get(path)!;
}

/** One variant through the Worker: the response and its pixels decoded from PNG. */
async function variant(id: string, options: string) {
  const res = await call(`/img/${id}/${options}`);
  expect(res.status).toBe(200);
  return { res, img: await decodeImage(new Uint8Array(await res.arrayBuffer()), 'png') };
}

/** sharp's trim box for a ../shared file (vitest.config.ts, `sharp-trim/`). */
async function sharpBox(path: string, threshold: number, background?: string): Promise<Rect> {
  const q = `threshold=${threshold}${background ? `&background=${background}` : ''}`;
  const res = await env.FIXTURES.fetch(`http://fixtures/sharp-trim/${path}?${q}`);
  return (await res.json()) as Rect;
}

/** Asserts `img` is exactly the `box` region of `src` (RGBA8; colour ignored where both are transparent). */
function expectRegion(img: RawImage, src: RawImage, box: Rect) {
  expect([img.width, img.height]).toEqual([box.width, box.height]);
  let differing = 0;
  for (let y = 0; y < box.height; y++)
    for (let x = 0; x < box.width; x++) {
      const o = (y * img.width + x) * 4;
      const s = ((y + box.top) * src.width + x + box.left) * 4;
      // A fully transparent pixel has no colour (the PNG module resamples premultiplied).
      const clear = img.data[o + 3] === 0 && src.data[s + 3] === 0;
      for (let c = clear ? 3 : 0; c < 4; c++) if (img.data[o + c] !== src.data[s + c]) differing++;
    }
  expect(differing).toBe(0);
}

describe('trim=border (libvips find_trim, as sharp trim())', () => {
  const cases: [string, string, number, string?][] = [
    [MC, '', 10], // alpha: flattened over the corner colour, alpha searched too
    [MC, ',trim.border.tolerance=40', 40],
    [MC, ',trim.border.tolerance=0', 0],
    [GRADIENT, '', 10], // a slight gradient in the border: inside the default tolerance
    [GRADIENT, ',trim.border.tolerance=3', 3],
    [GRADIENT, ',trim.border.color=d0d0d0,trim.border.tolerance=20', 20, 'd0d0d0'],
  ];
  for (const [path, extra, threshold, background] of cases)
    it(`${path.split('/').pop()}${extra}: exactly sharp's box`, async () => {
      const { id, pixels } = await source(path);
      const box = await sharpBox(path, threshold, background);
      expect(box.width * box.height).toBeLessThan(pixels.width * pixels.height); // trims something
      const { img } = await variant(id, `trim=border${extra},f=png`);
      expectRegion(img, pixels, box);
    });

  it('trim.border.keep keeps that many pixels of border on each side', async () => {
    const { id, pixels } = await source(MC);
    const b = await sharpBox(MC, 10);
    const { img } = await variant(id, 'trim=border,trim.border.keep=5,f=png');
    expectRegion(img, pixels, {
      left: b.left - 5,
      top: b.top - 5,
      width: b.width + 10,
      height: b.height + 10,
    });
  });

  it('is applied before resizing: the box is what is resized', async () => {
    const { id } = await source(GRADIENT);
    const box = await sharpBox(GRADIENT, 10);
    const { img } = await variant(id, 'trim=border,w=100,f=png');
    expect([img.width, img.height]).toEqual([100, Math.round((100 * box.height) / box.width)]);
  });
});

describe('trim=top;right;bottom;left and trim.*', () => {
  it('cuts exact pixels off each side', async () => {
    const { id, pixels } = await source(MC);
    const { img } = await variant(id, 'trim=20;30;40;10,f=png');
    expectRegion(img, pixels, { left: 10, top: 20, width: 200 - 40, height: 240 - 60 });
  });

  it('trim.width and trim.height keep that much from the left/top edge left', async () => {
    const { id, pixels } = await source(MC);
    const { img } = await variant(id, 'trim.left=7,trim.top=9,trim.width=50,trim.height=60,f=png');
    expectRegion(img, pixels, { left: 7, top: 9, width: 50, height: 60 });
  });

  it('takes dpr into account (CSS pixels × dpr)', async () => {
    const { id, pixels } = await source(MC);
    const { img } = await variant(id, 'trim=5;10;15;20,dpr=2,f=png');
    expectRegion(img, pixels, { left: 40, top: 10, width: 200 - 60, height: 240 - 40 });
  });

  it('is applied before resizing', async () => {
    const { id } = await source(MC);
    const { img } = await variant(id, 'trim=0;100;40;0,w=50,f=png');
    expect([img.width, img.height]).toEqual([50, 100]);
  });

  it('refers to the upright image (after EXIF orientation, before rotate)', async () => {
    const bytes = await fixture('images/exif/Landscape_6.jpg');
    const { json } = await upload(bytes);
    const id = json.id as string;
    const whole = (await variant(id, 'f=png')).img;
    const left = (await variant(id, 'trim=0;0;0;100,f=png')).img;
    expect([left.width, left.height]).toEqual([whole.width - 100, whole.height]);
    const rotated = (await variant(id, 'trim=0;0;0;100,rotate=90,f=png')).img;
    expect([rotated.width, rotated.height]).toEqual([whole.height, whole.width - 100]);
  });

  it('a trim larger than the image leaves one pixel, never an error', async () => {
    const { id } = await source(MC);
    const { img } = await variant(id, 'trim=0;150;0;150,f=png');
    expect([img.width, img.height]).toEqual([1, 240]);
  });
});

describe('trim and the cost of decoding', () => {
  it('the planner charges trim=border a full-size decode (no shrink-on-load); pixel trims keep it', async () => {
    const src = probe(await fixture('images/large/Carrie.jpg'));
    const cost = (t: string) => estimateVariant(src, parseTransform(t), 'webp');
    const plain = cost('w=400');
    expect(plain.decodeScale).toBeGreaterThan(1);
    const border = cost('w=400,trim=border');
    expect(border.decodeScale).toBe(1);
    expect(border.decodedPixels).toBe(src.width * src.height);
    expect(border.cpuMs).toBeGreaterThan(plain.cpuMs);
    expect(cost('w=400,trim=100;200;300;400').decodeScale).toBe(plain.decodeScale);
  });

  it('a pixel trim on a JPEG shrunk on load keeps the trimmed shape (within a scaled pixel)', async () => {
    const bytes = await fixture('images/large/Carrie.jpg');
    const { width, height } = probe(bytes); // orientation 1
    const { json } = await upload(bytes);
    const res = await call(`/img/${json.id as string}/trim=100;200;300;400,w=400,f=png`);
    expect(res.status).toBe(200);
    const img = await decodeImage(new Uint8Array(await res.arrayBuffer()), 'png');
    expect(img.width).toBe(400);
    expect(Math.abs(img.height - (400 * (height - 400)) / (width - 600))).toBeLessThanOrEqual(1);
  });

  it('a pixel trim crops every frame of an animation', async () => {
    const bytes = await fixture('images/animated/animated-loop-3.gif');
    const before = probe(bytes);
    const { json } = await upload(bytes);
    const res = await call(`/img/${json.id as string}/trim=1;2;3;4,f=webp`);
    expect(res.status).toBe(200);
    const out = probe(new Uint8Array(await res.arrayBuffer()));
    expect([out.width, out.height, out.frames]).toEqual([
      before.width - 6,
      before.height - 4,
      before.frames,
    ]);
  });
});

describe('trim=border on an animation', () => {
  it("trims every frame by the first frame's box (sharp reads the first frame)", async () => {
    const path = 'images/animated/animated-loop-3.gif';
    const bytes = await fixture(path);
    const box = await sharpBox(path, 10);
    const { json } = await upload(bytes);
    const res = await call(`/img/${json.id as string}/trim=border,f=webp`);
    expect(res.status).toBe(200);
    const out = probe(new Uint8Array(await res.arrayBuffer()));
    expect([out.width, out.height, out.frames]).toEqual([
      box.width,
      box.height,
      probe(bytes).frames,
    ]);
  });
});

describe('trim: canonical form and errors', () => {
  /** The ETag (the variant's identity) of a spelling. */
  async function etag(id: string, options: string) {
    const res = await call(`/img/${id}/${options}`);
    expect(res.status).toBe(200);
    await res.arrayBuffer();
    return res.headers.get('etag');
  }

  it('two spellings of one trim are one variant', async () => {
    const { id } = await source(MC);
    expect(await etag(id, 'trim.top=10,trim.left=5,f=png')).toBe(
      await etag(id, 'f=png,trim=10;0;0;5'),
    );
    expect(await etag(id, 'trim=border,trim.border.tolerance=10,f=png')).toBe(
      await etag(id, 'trim=border,f=png'),
    );
    expect(await etag(id, 'trim=0;0;0;0,f=png')).toBe(await etag(id, 'f=png'));
  });

  it.each([
    ['trim=1;2;3', 'trim'],
    ['trim=a;b;c;d', 'trim'],
    ['trim=sides', 'trim'],
    ['trim.border.keep=3', 'trim.border.keep'],
    ['trim=border,trim.top=3', 'trim.top'],
    ['trim=1;2;3;4,trim.left=2', 'trim.left'],
    ['trim=border,trim.border.tolerance=256', 'trim.border.tolerance'],
    ['trim.width=0', 'trim.width'],
  ])('%s → 400 naming %s', async (options, option) => {
    const { id } = await source(MC);
    const res = await call(`/img/${id}/${options}`);
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(((await res.json()) as { option: string }).option).toBe(option);
  });
});
