/**
 * Admission control's short line (src/transform/admission.ts), through the Worker: with one
 * transform slot, the few misses of one page load wait their turn and are all served; when
 * the line is full, a miss is refused before any storage call (a D1 or R2 read would compete
 * with /healthz and the hits for the isolate's one thread).
 */
import { env } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { admissionStats, resetAdmissionPeaks, tryAdmit } from '../../src/transform/admission';
import { call, fixture, upload } from '../helpers';

let id: string;

beforeAll(async () => {
  id = (await upload(await fixture('images/kodak/kodim11.png'))).json.id as string;
});

describe('admission line', () => {
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
    const spy = <T extends object>(name: string, target: T): T =>
      new Proxy(target, {
        get(t, p, r) {
          calls.push(`${name}.${String(p)}`);
          const v = Reflect.get(t, p, r) as unknown;
          return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(t) : v;
        },
      });
    const noLine = {
      ...env,
      ADMISSION_MAX_TRANSFORMS: '1',
      ADMISSION_MAX_WAITING: '0',
      DB: spy('DB', env.DB),
      BUCKET: spy('BUCKET', env.BUCKET),
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
});
