/**
 * One structured log line and one metrics data point per request, read from the response.
 * The Analytics Engine binding stores nothing locally, so the test passes its own writer.
 */
import { env } from 'cloudflare:test';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { call, fixture, upload } from '../helpers';

afterEach(() => vi.restoreAllMocks());

describe('observability', () => {
  it('logs and measures a variant request with route, cache status, format, bytes and timings', async () => {
    const { json } = await upload(await fixture('images/kodak/kodim07.png'));
    const points: { blobs?: string[]; doubles?: number[]; indexes?: string[] }[] = [];
    const METRICS = { writeDataPoint: (p: (typeof points)[number]) => void points.push(p) };
    const lines: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((line: unknown) => void lines.push(String(line)));

    const res = await call(`/img/${json.id as string}/w=200,f=webp`, {
      env: { ...env, METRICS } as unknown as Env,
      headers: { 'X-Request-Id': 'req-observe-1' },
    });
    expect(res.status).toBe(200);

    const logged = lines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => l.kind === 'request');
    expect(logged).toMatchObject({
      requestId: 'req-observe-1',
      method: 'GET',
      route: '/img/:id/:transform',
      status: 200,
      cache: 'MISS',
      format: 'webp',
      imageId: json.id,
    });
    expect(logged!.bytes).toBe(Number(res.headers.get('Content-Length')));
    expect(logged!.encodeMs).toBeTypeOf('number');

    expect(points).toHaveLength(1);
    expect(points[0]!.blobs).toEqual(['request', '/img/:id/:transform', '2xx', 'MISS', 'webp']);
    expect(points[0]!.doubles![0]).toBe(200);
    expect(points[0]!.doubles![1]).toBe(Number(res.headers.get('Content-Length')));
  });

  it('logs errors too, with their status', async () => {
    const lines: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((line: unknown) => void lines.push(String(line)));
    await call('/img/AAAAAAAAAAAAAAAA/w=abc');
    const logged = lines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => l.kind === 'request');
    expect(logged).toMatchObject({ status: 400, route: '/img/:id/:transform', cache: '-' });
  });
});
