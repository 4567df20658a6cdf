/**
 * Cooperative transforms (src/transform/yield.ts), through the Worker: an inline transform
 * gives the isolate's one thread back between its stages, so a cache hit and `/healthz`
 * issued while it runs are answered before it ends; transforms still run one at a time; and
 * a transform's yields give way to the requests served in the foreground until they are
 * answered, not for one turn each.
 */
import { createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import worker from '../../src/index';
import { admissionStats, resetAdmissionPeaks } from '../../src/transform/admission';
import { FOREGROUND_MAX_WAIT_MS } from '../../src/config';
import { inForeground, inLane, toBackground, yieldToLoop } from '../../src/transform/yield';
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

  it('gives way at its yields to a request in the foreground until that request is answered', async () => {
    const events: string[] = [];
    const turn = () => new Promise<void>((r) => setTimeout(r, 0));
    const job = inLane(async () => {
      for (let i = 1; i <= 3; i++) {
        await yieldToLoop();
        events.push(`yield ${i}`);
      }
    });
    await turn();
    // A request that needs three turns of the event loop (a hit: request, lookup, answer).
    const served = inForeground(async () => {
      for (let i = 1; i <= 3; i++) {
        await turn();
        events.push(`turn ${i}`);
      }
    });
    await Promise.all([job, served]);
    // Without the foreground, the transform would take a slice between each of its turns.
    expect(events.indexOf('turn 3')).toBeLessThan(events.indexOf('yield 2'));
    expect(events).toContain('yield 3');
  });

  it('waits at most FOREGROUND_MAX_WAIT_MS per yield, and never for its own request', async () => {
    let answer!: () => void;
    const open = inForeground(() => new Promise<void>((r) => (answer = r)));
    const from = Date.now();
    await inLane(() => yieldToLoop());
    const waited = Date.now() - from;
    answer();
    await open;
    expect(waited).toBeGreaterThanOrEqual(FOREGROUND_MAX_WAIT_MS);
    expect(waited).toBeLessThan(FOREGROUND_MAX_WAIT_MS + 200);

    // A request that becomes a transform leaves the foreground first (inLane, toBackground).
    const own = await inForeground(() =>
      inLane(async () => {
        const t = Date.now();
        await yieldToLoop();
        return Date.now() - t;
      }),
    );
    expect(own).toBeLessThan(FOREGROUND_MAX_WAIT_MS);
    // And outside a request, toBackground changes nothing.
    expect(() => toBackground()).not.toThrow();
  });
});
