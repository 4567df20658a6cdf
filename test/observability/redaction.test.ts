/**
 * Secrets never reach the logs or the metrics (src/observability/redact.ts): one-time upload
 * tokens (in the path), API keys, URL signatures and Authorization headers. Drives requests
 * that carry each of them (accepted, refused, and failing with a 500 whose error message holds
 * a token), captures every console line and metric point, and greps them.
 */
import { env } from 'cloudflare:test';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { signPath } from '../../src/security/signature';
import { call, fixture, KEYS } from '../helpers';
import { SIGNING, signedEnv } from '../security/helpers';

afterEach(() => vi.restoreAllMocks());

/** A new one-time upload token of alice's (the last path segment of its upload URL). */
async function newToken(): Promise<string> {
  const res = await call('/v1/uploads', { method: 'POST', key: KEYS.alice });
  expect(res.status).toBe(201);
  const url = ((await res.json()) as { upload_url: string }).upload_url;
  return url.slice(url.lastIndexOf('/') + 1);
}

describe('redaction', () => {
  it('writes no token, key or signature to any log line or metric', async () => {
    const lines: string[] = [];
    for (const level of ['log', 'info', 'warn', 'error', 'debug'] as const)
      vi.spyOn(console, level).mockImplementation((...args: unknown[]) => {
        lines.push(args.map(String).join(' '));
      });
    const points: { blobs?: string[]; indexes?: string[] }[] = [];
    const METRICS = { writeDataPoint: (p: (typeof points)[number]) => void points.push(p) };
    const observed = { ...env, METRICS } as unknown as Env;

    // An API key made through the API, used as a Bearer credential.
    const made = await call('/v1/keys', {
      method: 'POST',
      key: KEYS.alice,
      env: observed,
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ scopes: ['read', 'upload'] }),
    });
    const apiKey = ((await made.json()) as { key: string }).key;
    expect(apiKey).toMatch(/^ie_/);
    const png = await fixture('images/kodak/kodim06.png');
    const up = await call('/v1/images', { method: 'POST', body: png, key: apiKey, env: observed });
    expect(up.status).toBe(201);
    const id = ((await up.json()) as { id: string }).id;

    // An upload token: a refused file first (the token stays usable), then the upload.
    const token = await newToken();
    const refused = await call(`/v1/uploads/${token}`, {
      method: 'POST',
      body: new TextEncoder().encode('not an image'),
      env: observed,
    });
    expect(refused.status).toBe(415);
    const ok = await call(`/v1/uploads/${token}`, {
      method: 'POST',
      body: await fixture('images/kodak/kodim07.png'),
      env: observed,
    });
    expect(ok.status).toBe(201);

    // A token whose upload fails with an error that names it (a 500 logs the error).
    const token2 = await newToken();
    const failing = {
      ...observed,
      BUCKET: new Proxy(env.BUCKET, {
        get(target, prop) {
          if (prop === 'put')
            return () => Promise.reject(new Error(`R2 refused /v1/uploads/${token2} (${token2})`));
          const v = Reflect.get(target, prop) as unknown;
          return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
        },
      }),
    } as Env;
    const boom = await call(`/v1/uploads/${token2}`, {
      method: 'POST',
      body: await fixture('images/kodak/kodim08.png'),
      env: failing,
    });
    expect(boom.status).toBe(500);

    // Signed delivery URLs, good and bad.
    const sEnv = { ...signedEnv(), METRICS } as unknown as Env;
    const signed = await signPath(`/img/${id}/w=50,f=webp`, SIGNING.k2);
    const sig = new URL(signed, 'http://x').searchParams.get('sig')!;
    expect((await call(signed, { env: sEnv })).status).toBe(200);
    expect((await call(`/img/${id}/w=51,f=webp?kid=k2&sig=${sig}`, { env: sEnv })).status).toBe(
      403,
    );

    const logged = lines.join('\n');
    const metrics = JSON.stringify(points);
    // The capture works: the upload requests were logged, with the token's place redacted.
    expect(logged).toContain('"path":"/v1/uploads/[redacted]"');
    expect(logged).toContain('R2 refused');
    expect(points.length).toBeGreaterThan(5);
    for (const secret of [token, token2, apiKey, sig, KEYS.alice]) {
      expect(logged.includes(secret), `a log line holds ${secret.slice(0, 6)}…`).toBe(false);
      expect(metrics.includes(secret), `a metric holds ${secret.slice(0, 6)}…`).toBe(false);
    }
  });
});
