/**
 * The consumer Worker's entry (src/consumer.ts, wrangler.consumer.toml): only the queue and
 * cron handlers, and they do the work (a card message makes the card).
 */
import { createExecutionContext, createMessageBatch, env, getQueueResult } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import consumer from '../src/consumer';
import { call, fixture, KEYS, upload } from './helpers';

describe('consumer Worker entry', () => {
  it('exports no fetch handler, and its queue handler does the work', async () => {
    expect(Object.keys(consumer).sort()).toEqual(['queue', 'scheduled']);
    const { json } = await upload(await fixture('images/kodak/kodim01.png'));
    const batch = createMessageBatch('image-edge-jobs', [
      {
        id: 'm1',
        timestamp: new Date(),
        attempts: 1,
        body: { type: 'card', v: 1, imageId: json.id },
      },
    ]);
    const ctx = createExecutionContext();
    await consumer.queue(batch, env);
    expect(await getQueueResult(batch, ctx)).toMatchObject({ explicitAcks: ['m1'] });
    const info = (await (
      await call(`/v1/images/${json.id as string}`, { key: KEYS.alice })
    ).json()) as {
      thumbhash: string | null;
    };
    expect(info.thumbhash).toMatch(/^[A-Za-z0-9+/]+=*$/);
  });
});
