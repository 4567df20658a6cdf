/**
 * Request log sampling through the Worker (src/observability/sampling.ts): successful cache
 * hits get one line per LOG_HIT_SAMPLE_EVERY, marked with the weight; misses and errors always
 * get theirs, and every request still writes its metrics data point.
 */
import { env } from 'cloudflare:test';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { call, fixture, upload } from '../helpers';

afterEach(() => vi.restoreAllMocks());

type Point = { blobs?: string[]; doubles?: number[]; indexes?: string[] };

/** The test env with `LOG_HIT_SAMPLE_EVERY` and a metrics writer that keeps its points. */
function sampledEnv(every: string, points: Point[], overrides: Partial<Env> = {}): Env {
  const METRICS = { writeDataPoint: (p: Point) => void points.push(p) };
  return { ...env, LOG_HIT_SAMPLE_EVERY: every, METRICS, ...overrides } as unknown as Env;
}

/** Captures console.log and console.error; returns the request lines and the error lines. */
function captureLogs() {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((l: unknown) => void out.push(String(l)));
  vi.spyOn(console, 'error').mockImplementation((l: unknown) => void err.push(String(l)));
  return {
    requests: () =>
      out.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.kind === 'request'),
    errors: () => err.map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

describe('request log sampling', () => {
  it('logs one successful hit in LOG_HIT_SAMPLE_EVERY (with its weight), every miss, and measures all', async () => {
    const { json } = await upload(await fixture('images/kodak/kodim05.png'));
    const url = `/img/${json.id as string}/w=120,f=webp`;
    const points: Point[] = [];
    const e = sampledEnv('4', points);
    const logs = captureLogs();

    const miss = await call(url, { env: e });
    expect(miss.headers.get('X-Cache')).toBe('MISS');
    await miss.arrayBuffer();
    // 12 hits at 1 in 4: exactly 3 lines, whatever the isolate's counter held before
    // (0-3 → 3 lines; a count left over from a larger rate → 1 at once, then 2).
    for (let i = 0; i < 12; i++) {
      const hit = await call(url, { env: e });
      expect(hit.status).toBe(200);
      expect(hit.headers.get('X-Cache')).toBe('HIT');
      await hit.arrayBuffer();
    }

    const lines = logs.requests();
    expect(lines.filter((l) => l.cache === 'MISS')).toHaveLength(1);
    expect(lines.filter((l) => l.cache === 'MISS')[0]).not.toHaveProperty('sampled');
    const hitLines = lines.filter((l) => l.cache === 'HIT');
    expect(hitLines).toHaveLength(3);
    for (const l of hitLines)
      expect(l).toMatchObject({ status: 200, route: '/img/:id/:transform', sampled: 4 });
    // The metrics keep every request: 1 miss and 12 hits.
    expect(points.map((p) => p.blobs![3])).toEqual(['MISS', ...Array(12).fill('HIT')]);
  });

  it('never samples errors: every 4xx and 5xx gets its request line, and a 500 its error line', async () => {
    const points: Point[] = [];
    const logs = captureLogs();
    const e = sampledEnv('1000', points);
    for (let i = 0; i < 5; i++) {
      const res = await call(`/img/AAAAAAAAAAAAAAAA/w=${i}x`, { env: e });
      expect(res.status).toBe(400);
    }
    const notFound = await call('/img/AAAAAAAAAAAAAAAA/w=100', { env: e });
    expect(notFound.status).toBe(404);

    // R2 failing on a miss: a 500, logged as a request and as an error event.
    const { json } = await upload(await fixture('images/kodak/kodim06.png'));
    const broken = {
      ...env.BUCKET,
      get: () => Promise.reject(new Error('R2 is down')),
      head: () => Promise.reject(new Error('R2 is down')),
    } as unknown as R2Bucket;
    const failed = await call(`/img/${json.id as string}/w=130,f=webp`, {
      env: sampledEnv('1000', points, { BUCKET: broken }),
    });
    expect(failed.status).toBe(500);

    // The 404 twice: the entry point confirms a replica's 404 at the primary (src/index.ts).
    const statuses = logs
      .requests()
      .filter((l) => l.route === '/img/:id/:transform')
      .map((l) => l.status);
    expect(statuses).toEqual([400, 400, 400, 400, 400, 404, 404, 500]);
    expect(
      logs.errors().some((l) => l.level === 'error' && /R2 is down/.test(String(l.message))),
    ).toBe(true);
  });

  it('logs every hit at LOG_HIT_SAMPLE_EVERY=1, without a weight', async () => {
    const { json } = await upload(await fixture('images/kodak/kodim08.png'));
    const url = `/img/${json.id as string}/w=110,f=webp`;
    const e = sampledEnv('1', []);
    await (await call(url, { env: e })).arrayBuffer();
    const logs = captureLogs();
    for (let i = 0; i < 3; i++) await (await call(url, { env: e })).arrayBuffer();
    const hits = logs.requests().filter((l) => l.cache === 'HIT');
    expect(hits).toHaveLength(3);
    for (const l of hits) expect(l).not.toHaveProperty('sampled');
  });
});
