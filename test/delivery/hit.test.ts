/**
 * The cache-hit fast path (src/delivery/hit.ts) through the real Worker: a hit answers what the
 * app answers for the same request (status, bytes and headers, request id values aside)
 * without entering the app; signed-URL rules still hold on a hit; a miss goes through the app.
 */
import { createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { app } from '../../src/app';
import { signPath } from '../../src/security/signature';
import { admissionStats, resetAdmissionPeaks, tryAdmit } from '../../src/transform/admission';
import { BASE, call, fixture, upload } from '../helpers';
import { SIGNING, signedEnv } from '../security/helpers';

afterEach(() => vi.restoreAllMocks());

const now = () => Math.floor(Date.now() / 1000);

/** The same request answered by the app alone (no fast path in front of it). */
async function viaApp(path: string, headers: Record<string, string> = {}, e: Env = env) {
  const ctx = createExecutionContext();
  const res = await app.fetch(new Request(BASE + path, { headers }), e, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

/** Status, headers (without per-request values) and bytes of an answer. */
async function shape(res: Response) {
  const headers = [...res.headers].filter(([k]) => !['x-request-id', 'date', 'age'].includes(k));
  return { status: res.status, headers, body: new Uint8Array(await res.arrayBuffer()) };
}

describe('the cache-hit fast path', () => {
  let id: string;
  beforeAll(async () => {
    id = (await upload(await fixture('images/kodak/kodim09.png'))).json.id as string;
  });

  it('answers a hit header for header as the app does, without entering the app', async () => {
    const cases: [string, Record<string, string>][] = [
      ['w=90,f=webp', {}],
      ['w=90,f=auto', { Accept: 'image/avif,image/webp,*/*' }],
      ['width=auto,f=jpeg', { 'Sec-CH-Width': '300' }],
      ['thumbnail', { Accept: 'image/webp' }],
    ];
    for (const [transform, headers] of cases) {
      const path = `/img/${id}/${transform}`;
      const miss = await call(path, { headers });
      expect(miss.headers.get('X-Cache'), transform).toBe('MISS');
      const missBytes = new Uint8Array(await miss.arrayBuffer());

      const appFetch = vi.spyOn(app, 'fetch');
      const fast = await call(path, { headers });
      expect(appFetch, transform).not.toHaveBeenCalled();
      appFetch.mockRestore();
      const slow = await viaApp(path, headers);

      expect(fast.headers.get('X-Cache'), transform).toBe('HIT');
      expect(fast.headers.get('X-Content-Type-Options')).toBe('nosniff');
      expect(fast.headers.get('X-Request-Id')).toMatch(/^[0-9a-f-]{36}$/);
      expect(slow.headers.get('X-Request-Id')).toMatch(/^[0-9a-f-]{36}$/);
      const f = await shape(fast);
      expect(f, transform).toEqual(await shape(slow));
      expect(f.body).toEqual(missBytes);
    }
  });

  it('answers If-None-Match with the same 304 as the app, and echoes a client request id', async () => {
    const path = `/img/${id}/w=70,f=png`;
    const etag = (await call(path)).headers.get('ETag')!;
    const headers = { 'If-None-Match': etag, 'X-Request-Id': 'hit-fast-1' };
    const appFetch = vi.spyOn(app, 'fetch');
    const fast = await call(path, { headers });
    expect(appFetch).not.toHaveBeenCalled();
    appFetch.mockRestore();
    expect(fast.status).toBe(304);
    expect(fast.headers.get('X-Request-Id')).toBe('hit-fast-1');
    const slow = await viaApp(path, headers);
    expect(slow.headers.get('X-Request-Id')).toBe('hit-fast-1');
    expect(await shape(fast)).toEqual(await shape(slow));
    // An id that is not 1-255 of [A-Za-z0-9_=-] is replaced, on both paths.
    for (const res of [
      await call(path, { headers: { 'X-Request-Id': 'not an id!' } }),
      await viaApp(path, { 'X-Request-Id': 'not an id!' }),
    ])
      expect(res.headers.get('X-Request-Id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('leaves a miss, another route and a bad request to the app', async () => {
    const appFetch = vi.spyOn(app, 'fetch');
    const miss = await call(`/img/${id}/w=71,f=png`);
    expect(miss.headers.get('X-Cache')).toBe('MISS');
    expect(appFetch).toHaveBeenCalledTimes(1);
    expect((await call(`/img/${id}/w=7x`)).status).toBe(400);
    expect((await call(`/img/${id}/original`)).status).toBe(200);
    const bookmark = await call(`/img/${id}/w=71,f=png`, { headers: { 'X-D1-Bookmark': ' ' } });
    expect(bookmark.status).toBe(400);
    expect(appFetch).toHaveBeenCalledTimes(4);
  });

  it('still refuses unsigned, expired and wrongly signed URLs of a cached variant', async () => {
    const sEnv = signedEnv();
    const path = `/img/${id}/w=60,f=webp`;
    const good = await signPath(path, SIGNING.k2, now() + 600);
    expect((await call(good, { env: sEnv })).headers.get('X-Cache')).toBe('MISS');
    const appFetch = vi.spyOn(app, 'fetch');
    const hit = await call(good, { env: sEnv });
    expect(hit.status).toBe(200);
    expect(hit.headers.get('X-Cache')).toBe('HIT');
    expect(appFetch).not.toHaveBeenCalled();

    const sig = new URL(good, BASE).searchParams.get('sig')!;
    const refused = [
      path, // unsigned, though cached (and open without signing keys)
      await signPath(path, SIGNING.k2, now() - 1), // expired
      good.replace(sig, (sig[0] === 'A' ? 'B' : 'A') + sig.slice(1)), // wrong signature
      good.replace(/exp=\d+/, `exp=${now() + 10_000}`), // extended expiry
    ];
    for (const url of refused) {
      const res = await call(url, { env: sEnv });
      expect(res.status, url).toBe(403);
      expect(res.headers.get('Content-Type')).toBe('application/problem+json');
    }
    expect((await call(path)).headers.get('X-Cache')).toBe('HIT'); // signing off: open
    // A public built-in preset needs no signature, on the fast path too.
    expect((await call(`/img/${id}/thumbnail`, { env: sEnv })).status).toBe(200);
    const open = await call(`/img/${id}/thumbnail`, { env: sEnv });
    expect(open.headers.get('X-Cache')).toBe('HIT');
    expect(appFetch).toHaveBeenCalledTimes(refused.length + 1);
  });

  it('refuses a miss while the admission line is full as the app does, logged, without entering the app', async () => {
    // One transform slot, taken here, and no place in line: every miss is refused now.
    const full = { ...env, ADMISSION_MAX_TRANSFORMS: '1', ADMISSION_MAX_WAITING: '0' } as Env;
    const lines: string[] = [];
    const held = tryAdmit(1, { capacityMb: 96, maxRunning: 1 })!;
    try {
      resetAdmissionPeaks();
      vi.spyOn(console, 'log').mockImplementation((l: unknown) => void lines.push(String(l)));
      const appFetch = vi.spyOn(app, 'fetch');
      const path = `/img/${id}/w=73,f=webp`;
      const fast = await call(path, { env: full, headers: { 'X-Request-Id': 'shed-1' } });
      expect(appFetch).not.toHaveBeenCalled();
      appFetch.mockRestore();
      expect(fast.status).toBe(503);
      expect(fast.headers.get('Retry-After')).toBe('2');
      expect(fast.headers.get('Content-Type')).toBe('application/problem+json');
      expect(fast.headers.get('X-Content-Type-Options')).toBe('nosniff');
      expect(fast.headers.get('X-Request-Id')).toBe('shed-1');
      const slow = await viaApp(path, { 'X-Request-Id': 'shed-2' }, full);
      expect(await shape(fast.clone())).toEqual(await shape(slow));
      expect(await fast.json()).toMatchObject({
        type: '/problems/busy',
        status: 503,
        retry_after: 2,
      });
      expect(admissionStats().refused).toBe(2);
      // Its request line, as the app writes it: route, status, path.
      const logged = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(logged.find((l) => l.requestId === 'shed-1')).toMatchObject({
        kind: 'request',
        route: '/img/:id/:transform',
        path,
        status: 503,
        imageId: id,
      });
      expect(logged.find((l) => l.requestId === 'shed-2')).toMatchObject({ status: 503 });

      // onerror=redirect turns the refusal into the app's redirect to the original.
      const redirect = await call(`/img/${id}/w=74,f=webp,onerror=redirect`, { env: full });
      expect(redirect.status).toBe(302);
      expect(redirect.headers.get('Location')).toBe(`${BASE}/img/${id}/original`);
    } finally {
      held.release();
    }
    // A hit is still served while the line is full; the miss once the slot is free.
    expect((await call(`/img/${id}/w=73,f=webp`, { env: full })).status).toBe(200);
  });
});
