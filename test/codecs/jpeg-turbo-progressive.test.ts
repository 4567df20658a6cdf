/**
 * Progressive JPEGs in libjpeg-turbo below 8/8 (wasm/jpeg-turbo/progressive-kxk.patch: only the
 * M x M coefficients per block that M/8 reads are kept between scans): every progressive JPEG
 * in ../shared/images and two made for this (test/fixtures: 4:2:0 and 4:4:4, with
 * successive-approximation refinement scans) decode at every M/8 to the same pixels as rows
 * and whole, within a bound of sharp's full decode reduced to that size (lanczos3) and of
 * jpeg_scaled's decode at 1/2, 1/4, 1/8; the module holds a fraction of the full-resolution
 * coefficients; and through the Worker, the 24 MP progressive grid source at w=2000 (refused
 * before: it was charged all its coefficients) is made in the requested format
 * and size.
 */
import { env } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { dropCodecs, wasmMemory } from '../../wasm/instances';
import { probe } from '../../src/codecs/probe';
import { decodeImage } from '../../src/codecs/decode';
import { decodeJpegScaled } from '../../src/codecs/jpeg-scaled';
import { decodeJpegTurbo, openJpegTurboRows, type JpegEighths } from '../../src/codecs/jpeg-turbo';
import { call, fixture, fixtureList, gridSources, KEYS, psnr } from '../helpers';
import { envWith, FakeQueue, pump } from '../work/helpers';

const MiB = 1024 * 1024;

/** The progressive JPEGs: name → bytes. */
const files = new Map<string, Uint8Array>();

beforeAll(async () => {
  for (const f of await fixtureList('images')) {
    if (!/\.jpe?g$/i.test(f)) continue;
    const bytes = await fixture(`images/${f}`);
    if (probe(bytes).progressive) files.set(`images/${f}`, bytes);
  }
  for (const f of ['progressive-420.jpg', 'progressive-444.jpg'])
    files.set(`local/${f}`, await fixture(`local/${f}`));
}, 120_000);

/** The number of rows of `bytes` at M/8 that differ from `whole` (read as rows). */
const rowsDiffering = (bytes: Uint8Array, m: JpegEighths, whole: Uint8ClampedArray) =>
  openJpegTurboRows(bytes, m, 0, (r) => {
    let n = 0;
    const stride = r.width * 4;
    expect(r.height * stride).toBe(whole.length);
    for (let y = 0; y < r.height; y++) {
      const row = r.row(y);
      const want = whole.subarray(y * stride, (y + 1) * stride);
      if (row.some((v, i) => v !== want[i])) n++;
    }
    return n;
  });

describe('progressive JPEGs below 8/8 (compact coefficient store)', () => {
  it('has every progressive JPEG of ../shared/images and both fixtures', () => {
    expect(files.size).toBeGreaterThanOrEqual(3);
    expect(files.has('images/progressive/Cerkiew.jpg')).toBe(true);
  });

  /**
   * Lower bounds on the PSNR against jpeg_scaled at 1/8, 1/4, 1/2, dB (measured: Cerkiew 44.6,
   * 57.6, 56.0; the 4:4:4 fixture 45.8, identical, 69.7; the 4:2:0 one 13.6, 16.5, 58.4: at 1/8
   * and 1/4 libjpeg scales its 4:2:0 chroma up in the IDCT, to 2 and 4, where jpeg_scaled
   * upsamples it, and this checkerboard's blue is all chroma edges); others ≥ 40 dB.
   */
  const SCALED_DB: Record<string, [number, number, number]> = {
    'local/progressive-420.jpg': [10, 14, 50],
  };

  it('decodes each at every M/8: rows as whole, within bounds of sharp and jpeg_scaled', async () => {
    for (const [name, bytes] of files)
      for (const m of [1, 2, 3, 4, 5, 6, 7] as JpegEighths[]) {
        dropCodecs(); // one decode's memory at a time (the isolate's limit)
        const whole = decodeJpegTurbo(bytes, m);
        expect(rowsDiffering(bytes, m, whole.data), `${name} ${m}/8 rows`).toBe(0);
        // jpeg_scaled at 1/d keeps the (8/d)² coefficients too (its own IDCT and chroma rule).
        if (m === 1 || m === 2 || m === 4) {
          const scaled = decodeJpegScaled(bytes, (8 / m) as 2 | 4 | 8);
          const min = (SCALED_DB[name] ?? [40, 40, 40])[m === 4 ? 2 : m - 1]!;
          expect(psnr(whole.data, scaled.data), `${name} ${m}/8: jpeg_scaled`).toBeGreaterThan(min);
        }
        // A photo: sharp's full decode (every coefficient) reduced to this size (lanczos3);
        // measured 27.6-38.8 dB for Cerkiew (DCT scaling is not lanczos3).
        if (!name.startsWith('images/')) continue;
        const q = `w=${whole.width}&h=${whole.height}&icc=ignore`;
        const res = await env.FIXTURES.fetch(`http://fixtures/sharp/?${q}`, {
          method: 'POST',
          body: bytes,
        });
        const ref = new Uint8Array(await res.arrayBuffer());
        expect(psnr(whole.data, ref), `${name} ${m}/8: sharp`).toBeGreaterThan(25);
      }
  }, 300_000);

  it('holds the M x M coefficients, not all 64', async () => {
    const bytes = files.get('images/progressive/Cerkiew.jpg')!;
    const held = (m: JpegEighths) => {
      dropCodecs(); // a fresh instance: its memory afterwards is this decode's peak
      expect(openJpegTurboRows(bytes, m, 0, (r) => r.height)).toBeGreaterThan(0);
      return wasmMemory().jpegTurbo! / MiB;
    };
    const full = held(8); // 4.9 MP, 2 blocks per 64 pixels: 19 MiB of coefficients
    expect(full).toBeGreaterThan(18);
    expect(held(1)).toBeLessThan(6); // 10 bytes per block
    expect(held(4)).toBeLessThan(full / 2); // 40
    expect(held(7)).toBeLessThan(full); // 106
  });
});

describe('through the Worker', () => {
  it('makes the 24 MP progressive JPEG at w=2000 as WebP (refused before)', async () => {
    const source = (await gridSources()).find((s) => s.label === '24 MP progressive JPEG')!;
    const bytes = await fixture(source.path);
    const up = await call('/v1/images', {
      method: 'POST',
      body: bytes,
      key: KEYS.alice,
      headers: { 'Content-Length': String(bytes.byteLength) },
    });
    const { id } = (await up.json()) as { id: string };
    expect([200, 201]).toContain(up.status);
    const q = new FakeQueue();
    const url = `/img/${id}/w=2000,f=webp`;
    const check = async (res: Response) => {
      expect(res.status, res.status === 200 ? '' : await res.clone().text()).toBe(200);
      const img = await decodeImage(new Uint8Array(await res.arrayBuffer()), 'webp');
      expect([img.width, img.height]).toEqual([2000, 3000]);
    };
    const first = await call(url, { env: envWith(q) });
    if (first.status === 200 && first.headers.get('X-Variant-Source') !== 'stand-in')
      return check(first); // made inline
    // Made in the queue: a WebP stand-in of the requested size, or a 503 problem naming the
    // wait where none fits; then the variant.
    if (first.status === 200) await check(first);
    else expect(first.headers.get('Content-Type')).toBe('application/problem+json');
    dropCodecs();
    await pump(q, envWith(q));
    // Made on the planner's shape: libjpeg-turbo at 4/8 until session 12; since libwebp keeps
    // its levels instead of its tokens the JPEG module's 1/2 fits the queue's budget too, and
    // the planner keeps its default shape where both are queued (transform/fallback.ts).
    const real = await call(url, { env: envWith(q) });
    expect(real.headers.get('X-Variant-Source')).not.toBe('stand-in');
    await check(real);
  }, 300_000);
});
