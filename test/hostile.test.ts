/**
 * Hostile input, end to end through the real Worker. Every file in ../shared/bad-images (the
 * folder is walked, so files added later are covered without code changes) is uploaded: the
 * answer is a 2xx or a 400/413/415/422 problem, never a 5xx. When it is stored, a small matrix
 * of transforms (widths, fits, every output format) answers 2xx or 4xx, and the next valid
 * request in the same isolate still succeeds. Bombs are refused from header facts: no decoder
 * is called for them. No metadata of the polyglot files reaches any output byte.
 */
import { createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { BASE, fixture, fixtureList, KEYS } from './helpers';

// Count decoder calls (the spies call through to the real decoders).
vi.mock('../src/codecs/decode', async (importOriginal) => {
  const mod = await importOriginal<typeof import('../src/codecs/decode')>();
  return { ...mod, decodeImage: vi.fn(mod.decodeImage) };
});
vi.mock('../src/codecs/jpeg-scaled', async (importOriginal) => {
  const mod = await importOriginal<typeof import('../src/codecs/jpeg-scaled')>();
  return {
    ...mod,
    decodeJpegScaled: vi.fn(mod.decodeJpegScaled),
    decodeJpegResized: vi.fn(mod.decodeJpegResized),
  };
});
vi.mock('../src/codecs/png-scaled', async (importOriginal) => {
  const mod = await importOriginal<typeof import('../src/codecs/png-scaled')>();
  return {
    ...mod,
    decodePngResized: vi.fn(mod.decodePngResized),
    decodePngRows: vi.fn(mod.decodePngRows),
  };
});

// The pool loads the Worker before this file's mocks exist: load a fresh copy that sees them
// (and take the decoders from that copy, so that error classes match across it).
vi.resetModules();
const worker = (await import('../src/index')).default;
const { decodeImage } = await import('../src/codecs/decode');
const { decodeJpegResized, decodeJpegScaled } = await import('../src/codecs/jpeg-scaled');
const { decodePngResized, decodePngRows } = await import('../src/codecs/png-scaled');

/** Sends one request through the freshly loaded Worker (as helpers' `call`). */
async function call(
  path: string,
  opts: { method?: string; body?: BodyInit; key?: string; headers?: Record<string, string> } = {},
): Promise<Response> {
  const headers = new Headers(opts.headers);
  if (opts.key) headers.set('Authorization', `Bearer ${opts.key}`);
  const ctx = createExecutionContext();
  const res = await worker.fetch(
    new Request(BASE + path, { method: opts.method ?? 'GET', body: opts.body ?? null, headers }),
    env,
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return res;
}

const decoderCalls = () =>
  vi.mocked(decodeImage).mock.calls.length +
  vi.mocked(decodeJpegScaled).mock.calls.length +
  vi.mocked(decodeJpegResized).mock.calls.length +
  vi.mocked(decodePngResized).mock.calls.length +
  vi.mocked(decodePngRows).mock.calls.length;

/** True when any decoder was ever called with exactly these bytes. */
function decoderSaw(bytes: Uint8Array): boolean {
  const same = (arg: unknown) =>
    arg instanceof Uint8Array &&
    arg.byteLength === bytes.byteLength &&
    arg.every((b, i) => b === bytes[i]);
  return [
    ...vi.mocked(decodeImage).mock.calls,
    ...vi.mocked(decodeJpegScaled).mock.calls,
    ...vi.mocked(decodeJpegResized).mock.calls,
    ...vi.mocked(decodePngResized).mock.calls,
    ...vi.mocked(decodePngRows).mock.calls,
  ].some((args) => same(args[0]));
}

const FILES = await fixtureList('bad-images');
const UPLOAD_4XX = [400, 413, 415, 422];
const FORMATS = ['jpeg', 'png', 'webp', 'avif'];
const SHAPES = ['w=1', 'w=64,h=64,fit=cover', 'w=300,h=200,fit=pad,g=left'];
/** Strings that hostile metadata carries and no output may contain. */
const PAYLOADS = [
  'passwd',
  '<?php',
  '<?=',
  '<html',
  '<script',
  '<svg',
  'Exif',
  'profile',
  'AT&T',
  'DJVU',
  'tEXt',
  'iTXt',
  'zTXt',
  'eXIf',
  'iCCP',
  'xpacket',
  'http',
];

/** Byte-wise search of ASCII `needle` in `hay`. */
function contains(hay: Uint8Array, needle: string): boolean {
  const n = Array.from(needle, (c) => c.charCodeAt(0));
  outer: for (let i = 0; i + n.length <= hay.length; i++) {
    for (let j = 0; j < n.length; j++) if (hay[i + j] !== n[j]) continue outer;
    return true;
  }
  return false;
}

let controlId: string;
let probeRequest = 0;

/** A fresh (uncached) transform of the control image must succeed. */
async function nextValidRequestWorks(): Promise<void> {
  probeRequest++;
  const res = await call(`/img/${controlId}/w=${probeRequest},f=webp`);
  expect(res.status, 'the next valid request').toBe(200);
}

beforeAll(async () => {
  const bytes = await fixture('images/kodak/kodim05.png');
  const res = await call('/v1/images', { method: 'POST', body: bytes, key: KEYS.alice });
  controlId = ((await res.json()) as { id: string }).id;
});

describe('every file in shared/bad-images', () => {
  it('is walked from the folder', () => {
    expect(FILES.length).toBeGreaterThan(30);
  });

  it.each(FILES)('%s: 2xx or 4xx on upload and on every transform, never 5xx', async (file) => {
    const bytes = await fixture(`bad-images/${file}`);
    const res = await call('/v1/images', { method: 'POST', body: bytes, key: KEYS.alice });
    const text = await res.text();
    expect(res.status < 300 || UPLOAD_4XX.includes(res.status), `${res.status} ${text}`).toBe(true);
    if (res.status >= 300) {
      expect(res.headers.get('Content-Type')).toBe('application/problem+json');
      await nextValidRequestWorks();
      if (bytes.byteLength > 0)
        expect(decoderSaw(bytes), 'refused files are never decoded').toBe(false);
      return;
    }
    const { id } = JSON.parse(text) as { id: string };
    const paths = [
      'original',
      'thumbnail',
      'f=json',
      ...FORMATS.flatMap((f) => SHAPES.map((s) => `${s},f=${f}`)),
    ];
    for (const p of paths) {
      const r = await call(`/img/${id}/${p}`, { headers: { Accept: 'image/avif,image/webp' } });
      const body = new Uint8Array(await r.arrayBuffer());
      const detail = r.status >= 300 ? new TextDecoder().decode(body) : '';
      expect(r.status < 500, `${p}: ${r.status} ${detail}`).toBe(true);
      if (r.status >= 400) expect(r.headers.get('Content-Type')).toBe('application/problem+json');
    }
    await nextValidRequestWorks();
  });
});

describe('bombs', () => {
  const bombs = FILES.filter(
    (f) => f.startsWith('bombs/') || /\d{5,}x\d{5,}/.test(f), // declared sizes far over the limits
  );

  it('are refused from header facts with 422, without calling any decoder', async () => {
    expect(bombs.length).toBeGreaterThanOrEqual(3);
    for (const file of bombs) {
      const bytes = await fixture(`bad-images/${file}`);
      const res = await call('/v1/images', { method: 'POST', body: bytes, key: KEYS.alice });
      expect([415, 422], file).toContain(res.status);
      // Not even a delivery attempt can reach a decoder: there is no record to deliver.
      await nextValidRequestWorks();
      expect(decoderSaw(bytes), file).toBe(false);
    }
  });

  it('a boundary image is decoded only when the answer is made from it, whatever the status', async () => {
    const file = 'synthetic/png_boundary_4096x4096_gray1_valid.png';
    const bytes = await fixture(`bad-images/${file}`);
    const res = await call('/v1/images', { method: 'POST', body: bytes, key: KEYS.alice });
    expect(res.status).toBeLessThan(300);
    const { id } = (await res.json()) as { id: string };
    const r = await call(`/img/${id}/w=100,f=png`);
    // For every status: the original was decoded exactly when the answer was made from it
    // (a computed variant or a stand-in; the streaming PNG module makes this one inline), and
    // never for a refusal (422), a queued 503 or anything else.
    expect(r.status).toBeLessThan(500);
    const source = r.headers.get('X-Variant-Source');
    const madeFromIt = r.status === 200 && (source === 'computed' || source === 'stand-in');
    expect(decoderSaw(bytes), `status ${r.status}, X-Variant-Source ${source}`).toBe(madeFromIt);
    // The spies do see decoding when it happens.
    const before = decoderCalls();
    await nextValidRequestWorks();
    expect(decoderCalls()).toBeGreaterThan(before);
  });
});

describe('polyglot and metadata files', () => {
  const polyglots = FILES.filter((f) => f.startsWith('polyglot-metadata/'));

  it('never carry metadata or payload strings into an output', async () => {
    let checked = 0;
    for (const file of polyglots) {
      const res = await call('/v1/images', {
        method: 'POST',
        body: await fixture(`bad-images/${file}`),
        key: KEYS.alice,
      });
      if (res.status >= 300) continue;
      const { id } = (await res.json()) as { id: string };
      for (const f of FORMATS)
        for (const opts of [`f=${f}`, `w=16,f=${f}`]) {
          const r = await call(`/img/${id}/${opts}`);
          if (r.status !== 200) continue;
          expect(r.headers.get('Content-Type')).toBe(`image/${f}`);
          const out = new Uint8Array(await r.arrayBuffer());
          for (const p of PAYLOADS) expect(contains(out, p), `${file} ${opts}: ${p}`).toBe(false);
          checked++;
        }
    }
    expect(checked).toBeGreaterThanOrEqual(20);
  });
});
