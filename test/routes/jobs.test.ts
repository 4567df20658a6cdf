/**
 * `/v1/jobs` through the real Worker: validation (every bad variant listed), idempotency keys,
 * ownership, listing, items and progress. The producer is a fake queue; test/work/ drives the
 * consumer.
 */
import { env } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { call, fixture, KEYS, upload } from '../helpers';
import { deliver, envWith, FakeQueue, pump } from '../work/helpers';

const post = (body: unknown, opts: { key?: string; idem?: string; env?: Env } = {}) =>
  call('/v1/jobs', {
    method: 'POST',
    key: opts.key ?? KEYS.alice,
    env: opts.env,
    body: typeof body === 'string' ? body : JSON.stringify(body),
    headers: {
      'Content-Type': 'application/json',
      ...(opts.idem ? { 'Idempotency-Key': opts.idem } : {}),
    },
  });

let ids: string[] = [];

beforeAll(async () => {
  for (const f of ['kodak/kodim05.png', 'exif/Landscape_3.jpg', 'alpha/blackbug.png']) {
    const { json } = await upload(await fixture(`images/${f}`));
    ids.push(json.id as string);
  }
  ids = ids.sort();
});

describe('POST /v1/jobs', () => {
  it('needs an upload key, and a JSON body', async () => {
    expect((await call('/v1/jobs', { method: 'POST', body: '{}' })).status).toBe(401);
    expect((await post({ images: ids, variants: ['small'] }, { key: KEYS.reader })).status).toBe(
      403,
    );
    const res = await post('{"images": [');
    expect(res.status).toBe(400);
    expect(res.headers.get('Content-Type')).toBe('application/problem+json');
  });

  it('validates every variant up front and lists each bad one', async () => {
    const q = new FakeQueue();
    const res = await post(
      {
        images: ids,
        variants: ['thumbnail', 'w=0', 'no-such-preset', 'w=100,f=json', 42, 'w=10,bogus=1'],
      },
      { env: envWith(q) },
    );
    expect(res.status).toBe(400);
    const body = (await res.json()) as { errors: { index: number; detail: string }[] };
    expect(body.errors.map((e) => e.index)).toEqual([1, 2, 3, 4, 5]);
    expect(body.errors[0]!.detail).toMatch(/between 1 and 8192/);
    expect(body.errors[1]!.detail).toMatch(/no-such-preset/);
    expect(body.errors[2]!.detail).toMatch(/json/);
    expect(q.sent).toEqual([]); // nothing was queued
    const none = await env.DB.prepare('SELECT COUNT(*) AS n FROM jobs').first<{ n: number }>();
    expect(none!.n).toBe(0);
  });

  it('rejects malformed selections and unknown members', async () => {
    for (const body of [
      { variants: ['small'] },
      { images: [], variants: ['small'] },
      { images: ['nope'], variants: ['small'] },
      { images: { all: false }, variants: ['small'] },
      { images: { all: true, created_after: 'yesterday' }, variants: ['small'] },
      { images: ids, variants: [] },
      { images: ids, variants: ['small'], colour: 'red' },
    ]) {
      const res = await post(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
    }
  });

  it('checks callback URLs against the allow-list and refuses private addresses', async () => {
    const q = new FakeQueue();
    const at = (url: string, extra: Partial<Env> = {}) =>
      post({ images: ids, variants: ['small'], callback_url: url }, { env: envWith(q, extra) });
    expect((await at('https://evil.example/hook')).status).toBe(400);
    expect((await at('http://hooks.test/hook')).status).toBe(400); // https only
    const loopback = { WEBHOOK_ALLOWED_HOSTS: 'hooks.test,127.0.0.1,localhost' };
    const res = await at('https://127.0.0.1/hook', loopback);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { detail: string }).detail).toMatch(/private/);
    expect((await at('https://localhost/hook', loopback)).status).toBe(400);
    const dev = { ...loopback, WEBHOOK_ALLOW_PRIVATE: 'true' };
    expect((await at('http://127.0.0.1:9/hook', dev)).status).toBe(201);
    expect((await at('https://hooks.test/hook', { WEBHOOK_SECRET: '' })).status).toBe(400);
    expect((await at('https://hooks.test/hook')).status).toBe(201);
  });

  it('returns the same job for the same key and body, and 409 for another body', async () => {
    const q = new FakeQueue();
    const body = { images: ids, variants: ['small', 'w=64,h=64,fit=cover,f=webp'] };
    const first = await post(body, { idem: 'batch-001', env: envWith(q) });
    expect(first.status).toBe(201);
    const job = (await first.json()) as { id: string; status: string };
    expect(job.status).toBe('queued');
    expect(first.headers.get('Location')).toMatch(new RegExp(`/v1/jobs/${job.id}$`));
    // Same body with other spacing and the same key: the same job, nothing re-queued.
    const again = await post(JSON.stringify(body, null, 2), { idem: 'batch-001', env: envWith(q) });
    expect(again.status).toBe(200);
    expect(again.headers.get('Idempotent-Replayed')).toBe('true');
    expect(((await again.json()) as { id: string }).id).toBe(job.id);
    expect(q.sentOf('fanout')).toHaveLength(1);
    // Another body with that key: 409 naming the job.
    const other = await post({ ...body, variants: ['large'] }, { idem: 'batch-001' });
    expect(other.status).toBe(409);
    expect(await other.json()).toMatchObject({ status: 409, job_id: job.id });
    // Another owner may use the same key for its own job.
    const bobs = (await upload(await fixture('images/kodak/kodim06.png'), KEYS.bob)).json;
    const bob = await post(
      { images: [bobs.id], variants: ['small'] },
      { key: KEYS.bob, idem: 'batch-001', env: envWith(q) },
    );
    expect(bob.status).toBe(201);
    expect(((await bob.json()) as { id: string }).id).not.toBe(job.id);
    // Without a key, every POST is a new job.
    const a = (await (await post(body, { env: envWith(q) })).json()) as { id: string };
    const b = (await (await post(body, { env: envWith(q) })).json()) as { id: string };
    expect(a.id).not.toBe(b.id);
    expect((await post(body, { idem: 'bad key with spaces' })).status).toBe(400);
  });

  it('leaves nothing stored when the queue refuses the first message', async () => {
    const q = new FakeQueue();
    q.failSends = 3; // every quick retry refused
    const res = await post(
      { images: ids, variants: ['small'] },
      { idem: 'fails', env: envWith(q) },
    );
    expect(res.status).toBe(503);
    expect(res.headers.get('Retry-After')).toBe('5');
    const row = await env.DB.prepare(
      `SELECT COUNT(*) AS n FROM jobs WHERE idempotency_key = 'fails'`,
    ).first<{ n: number }>();
    expect(row!.n).toBe(0);
  });
});

describe('GET /v1/jobs and items', () => {
  it('shows progress, lists jobs and items per status, and hides other owners', async () => {
    const q = new FakeQueue();
    const created = await post(
      { images: [...ids, 'AAAAAAAAAAAAAAAA'], variants: ['w=48,f=png', 'w=50,f=jpeg'] },
      { env: envWith(q) },
    );
    const job = (await created.json()) as { id: string };
    // Fan out, then run half of the work.
    await deliver(q.drain('fanout'), { env: envWith(q) });
    const work = q.drain('variant');
    expect(work).toHaveLength(8);
    await deliver(work.slice(0, 4), { env: envWith(q) });
    const mid = (await (await call(`/v1/jobs/${job.id}`, { key: KEYS.alice })).json()) as {
      status: string;
      progress: Record<string, number | null | boolean>;
    };
    expect(mid.status).toBe('running');
    expect(mid.progress).toMatchObject({ total: 8, queued: 4, done: 4, percent: 50 });
    expect(mid.progress.rate_per_second).toBeGreaterThan(0);
    expect(mid.progress.eta_seconds).toBeGreaterThanOrEqual(0);
    q.messages.push(...work.slice(4));
    await pump(q, envWith(q));

    const done = (await (await call(`/v1/jobs/${job.id}`, { key: KEYS.alice })).json()) as {
      status: string;
      progress: Record<string, number | null | boolean>;
      finished_at: string | null;
    };
    expect(done.status).toBe('failed'); // the unknown id's two items failed
    expect(done.progress).toMatchObject({
      total: 8,
      succeeded: 6,
      failed: 2,
      percent: 100,
      eta_seconds: null,
    });
    expect(done.finished_at).not.toBeNull();

    const failed = (await (
      await call(`/v1/jobs/${job.id}/items?status=failed`, { key: KEYS.alice })
    ).json()) as { items: { image_id: string; status: string; last_error: string }[] };
    expect(failed.items.map((i) => i.image_id)).toEqual(['AAAAAAAAAAAAAAAA', 'AAAAAAAAAAAAAAAA']);
    expect(failed.items[0]!.last_error).toMatch(/does not exist/);

    // Paging through all items, 3 at a time.
    const seen: string[] = [];
    let cursor: string | null = '';
    while (cursor !== null) {
      const page = (await (
        await call(`/v1/jobs/${job.id}/items?limit=3${cursor ? `&cursor=${cursor}` : ''}`, {
          key: KEYS.alice,
        })
      ).json()) as { items: { image_id: string; spec: string }[]; next_cursor: string | null };
      seen.push(...page.items.map((i) => `${i.image_id} ${i.spec}`));
      cursor = page.next_cursor;
    }
    expect(new Set(seen).size).toBe(8);
    expect((await call(`/v1/jobs/${job.id}/items?status=nope`, { key: KEYS.alice })).status).toBe(
      400,
    );

    // Bob sees none of it.
    expect((await call(`/v1/jobs/${job.id}`, { key: KEYS.bob })).status).toBe(404);
    expect((await call(`/v1/jobs/${job.id}/items`, { key: KEYS.bob })).status).toBe(404);
    expect(
      (await call(`/v1/jobs/${job.id}/cancel`, { method: 'POST', key: KEYS.bob })).status,
    ).toBe(404);
    const bobs = (await (await call('/v1/jobs', { key: KEYS.bob })).json()) as {
      jobs: { id: string }[];
    };
    expect(bobs.jobs.map((j) => j.id)).not.toContain(job.id);

    // Alice's list, newest first, paged.
    const list = (await (await call('/v1/jobs?limit=2', { key: KEYS.alice })).json()) as {
      jobs: { id: string }[];
      next_cursor: string | null;
    };
    expect(list.jobs).toHaveLength(2);
    expect(list.next_cursor).not.toBeNull();
    const all: string[] = [];
    let c: string | null = null;
    do {
      const page = (await (
        await call(`/v1/jobs?limit=2${c ? `&cursor=${c}` : ''}`, { key: KEYS.alice })
      ).json()) as { jobs: { id: string }[]; next_cursor: string | null };
      all.push(...page.jobs.map((j) => j.id));
      c = page.next_cursor;
    } while (c);
    expect(all).toContain(job.id);
    expect(new Set(all).size).toBe(all.length);
    expect((await call('/v1/jobs?cursor=zzz', { key: KEYS.alice })).status).toBe(400);
    expect((await call('/v1/jobs/AAAAAAAAAAAAAAAA', { key: KEYS.alice })).status).toBe(404);
  });

  it('answers a cancel of an ended job with a 409 whose status stays numeric (RFC 9457)', async () => {
    const q = new FakeQueue();
    const created = await post({ images: ids, variants: ['small'] }, { env: envWith(q) });
    expect(created.status).toBe(201);
    const job = (await created.json()) as { id: string };
    const cancel = () =>
      call(`/v1/jobs/${job.id}/cancel`, { method: 'POST', key: KEYS.alice, env: envWith(q) });
    expect((await cancel()).status).toBe(200);
    const again = await cancel();
    expect(again.status).toBe(409);
    expect(again.headers.get('Content-Type')).toBe('application/problem+json');
    expect(await again.json()).toMatchObject({ status: 409, job_status: 'cancelled' });
  });
});
