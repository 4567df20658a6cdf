/**
 * `POST /v1/signatures`: signed delivery URLs for the owner's images when signing is on; the
 * URL it gives opens the variant, and nothing else is signed.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { BASE, call, fixture, KEYS, upload } from '../helpers';
import { signedEnv } from '../security/helpers';

let id: string;
beforeAll(async () => {
  id = (await upload(await fixture('images/crop/concert.jpg'))).json.id as string;
});

const sign = (body: unknown, key: string = KEYS.reader, env = signedEnv()) =>
  call('/v1/signatures', {
    method: 'POST',
    key,
    env,
    body: JSON.stringify(body),
    headers: { 'Content-Type': 'application/json' },
  });

describe('POST /v1/signatures', () => {
  it('signs a variant URL that then opens while the unsigned one is refused', async () => {
    const env = signedEnv();
    const path = `/img/${id}/w=64,f=webp`;
    expect((await call(path, { env })).status).toBe(403);
    const res = await sign({ path, expires_in: 600 }, KEYS.reader, env);
    expect(res.status).toBe(200);
    expect(res.headers.get('Cache-Control')).toBe('no-store');
    const { url, expires_at } = (await res.json()) as { url: string; expires_at: string };
    expect(url).toMatch(new RegExp(`^${BASE}${path}\\?exp=\\d+&kid=k2&sig=[A-Za-z0-9_-]{43}$`));
    const left = Date.parse(expires_at) - Date.now();
    expect(left).toBeGreaterThan(590_000);
    expect(left).toBeLessThanOrEqual(600_000);
    const u = new URL(url);
    const variant = await call(u.pathname + u.search, { env });
    expect(variant.status).toBe(200);
    expect(variant.headers.get('Content-Type')).toBe('image/webp');
  });

  it("refuses another owner's image, bad paths and expiries, with problems", async () => {
    const cases: [unknown, string | undefined, number][] = [
      [{ path: `/img/${id}/original` }, KEYS.bob, 404],
      [{ path: `/v1/images/${id}` }, undefined, 400],
      [{ path: `/img/${id}/w=1?x=1` }, undefined, 400],
      [{ path: `/img/${id}/w=1`, expires_in: 10 }, undefined, 400],
      [{ path: `/img/${id}/w=1`, expires_in: '60' }, undefined, 400],
      ['not an object', undefined, 400],
    ];
    for (const [body, key, status] of cases) {
      const res = await sign(body, key);
      expect(res.status, JSON.stringify(body)).toBe(status);
      expect(res.headers.get('Content-Type')).toBe('application/problem+json');
    }
  });

  it('needs an API key, and says so when signing is off', async () => {
    const anonymous = await call('/v1/signatures', {
      method: 'POST',
      env: signedEnv(),
      body: JSON.stringify({ path: `/img/${id}/w=1` }),
    });
    expect(anonymous.status).toBe(401);
    const off = await call('/v1/signatures', {
      method: 'POST',
      key: KEYS.alice,
      body: JSON.stringify({ path: `/img/${id}/w=1` }),
    });
    expect(off.status).toBe(409);
    expect(((await off.json()) as { detail: string }).detail).toContain('Signing is off');
  });
});
