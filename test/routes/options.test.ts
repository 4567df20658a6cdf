/**
 * Cloudflare Images options through the real Worker (docs/url-format.md, conformance table):
 * what a user sees for each (status, content type, size, headers, bytes), and that two
 * spellings of one request are one variant (the second is an edge-cache hit).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeImage } from '../../src/codecs/decode';
import { embeddedProfile } from '../../src/codecs/icc';
import { probe, sniffFormat } from '../../src/codecs/probe';
import { call, fixture, KEYS, upload } from '../helpers';

const ids = new Map<string, string>();
const originals = new Map<string, Uint8Array>();

beforeAll(async () => {
  for (const file of [
    'kodak/kodim01.png',
    'exif/Landscape_6.jpg',
    'color/Shoes-AdobeRGB.jpg',
    'alpha/blackbug.png',
    'large/Carrie.jpg',
  ]) {
    const bytes = await fixture(`images/${file}`);
    const { json } = await upload(bytes);
    ids.set(file, json.id as string);
    originals.set(file, bytes);
  }
});

const id = (file: string) => ids.get(file)!;

/** GETs a variant; asserts a 200 image whose Content-Type matches its bytes. */
async function get(file: string, transform: string, headers: Record<string, string> = {}) {
  const res = await call(`/img/${id(file)}/${transform}`, { headers });
  expect(res.status, `${transform}: ${res.status} ${await res.clone().text()}`).toBe(200);
  const bytes = new Uint8Array(await res.arrayBuffer());
  const format = sniffFormat(bytes)!;
  expect(res.headers.get('Content-Type')).toBe(`image/${format}`);
  return { res, bytes, format, img: await decodeImage(bytes, format) };
}

/** The problem a request answers, asserting its status and `option`. */
async function problem(path: string, status: number, option?: string) {
  const res = await call(path);
  expect(res.status).toBe(status);
  expect(res.headers.get('Content-Type')).toContain('application/problem+json');
  const body = (await res.json()) as Record<string, unknown>;
  if (option) expect(body.option).toBe(option);
  return body;
}

/** RGBA of pixel (x, y). */
const pixel = (img: { data: Uint8ClampedArray; width: number }, x: number, y: number) => [
  ...img.data.subarray((y * img.width + x) * 4, (y * img.width + x) * 4 + 4),
];

/** True when the JPEG's first frame header is baseline (SOF0) rather than progressive (SOF2). */
function jpegFrame(bytes: Uint8Array): 'baseline' | 'progressive' | undefined {
  for (let i = 2; i + 1 < bytes.length;) {
    if (bytes[i] !== 0xff) return undefined;
    const m = bytes[i + 1]!;
    if (m === 0xc0 || m === 0xc1) return 'baseline';
    if (m === 0xc2) return 'progressive';
    i += 2 + ((bytes[i + 2]! << 8) | bytes[i + 3]!);
  }
  return undefined;
}

const has = (bytes: Uint8Array, text: string) =>
  new TextDecoder('latin1').decode(bytes).includes(text);

describe('fit', () => {
  it('squeeze stretches to exactly the box', async () => {
    const { img } = await get('kodak/kodim01.png', 'w=300,h=100,fit=squeeze');
    expect([img.width, img.height]).toEqual([300, 100]);
  });

  it('aspect-crop crops to the box ratio and never enlarges', async () => {
    // 768x512 in 1920x1120: the largest 1920:1120 window is 768x448, kept at that size.
    const big = await get('kodak/kodim01.png', 'w=1920,h=1120,fit=aspect-crop');
    expect([big.img.width, big.img.height]).toEqual([768, 448]);
    const small = await get('kodak/kodim01.png', 'w=200,h=200,fit=aspect-crop');
    expect([small.img.width, small.img.height]).toEqual([200, 200]);
  });

  it('refuses scale-up (not in the fit reference) naming fit', async () => {
    await problem(`/img/${id('kodak/kodim01.png')}/w=10,fit=scale-up`, 400, 'fit');
  });
});

describe('background', () => {
  it('takes CSS names, rgb() and rgba() as well as hex, each one variant', async () => {
    const named = await get('kodak/kodim01.png', 'w=100,h=100,fit=pad,f=png,background=red');
    expect(pixel(named.img, 0, 0)).toEqual([255, 0, 0, 255]);
    const fn = await get(
      'kodak/kodim01.png',
      'w=100,h=100,fit=pad,f=png,background=rgb%28240%2C40%2C145%29',
    );
    expect(pixel(fn.img, 0, 0)).toEqual([240, 40, 145, 255]);
    const css4 = await get(
      'kodak/kodim01.png',
      'w=100,h=100,fit=pad,f=png,background=rgba(0%200%20255%20%2F%2050%25)',
    );
    expect(pixel(css4.img, 0, 0)).toEqual([0, 0, 255, 128]);
    // `red` and `#ff0000` are the same variant: the second is an edge-cache hit.
    const hex = await get('kodak/kodim01.png', 'background=%23ff0000,f=png,fit=pad,h=100,w=100');
    expect(hex.res.headers.get('X-Cache')).toBe('HIT');
  });

  it('refuses an unknown colour naming background', async () => {
    await problem(`/img/${id('kodak/kodim01.png')}/background=reddish`, 400, 'background');
  });
});

describe('quality', () => {
  it('takes the perceptual levels; low is smaller than high', async () => {
    const high = await get('kodak/kodim01.png', 'w=400,f=jpeg,q=high');
    const low = await get('kodak/kodim01.png', 'w=400,f=jpeg,quality=low');
    expect(high.format).toBe('jpeg');
    expect(low.bytes.length).toBeLessThan(high.bytes.length * 0.7);
    await problem(`/img/${id('kodak/kodim01.png')}/q=best`, 400, 'q');
  });
});

describe('format', () => {
  it('jpeg is progressive, baseline-jpeg is baseline, both image/jpeg', async () => {
    const prog = await get('kodak/kodim01.png', 'w=200,f=jpeg');
    const base = await get('kodak/kodim01.png', 'w=200,f=baseline-jpeg');
    expect(jpegFrame(prog.bytes)).toBe('progressive');
    expect(jpegFrame(base.bytes)).toBe('baseline');
    expect([base.img.width, base.img.height]).toEqual([200, 133]);
  });

  it('json answers Cloudflare facts plus focal point and cost estimate', async () => {
    const file = 'kodak/kodim01.png';
    const res = await call(`/img/${id(file)}/w=300,h=300,fit=cover,f=json`, {
      headers: { Accept: 'image/avif,image/webp' },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('Content-Type')).toContain('application/json');
    expect(await res.json()).toMatchObject({
      width: 300,
      height: 300,
      original: {
        file_size: originals.get(file)!.length,
        width: 768,
        height: 512,
        format: 'image/png',
      },
      output: { width: 300, height: 300, format_auto: 'image/avif' },
      focal_point: null,
      cost_estimate: {
        cpu_ms: expect.any(Number),
        memory_mb: expect.any(Number),
        placement: 'inline',
      },
    });
  });
});

describe('compression=fast', () => {
  it('answers JPEG (baseline) where format=auto would answer AVIF', async () => {
    const accept = { Accept: 'image/avif,image/webp,*/*' };
    const auto = await get('kodak/kodim01.png', 'w=200,f=auto', accept);
    expect(auto.format).toBe('avif');
    const fast = await get('kodak/kodim01.png', 'w=200,f=auto,compression=fast', accept);
    expect(fast.format).toBe('jpeg');
    expect(jpegFrame(fast.bytes)).toBe('baseline');
    // With alpha: PNG.
    const alpha = await get('alpha/blackbug.png', 'w=50,f=avif,compression=fast');
    expect(alpha.format).toBe('png');
    await problem(`/img/${id('kodak/kodim01.png')}/compression=slow`, 400, 'compression');
  });
});

describe('width=auto', () => {
  it('takes Sec-CH-Width, snapped up to a Cloudflare width, with Accept-CH and Vary', async () => {
    const r = await get('kodak/kodim01.png', 'width=auto,f=png', { 'Sec-CH-Width': '300' });
    expect([r.img.width, r.img.height]).toEqual([320, 213]);
    expect(r.res.headers.get('Accept-CH')).toContain('Sec-CH-Width');
    expect(r.res.headers.get('Accept-CH')).toContain('Sec-CH-DPR');
    expect(r.res.headers.get('Vary')).toContain('Sec-CH-Width');
    // The same variant as width=320.
    const plain = await get('kodak/kodim01.png', 'f=png,w=320');
    expect(plain.res.headers.get('X-Cache')).toBe('HIT');
    expect(plain.res.headers.get('Accept-CH')).toBeNull();
  });

  it('takes Viewport-Width × DPR, and 1200 without hints', async () => {
    const vw = await get('kodak/kodim01.png', 'w=auto,fit=contain,f=png', {
      'Sec-CH-Viewport-Width': '400',
      'Sec-CH-DPR': '2',
    });
    expect(vw.img.width).toBe(960);
    const none = await get('kodak/kodim01.png', 'w=auto,fit=contain,f=png');
    expect(none.img.width).toBe(1200);
    const legacy = await get('kodak/kodim01.png', 'w=auto,f=png', { Width: '700' });
    expect(legacy.img.width).toBe(768);
  });
});

describe('slow-connection-quality', () => {
  it('replaces quality when a client hint says the connection is slow', async () => {
    const fast = await get('kodak/kodim01.png', 'w=300,f=jpeg,q=95,scq=20', { ECT: '4g' });
    const slow = await get('kodak/kodim01.png', 'w=300,f=jpeg,q=95,scq=20', { ECT: '3g' });
    expect(slow.bytes.length).toBeLessThan(fast.bytes.length / 2);
    for (const r of [fast, slow]) {
      expect(r.res.headers.get('Accept-CH')).toBe('RTT, Save-Data, ECT, Downlink');
      expect(r.res.headers.get('Vary')).toContain('ECT');
    }
    // The slow answer is the variant q=20; the fast one q=95.
    expect((await get('kodak/kodim01.png', 'w=300,f=jpeg,q=20')).res.headers.get('X-Cache')).toBe(
      'HIT',
    );
    const hints: Record<string, string>[] = [
      { RTT: '300' },
      { 'Save-Data': 'on' },
      { Downlink: '1.5' },
    ];
    for (const hint of hints) {
      const r = await get(
        'kodak/kodim01.png',
        'w=300,f=jpeg,q=95,slow-connection-quality=20',
        hint,
      );
      expect(r.bytes).toEqual(slow.bytes);
    }
  });
});

describe('gravity=face and zoom', () => {
  it('falls back to the attention point, says so in f=json, and is the g=auto variant', async () => {
    const res = await call(`/img/${id('kodak/kodim01.png')}/w=100,h=100,fit=cover,g=face,f=json`);
    expect(res.status).toBe(200);
    const facts = (await res.json()) as { gravity_used: string; options: string };
    expect(facts.gravity_used).toContain('face detection is not available');
    expect(facts.options).toBe('width=100,height=100,fit=cover,gravity=auto,format=json');
    const face = await get('kodak/kodim01.png', 'w=100,h=100,fit=cover,g=face,zoom=0.5');
    const auto = await get('kodak/kodim01.png', 'w=100,h=100,fit=cover,g=auto');
    expect(face.res.headers.get('ETag')).toBe(auto.res.headers.get('ETag'));
    expect(face.bytes).toEqual(auto.bytes);
    await problem(`/img/${id('kodak/kodim01.png')}/g=face,zoom=2`, 400, 'zoom');
  });
});

describe('segment and upscale', () => {
  it('refuse what needs a model, naming the option and why', async () => {
    const seg = await problem(`/img/${id('kodak/kodim01.png')}/segment=foreground`, 400, 'segment');
    expect(seg.detail).toContain('segmentation model');
    const up = await problem(`/img/${id('kodak/kodim01.png')}/w=2000,upscale=generate`, 400);
    expect(up.option).toBe('upscale');
    // upscale=interpolate is the default: the same variant as without it.
    await get('kodak/kodim01.png', 'w=210,f=png');
    const same = await get('kodak/kodim01.png', 'w=210,f=png,upscale=interpolate');
    expect(same.res.headers.get('X-Cache')).toBe('HIT');
  });
});

describe('metadata', () => {
  it('none (default) writes no EXIF and no profile', async () => {
    const r = await get('exif/Landscape_6.jpg', 'w=200,f=jpeg');
    expect(has(r.bytes, 'Exif')).toBe(false);
    expect(probe(r.bytes).icc).toBeUndefined();
  });

  it('keep carries EXIF (orientation reset to 1) into JPEG, PNG and WebP', async () => {
    for (const f of ['jpeg', 'png', 'webp']) {
      const r = await get('exif/Landscape_6.jpg', `w=200,f=${f},metadata=keep`);
      expect(has(r.bytes, 'MM\0*') || has(r.bytes, 'II*\0'), f).toBe(true);
      const p = probe(r.bytes);
      expect(p.orientation, f).toBe(1);
      // Upright already: 200 wide as displayed (the original is stored turned, orientation 6).
      expect([r.img.width, p.width], f).toEqual([200, 200]);
    }
  });

  it('keep carries the ICC profile, pixels left in its space; none converts to sRGB', async () => {
    const file = 'color/Shoes-AdobeRGB.jpg';
    const profile = (await embeddedProfile(originals.get(file)!))!;
    expect(profile).not.toBeNull();
    for (const f of ['jpeg', 'png', 'webp']) {
      const kept = await get(file, `w=200,f=${f},metadata=keep`);
      expect((await embeddedProfile(kept.bytes))!.bytes, f).toEqual(profile.bytes);
    }
    const none = await get(file, 'w=200,f=png');
    const kept = await get(file, 'w=200,f=png,metadata=keep');
    expect(await embeddedProfile(none.bytes)).toBeNull();
    expect(kept.img.data).not.toEqual(none.img.data);
  });

  it('copyright keeps only the EXIF Copyright tag', async () => {
    // A JPEG with an EXIF IFD0 holding Artist and Copyright, built here byte by byte.
    const src = (await get('kodak/kodim01.png', 'w=64,f=jpeg')).bytes;
    const tiff = exifWith({ 0x013b: 'Ann Artist', 0x8298: '(c) Ann 2026' });
    const app1 = new Uint8Array([
      0xff,
      0xe1,
      0,
      0,
      ...new TextEncoder().encode('Exif\0\0'),
      ...tiff,
    ]);
    app1[2] = (app1.length - 2) >> 8;
    app1[3] = (app1.length - 2) & 0xff;
    const withExif = new Uint8Array([...src.subarray(0, 2), ...app1, ...src.subarray(2)]);
    const { json } = await upload(withExif);
    const res = await call(`/img/${json.id as string}/w=32,f=jpeg,metadata=copyright`);
    const out = new Uint8Array(await res.arrayBuffer());
    expect(has(out, '(c) Ann 2026')).toBe(true);
    expect(has(out, 'Ann Artist')).toBe(false);
    const keep = new Uint8Array(
      await (await call(`/img/${json.id as string}/w=32,f=jpeg,metadata=keep`)).arrayBuffer(),
    );
    expect(has(keep, 'Ann Artist')).toBe(true);
    await problem(`/img/${json.id as string}/metadata=all`, 400, 'metadata');
  });
});

/** A little-endian TIFF with one IFD0 of ASCII tags (values stored after the IFD). */
function exifWith(tags: Record<number, string>): Uint8Array {
  const entries = Object.entries(tags).map(([t, v]) => [Number(t), `${v}\0`] as const);
  const ifdSize = 2 + entries.length * 12 + 4;
  let data = 8 + ifdSize;
  const out = new Uint8Array(data + entries.reduce((n, [, v]) => n + v.length, 0));
  const view = new DataView(out.buffer);
  out.set([0x49, 0x49, 42, 0]);
  view.setUint32(4, 8, true);
  view.setUint16(8, entries.length, true);
  entries.forEach(([tag, value], i) => {
    const e = 10 + i * 12;
    view.setUint16(e, tag, true);
    view.setUint16(e + 2, 2, true);
    view.setUint32(e + 4, value.length, true);
    view.setUint32(e + 8, data, true);
    out.set(new TextEncoder().encode(value), data);
    data += value.length;
  });
  return out;
}

describe('onerror=redirect', () => {
  it('redirects to the original when the variant cannot be made', async () => {
    const big = id('large/Carrie.jpg');
    // Sharpened at full size: over every budget (test/routes/delivery.test.ts).
    expect((await call(`/img/${big}/w=3000,sharpen=1,f=jpeg`)).status).toBe(422);
    const res = await call(`/img/${big}/w=3000,sharpen=1,f=jpeg,onerror=redirect`);
    expect(res.status).toBe(302);
    expect(res.headers.get('Location')).toBe(`http://img.test/img/${big}/original`);
    expect(res.headers.get('Cache-Control')).toBe('no-store');
  });

  it('does not redirect a client error, and is no part of the variant', async () => {
    await problem(`/img/${id('kodak/kodim01.png')}/w=0,onerror=redirect`, 400, 'w');
    await problem('/img/AAAAAAAAAAAAAAAA/w=10,onerror=redirect', 404);
    await problem(`/img/${id('kodak/kodim01.png')}/onerror=retry`, 400, 'onerror');
    await get('kodak/kodim01.png', 'w=230,f=png');
    const same = await get('kodak/kodim01.png', 'w=230,f=png,onerror=redirect');
    expect(same.res.headers.get('X-Cache')).toBe('HIT');
  });
});

describe('one variant per request', () => {
  it('shares the cache entry across spellings of the new options', async () => {
    const first = await get('kodak/kodim01.png', 'w=120,q=high,metadata=copyright,f=jpeg,dpr=2');
    expect(first.res.headers.get('X-Cache')).toBe('MISS');
    const again = await get(
      'kodak/kodim01.png',
      'format=jpg,dpr=2.0,metadata=copyright,quality=high,width=120',
    );
    expect(again.res.headers.get('X-Cache')).toBe('HIT');
    expect(again.bytes).toEqual(first.bytes);
    // metadata=none is the default: no different variant.
    await get('kodak/kodim01.png', 'w=121,f=png');
    const none = await get('kodak/kodim01.png', 'w=121,f=png,metadata=none');
    expect(none.res.headers.get('X-Cache')).toBe('HIT');
  });
});

describe('presets', () => {
  it('refuse request-dependent options and keep the others', async () => {
    const put = (name: string, options: string) =>
      call(`/v1/presets/${name}`, {
        method: 'PUT',
        key: KEYS.alice,
        body: JSON.stringify({ options }),
        headers: { 'Content-Type': 'application/json' },
      });
    for (const options of ['w=auto', 'w=100,scq=20', 'w=100,onerror=redirect']) {
      const res = await put('hinted', options);
      expect(res.status, options).toBe(400);
      expect(await res.json()).toMatchObject({ option: 'options' });
    }
    const res = await put('squeezed', 'w=50,h=20,fit=squeeze,q=low,metadata=keep,f=jpeg');
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({
      options: 'width=50,height=20,fit=squeeze,quality=low,format=jpeg,metadata=keep',
    });
    const { img } = await get('kodak/kodim01.png', 'squeezed');
    expect([img.width, img.height]).toEqual([50, 20]);
  });
});

describe('blur and sharpen', () => {
  /** Mean absolute difference between horizontal neighbours over RGB: edge energy. */
  const edges = (img: { data: Uint8ClampedArray; width: number; height: number }) => {
    let sum = 0;
    for (let y = 0; y < img.height; y++)
      for (let x = 1; x < img.width; x++)
        for (let c = 0; c < 3; c++) {
          const i = (y * img.width + x) * 4 + c;
          sum += Math.abs(img.data[i]! - img.data[i - 4]!);
        }
    return sum / (img.height * (img.width - 1) * 3);
  };

  it('blur softens and sharpen strengthens edges, size unchanged', async () => {
    const plain = await get('kodak/kodim01.png', 'w=300,f=png');
    const blurred = await get('kodak/kodim01.png', 'w=300,f=png,blur=10');
    const sharp = await get('kodak/kodim01.png', 'w=300,f=png,sharpen=3');
    for (const r of [blurred, sharp]) expect([r.img.width, r.img.height]).toEqual([300, 200]);
    expect(edges(blurred.img)).toBeLessThan(edges(plain.img) * 0.5);
    expect(edges(sharp.img)).toBeGreaterThan(edges(plain.img) * 1.2);
    await problem(`/img/${id('kodak/kodim01.png')}/blur=251`, 400, 'blur');
    await problem(`/img/${id('kodak/kodim01.png')}/sharpen=11`, 400, 'sharpen');
  });
});
