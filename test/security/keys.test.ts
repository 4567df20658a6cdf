/**
 * API keys stored in D1: created and revoked through /v1/keys (admin scope), stored hashed,
 * scoped, and tied to an owner whose images they alone see.
 */
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { sha256Hex } from '../../src/hash';
import { call, fixture, KEYS, upload } from '../helpers';
import { createKey } from './helpers';

const json = (body: unknown) => ({
  method: 'POST',
  headers: { 'Content-Type': 'application/json' },
  body: JSON.stringify(body),
});

describe('/v1/keys', () => {
  it('needs the admin scope', async () => {
    expect((await call('/v1/keys', { ...json({ scopes: ['read'] }) })).status).toBe(401);
    expect((await call('/v1/keys', { ...json({ scopes: ['read'] }), key: KEYS.bob })).status).toBe(
      403,
    );
    expect((await call('/v1/keys', { key: KEYS.reader })).status).toBe(403);
  });

  it('validates the request with 400 problems naming the field', async () => {
    const cases: [unknown, string | undefined][] = [
      [{ scopes: [] }, 'scopes'],
      [{ scopes: ['root'] }, 'scopes'],
      [{ scopes: 'read' }, 'scopes'],
      [{ scopes: ['read'], label: 'x'.repeat(101) }, 'label'],
      [{ scopes: ['read'], owner: 'bob' }, 'owner'],
      [[1, 2], undefined],
    ];
    for (const [body, option] of cases) {
      const res = await call('/v1/keys', { ...json(body), key: KEYS.alice });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.headers.get('Content-Type')).toBe('application/problem+json');
      if (option) expect(await res.json()).toMatchObject({ option });
    }
    const notJson = await call('/v1/keys', {
      method: 'POST',
      key: KEYS.alice,
      body: '{',
      headers: { 'Content-Type': 'application/json' },
    });
    expect(notJson.status).toBe(400);
  });

  it('shows a new key once, stores only its SHA-256, and lists keys without secrets', async () => {
    const res = await call('/v1/keys', {
      ...json({ scopes: ['upload', 'read'], label: 'ci' }),
      key: KEYS.alice,
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('Cache-Control')).toBe('no-store');
    const created = (await res.json()) as Record<string, unknown>;
    expect(created).toMatchObject({ owner: 'alice', scopes: ['read', 'upload'], label: 'ci' });
    expect(created.key).toMatch(/^ie_[A-Za-z0-9_-]{43}$/);
    expect(created.id).toMatch(/^k_[A-Za-z0-9_-]{16}$/);

    const row = await env.DB.prepare('SELECT * FROM api_keys WHERE id = ?')
      .bind(created.id)
      .first<Record<string, unknown>>();
    expect(row!.key_hash).toBe(await sha256Hex(created.key as string));
    expect(JSON.stringify(row)).not.toContain(created.key as string);

    const list = (await (await call('/v1/keys', { key: KEYS.alice })).json()) as {
      keys: Record<string, unknown>[];
    };
    const listed = list.keys.find((k) => k.id === created.id)!;
    expect(listed).toMatchObject({ scopes: ['read', 'upload'], label: 'ci', revoked_at: null });
    expect(JSON.stringify(list)).not.toContain(created.key as string);
    expect(list.keys.every((k) => k.owner === 'alice')).toBe(true);
  });

  it('gives a D1 key its owner and scopes: sees only its owner’s images (404 for others)', async () => {
    const uploader = await createKey(['read', 'upload']);
    const reader = await createKey(['read']);
    const { res, json: img } = await upload(
      await fixture('images/kodak/kodim05.png'),
      uploader.key,
    );
    expect(res.status).toBe(201);
    const id = img.id as string;
    // Same owner (alice): visible to alice's keys, D1 or secret.
    expect((await call(`/v1/images/${id}`, { key: reader.key })).status).toBe(200);
    expect((await call(`/v1/images/${id}`, { key: KEYS.alice })).status).toBe(200);
    // Another owner: 404, not 403.
    expect((await call(`/v1/images/${id}`, { key: KEYS.bob })).status).toBe(404);
    const bobImg = (await upload(await fixture('images/kodak/kodim06.png'), KEYS.bob)).json;
    expect((await call(`/v1/images/${bobImg.id as string}`, { key: reader.key })).status).toBe(404);
    expect(
      (await call(`/v1/images/${bobImg.id as string}`, { method: 'DELETE', key: uploader.key }))
        .status,
    ).toBe(404);
    // Scopes.
    const denied = await upload(await fixture('images/kodak/kodim05.png'), reader.key);
    expect(denied.res.status).toBe(403);
    expect((await call('/v1/keys', { key: uploader.key })).status).toBe(403);
  });

  it('revokes a key at once; other owners cannot revoke it', async () => {
    const k = await createKey(['read']);
    expect((await call('/v1/images', { key: k.key })).status).toBe(200);
    // Bob has no admin scope; an admin of another owner would get 404 (same query by owner).
    expect((await call(`/v1/keys/${k.id}`, { method: 'DELETE', key: KEYS.bob })).status).toBe(403);
    expect(
      (await call('/v1/keys/k_AAAAAAAAAAAAAAAA', { method: 'DELETE', key: KEYS.alice })).status,
    ).toBe(404);
    expect((await call('/v1/keys/nonsense', { method: 'DELETE', key: KEYS.alice })).status).toBe(
      404,
    );
    expect((await call(`/v1/keys/${k.id}`, { method: 'DELETE', key: KEYS.alice })).status).toBe(
      204,
    );
    const after = await call('/v1/images', { key: k.key });
    expect(after.status).toBe(403);
    // Revoking again is harmless.
    expect((await call(`/v1/keys/${k.id}`, { method: 'DELETE', key: KEYS.alice })).status).toBe(
      204,
    );
    const listed = (
      (await (await call('/v1/keys', { key: KEYS.alice })).json()) as {
        keys: { id: string; revoked_at: string | null }[];
      }
    ).keys.find((x) => x.id === k.id)!;
    expect(listed.revoked_at).not.toBeNull();
  });

  it('keeps another owner’s key ids unknown to an admin', async () => {
    // Insert a key for owner "carol" directly (as the documented wrangler d1 recipe does).
    const carolKey = 'ie_carol-test-key-000000000000000000000000000000';
    await env.DB.prepare(
      'INSERT INTO api_keys (id, key_hash, owner, scopes, created_at) VALUES (\'k_carolcarolcarol\', ?, \'carol\', \'["read","upload","admin"]\', 0)',
    )
      .bind(await sha256Hex(carolKey))
      .run();
    expect((await call('/v1/images', { key: carolKey })).status).toBe(200);
    expect(
      (await call('/v1/keys/k_carolcarolcarol', { method: 'DELETE', key: KEYS.alice })).status,
    ).toBe(404);
    const carolList = (await (await call('/v1/keys', { key: carolKey })).json()) as {
      keys: { owner: string }[];
    };
    expect(carolList.keys.map((k) => k.owner)).toEqual(['carol']);
    expect((await call('/v1/images', { key: carolKey })).status).toBe(200);
  });
});
