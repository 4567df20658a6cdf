/**
 * Rate limits: writes per API key, uncached deliveries per client IP, through the real
 * rate-limiting bindings (counts are in memory per test file: every test uses its own keys)
 * and through stubs that force a decision.
 */
import { env } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  deliveryLimitKey,
  retryAfterSeconds,
  writeLimitKey,
  type Limiter,
} from '../../src/security/rate-limit';
import { call, fixture, KEYS, upload } from '../helpers';
import { awayFromWindowEdge, createKey, exhaust } from './helpers';

const deny: Limiter = { limit: async () => ({ success: false }) };
const broken: Limiter = {
  limit: async () => {
    throw new Error('limiter down');
  },
};

/** Asserts a 429 problem with a sane Retry-After. */
async function expect429(res: Response): Promise<void> {
  expect(res.status).toBe(429);
  expect(res.headers.get('Content-Type')).toBe('application/problem+json');
  expect(res.headers.get('Cache-Control')).toBe('no-store');
  const retry = Number(res.headers.get('Retry-After'));
  expect(Number.isInteger(retry) && retry >= 1 && retry <= 60).toBe(true);
  expect(await res.json()).toMatchObject({
    type: '/problems/rate-limited',
    status: 429,
    retry_after: retry,
  });
}

describe('Retry-After', () => {
  it('counts the seconds to the end of the fixed window', () => {
    expect(retryAfterSeconds(60_000)).toBe(60);
    expect(retryAfterSeconds(61_000)).toBe(59);
    expect(retryAfterSeconds(119_999)).toBe(1);
  });
});

describe('writes, per API key', () => {
  it('refuses writes over the limit with 429, and still serves reads', async () => {
    await awayFromWindowEdge();
    const k = await createKey(['read', 'upload']);
    const allowed = await exhaust(env.WRITE_LIMITER, writeLimitKey(k.id));
    expect(allowed).toBe(120); // wrangler.toml: 120 per 60 s
    const res = await call('/v1/images', {
      method: 'POST',
      body: await fixture('images/kodak/kodim01.png'),
      key: k.key,
    });
    await expect429(res);
    expect((await call('/v1/images', { key: k.key })).status).toBe(200); // reads are not limited
    // Other keys are unaffected.
    const other = await createKey(['read', 'upload']);
    expect((await upload(await fixture('images/kodak/kodim01.png'), other.key)).res.status).toBe(
      201,
    );
  });

  it('counts writes with API_KEYS keys too (stub deny), and fails open when the limiter throws', async () => {
    const bytes = await fixture('images/kodak/kodim02.png');
    await expect429(
      await call('/v1/images', {
        method: 'POST',
        body: bytes,
        key: KEYS.bob,
        env: { ...env, WRITE_LIMITER: deny as RateLimit },
      }),
    );
    expect(
      (
        await call('/v1/images', {
          key: KEYS.bob,
          env: { ...env, WRITE_LIMITER: deny as RateLimit },
        })
      ).status,
    ).toBe(200);
    const res = await call('/v1/images', {
      method: 'POST',
      body: bytes,
      key: KEYS.bob,
      env: { ...env, WRITE_LIMITER: broken as RateLimit },
    });
    expect(res.status).toBe(201);
  });

  it('charges posts to a one-time upload URL to the key that issued it', async () => {
    await awayFromWindowEdge();
    const k = await createKey(['upload']);
    const issued = await call('/v1/uploads', { method: 'POST', key: k.key });
    expect(issued.status).toBe(201);
    const { upload_url } = (await issued.json()) as { upload_url: string };
    await exhaust(env.WRITE_LIMITER, writeLimitKey(k.id));
    const res = await call(new URL(upload_url).pathname, {
      method: 'POST',
      body: await fixture('images/kodak/kodim03.png'),
    });
    await expect429(res);
  });
});

describe('deliveries, per client IP, after the edge cache', () => {
  let id: string;
  beforeAll(async () => {
    id = (await upload(await fixture('images/kodak/kodim04.png'))).json.id as string;
  });

  it('limits misses and originals but never cache hits', async () => {
    const ip = '203.0.113.10';
    const headers = { 'CF-Connecting-IP': ip };
    expect((await call(`/img/${id}/w=30,f=png`, { headers })).status).toBe(200); // now cached
    const denyEnv = { ...env, DELIVERY_LIMITER: deny as RateLimit };
    const hit = await call(`/img/${id}/w=30,f=png`, { headers, env: denyEnv });
    expect(hit.status).toBe(200);
    expect(hit.headers.get('X-Cache')).toBe('HIT');
    await expect429(await call(`/img/${id}/w=31,f=png`, { headers, env: denyEnv }));
    await expect429(await call(`/img/${id}/original`, { headers, env: denyEnv }));
    // Without CF-Connecting-IP (not behind Cloudflare) nothing is counted.
    expect((await call(`/img/${id}/w=32,f=png`, { env: denyEnv })).status).toBe(200);
  });

  it('uses the binding: one IP over its limit gets 429, another IP does not', async () => {
    await awayFromWindowEdge();
    const ip = '198.51.100.77';
    const allowed = await exhaust(env.DELIVERY_LIMITER, deliveryLimitKey(ip));
    expect(allowed).toBe(300); // wrangler.toml: 300 per 60 s
    await expect429(await call(`/img/${id}/w=33,f=png`, { headers: { 'CF-Connecting-IP': ip } }));
    const other = await call(`/img/${id}/w=33,f=png`, {
      headers: { 'CF-Connecting-IP': '198.51.100.78' },
    });
    expect(other.status).toBe(200);
    // Now cached: the limited IP gets the hit, and still 429 for another miss.
    const hit = await call(`/img/${id}/w=33,f=png`, { headers: { 'CF-Connecting-IP': ip } });
    expect(hit.status).toBe(200);
    expect(hit.headers.get('X-Cache')).toBe('HIT');
    await expect429(await call(`/img/${id}/w=34,f=png`, { headers: { 'CF-Connecting-IP': ip } }));
  });
});
