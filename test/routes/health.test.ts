import { describe, expect, it } from 'vitest';
import { call } from '../helpers';

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
