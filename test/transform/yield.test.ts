/**
 * Cooperative transforms (src/transform/yield.ts), through the Worker: an inline transform
 * gives the isolate's one thread back between its stages, so a cache hit and `/healthz`
 * issued while it runs are answered before it ends; transforms still run one at a time.
 */
import { createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import worker from '../../src/index';
import { admissionStats, resetAdmissionPeaks } from '../../src/transform/admission';
import { inLane, yieldToLoop } from '../../src/transform/yield';
import { BASE, call, fixture, upload } from '../helpers';

let large: string;
let small: string;

beforeAll(async () => {
  large = (await upload(await fixture('images/large/Carrie.jpg'))).json.id as string;
  small = (await upload(await fixture('images/kodak/kodim01.png'))).json.id as string;
});

/** `bucket` whose objects' `arrayBuffer()` calls `read` once the bytes are there. */
function announcingReads(bucket: R2Bucket, read: () => void): R2Bucket {
  return new Proxy(bucket, {
    get(t, p) {
      if (p !== 'get') return (Reflect.get(t, p) as (...a: unknown[]) => unknown).bind(t);
      return async (...args: Parameters<R2Bucket['get']>) => {
        const obj = await t.get(...args);
        if (!obj || !('arrayBuffer' in obj)) return obj;
        return new Proxy(obj, {
          get(o, q) {
            const v = Reflect.get(o, q) as unknown;
            if (q !== 'arrayBuffer') return typeof v === 'function' ? v.bind(o) : v;
            return async () => {
              const bytes = await o.arrayBuffer();
              read();
              return bytes;
            };
          },
        });
      };
    },
  });
}

/** Sends `path` to the Worker; resolves with the response as soon as it is there. */
function send(path: string, bindings: Env = env) {
  const ctx = createExecutionContext();
  const res = worker.fetch(new Request(BASE + path), bindings, ctx);
  return { res, done: res.then(() => waitOnExecutionContext(ctx)) };
}

describe('cooperative transforms', () => {
  it('answers a cache hit and /healthz issued during an inline transform before the transform ends', async () => {
    const hitPath = `/img/${small}/w=300,f=webp`;
    const warm = await call(hitPath);
    expect(warm.headers.get('X-Cache')).toBe('MISS');
    expect((await call(hitPath)).headers.get('X-Cache')).toBe('HIT');
    resetAdmissionPeaks();

    // The miss's transform starts right after its original's bytes are read.
    let transforming!: () => void;
    const started = new Promise<void>((r) => (transforming = r));
    const bindings = { ...env, BUCKET: announcingReads(env.BUCKET, () => transforming()) } as Env;
    const miss = send(`/img/${large}/w=1200,f=webp`, bindings);
    await started;
    expect(admissionStats().running).toBe(1);

    // Issued now, while the transform holds its slot: each records whether it still runs.
    const runningWhenAnswered: Record<string, number> = {};
    const probe = (name: string, path: string) => {
      const sent = send(path);
      return sent.res.then((res) => {
        runningWhenAnswered[name] = admissionStats().running;
        return { res, done: sent.done };
      });
    };
    const [hit, health] = await Promise.all([probe('hit', hitPath), probe('healthz', '/healthz')]);
    const missRes = await miss.res;
    await Promise.all([miss.done, hit.done, health.done]);

    expect(missRes.status).toBe(200);
    expect(missRes.headers.get('X-Variant-Source')).toBe('computed');
    expect(hit.res.status).toBe(200);
    expect(hit.res.headers.get('X-Cache')).toBe('HIT');
    expect(health.res.status).toBe(200);
    // Both were answered while the transform was still in progress.
    expect(runningWhenAnswered).toEqual({ hit: 1, healthz: 1 });
    expect(admissionStats().running).toBe(0);
  });

  it('runs lane work one at a time across yields', async () => {
    const events: string[] = [];
    const job = (name: string) =>
      inLane(async () => {
        events.push(`${name} start`);
        await yieldToLoop();
        await yieldToLoop();
        events.push(`${name} end`);
        return name;
      });
    expect(await Promise.all([job('a'), job('b')])).toEqual(['a', 'b']);
    expect(events).toEqual(['a start', 'a end', 'b start', 'b end']);
  });
});
