/**
 * Test helpers: drive the real Worker (src/index.ts) with HTTP requests and the local
 * bindings, and read shared fixture files through the FIXTURES service binding.
 */
import { expect } from 'vitest';
import { createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test';
import type { RawImage } from '../src/codecs/types';
import { encodeWebp as encodeWebpFile } from '../src/codecs/webp';
import { getImageById, type ImageRecord } from '../src/storage/images-db';
import worker from '../src/index';

/** Base URL the tests use; the Worker builds absolute URLs from it. */
export const BASE = 'http://img.test';

/** Keys configured in vitest.config.ts. */
export const KEYS = {
  alice: 'test-key-alice',
  bob: 'test-key-bob',
  reader: 'test-key-reader',
  /** Another owner (`mallory`) with every scope: the hostile tenant of the tenancy tests. */
  mallory: 'test-key-mallory',
} as const;

/** Options for {@link call}. */
export interface CallOptions {
  method?: string;
  body?: BodyInit | null;
  headers?: Record<string, string>;
  /** API key to send as a Bearer token. */
  key?: string;
  /** Bindings to use instead of the test env (to inject failures or count calls). */
  env?: Env;
}

/** Sends one request through the Worker's fetch handler and waits for its waitUntil work. */
export async function call(path: string, opts: CallOptions = {}): Promise<Response> {
  const headers = new Headers(opts.headers);
  if (opts.key) headers.set('Authorization', `Bearer ${opts.key}`);
  // An HTTP client sends the length of a body it holds; a Request built here has none.
  if (opts.body instanceof Uint8Array && !headers.has('Content-Length'))
    headers.set('Content-Length', String(opts.body.byteLength));
  const request = new Request(BASE + path, {
    method: opts.method ?? 'GET',
    body: opts.body ?? null,
    headers,
  });
  const ctx = createExecutionContext();
  const res = await worker.fetch(request, opts.env ?? env, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

/** The bytes of `../shared/<path>`, e.g. `images/large/Carrie.jpg`. */
export async function fixture(path: string): Promise<Uint8Array> {
  const res = await env.FIXTURES.fetch(`http://fixtures/${path}`);
  if (!res.ok) throw new Error(`fixture ${path}: ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

/** Every file below `../shared/<folder>/`, as paths relative to `../shared/<folder>`. */
export async function fixtureList(folder: string): Promise<string[]> {
  const res = await env.FIXTURES.fetch(`http://fixtures/${folder}/`);
  return (await res.json()) as string[];
}

/** Uploads bytes as a raw body with `key`; returns the response and its JSON. */
export async function upload(bytes: Uint8Array, key: string = KEYS.alice, query = '') {
  const res = await call(`/v1/images${query}`, { method: 'POST', body: bytes, key });
  const json = (await res.json()) as Record<string, unknown>;
  return { res, json };
}

/** The issue-13 grid's sources, as the fixtures service lists them (scripts/lib/grid-sources.mjs). */
export async function gridSources(): Promise<{ label: string; path: string }[]> {
  return (await (await env.FIXTURES.fetch('http://fixtures/grid/')).json()) as {
    label: string;
    path: string;
  }[];
}

/**
 * Uploads the grid sources named by `labels` (uploadRecord) and returns their records by label.
 * @throws when a label is not a grid source, or as uploadRecord.
 */
export async function uploadGrid(labels: readonly string[]): Promise<Map<string, ImageRecord>> {
  const sources = await gridSources();
  const records = new Map<string, ImageRecord>();
  for (const label of labels) {
    const source = sources.find((s) => s.label === label);
    if (!source) throw new Error(`no grid source ${label}`);
    records.set(label, await uploadRecord(await fixture(source.path)));
  }
  return records;
}

/**
 * Uploads a file as a raw body with its length (over 16 MiB it streams) and returns its
 * stored record.
 * @throws when the upload is not answered 200 or 201.
 */
export async function uploadRecord(
  bytes: Uint8Array,
  key: string = KEYS.alice,
): Promise<ImageRecord> {
  const res = await call('/v1/images', {
    method: 'POST',
    body: bytes,
    key,
    headers: { 'Content-Length': String(bytes.byteLength) },
  });
  const json = (await res.json()) as { id?: string };
  if ((res.status !== 200 && res.status !== 201) || !json.id)
    throw new Error(`upload answered ${res.status}: ${JSON.stringify(json)}`);
  return (await getImageById(env.DB, json.id))!;
}

/**
 * Encodes with libwebp's encoder (wasm/libwebp.wasm) and explicit options, named as in
 * libwebp's `WebPConfig`, to make test files of each WebP kind (lossless, lossless alpha,
 * uncompressed alpha, …) without binary fixtures.
 */
export function encodeWebp(
  img: RawImage,
  opts: { quality?: number; lossless?: 0 | 1; exact?: 0 | 1; alpha_compression?: 0 | 1 },
): Promise<Uint8Array> {
  return Promise.resolve(
    encodeWebpFile(img, {
      quality: opts.quality,
      lossless: opts.lossless === 1,
      exact: opts.exact === 1,
      alphaUncompressed: opts.alpha_compression === 0,
    }),
  );
}

/** One row of `../shared/images/README.md`'s table: the facts as stored in the file's header. */
export interface ImageRow {
  format: string;
  /** Width and height as stored (before EXIF orientation), in pixels. */
  width: number;
  height: number;
  /** EXIF orientation 1..8 ("orient=N"; 1 when absent). */
  orientation: number;
  /** "alpha" among the properties. */
  hasAlpha: boolean;
  /** "N frames" among the properties; 1 for still images. */
  frames: number;
  /** "progressive" among the properties. */
  progressive: boolean;
  /** "ICC" among the properties: the file embeds an ICC profile. */
  icc: boolean;
}

/**
 * Parses `../shared/images/README.md`'s table (columns: file | W x H | MP | bytes |
 * properties | …) into a map from file path to its stored facts. The one file the table lacks
 * (`small/Giunchedi…`) is added with the facts read from its SOF0 and EXIF (IFD0 has no
 * Orientation), cross-checked with ImageMagick identify.
 */
export async function imagesTable(): Promise<Map<string, ImageRow>> {
  const text = new TextDecoder().decode(await fixture('images/README.md'));
  const table = new Map<string, ImageRow>();
  for (const line of text.split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    const size = /^(\d+)x(\d+)$/.exec(cells[2] ?? '');
    if (!cells[1] || !size) continue;
    const props = cells[5] ?? '';
    table.set(cells[1], {
      format: props.split(' ')[0]!,
      width: Number(size[1]),
      height: Number(size[2]),
      orientation: Number(/orient=(\d)/.exec(props)?.[1] ?? 1),
      hasAlpha: /\balpha\b/.test(props),
      frames: Number(/(\d+) frames/.exec(props)?.[1] ?? 1),
      progressive: /\bprogressive\b/.test(props),
      icc: /\bICC\b/.test(props),
    });
  }
  table.set('small/Giunchedi_Filippo_January_2015_01.jpg', {
    format: 'jpeg',
    width: 800,
    height: 533,
    orientation: 1,
    hasAlpha: false,
    frames: 1,
    progressive: false,
    icc: true, // an sRGB profile (APP2), which the colour pipeline skips
  });
  return table;
}

/**
 * `db` with `method` (`prepare` or `batch`) failing, both on the binding and on every session it
 * opens (the Worker runs its queries in D1 sessions: src/storage/d1-session.ts). `prepare` throws
 * at once, `batch` rejects, as D1 does.
 */
export function failingD1(db: D1Database, method: 'prepare' | 'batch'): D1Database {
  const fail = () => {
    const err = new Error(`injected D1 ${method} failure`);
    if (method === 'prepare') throw err;
    return Promise.reject(err);
  };
  const failing = <T extends object>(target: T): T =>
    new Proxy(target, {
      get: (t, prop) => {
        if (prop === method) return fail;
        if (prop === 'withSession') return (start?: string) => failing(db.withSession(start));
        const v = Reflect.get(t, prop) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(t) : v;
      },
    });
  return failing(db);
}

/** RGBA8 pixels: an image, or its bytes. */
export type Pixels = RawImage | Uint8ClampedArray | Uint8Array;

/**
 * Peak signal-to-noise ratio, dB, between two RGBA8 images of the same size (asserted), over
 * channels `from`..`to` (default 0..2: R, G, B), leaving out pixels whose alpha in `b` is under
 * `minAlpha` (default 0: none); Infinity when they are equal.
 */
export function psnr(
  a: Pixels,
  b: Pixels,
  { from = 0, to = 2, minAlpha = 0 }: { from?: number; to?: number; minAlpha?: number } = {},
): number {
  if ('width' in a && 'width' in b) expect([b.width, b.height]).toEqual([a.width, a.height]);
  const x = 'data' in a ? a.data : a;
  const y = 'data' in b ? b.data : b;
  expect(y.length).toBe(x.length);
  let se = 0;
  let n = 0;
  for (let i = 0; i < x.length; i += 4) {
    if (y[i + 3]! < minAlpha) continue;
    for (let c = from; c <= to; c++, n++) se += (x[i + c]! - y[i + c]!) ** 2;
  }
  return se === 0 ? Infinity : 10 * Math.log10((255 * 255 * n) / se);
}
