/**
 * The orphan sweep through the Worker's scheduled handler: an original with no row, older than
 * the grace period, goes with its variants; originals with rows and young orphans stay.
 */
import { createScheduledController, env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import worker from '../../src';
import { fixture, upload } from '../helpers';

const runCron = (scheduledTime: number) =>
  worker.scheduled(createScheduledController({ scheduledTime, cron: '17 3 * * *' }), env);

describe('orphan sweep', () => {
  it('deletes originals no row refers to once they are older than the grace period', async () => {
    const { json } = await upload(await fixture('images/kodak/kodim02.png'));
    const kept = `originals/${json.sha256 as string}`;
    const orphanSha = 'f'.repeat(64);
    await env.BUCKET.put(`originals/${orphanSha}`, new Uint8Array([1, 2, 3]));
    await env.BUCKET.put(`variants/${orphanSha}/abc.webp`, new Uint8Array([4]));

    // Within the grace period (24 h by default): nothing goes.
    await runCron(Date.now());
    expect(await env.BUCKET.head(`originals/${orphanSha}`)).not.toBeNull();

    // A day later: the orphan and its variants go; the original with a row stays.
    await runCron(Date.now() + 86_400_000 + 1000);
    expect(await env.BUCKET.head(`originals/${orphanSha}`)).toBeNull();
    expect(await env.BUCKET.head(`variants/${orphanSha}/abc.webp`)).toBeNull();
    expect(await env.BUCKET.head(kept)).not.toBeNull();
  });

  it('walks the listing a page at a time and clears its cursor at the end', async () => {
    for (let i = 0; i < 3; i++)
      await env.BUCKET.put(`originals/${String(i).repeat(64)}`, new Uint8Array([i]));
    const { sweepOrphans } = await import('../../src/work/sweep');
    const later = Date.now() + 86_400_000 * 2;
    const first = await sweepOrphans(env, later, 86_400_000, 1);
    expect(first.finished).toBe(true); // fewer than 1000 originals: one page is the whole list
    expect(first.deleted).toEqual(
      expect.arrayContaining(['0'.repeat(64), '1'.repeat(64), '2'.repeat(64)]),
    );
    expect(await env.BUCKET.head('sweep/originals-cursor')).toBeNull();
  });

  it('collects variants whose original and rows are gone (written after a purge)', async () => {
    const { json } = await upload(await fixture('images/kodak/kodim11.png'));
    const live = `variants/${json.sha256 as string}/live.webp`;
    await env.BUCKET.put(live, new Uint8Array([1]));
    // A consumer wrote this variant after its original was purged: no row, no original.
    const gone = 'd'.repeat(64);
    await env.BUCKET.put(`variants/${gone}/late.webp`, new Uint8Array([2]));
    await env.BUCKET.put(`variants/${gone}/later.avif`, new Uint8Array([3]));

    await runCron(Date.now());
    expect(await env.BUCKET.head(`variants/${gone}/late.webp`)).not.toBeNull(); // in grace

    await runCron(Date.now() + 86_400_000 + 1000);
    expect(await env.BUCKET.head(`variants/${gone}/late.webp`)).toBeNull();
    expect(await env.BUCKET.head(`variants/${gone}/later.avif`)).toBeNull();
    expect(await env.BUCKET.head(live)).not.toBeNull();
    expect(await env.BUCKET.head('sweep/variants-cursor')).toBeNull();
  });
});
