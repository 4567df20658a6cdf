/**
 * The queue consumer driven directly (`createMessageBatch` / `getQueueResult`): per-message
 * ack and retry with backoff, transient and permanent failures, the dead-letter queue,
 * exactly-once effects, cancellation, and a 1,000-item job with exact counts.
 */
import { env } from 'cloudflare:test';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { encodeImage } from '../../src/codecs/encode';
import { RETRY_MAX_SECONDS } from '../../src/config';
import { estimateVariant } from '../../src/transform/cost';
import { backoffSeconds } from '../../src/work/consumer';
import type { VariantMessage } from '../../src/work/messages';
import { specHash } from '../../src/storage/variants';
import { canonicalTransform, parseTransform } from '../../src/transform/spec';
import { call, fixture, KEYS, upload } from '../helpers';
import { countObjects, deliver, envWith, FakeQueue, pump } from './helpers';

interface JobJson {
  id: string;
  status: string;
  progress: Record<string, number | boolean | null>;
}

/** POSTs a job with `queue` as the producer; returns its JSON. */
async function createJob(queue: FakeQueue, body: unknown, key: string = KEYS.alice) {
  const res = await call('/v1/jobs', {
    method: 'POST',
    key,
    env: envWith(queue),
    body: JSON.stringify(body),
    headers: { 'Content-Type': 'application/json' },
  });
  expect(res.status, await res.clone().text()).toBe(201);
  return (await res.json()) as JobJson;
}

/** The canonical form of a transform (what job items and variant keys hold). */
const canon = (s: string) => canonicalTransform(parseTransform(s));

/** Delivers a job's fan-out messages (and any further pages) but no variant work. */
async function fanOut(q: FakeQueue) {
  for (let f = q.drain('fanout'); f.length; f = q.drain('fanout'))
    await deliver(f, { env: envWith(q) });
}

const getJob = async (id: string, key: string = KEYS.alice) =>
  (await (await call(`/v1/jobs/${id}`, { key })).json()) as JobJson;

const item = (jobId: string, imageId: string, spec: string) =>
  env.DB.prepare('SELECT * FROM job_items WHERE job_id = ? AND image_id = ? AND spec = ?')
    .bind(jobId, imageId, spec)
    .first<{ status: string; attempts: number; last_error: string | null }>();

/** An R2 bucket whose first `n` variant puts throw. */
function flakyBucket(n: number): R2Bucket {
  let left = n;
  return new Proxy(env.BUCKET, {
    get(target, prop) {
      if (prop === 'put')
        return (key: string, ...rest: unknown[]) => {
          if (key.startsWith('variants/') && left-- > 0)
            return Promise.reject(new Error('R2 is having a moment (injected)'));
          return (target.put as (...a: unknown[]) => unknown)(key, ...rest);
        };
      const v = Reflect.get(target, prop) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

let kodim: { id: string; sha256: string };
let small: { id: string; sha256: string };

beforeAll(async () => {
  const a = await upload(await fixture('images/kodak/kodim03.png'));
  kodim = { id: a.json.id as string, sha256: a.json.sha256 as string };
  const b = await upload(await fixture('images/exif/Landscape_1.jpg'));
  small = { id: b.json.id as string, sha256: b.json.sha256 as string };
});

describe('backoff', () => {
  it('doubles from 2 s with ±20 % jitter, capped', () => {
    expect([1, 2, 3, 4].map((a) => backoffSeconds(a, () => 0.5))).toEqual([2, 4, 8, 16]);
    expect(backoffSeconds(1, () => 0)).toBe(2);
    expect(backoffSeconds(3, () => 1)).toBe(10);
    expect(backoffSeconds(30, () => 0.5)).toBe(RETRY_MAX_SECONDS);
  });
});

describe('per-message outcomes', () => {
  it('acks malformed and unknown messages without retrying the batch', async () => {
    const q = new FakeQueue();
    const good: VariantMessage = { type: 'variant', v: 1, imageId: small.id, spec: 'w=64,f=png' };
    const r = await deliver(
      [
        { body: { type: 'variant', v: 2, imageId: small.id, spec: 'w=1' }, attempts: 1 },
        { body: 'not json at all', attempts: 1 },
        { body: { type: 'explode', v: 1 }, attempts: 1 },
        { body: good, attempts: 1 },
      ],
      { env: envWith(q) },
    );
    expect(r.retried).toEqual([]);
    expect(r.acked.sort()).toEqual([...r.ids].sort());
    const hash = await specHash(canon('w=64,f=png'), 'png');
    expect(await env.BUCKET.head(`variants/${small.sha256}/${hash}.png`)).not.toBeNull();
  });

  it('retries a transient R2 failure with backoff, then succeeds on the next delivery', async () => {
    const q = new FakeQueue();
    const job = await createJob(q, { images: [kodim.id], variants: ['w=120,f=webp'] });
    await fanOut(q); // one variant message queued
    const [msg] = q.drain('variant');
    expect(msg).toBeDefined();

    const flaky = envWith(q, { BUCKET: flakyBucket(1) });
    const first = await deliver([msg!], { env: flaky });
    expect(first.acked).toEqual([]);
    expect(first.retried).toHaveLength(1);
    expect(first.retried[0]!.delaySeconds).toBeGreaterThanOrEqual(1);
    expect(first.retried[0]!.delaySeconds).toBeLessThanOrEqual(3);
    expect(await item(job.id, kodim.id, canon('w=120,f=webp'))).toMatchObject({
      status: 'queued',
      attempts: 1,
      last_error: expect.stringContaining('injected'),
    });

    const second = await deliver([{ ...msg!, attempts: 2 }], { env: flaky });
    expect(second.acked).toHaveLength(1);
    expect(await item(job.id, kodim.id, canon('w=120,f=webp'))).toMatchObject({
      status: 'succeeded',
      attempts: 2,
    });
    expect(await countObjects(`variants/${kodim.sha256}/`)).toBeGreaterThanOrEqual(1);
    await pump(q, envWith(q));
    expect((await getJob(job.id)).status).toBe('succeeded');
  });

  it('has an exactly-once effect for a message delivered twice', async () => {
    const q = new FakeQueue();
    const job = await createJob(q, { images: [small.id], variants: ['w=77,f=avif'] });
    await fanOut(q);
    const [msg] = q.drain('variant');
    const prefix = `variants/${small.sha256}/${await specHash(canon('w=77,f=avif'), 'avif')}`;
    // Twice in one batch, then once more in a later batch.
    const r1 = await deliver([msg!, msg!], { env: envWith(q) });
    const r2 = await deliver([{ ...msg!, attempts: 2 }], { env: envWith(q) });
    expect(r1.acked).toHaveLength(2);
    expect(r2.acked).toHaveLength(1);
    expect(await countObjects(prefix)).toBe(1);
    const view = await getJob(job.id);
    expect(view.progress).toMatchObject({ total: 1, succeeded: 1, failed: 0, done: 1 });
    expect(view.status).toBe('succeeded');
  });

  it('logs one structured line per message and one metrics point per job item', async () => {
    const q = new FakeQueue();
    const job = await createJob(q, { images: [small.id], variants: ['w=61,f=webp'] });
    await fanOut(q);
    const [msg] = q.drain('variant');
    const points: { blobs?: string[]; doubles?: number[]; indexes?: string[] }[] = [];
    const METRICS = { writeDataPoint: (p: (typeof points)[number]) => void points.push(p) };
    const lines: string[] = [];
    const spy = vi
      .spyOn(console, 'log')
      .mockImplementation((l: unknown) => void lines.push(String(l)));
    try {
      await deliver([msg!], { env: { ...envWith(q), METRICS } as unknown as Env });
    } finally {
      spy.mockRestore();
    }
    const logged = lines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l.kind === 'queue');
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({
      type: 'variant',
      outcome: 'ack',
      attempts: 1,
      jobId: job.id,
      imageId: small.id,
    });
    expect(logged[0]!.totalMs).toBeTypeOf('number');
    expect(points).toEqual([
      {
        blobs: ['job_item', 'succeeded', 'webp'],
        doubles: [1, expect.any(Number)],
        indexes: [job.id],
      },
    ]);
  });

  it('fails an item at once for a deleted image or an undecodable original', async () => {
    // An image whose header probes fine but whose data is garbage.
    const png = await encodeImage(
      { data: new Uint8ClampedArray(64 * 64 * 4).fill(200), width: 64, height: 64 },
      'png',
    );
    const broken = png.slice(0, 60); // header intact, image data cut short
    const b = await upload(broken);
    expect(b.res.status).toBe(201);
    const gone = await upload(await fixture('images/exif/Landscape_2.jpg'));
    const q = new FakeQueue();
    const job = await createJob(q, {
      images: [b.json.id, gone.json.id],
      variants: ['w=32,f=png'],
    });
    expect(
      (await call(`/v1/images/${gone.json.id as string}`, { method: 'DELETE', key: KEYS.alice }))
        .status,
    ).toBe(204);
    await fanOut(q);
    const work = q.drain('variant');
    const r = await deliver(work, { env: envWith(q) });
    expect(r.retried).toEqual([]); // permanent: no retry
    expect(await item(job.id, b.json.id as string, canon('w=32,f=png'))).toMatchObject({
      status: 'failed',
      attempts: 1,
      last_error: expect.stringMatching(/png/i),
    });
    expect(await item(job.id, gone.json.id as string, canon('w=32,f=png'))).toMatchObject({
      status: 'failed',
      last_error: expect.stringContaining('does not exist'),
    });
    const view = await getJob(job.id);
    expect(view.status).toBe('failed');
    expect(view.progress).toMatchObject({ total: 2, failed: 2, succeeded: 0 });
    const failed = (await (
      await call(`/v1/jobs/${job.id}/items?status=failed`, { key: KEYS.alice })
    ).json()) as { items: { image_id: string; last_error: string }[] };
    expect(failed.items).toHaveLength(2);
  });

  it('sends a message that keeps failing to the dead-letter queue, which fails its item', async () => {
    const q = new FakeQueue();
    const job = await createJob(q, { images: [kodim.id], variants: ['w=99,f=jpeg'] });
    await fanOut(q);
    const alwaysBroken = envWith(q, { BUCKET: flakyBucket(1_000) });
    const { deadLetters } = await pump(q, alwaysBroken, { maxRetries: 3 });
    expect(deadLetters).toHaveLength(1);
    expect(deadLetters[0]!.attempts).toBe(5); // 4 deliveries, then the dead-letter queue
    expect(await item(job.id, kodim.id, canon('w=99,f=jpeg'))).toMatchObject({
      status: 'failed',
      attempts: 4,
      last_error: expect.stringMatching(/gave up after 4 attempts: .*injected/),
    });
    expect((await getJob(job.id)).status).toBe('failed');
  });
});

describe('best-effort AVIF', () => {
  it('stores WebP for an explicit f=avif job that the AVIF encoder cannot make, as delivery answers it', async () => {
    const spec = parseTransform('w=600,f=avif');
    const src = {
      format: 'png',
      width: 768,
      height: 512,
      orientation: 1,
      hasAlpha: false,
    } as const;
    const webpMB = Math.ceil(estimateVariant(src, spec, 'webp').memoryMB);
    expect(estimateVariant(src, spec, 'avif').memoryMB).toBeGreaterThan(webpMB);
    const budgets = { INLINE_BUDGET_MB: String(webpMB), QUEUE_BUDGET_MB: String(webpMB) };
    const q = new FakeQueue();
    const res = await call('/v1/jobs', {
      method: 'POST',
      key: KEYS.alice,
      env: envWith(q, budgets),
      body: JSON.stringify({ images: [kodim.id], variants: ['w=600,f=avif'] }),
      headers: { 'Content-Type': 'application/json' },
    });
    expect(res.status).toBe(201);
    const job = (await res.json()) as JobJson;
    await pump(q, envWith(q, budgets));
    expect((await getJob(job.id)).progress).toMatchObject({ total: 1, succeeded: 1, failed: 0 });
    const hash = (f: 'avif' | 'webp') => specHash(canon('w=600,f=avif'), f);
    expect(await countObjects(`variants/${kodim.sha256}/${await hash('webp')}`)).toBe(1);
    expect(await countObjects(`variants/${kodim.sha256}/${await hash('avif')}`)).toBe(0);
    // Delivery answers the URL with the stored WebP, not made again.
    const got = await call(`/img/${kodim.id}/w=600,f=avif`, { env: envWith(q, budgets) });
    expect(got.status).toBe(200);
    expect(got.headers.get('Content-Type')).toBe('image/webp');
    expect(got.headers.get('X-Variant-Source')).toBe('r2');
    await got.arrayBuffer();
  });
});

describe('cancel', () => {
  it('stops the remaining items; running ones finish, queued ones never run', async () => {
    const q = new FakeQueue();
    const specs = ['w=40,f=png', 'w=41,f=png', 'w=42,f=png', 'w=43,f=png', 'w=44,f=png'];
    const job = await createJob(q, { images: [small.id, kodim.id], variants: specs });
    await fanOut(q); // 10 variant messages
    const work = q.drain('variant');
    expect(work).toHaveLength(10);
    await deliver(work.slice(0, 3), { env: envWith(q) });
    const res = await call(`/v1/jobs/${job.id}/cancel`, { method: 'POST', key: KEYS.alice });
    expect(res.status).toBe(200);
    expect(((await res.json()) as JobJson).status).toBe('cancelled');
    const r = await deliver(work.slice(3), { env: envWith(q) });
    expect(r.acked).toHaveLength(7);
    const view = await getJob(job.id);
    expect(view.status).toBe('cancelled');
    expect(view.progress).toMatchObject({ total: 10, succeeded: 3, cancelled: 7, queued: 0 });
    // No variant was made for a cancelled item.
    for (const m of work.slice(3)) {
      const b = m.body as VariantMessage;
      const rec = b.imageId === small.id ? small : kodim;
      const key = `variants/${rec.sha256}/${await specHash(b.spec, 'png')}.png`;
      expect(await env.BUCKET.head(key), key).toBeNull();
    }
    const again = await call(`/v1/jobs/${job.id}/cancel`, { method: 'POST', key: KEYS.alice });
    expect(again.status).toBe(409);
  });
});

describe('a 1,000-item job', () => {
  it('finishes with exact counts, fanned out in pages and sendBatch chunks of ≤ 100', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 100; i++) {
      const px = new Uint8ClampedArray(8 * 8 * 4).fill(255);
      px[0] = i; // distinct bytes, distinct images
      const png = await encodeImage({ data: px, width: 8, height: 8 }, 'png');
      const { json } = await upload(png, KEYS.bob);
      ids.push(json.id as string);
    }
    const specs = Array.from({ length: 10 }, (_, i) => `w=${2 + i},f=png`);
    const q = new FakeQueue();
    // Bob's images: exactly the 100 above.
    const job = await createJob(q, { images: { all: true }, variants: specs }, KEYS.bob);
    const { batches, deadLetters } = await pump(q, envWith(q), { batchSize: 10 });
    expect(deadLetters).toEqual([]);
    const fanouts = q.sentOf('fanout');
    expect(fanouts).toHaveLength(2); // 1000 items, 500 per page
    const view = await getJob(job.id, KEYS.bob);
    const total = 1000;
    expect(view.status).toBe('succeeded');
    expect(view.progress).toMatchObject({
      total,
      succeeded: total,
      failed: 0,
      cancelled: 0,
      queued: 0,
      running: 0,
      done: total,
      percent: 100,
      fanout_complete: true,
    });
    expect(q.sentOf('variant').filter((m) => m.jobId === job.id)).toHaveLength(total);
    expect(batches).toBeGreaterThan(total / 10);
    for (const id of ids.slice(0, 3)) {
      const rec = (await (await call(`/v1/images/${id}`, { key: KEYS.bob })).json()) as {
        sha256: string;
      };
      expect(await countObjects(`variants/${rec.sha256}/`)).toBe(10);
    }
    // A redelivered fan-out page adds nothing.
    await deliver([{ body: fanouts[0], attempts: 2 }], { env: envWith(q) });
    expect(q.messages).toEqual([]);
    expect((await getJob(job.id, KEYS.bob)).progress.total).toBe(total);
  });
});
