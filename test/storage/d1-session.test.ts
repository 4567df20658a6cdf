/**
 * D1 sessions per flow (src/storage/d1-session.ts, src/http/consistency.ts): which session each
 * request, queue message and cron run opens; bookmarks round-tripping through the API and the
 * queue; a 404 from a replica confirmed at the primary; no query outside a session; D1 failing
 * in a write path giving a 503 problem with nothing stored. Local D1 simulates bookmarks without
 * replicas, so the tests observe the sessions opened rather than replica lag.
 */
import { createScheduledController, env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import worker from '../../src/index';
import { parseBookmark } from '../../src/storage/d1-session';
import { call, failingD1, fixture, KEYS } from '../helpers';
import { deliver, envWith, FakeQueue } from '../work/helpers';

const HEADER = 'X-D1-Bookmark';

/**
 * The D1 binding, observed: `starts` lists where each session it opened began; `outside`
 * counts queries run on the binding itself (outside any session).
 */
function observedD1() {
  const starts: string[] = [];
  let outside = 0;
  const db = new Proxy(env.DB, {
    get(target, prop) {
      const value = Reflect.get(target, prop) as unknown;
      if (typeof value !== 'function') return value;
      const fn = value as (...a: unknown[]) => unknown;
      if (prop === 'withSession')
        return (start: string) => {
          starts.push(start);
          return fn.call(target, start);
        };
      if (prop === 'prepare' || prop === 'batch' || prop === 'exec') outside++;
      return fn.bind(target);
    },
  });
  return { db, starts, outside: () => outside };
}

/** One request through the Worker with the observed binding; returns what it opened. */
async function observe(path: string, init: Parameters<typeof call>[1] = {}) {
  const d1 = observedD1();
  const res = await call(path, { ...init, env: { ...(init.env ?? env), DB: d1.db } });
  return { res, starts: d1.starts, outside: d1.outside() };
}

async function uploadOne(file = 'images/kodak/kodim05.png') {
  const { res, starts, outside } = await observe('/v1/images', {
    method: 'POST',
    body: await fixture(file),
    key: KEYS.alice,
  });
  expect(res.status).toBeLessThan(300);
  const json = (await res.json()) as { id: string; sha256: string };
  return { res, json, starts, outside };
}

describe('sessions per HTTP flow', () => {
  it('writes start at the primary and answer with a bookmark that later reads continue from', async () => {
    const up = await uploadOne();
    expect(up.starts).toEqual(['first-primary']);
    expect(up.outside).toBe(0);
    const bookmark = up.res.headers.get(HEADER);
    expect(parseBookmark(bookmark)).toBe(bookmark);

    // Upload then info: with the bookmark, the read starts from it.
    const info = await observe(`/v1/images/${up.json.id}`, {
      key: KEYS.alice,
      headers: { [HEADER]: bookmark! },
    });
    expect(info.res.status).toBe(200);
    expect(info.starts).toEqual([bookmark]);
    expect(info.res.headers.get(HEADER)).toMatch(/./);

    // Without it, a read may go to any replica.
    const anywhere = await observe(`/v1/images/${up.json.id}`, { key: KEYS.alice });
    expect(anywhere.res.status).toBe(200);
    expect(anywhere.starts).toEqual(['first-unconstrained']);

    const list = await observe('/v1/images?limit=2', { key: KEYS.alice });
    expect(list.starts).toEqual(['first-unconstrained']);

    // Delete then 404: the delete's bookmark makes the next read see it.
    const del = await observe(`/v1/images/${up.json.id}`, { method: 'DELETE', key: KEYS.alice });
    expect(del.res.status).toBe(204);
    expect(del.starts).toEqual(['first-primary']);
    const gone = await observe(`/v1/images/${up.json.id}`, {
      key: KEYS.alice,
      headers: { [HEADER]: del.res.headers.get(HEADER)! },
    });
    expect(gone.res.status).toBe(404);
    expect(gone.starts).toEqual([del.res.headers.get(HEADER)]);
  });

  it('confirms at the primary a 404 read where a replica may lag', async () => {
    const missing = await observe('/v1/images/AAAAAAAAAAAAAAAA', { key: KEYS.alice });
    expect(missing.res.status).toBe(404);
    expect(missing.starts).toEqual(['first-unconstrained', 'first-primary']);
    const variant = await observe('/img/AAAAAAAAAAAAAAAA/w=64,f=webp');
    expect(variant.res.status).toBe(404);
    expect(variant.starts).toEqual(['first-unconstrained', 'first-primary']);
  });

  it('reads a variant miss anywhere and a cache hit nowhere, and never carries a bookmark on /img', async () => {
    const { json } = await uploadOne('images/kodak/kodim06.png');
    const miss = await observe(`/img/${json.id}/w=64,f=webp`);
    expect(miss.res.status).toBe(200);
    expect(miss.starts).toEqual(['first-unconstrained']);
    expect(miss.res.headers.get(HEADER)).toBeNull();
    const hit = await observe(`/img/${json.id}/w=64,f=webp`);
    expect(hit.res.headers.get('X-Cache')).toBe('HIT');
    expect(hit.starts).toEqual([]);
  });

  it('set preset then use it; create job then progress', async () => {
    const { json } = await uploadOne('images/kodak/kodim07.png');
    const put = await observe('/v1/presets/session-test', {
      method: 'PUT',
      key: KEYS.alice,
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ options: 'w=48,f=png' }),
    });
    expect(put.res.status).toBeLessThan(300);
    expect(put.starts).toEqual(['first-primary']);
    const used = await observe(`/img/${json.id}/session-test`);
    expect(used.res.status).toBe(200);
    expect(used.starts[0]).toBe('first-unconstrained');

    const job = await observe('/v1/jobs', {
      method: 'POST',
      key: KEYS.alice,
      env: envWith(new FakeQueue()),
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ images: [json.id], variants: ['w=32,f=png'] }),
    });
    expect(job.res.status).toBe(201);
    expect(job.starts).toEqual(['first-primary']);
    const { id } = (await job.res.json()) as { id: string };
    const progress = await observe(`/v1/jobs/${id}`, {
      key: KEYS.alice,
      headers: { [HEADER]: job.res.headers.get(HEADER)! },
    });
    expect(progress.res.status).toBe(200);
    expect(progress.starts).toEqual([job.res.headers.get(HEADER)]);
  });

  it('refuses a malformed bookmark with a 400 problem', async () => {
    const res = await call('/v1/images', { key: KEYS.alice, headers: { [HEADER]: 'a b' } });
    expect(res.status).toBe(400);
    expect(res.headers.get('Content-Type')).toBe('application/problem+json');
    expect(await res.json()).toMatchObject({ type: '/problems/invalid-bookmark' });
  });
});

describe('sessions in the queue and the cron', () => {
  it('stamps messages with the bookmark of their write, and the consumer continues from it', async () => {
    const queue = new FakeQueue();
    const d1 = observedD1();
    const res = await call('/v1/images', {
      method: 'POST',
      body: await fixture('images/kodak/kodim08.png'),
      key: KEYS.alice,
      env: { ...envWith(queue, { QUEUE_UPLOAD_WORK: 'true' }), DB: d1.db },
    });
    expect(res.status).toBe(201);
    const [card] = queue.drain('card');
    const sent = (card!.body as { bookmark?: string }).bookmark;
    expect(parseBookmark(sent)).toBe(sent);

    const consumer = observedD1();
    const out = await deliver([card!], { env: { ...envWith(queue), DB: consumer.db } });
    expect(out.acked).toEqual(out.ids);
    expect(consumer.starts).toEqual([sent]);
    expect(consumer.outside()).toBe(0);

    // A message without a bookmark (sent before this change) reads at the primary.
    const old = observedD1();
    const { id } = (await res.json()) as { id: string };
    await deliver([{ body: { type: 'card', v: 1, imageId: id }, attempts: 1 }], {
      env: { ...envWith(queue), DB: old.db },
    });
    expect(old.starts).toEqual(['first-primary']);
  });

  it('runs the sweep at the primary', async () => {
    await uploadOne('images/kodak/kodim10.png');
    const d1 = observedD1();
    // Two days on, every original stored here is past the grace period, so the sweep reads D1.
    const later = Date.now() + 2 * 86_400_000;
    await worker.scheduled(
      createScheduledController({ scheduledTime: later, cron: '17 3 * * *' }),
      {
        ...env,
        DB: d1.db,
      },
    );
    expect(d1.starts).toEqual(['first-primary']);
    expect(d1.outside()).toBe(0);
  });
});

describe('D1 failing in a write path', () => {
  it('answers 503 with Retry-After and stores nothing', async () => {
    const bytes = await fixture('images/kodak/kodim09.png');
    const res = await call('/v1/images', {
      method: 'POST',
      body: bytes,
      key: KEYS.bob,
      env: { ...env, DB: failingD1(env.DB, 'prepare') },
    });
    expect(res.status).toBe(503);
    expect(res.headers.get('Retry-After')).toBe('5');
    expect(await res.json()).toMatchObject({ status: 503, type: '/problems/unavailable' });
    const rows = await env.DB.prepare(
      "SELECT COUNT(*) AS n FROM images WHERE owner = 'bob'",
    ).first<{
      n: number;
    }>();
    expect(rows!.n).toBe(0);

    const presetDown = await call('/v1/presets/down', {
      method: 'PUT',
      key: KEYS.alice,
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ options: 'w=10' }),
      env: { ...env, DB: failingD1(env.DB, 'prepare') },
    });
    expect(presetDown.status).toBe(503);
    expect((await call('/v1/presets/down', { key: KEYS.alice })).status).toBe(404);
  });
});
