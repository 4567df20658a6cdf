/**
 * Helpers for the security tests: call-counting bindings, a signing-enabled env, D1 keys, and a
 * guard against rate-limit window edges.
 */
import { env } from 'cloudflare:test';
import { expect } from 'vitest';
import { RATE_LIMIT_PERIOD_S } from '../../src/config';
import { call, KEYS } from '../helpers';

/** Wraps a binding so that every method call increments `counter.calls`. */
export function counting<T extends object>(target: T, counter: { calls: number }): T {
  return new Proxy(target, {
    get(t, prop) {
      const v = Reflect.get(t, prop) as unknown;
      if (typeof v !== 'function') return v;
      return (...args: unknown[]) => {
        counter.calls++;
        return (v as (...a: unknown[]) => unknown).apply(t, args);
      };
    },
  });
}

/** Two signing keys: `k2` signs new links, `k1` is the previous key, still accepted. */
export const SIGNING = {
  k1: { kid: 'k1', key: 'test-signing-key-one-0123456789abcdef' },
  k2: { kid: 'k2', key: 'test-signing-key-two-0123456789abcdef' },
} as const;

/** The test env with signing on (keys k2, k1). */
export const signedEnv = (): Env => ({
  ...env,
  SIGNING_KEYS: JSON.stringify([SIGNING.k2, SIGNING.k1]),
});

/** Creates a D1 API key for alice with `scopes`; returns its id and secret. */
export async function createKey(
  scopes: string[],
  label = 'test',
): Promise<{ id: string; key: string }> {
  const res = await call('/v1/keys', {
    method: 'POST',
    key: KEYS.alice,
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ scopes, label }),
  });
  expect(res.status, await res.clone().text()).toBe(201);
  return (await res.json()) as { id: string; key: string };
}

/**
 * Waits, when needed, so that at least `marginS` seconds remain in the current fixed rate-limit
 * window (windows are aligned to the wall clock; a test that fills one must not straddle two).
 */
export async function awayFromWindowEdge(marginS = 8): Promise<void> {
  const intoWindow = (Date.now() / 1000) % RATE_LIMIT_PERIOD_S;
  if (RATE_LIMIT_PERIOD_S - intoWindow < marginS)
    await new Promise((r) => setTimeout(r, (RATE_LIMIT_PERIOD_S - intoWindow + 0.5) * 1000));
}

/** Exhausts `limiter` for `key`; returns how many calls it allowed. */
export async function exhaust(limiter: RateLimit, key: string, max = 1000): Promise<number> {
  for (let i = 0; i < max; i++) if (!(await limiter.limit({ key })).success) return i;
  throw new Error(`limiter never refused ${key}`);
}
