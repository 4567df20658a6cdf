/**
 * Large uploads through the Worker (src/http/upload-body.ts, images/ingest.ts,
 * storage/originals.ts `stageStream`/`promoteStaged`): a raw body over 16 MiB streams to R2
 * under a staging key while it is hashed, then becomes `originals/{sha256}`; nothing is left
 * under `staging/` whatever happens; a 100 MiB+ body is a 413 problem before it is read;
 * a multipart form over 16 MiB is a 413 that says to send the raw file. The memory side (RSS
 * does not grow by the body size) is measured by `npm run grid -- --upload`, not here.
 */
import { env } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../src/hash';
import { UPLOAD_IN_MEMORY_BYTES } from '../../src/config';
import { call, KEYS } from '../helpers';

/** The large upload (scripts/lib/grid-sources.mjs LARGE_UPLOAD): a 60 MB, 5000x4000 PNG. */
const LARGE = 'http://fixtures/grid/upload-60mb.png';

/** Objects under a prefix of the bucket. */
async function keysUnder(prefix: string): Promise<string[]> {
  return (await env.BUCKET.list({ prefix })).objects.map((o) => o.key);
}

/** POSTs a stream of `length` bytes as a raw upload, with its Content-Length. */
function postStream(body: ReadableStream<Uint8Array>, length: number, type = 'image/png') {
  return call('/v1/images', {
    method: 'POST',
    body,
    key: KEYS.alice,
    headers: { 'Content-Type': type, 'Content-Length': String(length) },
  });
}

/** A stream of `length` bytes: `head`, then zeros, in 1 MiB chunks. */
function streamOf(head: Uint8Array, length: number): ReadableStream<Uint8Array> {
  let sent = 0;
  return new ReadableStream({
    pull(controller) {
      if (sent >= length) return controller.close();
      const n = Math.min(1 << 20, length - sent);
      const chunk = new Uint8Array(n);
      if (sent === 0) chunk.set(head.subarray(0, n));
      sent += n;
      controller.enqueue(chunk);
    },
  });
}

let largeSha = '';
let largeBytes = 0;

beforeAll(async () => {
  const bytes = new Uint8Array(await (await env.FIXTURES.fetch(LARGE)).arrayBuffer());
  largeSha = await sha256Hex(bytes);
  largeBytes = bytes.byteLength;
}, 120_000);

describe('large uploads', () => {
  it('streams a 60 MB PNG into R2 under its hash, and dedups it, leaving nothing staged', async () => {
    expect(largeBytes).toBeGreaterThan(60_000_000);
    const first = await env.FIXTURES.fetch(LARGE);
    const res = await postStream(first.body!, largeBytes);
    const json = (await res.json()) as Record<string, unknown>;
    expect(res.status, JSON.stringify(json)).toBe(201);
    expect(json).toMatchObject({
      sha256: largeSha,
      format: 'png',
      width: 5000,
      height: 4000,
      bytes: largeBytes,
    });
    const stored = await env.BUCKET.head(`originals/${largeSha}`);
    expect(stored?.size).toBe(largeBytes);
    expect(stored?.httpMetadata?.contentType).toBe('image/png');
    expect(await keysUnder('staging/')).toEqual([]);

    const again = await postStream((await env.FIXTURES.fetch(LARGE)).body!, largeBytes);
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ id: json.id, deduplicated: true });
    expect(await keysUnder('staging/')).toEqual([]);
  }, 180_000);

  it('refuses a body over MAX_UPLOAD_BYTES (100 MiB) with a 413 problem, storing nothing', async () => {
    const before = await keysUnder('');
    const length = 100 * 1024 * 1024 + 1;
    const res = await postStream(streamOf(new Uint8Array(0), length), length);
    expect(res.status).toBe(413);
    expect(res.headers.get('Content-Type')).toMatch(/^application\/problem\+json/);
    expect(await res.json()).toMatchObject({ status: 413, limit: 100 * 1024 * 1024 });
    expect(await keysUnder('')).toEqual(before);
  });

  it('refuses a large body that is not an image (415) before anything is stored', async () => {
    const before = await keysUnder('');
    const length = UPLOAD_IN_MEMORY_BYTES + 5;
    const res = await postStream(streamOf(new Uint8Array(0), length), length);
    expect(res.status).toBe(415);
    expect(await keysUnder('')).toEqual(before);
  });

  it('deletes the staged object when the body is shorter than its Content-Length', async () => {
    const head = new Uint8Array(await (await env.FIXTURES.fetch(LARGE)).arrayBuffer()).subarray(
      0,
      1 << 20,
    );
    const before = await keysUnder('');
    const declared = UPLOAD_IN_MEMORY_BYTES + (4 << 20);
    // The stream ends 2 MiB early.
    const res = await postStream(streamOf(head, declared - (2 << 20)), declared);
    expect(res.status).toBe(400);
    expect(res.headers.get('Content-Type')).toMatch(/^application\/problem\+json/);
    expect(await keysUnder('')).toEqual(before);
  });

  it('refuses a multipart form over 16 MiB with a 413 that says to send the raw file', async () => {
    const form = new FormData();
    form.set(
      'file',
      new File([new Uint8Array(UPLOAD_IN_MEMORY_BYTES + 1)], 'big.png', { type: 'image/png' }),
    );
    const res = await call('/v1/images', { method: 'POST', body: form, key: KEYS.alice });
    expect(res.status).toBe(413);
    const problem = (await res.json()) as { detail: string; limit: number };
    expect(problem.limit).toBe(UPLOAD_IN_MEMORY_BYTES);
    expect(problem.detail).toMatch(/raw body/);
  });
});
