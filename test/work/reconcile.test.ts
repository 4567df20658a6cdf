/**
 * The reconciler through the Worker's scheduled handler: messages lost in a crash (items left
 * `running` or `queued`, a fan-out page, cards) and sends the queue refused are re-driven, so
 * jobs end with exact counts and every image gets its card; re-drives are bounded.
 */
import { createScheduledController, env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import worker from '../../src';
import { call, fixture, KEYS, upload } from '../helpers';
import { envWith, FakeQueue, pump } from './helpers';

const MINUTE = 60_000;
/** The reconciler's cron (any cron but the daily sweep's). */
const runReconciler = (testEnv: Env, at: number) =>
  worker.scheduled(createScheduledController({ scheduledTime: at, cron: '*/5 * * * *' }), testEnv);

interface JobView {
  id: string;
  status: string;
  progress: { total: number; succeeded: number; failed: number; done: number; queued: number };
}
const getJob = async (id: string) =>
  (await (await call(`/v1/jobs/${id}`, { key: KEYS.alice })).json()) as JobView;

async function postJob(q: FakeQueue, body: unknown, idem: string) {
  const res = await call('/v1/jobs', {
    method: 'POST',
    key: KEYS.alice,
    body: JSON.stringify(body),
    headers: { 'Content-Type': 'application/json', 'Idempotency-Key': idem },
    env: envWith(q),
  });
  return { status: res.status, job: (await res.json()) as JobView };
}

const itemRows = async (jobId: string) =>
  (
    await env.DB.prepare(
      'SELECT image_id, spec, status, redrives, last_error FROM job_items WHERE job_id = ?',
    )
      .bind(jobId)
      .all<{
        image_id: string;
        spec: string;
        status: string;
        redrives: number;
        last_error: string;
      }>()
  ).results;

const pendingSends = async () =>
  (await env.DB.prepare('SELECT COUNT(*) AS n FROM pending_sends').first<{ n: number }>())!.n;

describe('reconciler', () => {
  it('re-drives items lost mid-job so the job ends with exact counts; a replay adds nothing', async () => {
    const ids: string[] = [];
    for (const f of ['kodak/kodim03.png', 'kodak/kodim04.png', 'kodak/kodim05.png'])
      ids.push((await upload(await fixture(`images/${f}`))).json.id as string);
    const q = new FakeQueue();
    const body = { images: ids, variants: ['w=40,f=jpeg', 'w=30,f=png'] };
    const { job } = await postJob(q, body, 'reconcile-lost');
    // The fan-out runs; one item is delivered; then the process "dies": one item is left
    // `running`, the other messages are lost.
    await pump(q, envWith(q), { maxBatches: 1 }); // the fan-out page
    const variants = q.drain('variant');
    expect(variants).toHaveLength(6);
    q.messages.push(variants[0]!);
    await pump(q, envWith(q));
    const lost = variants[1]!.body as { imageId: string; spec: string };
    await env.DB.prepare(
      `UPDATE job_items SET status = 'running' WHERE job_id = ? AND image_id = ? AND spec = ?`,
    )
      .bind(job.id, lost.imageId, lost.spec)
      .run();
    expect((await getJob(job.id)).progress).toMatchObject({ total: 6, succeeded: 1, done: 1 });

    // Replaying the Idempotency-Key returns the same job and sends nothing.
    const replay = await postJob(q, body, 'reconcile-lost');
    expect(replay.job.id).toBe(job.id);
    expect(q.messages).toHaveLength(0);

    // Within the retry budget nothing is re-sent (the messages may still be in flight).
    await runReconciler(envWith(q), Date.now() + MINUTE);
    expect(q.messages).toHaveLength(0);

    // After it, the five open items are sent again, once each, and the job ends.
    await runReconciler(envWith(q), Date.now() + 11 * MINUTE);
    const resent = q.sentOf('variant').slice(6);
    expect(resent).toHaveLength(5);
    expect(new Set(resent.map((m) => `${m.imageId} ${m.spec}`)).size).toBe(5);
    await pump(q, envWith(q));
    const done = await getJob(job.id);
    expect(done.status).toBe('succeeded');
    expect(done.progress).toMatchObject({ total: 6, succeeded: 6, failed: 0, done: 6 });
    expect((await itemRows(job.id)).filter((r) => r.redrives === 1)).toHaveLength(5);

    // A late copy of a lost message changes nothing.
    q.messages.push(variants[2]!);
    await pump(q, envWith(q));
    expect((await getJob(job.id)).progress).toMatchObject({ total: 6, succeeded: 6, done: 6 });
  });

  it('fails an item whose re-drives are used up, so the job still ends', async () => {
    const id = (await upload(await fixture('images/kodak/kodim06.png'))).json.id as string;
    const q = new FakeQueue();
    const { job } = await postJob(q, { images: [id], variants: ['w=20,f=png'] }, 'reconcile-gone');
    await pump(q, envWith(q), { maxBatches: 1 });
    let t = Date.now();
    // Every message is lost: two re-drives (the default), then the item fails.
    for (let i = 0; i < 2; i++) {
      expect(q.drain('variant')).toHaveLength(1);
      t += 11 * MINUTE;
      await runReconciler(envWith(q), t);
    }
    expect(q.drain('variant')).toHaveLength(1);
    t += 11 * MINUTE;
    await runReconciler(envWith(q), t);
    expect(q.messages).toHaveLength(0);
    const done = await getJob(job.id);
    expect(done.status).toBe('failed');
    expect(done.progress).toMatchObject({ total: 1, succeeded: 0, failed: 1, done: 1 });
    const [row] = await itemRows(job.id);
    expect(row).toMatchObject({ status: 'failed', redrives: 2 });
    expect(row!.last_error).toMatch(/^lost: no progress after 2 re-sends/);
  });

  it('re-sends a lost fan-out page', async () => {
    const id = (await upload(await fixture('images/kodak/kodim07.png'))).json.id as string;
    const q = new FakeQueue();
    const { job } = await postJob(q, { images: [id], variants: ['w=24,f=png'] }, 'reconcile-fan');
    expect(q.drain('fanout')).toHaveLength(1); // lost before the consumer saw it
    await runReconciler(envWith(q), Date.now() + 11 * MINUTE);
    expect(q.sentOf('fanout')).toHaveLength(2);
    await pump(q, envWith(q));
    expect((await getJob(job.id)).progress).toMatchObject({ total: 1, succeeded: 1, done: 1 });
  });

  it('records what the queue refuses after quick retries, and sends it from the reconciler', async () => {
    const upWork = (q: FakeQueue) => envWith(q, { QUEUE_UPLOAD_WORK: 'true' });
    // One refused attempt is absorbed by the quick retries.
    const flaky = new FakeQueue();
    flaky.failSends = 1;
    const a = await call('/v1/images', {
      method: 'POST',
      key: KEYS.alice,
      body: await fixture('images/kodak/kodim09.png'),
      env: upWork(flaky),
    });
    expect(a.status).toBe(201);
    const aId = ((await a.json()) as { id: string }).id;
    expect(flaky.sentOf('card')).toEqual([
      { type: 'card', v: 1, imageId: aId, bookmark: expect.any(String) },
    ]);

    // A queue that stays down: the upload succeeds and its work waits in D1.
    const down = new FakeQueue();
    down.failSends = 1000;
    const before = await pendingSends();
    const b = await call('/v1/images', {
      method: 'POST',
      key: KEYS.alice,
      body: await fixture('images/kodak/kodim10.png'),
      env: upWork(down),
    });
    expect(b.status).toBe(201);
    const bId = ((await b.json()) as { id: string }).id;
    expect(down.sent).toEqual([]);
    expect(await pendingSends()).toBeGreaterThan(before);

    // Still down at the next run: nothing lost, nothing sent.
    await runReconciler(upWork(down), Date.now());
    expect(await pendingSends()).toBeGreaterThan(before);
    // Back up (the row waits a minute after a refused re-send): sent, and the card appears.
    const up = new FakeQueue();
    await runReconciler(upWork(up), Date.now() + 2 * MINUTE);
    expect(await pendingSends()).toBe(0);
    expect(up.sentOf('card')).toContainEqual({
      type: 'card',
      v: 1,
      imageId: bId,
      bookmark: expect.any(String),
    });
    await pump(up, upWork(up));
    const card = (await (await call(`/v1/images/${bId}`, { key: KEYS.alice })).json()) as {
      thumbhash: string | null;
    };
    expect(card.thumbhash).toMatch(/^[A-Za-z0-9+/]+=*$/);
    expect((await call(`/img/${bId}/placeholder`)).status).toBe(200);
  });

  it('sends the card again for an image whose card message was lost, a bounded number of times', async () => {
    const q = new FakeQueue();
    const testEnv = envWith(q, { QUEUE_UPLOAD_WORK: 'true' });
    const res = await call('/v1/images', {
      method: 'POST',
      key: KEYS.alice,
      body: await fixture('images/kodak/kodim11.png'),
      env: testEnv,
    });
    const id = ((await res.json()) as { id: string }).id;
    expect(q.drain('card')).toEqual([
      { body: { type: 'card', v: 1, imageId: id, bookmark: expect.any(String) }, attempts: 1 },
    ]);
    q.drain(); // lost, with the eager presets
    expect((await call(`/img/${id}/placeholder`)).status).toBe(404);
    // Other tests' images in this file have no card either: count this image's only.
    const cardsSent = () => q.sentOf('card').filter((m) => m.imageId === id).length - 1;

    await runReconciler(testEnv, Date.now() + MINUTE); // too early
    expect(cardsSent()).toBe(0);
    let t = Date.now() + 6 * MINUTE;
    await runReconciler(testEnv, t);
    expect(cardsSent()).toBe(1);
    // Lost again and again: the reconciler stops after 3 re-sends (the default).
    for (let i = 0; i < 4; i++) {
      q.drain();
      t += 6 * MINUTE;
      await runReconciler(testEnv, t);
    }
    expect(cardsSent()).toBe(3);
    // With a re-send left, the message arrives this time and the card appears.
    q.drain();
    await env.DB.prepare('UPDATE images SET card_redrives = 2 WHERE id = ?').bind(id).run();
    await runReconciler(testEnv, t + 6 * MINUTE);
    expect(cardsSent()).toBe(4);
    await pump(q, testEnv);
    expect((await call(`/img/${id}/placeholder`)).status).toBe(200);
  });
});
