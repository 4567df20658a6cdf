/**
 * Admission control's short line (src/transform/admission.ts), through the Worker: with one
 * transform slot, the few misses of one page load wait their turn and are all served; when
 * the line is full, a miss is refused before any storage call (a D1 or R2 read would compete
 * with /healthz and the hits for the isolate's one thread), counting the places of misses
 * still reading D1 and R2 before they join the line.
 */
import { env } from 'cloudflare:test';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { admissionStats, resetAdmissionPeaks, tryAdmit } from '../../src/transform/admission';
import { call, fixture, upload } from '../helpers';

let id: string;

/** `target` with every property read recorded in `calls` as `name.property`. */
function spy<T extends object>(name: string, target: T, calls: string[]): T {
  return new Proxy(target, {
    get(t, p, r) {
      calls.push(`${name}.${String(p)}`);
      const v = Reflect.get(t, p, r) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(t) : v;
    },
  });
}

beforeAll(async () => {
  id = (await upload(await fixture('images/kodak/kodim11.png'))).json.id as string;
});

describe('admission line', () => {
  // Each test starts outside a miss flood (a refusal in an earlier test would start one).
  beforeEach(() => resetAdmissionPeaks());

  it('serves three concurrent misses one after the other with one slot and two places in line', async () => {
    resetAdmissionPeaks();
    const one = {
      ...env,
      ADMISSION_MAX_TRANSFORMS: '1',
      ADMISSION_MAX_WAITING: '2',
      ADMISSION_MAX_WAIT_MS: '20000',
    } as Env;
    const res = await Promise.all(
      [210, 213, 216].map((w) => call(`/img/${id}/w=${w},f=webp`, { env: one })),
    );
    for (const r of res) {
      expect(r.status).toBe(200);
      expect(r.headers.get('X-Variant-Source')).toBe('computed');
    }
    const stats = admissionStats();
    expect(stats.peakRunning).toBe(1);
    expect(stats.refused).toBe(0);
    expect(stats.waiting).toBe(0);
    expect(stats.running).toBe(0);
  });

  it('refuses a miss before any D1 or R2 call while the slot is taken and the line is full', async () => {
    const calls: string[] = [];
    const noLine = {
      ...env,
      ADMISSION_MAX_TRANSFORMS: '1',
      ADMISSION_MAX_WAITING: '0',
      DB: spy('DB', env.DB, calls),
      BUCKET: spy('BUCKET', env.BUCKET, calls),
    } as Env;
    const held = tryAdmit(1, { capacityMb: 96, maxRunning: 1 })!;
    try {
      const res = await call(`/img/${id}/w=220,f=webp`, { env: noLine });
      expect(res.status).toBe(503);
      expect(res.headers.get('Retry-After')).toBe('2');
      expect(await res.json()).toMatchObject({ type: '/problems/busy', status: 503 });
      expect(calls).toEqual([]);
    } finally {
      held.release();
    }
    const after = await call(`/img/${id}/w=220,f=webp`, { env: noLine });
    expect(after.status).toBe(200);
  });

  it('keeps the place of a miss still reading D1 and R2: a miss arriving meanwhile is refused before any', async () => {
    const vars = {
      ADMISSION_MAX_TRANSFORMS: '1',
      ADMISSION_MAX_WAITING: '1',
      ADMISSION_MAX_WAIT_MS: '20000',
    };
    // The first miss's rate-limit check (its first storage-side call) waits for the gate.
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    let entered!: () => void;
    const atLimiter = new Promise<void>((r) => (entered = r));
    const limiter = {
      async limit() {
        entered();
        await gate;
        return { success: true };
      },
    };
    const first = { ...env, ...vars, DELIVERY_LIMITER: limiter } as unknown as Env;
    const calls: string[] = [];
    const second = {
      ...env,
      ...vars,
      DB: spy('DB', env.DB, calls),
      BUCKET: spy('BUCKET', env.BUCKET, calls),
    } as Env;
    const held = tryAdmit(1, { capacityMb: 96, maxRunning: 1 })!;
    let a: Promise<Response> | undefined;
    try {
      a = call(`/img/${id}/w=230,f=webp`, {
        env: first,
        headers: { 'CF-Connecting-IP': '198.18.0.1' },
      });
      await atLimiter;
      expect(admissionStats().reserved).toBe(1);
      const b = await call(`/img/${id}/w=231,f=webp`, { env: second });
      expect(b.status).toBe(503);
      expect(b.headers.get('Retry-After')).toBe('2');
      expect(await b.json()).toMatchObject({ type: '/problems/busy', status: 503 });
      expect(calls).toEqual([]);
    } finally {
      open();
      held.release();
    }
    const served = await a;
    expect(served.status).toBe(200);
    expect(served.headers.get('X-Variant-Source')).toBe('computed');
    expect(admissionStats()).toMatchObject({ reserved: 0, waiting: 0, running: 0 });
  });

  it('under a miss flood rests the slot after each transform, so transforms take at most their share', async () => {
    const flood = {
      ...env,
      ADMISSION_MAX_TRANSFORMS: '1',
      ADMISSION_MAX_WAITING: '0',
      ADMISSION_FLOOD_SHARE_PERCENT: '25',
    } as Env;
    // Outside a flood, misses run back to back.
    for (const w of [240, 241]) {
      const res = await call(`/img/${id}/w=${w},f=webp`, { env: flood });
      expect(res.status).toBe(200);
      expect(admissionStats().restMs).toBe(0);
    }
    // A refusal starts the flood.
    const held = tryAdmit(1, { capacityMb: 96, maxRunning: 1 })!;
    try {
      expect((await call(`/img/${id}/w=242,f=webp`, { env: flood })).status).toBe(503);
    } finally {
      held.release();
    }
    expect(admissionStats().flood).toBe(true);
    const t0 = Date.now();
    const served = await call(`/img/${id}/w=243,f=webp`, { env: flood });
    expect(served.status).toBe(200);
    expect(served.headers.get('X-Variant-Source')).toBe('computed');
    const took = Date.now() - t0;
    // The slot now rests three times the transform's time (25 %): a miss meanwhile is refused
    // (no line here) without touching storage, while hits and /healthz are served.
    const { restMs } = admissionStats();
    expect(restMs).toBeGreaterThan(0);
    expect(restMs).toBeLessThanOrEqual(3 * took + 5);
    const refused = await call(`/img/${id}/w=244,f=webp`, { env: flood });
    expect(refused.status).toBe(503);
    expect(refused.headers.get('Retry-After')).toBe('2');
    expect((await call(`/img/${id}/w=243,f=webp`, { env: flood })).headers.get('X-Cache')).toBe(
      'HIT',
    );
    expect((await call('/healthz', { env: flood })).status).toBe(200);
    // Once it has rested, the next miss runs.
    await new Promise((r) => setTimeout(r, admissionStats().restMs + 20));
    expect((await call(`/img/${id}/w=244,f=webp`, { env: flood })).status).toBe(200);
  });

  it('never rests the slot with ADMISSION_FLOOD_SHARE_PERCENT 100', async () => {
    const full = {
      ...env,
      ADMISSION_MAX_TRANSFORMS: '1',
      ADMISSION_MAX_WAITING: '0',
      ADMISSION_FLOOD_SHARE_PERCENT: '100',
    } as Env;
    const held = tryAdmit(1, { capacityMb: 96, maxRunning: 1 })!;
    try {
      expect((await call(`/img/${id}/w=245,f=webp`, { env: full })).status).toBe(503);
    } finally {
      held.release();
    }
    expect((await call(`/img/${id}/w=246,f=webp`, { env: full })).status).toBe(200);
    expect(admissionStats().restMs).toBe(0);
    expect((await call(`/img/${id}/w=247,f=webp`, { env: full })).status).toBe(200);
  });
});
