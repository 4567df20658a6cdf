/**
 * Direct creator uploads: POST /v1/uploads issues a one-time URL with a policy; the file is
 * posted there without an API key; the token is spent once, by a successful upload only.
 */
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { call, fixture, KEYS } from '../helpers';

interface Issued {
  upload_url: string;
  expires_at: string;
  policy: Record<string, unknown>;
}

/** Issues an upload URL with `body` as the policy; returns its path (for `call`). */
async function issue(body?: unknown, key: string = KEYS.alice): Promise<Issued & { path: string }> {
  const res = await call('/v1/uploads', {
    method: 'POST',
    key,
    ...(body === undefined
      ? {}
      : { headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) }),
  });
  expect(res.status, await res.clone().text()).toBe(201);
  const issued = (await res.json()) as Issued;
  return { ...issued, path: new URL(issued.upload_url).pathname };
}

/** Posts `bytes` to an upload path with no API key (raw body, or multipart). */
function post(path: string, bytes: Uint8Array, multipart = false, extra?: (f: FormData) => void) {
  if (!multipart) return call(path, { method: 'POST', body: bytes });
  const form = new FormData();
  form.set('file', new File([bytes], 'photo'));
  extra?.(form);
  return call(path, { method: 'POST', body: form });
}

describe('POST /v1/uploads', () => {
  it('needs the upload scope', async () => {
    expect((await call('/v1/uploads', { method: 'POST' })).status).toBe(401);
    expect((await call('/v1/uploads', { method: 'POST', key: KEYS.reader })).status).toBe(403);
  });

  it('issues a one-time URL with the default policy and an expiry within bounds', async () => {
    const before = Date.now();
    const issued = await issue();
    expect(issued.upload_url).toMatch(/^http:\/\/img\.test\/v1\/uploads\/[A-Za-z0-9_-]{43}$/);
    const exp = Date.parse(issued.expires_at);
    expect(exp - before).toBeGreaterThanOrEqual(3600_000 - 1000);
    expect(exp - before).toBeLessThanOrEqual(3600_000 + 5000);
    expect(issued.policy).toEqual({
      max_bytes: 104857600,
      formats: null,
      max_pixels: 100000000,
      metadata: null,
      eager: [],
    });
    // Only the token's hash is stored.
    const token = issued.path.split('/').pop()!;
    const rows = await env.DB.prepare('SELECT * FROM upload_tokens').all();
    expect(JSON.stringify(rows.results)).not.toContain(token);
  });

  it('validates the policy with 400 problems naming the field', async () => {
    const cases: [unknown, string][] = [
      [{ expires_in: 119 }, 'expires_in'],
      [{ expires_in: 21601 }, 'expires_in'],
      [{ expires_in: 600.5 }, 'expires_in'],
      [{ max_bytes: 0 }, 'max_bytes'],
      [{ max_bytes: 104857601 }, 'max_bytes'],
      [{ max_pixels: 100000001 }, 'max_pixels'],
      [{ formats: [] }, 'formats'],
      [{ formats: ['svg'] }, 'formats'],
      [{ metadata: [1] }, 'metadata'],
      [{ metadata: { x: 'y'.repeat(2000) } }, 'metadata'],
      [{ eager: ['Not A Name'] }, 'eager'],
      [{ eager: ['no-such-preset'] }, 'eager'],
      [{ eager: Array.from({ length: 9 }, (_, i) => `p${i}`) }, 'eager'],
      [{ owner: 'bob' }, 'owner'],
    ];
    for (const [body, option] of cases) {
      const res = await call('/v1/uploads', {
        method: 'POST',
        key: KEYS.alice,
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(await res.json()).toMatchObject({ option });
    }
    const notJson = await call('/v1/uploads', { method: 'POST', key: KEYS.alice, body: '[' });
    expect(notJson.status).toBe(400);
  });
});

describe('POST /v1/uploads/{token}', () => {
  it('stores the file for the issuing owner with the policy metadata, once', async () => {
    const issued = await issue({
      metadata: { album: 'summer' },
      eager: ['thumbnail', 'small'],
      expires_in: 120,
    });
    expect(issued.policy.eager).toEqual(['thumbnail', 'small']);
    const bytes = await fixture('images/kodak/kodim07.png');
    const res = await post(issued.path, bytes);
    expect(res.status).toBe(201);
    expect(res.headers.get('Access-Control-Allow-Origin')).toBe('*');
    const img = (await res.json()) as { id: string; metadata: unknown; format: string };
    expect(img).toMatchObject({ format: 'png', metadata: { album: 'summer' } });
    // Owned by alice: visible to her, 404 to bob.
    expect((await call(`/v1/images/${img.id}`, { key: KEYS.alice })).status).toBe(200);
    expect((await call(`/v1/images/${img.id}`, { key: KEYS.bob })).status).toBe(404);
    // Spent.
    const again = await post(issued.path, await fixture('images/kodak/kodim08.png'));
    expect(again.status).toBe(403);
    expect(again.headers.get('Content-Type')).toBe('application/problem+json');
    expect(again.headers.get('Access-Control-Allow-Origin')).toBe('*');
  });

  it('accepts multipart/form-data and answers CORS preflights', async () => {
    const issued = await issue();
    const pre = await call(issued.path, {
      method: 'OPTIONS',
      headers: {
        Origin: 'https://app.example',
        'Access-Control-Request-Method': 'POST',
        'Access-Control-Request-Headers': 'content-type',
      },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('Access-Control-Allow-Origin')).toBe('*');
    expect(pre.headers.get('Access-Control-Allow-Methods')).toContain('POST');
    const res = await post(issued.path, await fixture('images/kodak/kodim09.png'), true);
    expect(res.status).toBe(201);
  });

  it('enforces the policy with 4xx problems, and a refused file does not spend the token', async () => {
    const png = await fixture('images/kodak/kodim10.png'); // 768x512
    const jpeg = await fixture('images/exif/Landscape_1.jpg');

    const onlyJpeg = await issue({ formats: ['jpeg'] });
    const wrongFormat = await post(onlyJpeg.path, png);
    expect(wrongFormat.status).toBe(415);
    expect(wrongFormat.headers.get('Content-Type')).toBe('application/problem+json');
    expect((await post(onlyJpeg.path, jpeg)).status).toBe(201); // still usable

    const small = await issue({ max_bytes: 1000 });
    expect((await post(small.path, png)).status).toBe(413);
    expect((await post(small.path, png, true)).status).toBe(413);
    const tiny = await fixture('bad-images/synthetic/png_control_1x1_rgba8_valid.png');
    expect((await post(small.path, tiny)).status).toBe(201);

    const fewPixels = await issue({ max_pixels: 100_000 });
    const over = await post(fewPixels.path, png);
    expect(over.status).toBe(422);
    expect(await over.json()).toMatchObject({ limit: 100_000, pixels: 768 * 512 });

    const any = await issue();
    expect((await post(any.path, new TextEncoder().encode('<svg/>'))).status).toBe(415);
    expect(
      (await post(any.path, await fixture('bad-images/malformed/synthetic_png_signature_only.png')))
        .status,
    ).toBe(422);
    expect((await post(any.path, new Uint8Array())).status).toBe(415);
    // The uploader cannot set metadata: the policy does.
    const withMeta = await post(any.path, tiny, true, (f) => f.set('metadata', '{"x":1}'));
    expect(withMeta.status).toBe(400);
    expect((await call(`${any.path}?metadata=%7B%7D`, { method: 'POST', body: tiny })).status).toBe(
      400,
    );
    expect((await post(any.path, await fixture('images/kodak/kodim11.png'))).status).toBe(201);
  });

  it('refuses unknown, malformed and expired tokens with the same 403', async () => {
    const issued = await issue({ expires_in: 120 });
    const token = issued.path.split('/').pop()!;
    // Expire it (as if 2 minutes had passed).
    await env.DB.prepare('UPDATE upload_tokens SET expires_at = ? WHERE expires_at = ?')
      .bind(Date.now() - 1, Date.parse(issued.expires_at))
      .run();
    const bytes = await fixture('bad-images/synthetic/png_control_1x1_rgba8_valid.png');
    const bodies = new Set<string>();
    for (const path of [
      issued.path,
      `/v1/uploads/${token.slice(0, 42)}${token.endsWith('A') ? 'B' : 'A'}`,
      '/v1/uploads/short',
      `/v1/uploads/${'A'.repeat(43)}`,
    ]) {
      const res = await post(path, bytes);
      expect(res.status, path).toBe(403);
      bodies.add(await res.text());
    }
    expect(bodies.size).toBe(1);
  });

  it('lets exactly one of two concurrent uploads spend a token', async () => {
    const issued = await issue();
    const [a, b] = await Promise.all([
      post(issued.path, await fixture('images/kodak/kodim12.png')),
      post(issued.path, await fixture('images/kodak/kodim01.png')),
    ]);
    expect([a.status, b.status].sort()).toEqual([201, 403]);
    const row = await env.DB.prepare(
      'SELECT COUNT(*) AS n FROM upload_tokens WHERE used_at IS NOT NULL AND image_id IS NOT NULL AND expires_at = ?',
    )
      .bind(Date.parse(issued.expires_at))
      .first<{ n: number }>();
    expect(row!.n).toBe(1);
  });

  it('gives the token back when storage fails after the claim', async () => {
    const issued = await issue();
    const failingBucket = new Proxy(env.BUCKET, {
      get: (target, prop) =>
        prop === 'put'
          ? () => Promise.reject(new Error('injected R2 failure'))
          : (Reflect.get(target, prop) as unknown as (...a: unknown[]) => unknown).bind(target),
    });
    const bytes = await fixture('images/kodak/kodim02.png');
    const failed = await call(issued.path, {
      method: 'POST',
      body: bytes,
      env: { ...env, BUCKET: failingBucket },
    });
    expect(failed.status).toBe(500);
    expect((await post(issued.path, bytes)).status).toBe(201);
  });
});
