/**
 * Signed delivery URLs: the signing functions, a property test (any changed character of the
 * path, `exp` or `sig` fails), and the gate in front of /img through the real Worker.
 */
import { env } from 'cloudflare:test';
import fc from 'fast-check';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { forgetPublicPresets } from '../../src/security/signed-delivery';
import {
  canonicalString,
  parseSigningKeys,
  presentedSignature,
  signingKeySet,
  signPath,
  verifySignature,
  type SigningKeySet,
} from '../../src/security/signature';
import { call, fixture, KEYS, upload } from '../helpers';
import { counting, SIGNING, signedEnv } from './helpers';

const now = () => Math.floor(Date.now() / 1000);

/** Verifies a signed path-with-query as the gate does. */
async function verifies(set: SigningKeySet, signed: string, at = now()): Promise<boolean> {
  return verifySignature(set, presentedSignature(new URL(signed, 'http://img.test')), at);
}

describe('signPath / verifySignature', () => {
  let set: SigningKeySet;
  beforeAll(async () => {
    set = await signingKeySet(JSON.stringify([SIGNING.k2, SIGNING.k1]));
  });

  it('signs the documented canonical string with HMAC-SHA256, base64url', async () => {
    const path = '/img/AbCdEfGhIjKlMnOp/w=800,f=auto';
    const signed = await signPath(path, SIGNING.k2, 1767225600);
    const url = new URL(signed, 'http://x');
    expect(url.pathname).toBe(path);
    expect([...url.searchParams.keys()]).toEqual(['exp', 'kid', 'sig']);
    expect(canonicalString(path, '1767225600')).toBe(`${path}?exp=1767225600`);
    // Independent computation of the MAC.
    const key = await crypto.subtle.importKey(
      'raw',
      new TextEncoder().encode(SIGNING.k2.key),
      { name: 'HMAC', hash: 'SHA-256' },
      false,
      ['sign'],
    );
    const mac = new Uint8Array(
      await crypto.subtle.sign('HMAC', key, new TextEncoder().encode(`${path}?exp=1767225600`)),
    );
    const b64 = btoa(String.fromCharCode(...mac))
      .replaceAll('+', '-')
      .replaceAll('/', '_')
      .replace(/=+$/, '');
    expect(url.searchParams.get('sig')).toBe(b64);
    expect(b64).toHaveLength(43);
  });

  it('accepts valid links with or without exp, from any configured kid, until exp', async () => {
    const path = '/img/AbCdEfGhIjKlMnOp/thumbnail';
    expect(await verifies(set, await signPath(path, SIGNING.k2))).toBe(true);
    expect(await verifies(set, await signPath(path, SIGNING.k1))).toBe(true); // previous key
    const exp = now() + 60;
    const signed = await signPath(path, SIGNING.k2, exp);
    expect(await verifies(set, signed, exp)).toBe(true); // through the second exp
    expect(await verifies(set, signed, exp + 1)).toBe(false);
    // A key that is no longer configured.
    const onlyK2 = await signingKeySet(JSON.stringify([SIGNING.k2]));
    expect(await verifies(onlyK2, await signPath(path, SIGNING.k1))).toBe(false);
  });

  it('refuses missing, repeated or non-canonical parameters', async () => {
    const path = '/img/AbCdEfGhIjKlMnOp/w=10';
    const signed = await signPath(path, SIGNING.k2, now() + 600);
    const url = new URL(signed, 'http://x');
    const sig = url.searchParams.get('sig')!;
    const variants = [
      path,
      `${path}?kid=k2&sig=${sig}`, // exp dropped
      `${signed}&sig=${sig}`, // sig twice
      `${signed}&exp=${url.searchParams.get('exp')}`, // exp twice
      signed.replace('kid=k2', 'kid=k3'),
      signed.replace('kid=k2', 'kid=k1'),
      signed.replace(/sig=[^&]+/, `sig=${sig}=`), // padded
      signed.replace(/sig=[^&]+/, `sig=${sig.slice(0, 42)}`),
    ];
    for (const v of variants) expect(await verifies(set, v), v).toBe(false);
    // The last character carries 2 unused bits: every other spelling of the same bytes fails.
    const last = sig.at(-1)!;
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const idx = alphabet.indexOf(last);
    for (let d = 1; d < 4; d++) {
      const other = alphabet[(idx & ~3) + ((idx + d) & 3)]!;
      const forged = signed.replace(/sig=[^&]+/, `sig=${sig.slice(0, 42)}${other}`);
      expect(await verifies(set, forged), forged).toBe(false);
    }
  });

  it('rejects malformed key lists', () => {
    expect(parseSigningKeys('')).toEqual([]);
    expect(parseSigningKeys('[]')).toEqual([]);
    expect(() => parseSigningKeys('{}')).toThrow();
    expect(() => parseSigningKeys('[{"kid":"a","key":"short"}]')).toThrow();
    expect(() => parseSigningKeys(JSON.stringify([SIGNING.k1, SIGNING.k1]))).toThrow();
    expect(() => parseSigningKeys(JSON.stringify([{ kid: 'a b', key: SIGNING.k1.key }]))).toThrow();
  });

  it('property: changing any one character of the path, exp or sig makes the URL fail', async () => {
    const pathArb = fc
      .tuple(
        fc.stringMatching(/^[A-Za-z0-9_-]{16}$/),
        fc.oneof(
          fc.constantFrom('thumbnail', 'original', 'w=800,f=auto', 'w=100,h=100,fit=cover'),
          fc.stringMatching(/^[a-z0-9=,.]{1,40}$/),
        ),
      )
      .map(([id, t]) => `/img/${id}/${t}`);
    await fc.assert(
      fc.asyncProperty(
        pathArb,
        fc.option(fc.integer({ min: now() + 10, max: 99_999_999_999 }), { nil: undefined }),
        fc.constantFrom<'path' | 'exp' | 'sig'>('path', 'exp', 'sig'),
        fc.nat(),
        fc.string({ minLength: 1, maxLength: 1, unit: 'grapheme' }),
        async (path, exp, part, at, ch) => {
          const signed = new URL(await signPath(path, SIGNING.k2, exp), 'http://x');
          const p = presentedSignature(signed);
          expect(await verifySignature(set, p, now())).toBe(true);
          const target = part === 'exp' && p.exp === null ? 'path' : part;
          const value = target === 'path' ? p.path : target === 'exp' ? p.exp! : p.sig!;
          const i = at % value.length;
          fc.pre(value[i] !== ch);
          const changed = value.slice(0, i) + ch + value.slice(i + 1);
          const mutated = { ...p, [target]: changed };
          expect(await verifySignature(set, mutated, now())).toBe(false);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('the /img gate with SIGNING_KEYS set', () => {
  let id: string;
  let sEnv: Env;
  beforeAll(async () => {
    id = (await upload(await fixture('images/kodak/kodim03.png'))).json.id as string;
    sEnv = signedEnv();
  });

  it('leaves /img open when no signing keys are configured', async () => {
    expect((await call(`/img/${id}/w=20,f=png`)).status).toBe(200);
  });

  it('serves a signed URL, and answers every bad one with the same 403 before any storage or cache call', async () => {
    const path = `/img/${id}/w=64,f=webp`;
    const good = await signPath(path, SIGNING.k2, now() + 600);
    const res = await call(good, { env: sEnv });
    expect(res.status).toBe(200);
    expect(res.headers.get('Content-Type')).toBe('image/webp');

    const sig = new URL(good, 'http://x').searchParams.get('sig')!;
    const flip = (s: string) => (s[0] === 'A' ? 'B' : 'A') + s.slice(1);
    const bad = [
      path, // unsigned
      `${path}?kid=k2`, // no sig
      good.replace(sig, flip(sig)), // wrong sig
      good.replace('w=64', 'w=65'), // other options
      good.replace(`/img/${id}/`, `/img/${id.slice(0, 15)}${id.endsWith('x') ? 'y' : 'x'}/`), // other image
      await signPath(path, SIGNING.k2, now() - 1), // expired
      await signPath(path, { kid: 'k9', key: SIGNING.k2.key }), // unknown kid
      good.replace(/exp=\d+/, `exp=${now() + 10_000}`), // extended expiry
    ];
    const counter = { calls: 0 };
    const matchSpy = vi.spyOn(caches.default, 'match');
    const bodies = new Set<string>();
    for (const url of bad) {
      const r = await call(url, {
        env: { ...sEnv, DB: counting(env.DB, counter), BUCKET: counting(env.BUCKET, counter) },
      });
      expect(r.status, url).toBe(403);
      expect(r.headers.get('Content-Type')).toBe('application/problem+json');
      expect(r.headers.get('Cache-Control')).toBe('no-store');
      expect(r.headers.get('X-Content-Type-Options')).toBe('nosniff');
      bodies.add(await r.text());
    }
    expect(bodies.size).toBe(1); // reveals nothing about which check failed
    expect(counter.calls).toBe(0);
    expect(matchSpy).not.toHaveBeenCalled();
    // The spy does see the cache lookup of an accepted URL.
    expect((await call(good, { env: sEnv })).headers.get('X-Cache')).toBe('HIT');
    expect(matchSpy).toHaveBeenCalled();
    matchSpy.mockRestore();
  });

  it('keeps sig, exp and kid out of the cache key', async () => {
    const path = `/img/${id}/w=48,f=jpeg`;
    const first = await call(await signPath(path, SIGNING.k2, now() + 600), { env: sEnv });
    expect(first.status).toBe(200);
    expect(first.headers.get('X-Cache')).toBe('MISS');
    for (const url of [
      await signPath(path, SIGNING.k1),
      await signPath(path, SIGNING.k2, now() + 3600),
    ]) {
      const again = await call(url, { env: sEnv });
      expect(again.status).toBe(200);
      expect(again.headers.get('X-Cache'), url).toBe('HIT');
    }
  });

  it('needs a signature for originals and private presets, not for public presets', async () => {
    expect((await call(`/img/${id}/original`, { env: sEnv })).status).toBe(403);
    const orig = await call(await signPath(`/img/${id}/original`, SIGNING.k2), { env: sEnv });
    expect(orig.status).toBe(200);
    expect(orig.headers.get('Content-Type')).toBe('image/png');

    expect((await call(`/img/${id}/thumbnail`, { env: sEnv })).status).toBe(200); // public
    expect((await call(`/img/${id}/large`, { env: sEnv })).status).toBe(403); // built-in, private
    expect((await call(await signPath(`/img/${id}/large`, SIGNING.k2), { env: sEnv })).status).toBe(
      200,
    );

    // Stored presets: public ones open, private ones signed.
    for (const [name, pub] of [
      ['sec-open', true],
      ['sec-closed', false],
    ] as const) {
      const put = await call(`/v1/presets/${name}`, {
        method: 'PUT',
        key: KEYS.alice,
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ options: 'w=40,f=png', public: pub }),
      });
      expect(put.status).toBe(201);
    }
    forgetPublicPresets();
    expect((await call(`/img/${id}/sec-open`, { env: sEnv })).status).toBe(200);
    expect((await call(`/img/${id}/sec-closed`, { env: sEnv })).status).toBe(403);
    expect((await call(`/img/${id}/sec-missing`, { env: sEnv })).status).toBe(403);
    // Unsigned traffic for preset-like names costs at most one memoised presets read.
    const counter = { calls: 0 };
    const countedEnv = { ...sEnv, DB: counting(env.DB, counter) };
    for (let i = 0; i < 5; i++)
      expect((await call(`/img/${id}/nope-${i}`, { env: countedEnv })).status).toBe(403);
    expect(counter.calls).toBe(0);
    // A signed URL with bad parameters is refused even for a public preset.
    expect((await call(`/img/${id}/thumbnail?kid=k2&sig=x`, { env: sEnv })).status).toBe(403);
  });
});
