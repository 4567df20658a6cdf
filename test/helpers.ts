/**
 * Test helpers: drive the real Worker (src/index.ts) with HTTP requests and the local
 * bindings, and read shared fixture files through the FIXTURES service binding.
 */
import { createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test';
import type { RawImage } from '../src/codecs/types';
import { encodeWebp as encodeWebpFile } from '../src/codecs/webp';
import worker from '../src/index';

/** Base URL the tests use; the Worker builds absolute URLs from it. */
export const BASE = 'http://img.test';

/** Keys configured in vitest.config.ts. */
export const KEYS = {
  alice: 'test-key-alice',
  bob: 'test-key-bob',
  reader: 'test-key-reader',
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
