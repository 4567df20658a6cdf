/**
 * Admission control through the Worker: concurrent inline misses share the inline memory
 * budget; what does not fit now gets a 503 problem with Retry-After at once, while cache hits
 * and /healthz are served as usual.
 */
import { env } from 'cloudflare:test';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { getImageById } from '../../src/storage/images-db';
import { admissionStats, resetAdmissionPeaks, tryAdmit } from '../../src/transform/admission';
import { estimateVariant } from '../../src/transform/cost';
import { sourceFacts } from '../../src/transform/cost';
import { parseTransform } from '../../src/transform/spec';
import { call, fixture, upload } from '../helpers';

let id: string;
/** An inline budget that holds two of this file's transforms at once, not three. */
let capacity: number;
let tight: Env;
const spec = (w: number) => `w=${w},f=png`;

beforeAll(async () => {
  id = (await upload(await fixture('images/kodak/kodim12.png'))).json.id as string;
  const rec = (await getImageById(env.DB, id))!;
  const mb = [300, 320].map(
    (w) => estimateVariant(sourceFacts(rec), parseTransform(spec(w)), 'png').memoryMB,
  );
  capacity = Math.ceil(Math.max(...mb)) * 2 + 1;
  expect(Math.ceil(Math.min(...mb)) * 3).toBeGreaterThan(capacity);
  // No line (ADMISSION_MAX_WAITING 0): these tests are about the memory share; the line has
  // its own tests (admission-wait.test.ts).
  tight = { ...env, INLINE_BUDGET_MB: String(capacity), ADMISSION_MAX_WAITING: '0' } as Env;
});

async function expectBusy(res: Response) {
  expect(res.status).toBe(503);
  expect(res.headers.get('Content-Type')).toMatch(/^application\/problem\+json/);
  expect(res.headers.get('Retry-After')).toBe('2');
  expect(await res.json()).toMatchObject({ type: '/problems/busy', status: 503, retry_after: 2 });
}

describe('admission control', () => {
  // Each test starts outside a miss flood (a refusal in an earlier test would start one).
  beforeEach(() => resetAdmissionPeaks());

  it('admits at most the budget of concurrent misses; the rest get 503 with Retry-After', async () => {
    resetAdmissionPeaks();
    const widths = Array.from({ length: 8 }, (_, i) => 300 + i * 3);
    const [health, ...misses] = await Promise.all([
      // /healthz is answered among them (it never waits on admission).
      (async () => {
        await Promise.resolve();
        return call('/healthz', { env: tight });
      })(),
      ...widths.map((w) => call(`/img/${id}/${spec(w)}`, { env: tight })),
    ]);
    expect(health!.status).toBe(200);
    const stats = admissionStats();
    expect(stats.peakMb).toBeLessThanOrEqual(capacity);
    expect(stats.peakRunning).toBeLessThanOrEqual(2);
    expect(stats.running).toBe(0);
    const ok = misses.filter((r) => r.status === 200);
    const refused = misses.filter((r) => r.status !== 200);
    expect(ok.length).toBeGreaterThan(0);
    expect(refused.length).toBeGreaterThan(0);
    expect(stats.refused).toBe(refused.length);
    for (const r of ok) expect(r.headers.get('X-Variant-Source')).toBe('computed');
    for (const r of refused) await expectBusy(r);
  });

  it('runs at most ADMISSION_MAX_TRANSFORMS at once, whatever their memory', async () => {
    resetAdmissionPeaks();
    const one = { ...tight, INLINE_BUDGET_MB: '96', ADMISSION_MAX_TRANSFORMS: '1' };
    const res = await Promise.all(
      [400, 403, 406, 409].map((w) => call(`/img/${id}/${spec(w)}`, { env: one })),
    );
    expect(admissionStats().peakRunning).toBe(1);
    expect(res.some((r) => r.status === 200)).toBe(true);
    for (const r of res.filter((x) => x.status !== 200)) await expectBusy(r);
  });

  it('serves hits and /healthz while the budget is taken, and misses again once it is free', async () => {
    const hit = `/img/${id}/${spec(200)}`;
    expect((await call(hit, { env: tight })).status).toBe(200); // now in the edge cache
    const held = tryAdmit(capacity, { capacityMb: capacity, maxRunning: 2 })!; // the whole budget
    try {
      const cached = await call(hit, { env: tight });
      expect(cached.status).toBe(200);
      expect(cached.headers.get('X-Cache')).toBe('HIT');
      expect((await call('/healthz', { env: tight })).status).toBe(200);
      await expectBusy(await call(`/img/${id}/${spec(201)}`, { env: tight }));
    } finally {
      held.release();
    }
    const after = await call(`/img/${id}/${spec(201)}`, { env: tight });
    expect(after.status).toBe(200);
    expect(after.headers.get('X-Variant-Source')).toBe('computed');
  });
});
