/**
 * Presets belong to their owner (issue 11): another owner's admin key can neither see, change
 * nor delete them, a public preset opens only its owner's images to unsigned URLs, eager
 * presets add work only to their owner's uploads, and each owner's presets are capped.
 */
import { env } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { forgetPublicPresets } from '../../src/security/signed-delivery';
import { call, fixture, KEYS, upload } from '../helpers';
import { signedEnv } from './helpers';

const putPreset = (name: string, key: string, body: Record<string, unknown>, e?: Env) =>
  call(`/v1/presets/${name}`, {
    method: 'PUT',
    key,
    env: e,
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });

let aliceId: string;
let malloryId: string;

beforeAll(async () => {
  aliceId = (await upload(await fixture('images/kodak/kodim03.png'), KEYS.alice)).json.id as string;
  malloryId = (await upload(await fixture('images/kodak/kodim04.png'), KEYS.mallory)).json
    .id as string;
});

describe('preset ownership', () => {
  it("another owner's public preset does not open an image to unsigned URLs", async () => {
    const sEnv = signedEnv();
    // The attack from the issue: mallory makes a public preset, then asks for alice's image.
    const put = await putPreset('x', KEYS.mallory, { options: 'w=601,f=webp', public: true });
    expect(put.status).toBe(201);
    forgetPublicPresets();
    const viaPreset = await call(`/img/${aliceId}/x`, { env: sEnv });
    expect(viaPreset.status).toBe(403);
    expect(viaPreset.headers.get('Content-Type')).toBe('application/problem+json');
    expect((await call(`/img/${aliceId}/w=601,f=webp`, { env: sEnv })).status).toBe(403);
    // The preset does open mallory's own images.
    const own = await call(`/img/${malloryId}/x`, { env: sEnv });
    expect(own.status).toBe(200);
    expect(own.headers.get('Content-Type')).toBe('image/webp');

    // With signing off, alice's image does not resolve mallory's preset either.
    expect((await call(`/img/${aliceId}/x`)).status).toBe(404);
  });

  it("an owner cannot read, overwrite or delete another owner's preset", async () => {
    expect(
      (await putPreset('house', KEYS.alice, { options: 'w=48,h=48,fit=cover,f=png' })).status,
    ).toBe(201);
    expect((await call('/v1/presets/house', { key: KEYS.mallory })).status).toBe(404);
    // Mallory's PUT makes mallory's own preset; alice's stays as it was.
    const theirs = await putPreset('house', KEYS.mallory, { options: 'w=500,f=png', public: true });
    expect(theirs.status).toBe(201);
    const mine = (await (await call('/v1/presets/house', { key: KEYS.alice })).json()) as Record<
      string,
      unknown
    >;
    expect(mine).toMatchObject({
      options: 'width=48,height=48,fit=cover,format=png',
      public: false,
    });
    const list = (await (await call('/v1/presets', { key: KEYS.alice })).json()) as {
      presets: { name: string; builtin: boolean }[];
    };
    expect(list.presets.filter((p) => !p.builtin).map((p) => p.name)).toEqual(['house']);

    // Delivery of alice's image through `house` uses alice's options.
    const res = await call(`/img/${aliceId}/house`);
    expect(res.status).toBe(200);
    const bytes = new Uint8Array(await res.arrayBuffer());
    // PNG IHDR width and height (bytes 16-23).
    const dv = new DataView(bytes.buffer, bytes.byteOffset);
    expect([dv.getUint32(16), dv.getUint32(20)]).toEqual([48, 48]);

    // Mallory's DELETE removes mallory's preset only.
    expect((await call('/v1/presets/house', { method: 'DELETE', key: KEYS.mallory })).status).toBe(
      204,
    );
    expect((await call('/v1/presets/house', { method: 'DELETE', key: KEYS.mallory })).status).toBe(
      404,
    );
    expect((await call('/v1/presets/house', { key: KEYS.alice })).status).toBe(200);
  });

  it("jobs and upload policies resolve only the owner's presets", async () => {
    await putPreset('alice-only', KEYS.alice, { options: 'w=40,f=png' });
    const job = await call('/v1/jobs', {
      method: 'POST',
      key: KEYS.mallory,
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ images: [malloryId], variants: ['alice-only'] }),
    });
    expect(job.status).toBe(400);
    const policy = await call('/v1/uploads', {
      method: 'POST',
      key: KEYS.mallory,
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ eager: ['alice-only'] }),
    });
    expect(policy.status).toBe(400);
  });

  it("eager presets add work to their owner's uploads only", async () => {
    expect(
      (await putPreset('alice-eager', KEYS.alice, { options: 'w=77,f=webp', eager: true })).status,
    ).toBe(201);
    const sent: { imageId?: string; spec?: string; type: string }[] = [];
    const JOBS = {
      send: async (body: (typeof sent)[number]) => void sent.push(body),
      sendBatch: async (msgs: { body: (typeof sent)[number] }[]) =>
        void sent.push(...msgs.map((m) => m.body)),
    };
    const qEnv = { ...env, QUEUE_UPLOAD_WORK: 'true', JOBS } as unknown as Env;
    const bytes = await fixture('images/kodak/kodim05.png');
    const res = await call('/v1/images', {
      method: 'POST',
      body: bytes,
      key: KEYS.mallory,
      env: qEnv,
    });
    expect(res.status).toBe(201);
    const specs = sent.filter((m) => m.type === 'variant').map((m) => m.spec);
    expect(specs.length).toBeGreaterThan(0); // the built-in eager thumbnail
    expect(specs).not.toContain('width=77,format=webp');

    sent.length = 0;
    const own = await call('/v1/images', {
      method: 'POST',
      body: bytes,
      key: KEYS.alice,
      env: qEnv,
    });
    expect(own.status).toBe(201);
    expect(sent.filter((m) => m.type === 'variant').map((m) => m.spec)).toContain(
      'width=77,format=webp',
    );
  });
});

describe('preset limits', () => {
  const limited = () =>
    ({
      ...env,
      MAX_PRESETS_PER_OWNER: '3',
      MAX_PUBLIC_PRESETS_PER_OWNER: '1',
      MAX_EAGER_PRESETS_PER_OWNER: '1',
    }) as unknown as Env;

  it('caps the presets, public presets and eager presets of each owner', async () => {
    const e = limited();
    // Mallory already has `x` (public) from the first test in this file; alice's do not count.
    const a = await putPreset('lim-a', KEYS.mallory, { options: 'w=10' }, e);
    expect(a.status).toBe(201);
    // A second public preset is over the public cap.
    const pub = await putPreset('lim-b', KEYS.mallory, { options: 'w=11', public: true }, e);
    expect(pub.status).toBe(409);
    expect(pub.headers.get('Content-Type')).toBe('application/problem+json');
    expect(await pub.json()).toMatchObject({
      status: 409,
      limit: { presets: 3, public: 1, eager: 1 },
      current: { presets: 2, public: 1 },
    });
    expect(
      (await putPreset('lim-b', KEYS.mallory, { options: 'w=11', eager: true }, e)).status,
    ).toBe(201);
    // Three presets: a fourth is refused, but updating one is not.
    expect((await putPreset('lim-c', KEYS.mallory, { options: 'w=12' }, e)).status).toBe(409);
    expect((await putPreset('lim-a', KEYS.mallory, { options: 'w=13' }, e)).status).toBe(200);
    // The eager cap counts the other presets only: lim-b may stay eager, lim-a may not join it.
    expect(
      (await putPreset('lim-b', KEYS.mallory, { options: 'w=14', eager: true }, e)).status,
    ).toBe(200);
    expect(
      (await putPreset('lim-a', KEYS.mallory, { options: 'w=13', eager: true }, e)).status,
    ).toBe(409);
    // After a delete there is room again.
    expect((await call('/v1/presets/lim-a', { method: 'DELETE', key: KEYS.mallory })).status).toBe(
      204,
    );
    expect((await putPreset('lim-c', KEYS.mallory, { options: 'w=12' }, e)).status).toBe(201);
  });

  it('pages the list of presets', async () => {
    for (const n of ['pg-1', 'pg-2', 'pg-3'])
      expect((await putPreset(n, KEYS.alice, { options: 'w=20' })).status).toBe(201);
    const names: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const q: string = cursor ? `?limit=2&cursor=${cursor}` : '?limit=2';
      const page = (await (await call(`/v1/presets${q}`, { key: KEYS.alice })).json()) as {
        presets: { name: string; builtin: boolean }[];
        next_cursor: string | null;
      };
      names.push(...page.presets.filter((p) => !p.builtin).map((p) => p.name));
      cursor = page.next_cursor;
      pages++;
    } while (cursor && pages < 10);
    expect(names).toEqual([...names].sort());
    expect(names).toEqual(expect.arrayContaining(['pg-1', 'pg-2', 'pg-3']));
    expect(new Set(names).size).toBe(names.length);
    expect(pages).toBeGreaterThan(1);
    expect((await call('/v1/presets?limit=0', { key: KEYS.alice })).status).toBe(400);
    expect((await call('/v1/presets?cursor=%2F..', { key: KEYS.alice })).status).toBe(400);
  });
});
