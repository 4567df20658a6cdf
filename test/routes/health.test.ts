import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { call, failingD1 } from '../helpers';

describe('routing', () => {
  it('answers /healthz', async () => {
    const res = await call('/healthz');
    expect(res.status).toBe(200);
    expect(res.headers.get('X-Content-Type-Options')).toBe('nosniff');
    expect(res.headers.get('X-Request-Id')).toBeTruthy();
    expect(await res.json()).toMatchObject({ status: 'ok' });
  });

  it('gives a problem+json 404 for unknown routes', async () => {
    const res = await call('/nope');
    expect(res.status).toBe(404);
    expect(res.headers.get('Content-Type')).toBe('application/problem+json');
    expect(await res.json()).toMatchObject({ status: 404, title: 'Not found' });
  });

  it('gives a 405 with Allow for a wrong method', async () => {
    const res = await call('/healthz', { method: 'POST' });
    expect(res.status).toBe(405);
    expect(res.headers.get('Allow')).toContain('GET');
    expect(res.headers.get('Content-Type')).toBe('application/problem+json');
  });

  it('echoes a request id', async () => {
    const res = await call('/healthz', { headers: { 'X-Request-Id': 'abc-123' } });
    expect(res.headers.get('X-Request-Id')).toBe('abc-123');
  });
});

describe('health', () => {
  it('reports version and codec versions on /healthz', async () => {
    const body = (await (await call('/healthz')).json()) as { version: string; codecs: string };
    expect(body.version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(body.codecs).toContain('jpeg1.6.0');
  });

  it('is ready when D1 and R2 answer, and 503 naming the one that fails', async () => {
    const ok = await call('/readyz');
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ status: 'ready', checks: { d1: 'ok', r2: 'ok' } });

    const broken = <T extends object>(target: T, method: string): T =>
      new Proxy(target, {
        get: (t, prop) =>
          prop === method
            ? () => {
                throw new Error(`injected ${method} failure`);
              }
            : (Reflect.get(t, prop) as (...a: unknown[]) => unknown).bind(t),
      });
    const d1Down = await call('/readyz', { env: { ...env, DB: failingD1(env.DB, 'prepare') } });
    expect(d1Down.status).toBe(503);
    expect(d1Down.headers.get('Content-Type')).toBe('application/problem+json');
    expect(await d1Down.json()).toMatchObject({ status: 503, failing: ['d1'] });
    const r2Down = await call('/readyz', { env: { ...env, BUCKET: broken(env.BUCKET, 'head') } });
    expect(await r2Down.json()).toMatchObject({ status: 503, failing: ['r2'] });
  });
});
