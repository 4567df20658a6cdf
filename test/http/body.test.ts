/**
 * One rule for every route that reads a body (src/http/body.ts): the limit is enforced while
 * the body streams in. Each route gets a 200 MB chunked body, made lazily so that neither the
 * test nor the Worker can hold it, and must answer a 413 problem having pulled no more than
 * its limit plus a couple of chunks.
 */
import { describe, expect, it } from 'vitest';
import { app } from '../../src/app';
import { call, KEYS } from '../helpers';

const MB = 1024 * 1024;
const CHUNK = 64 * 1024;

/** A lazily generated body of `total` bytes; `pulled` counts what the reader asked for. */
function hugeBody(total = 200 * MB) {
  const state = { pulled: 0, cancelled: false };
  const chunk = new Uint8Array(CHUNK).fill(0x7b); // '{': looks like the start of JSON
  const stream = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        if (state.pulled >= total) return controller.close();
        state.pulled += CHUNK;
        controller.enqueue(chunk.slice());
      },
      cancel() {
        state.cancelled = true;
      },
    },
    { highWaterMark: 0 },
  );
  return { stream, state };
}

/** A one-time upload URL's path for alice. */
async function uploadPath(): Promise<string> {
  const res = await call('/v1/uploads', {
    method: 'POST',
    key: KEYS.alice,
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ max_bytes: 1024 * 1024 }),
  });
  expect(res.status).toBe(201);
  return new URL(((await res.json()) as { upload_url: string }).upload_url).pathname;
}

/** Every route that reads a body: method, route, and the path to send to. */
const routes: [string, string, () => Promise<string>][] = [
  ['POST', '/v1/jobs', async () => '/v1/jobs'],
  ['PUT', '/v1/presets/:name', async () => '/v1/presets/huge'],
  ['POST', '/v1/keys', async () => '/v1/keys'],
  ['POST', '/v1/uploads', async () => '/v1/uploads'],
  ['POST', '/v1/uploads/:token', uploadPath],
  ['POST', '/v1/images', async () => '/v1/images'],
  ['POST', '/v1/signatures', async () => '/v1/signatures'],
];

describe('bounded bodies', () => {
  it.each(routes)(
    '%s %s refuses a 200 MB chunked body with 413, reading no more than its limit',
    async (method, _route, target) => {
      const path = await target();
      const { stream, state } = hugeBody();
      const res = await call(path, {
        method,
        key: path.startsWith('/v1/uploads/') ? undefined : KEYS.alice,
        headers: { 'Content-Type': 'application/json' },
        body: stream,
      });
      expect(res.status).toBe(413);
      expect(res.headers.get('Content-Type')).toBe('application/problem+json');
      const problem = (await res.json()) as { status: number; limit: number };
      expect(problem.status).toBe(413);
      expect(problem.limit).toBeGreaterThan(0);
      // Multipart framing gets 16 KiB of slack on top of an upload URL's file limit.
      expect(state.pulled).toBeLessThanOrEqual(problem.limit + 16 * 1024 + 2 * CHUNK);
      expect(state.pulled).toBeLessThan(200 * MB);
    },
  );

  it('covers every route that may read a body', () => {
    // Routes taking a method with a body; those that read none are listed here on purpose.
    const readsNoBody = new Set(['POST /v1/jobs/:id/cancel']);
    const withBody = new Set(
      app.routes
        .filter((r) => ['POST', 'PUT', 'PATCH'].includes(r.method))
        .map((r) => `${r.method} ${r.path}`)
        .filter((r) => !readsNoBody.has(r)),
    );
    expect([...withBody].sort()).toEqual(routes.map(([m, r]) => `${m} ${r}`).sort());
  });

  it('still reads a body within the limit', async () => {
    const res = await call('/v1/presets/fits', {
      method: 'PUT',
      key: KEYS.alice,
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ options: 'w=10' }),
    });
    expect(res.status).toBe(201);
  });
});
