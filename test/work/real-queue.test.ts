/**
 * End to end through the real local queues (miniflare delivers each batch after about
 * `max_batch_timeout`, retries after the backoff delay, and moves a message to the
 * dead-letter queue after `max_retries`): a heavy request gets a stand-in and then the real
 * variant; a bulk job completes with its progress visible; a duplicate has one effect; a
 * poison message ends in the dead-letter queue and fails its item.
 */
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { specHash } from '../../src/storage/variants';
import { canonicalTransform, parseTransform } from '../../src/transform/spec';
import { call, fixture, KEYS, upload } from '../helpers';
import { countObjects, waitFor } from './helpers';

interface JobJson {
  id: string;
  status: string;
  progress: { total: number; succeeded: number; failed: number; done: number };
}

const canon = (s: string) => canonicalTransform(parseTransform(s));
const jobView = async (id: string) =>
  (await (await call(`/v1/jobs/${id}`, { key: KEYS.alice })).json()) as JobJson;

async function postJob(body: unknown): Promise<JobJson> {
  const res = await call('/v1/jobs', {
    method: 'POST',
    key: KEYS.alice,
    body: JSON.stringify(body),
  });
  expect(res.status).toBe(201);
  return (await res.json()) as JobJson;
}

describe('through the real queues', () => {
  it('gives a heavy request a stand-in at once and the real variant a moment later', async () => {
    const { json } = await upload(await fixture('images/large/Carrie.jpg'));
    const path = `/img/${json.id as string}/w=1000,f=avif`;
    const first = await call(path, { headers: { Accept: 'image/avif,image/webp' } });
    expect(first.status).toBe(200);
    expect(first.headers.get('X-Variant-Source')).toBe('stand-in');
    expect(first.headers.get('Content-Type')).not.toBe('image/avif');
    await first.arrayBuffer();
    const real = await waitFor(async () => {
      const res = await call(path, { headers: { Accept: 'image/avif,image/webp' } });
      if (res.headers.get('X-Variant-Source') !== 'r2') {
        await res.arrayBuffer();
        return null;
      }
      return res;
    });
    expect(real.headers.get('Content-Type')).toBe('image/avif');
    expect(real.headers.get('Cache-Control')).toContain('immutable');
    await real.arrayBuffer();
  });

  it('runs a bulk job to the end, with progress along the way and one object per variant', async () => {
    const ids: string[] = [];
    for (const f of ['kodak/kodim10.png', 'kodak/kodim11.png', 'exif/Landscape_7.jpg'])
      ids.push((await upload(await fixture(`images/${f}`))).json.id as string);
    const job = await postJob({ images: ids, variants: ['small', 'w=64,h=64,fit=cover,f=webp'] });
    expect(job.status).toBe('queued');
    const seen = new Set<string>();
    const done = await waitFor(async () => {
      const v = await jobView(job.id);
      seen.add(v.status);
      return ['succeeded', 'failed'].includes(v.status) ? v : null;
    });
    expect(done.status).toBe('succeeded');
    expect(done.progress).toMatchObject({ total: 6, succeeded: 6, failed: 0, done: 6 });
    expect(seen.has('queued') || seen.has('running')).toBe(true);
    // `small` is f=auto: AVIF, WebP and JPEG/PNG are all stored, so every client hits R2.
    for (const accept of ['image/avif', 'image/webp', 'image/jpeg']) {
      const res = await call(`/img/${ids[0]!}/small`, { headers: { Accept: accept } });
      expect(res.headers.get('X-Variant-Source'), accept).toBe('r2');
      await res.arrayBuffer();
    }
  });

  it('has one effect for a message sent twice', async () => {
    const { json } = await upload(await fixture('images/kodak/kodim12.png'));
    const job = await postJob({ images: [json.id], variants: ['w=90,f=png'] });
    await waitFor(async () => (await jobView(job.id)).status === 'succeeded');
    const spec = canon('w=90,f=png');
    const msg = { type: 'variant', v: 1, imageId: json.id, spec, jobId: job.id };
    await env.JOBS.sendBatch([{ body: msg }, { body: msg }]);
    await new Promise((r) => setTimeout(r, 2500)); // one batch timeout and then some
    const key = `variants/${json.sha256 as string}/${await specHash(spec, 'png')}`;
    expect(await countObjects(key)).toBe(1);
    expect((await jobView(job.id)).progress).toMatchObject({ total: 1, succeeded: 1, done: 1 });
  });

  it('dead-letters a message that keeps failing and fails its item with the last error', async () => {
    const { json } = await upload(await fixture('images/exif/Landscape_8.jpg'));
    // The row stays, the object goes: every attempt fails (a transient-looking fault).
    await env.BUCKET.delete(`originals/${json.sha256 as string}`);
    const job = await postJob({ images: [json.id], variants: ['w=70,f=png'] });
    const done = await waitFor(
      async () => {
        const v = await jobView(job.id);
        return v.status === 'failed' ? v : null;
      },
      55_000,
      500,
    );
    expect(done.progress).toMatchObject({ total: 1, failed: 1 });
    const items = (await (
      await call(`/v1/jobs/${job.id}/items?status=failed`, { key: KEYS.alice })
    ).json()) as { items: { attempts: number; last_error: string }[] };
    expect(items.items[0]).toMatchObject({
      attempts: 4,
      last_error: expect.stringMatching(/gave up after 4 attempts: .*missing from R2/),
    });
  }, 60_000);
});
