/**
 * Driving the queue consumer directly: a fake producer that captures what the Worker sends,
 * and a pump that delivers captured messages to `worker.queue` in batches built with
 * `createMessageBatch`, honouring each message's ack or retry from `getQueueResult`.
 */
import { createExecutionContext, createMessageBatch, env, getQueueResult } from 'cloudflare:test';
import { expect } from 'vitest';
import worker from '../../src';
import { call, fixture, KEYS } from '../helpers';
import type { WorkMessage } from '../../src/work/messages';
import { probe, type ProbeResult } from '../../src/codecs/probe';

/** A queued message as the fake holds it. */
export interface Captured {
  body: unknown;
  attempts: number;
  delaySeconds?: number;
}

/** A Queue binding that keeps messages in memory instead of sending them. */
export class FakeQueue {
  readonly messages: Captured[] = [];
  /** Every body ever sent, in order. */
  readonly sent: unknown[] = [];
  /** When set, the next `failSends` send calls throw. */
  failSends = 0;

  private take(body: unknown, delaySeconds?: number) {
    this.sent.push(body);
    this.messages.push({ body, attempts: 1, delaySeconds });
  }

  async send(body: unknown, opts?: { delaySeconds?: number }): Promise<void> {
    if (this.failSends > 0) {
      this.failSends--;
      throw new Error('queue unavailable (injected)');
    }
    this.take(body, opts?.delaySeconds);
  }

  async sendBatch(batch: Iterable<{ body: unknown; delaySeconds?: number }>): Promise<void> {
    const list = [...batch];
    if (list.length > 100) throw new Error(`sendBatch with ${list.length} messages (limit 100)`);
    if (this.failSends > 0) {
      this.failSends--;
      throw new Error('queue unavailable (injected)');
    }
    for (const m of list) this.take(m.body, m.delaySeconds);
  }

  /** Removes and returns the messages of a type (or all). */
  drain(type?: WorkMessage['type']): Captured[] {
    const out: Captured[] = [];
    for (let i = 0; i < this.messages.length;) {
      const m = this.messages[i]!;
      if (!type || (m.body as WorkMessage).type === type) {
        out.push(m);
        this.messages.splice(i, 1);
      } else i++;
    }
    return out;
  }

  /** Bodies sent of a type. */
  sentOf<T extends WorkMessage['type']>(type: T): Extract<WorkMessage, { type: T }>[] {
    return this.sent.filter((b) => (b as WorkMessage).type === type) as Extract<
      WorkMessage,
      { type: T }
    >[];
  }
}

/** An env whose JOBS binding is `queue` (plus any other overrides). */
export function envWith(queue: FakeQueue, overrides: Partial<Env> = {}): Env {
  return { ...env, JOBS: queue as unknown as Queue, ...overrides };
}

let seq = 0;

/** The outcome of one delivered batch. */
export interface BatchResult {
  acked: string[];
  retried: { msgId: string; delaySeconds?: number }[];
  ids: string[];
}

/** Delivers one batch to the Worker's queue handler and returns what it acked and retried. */
export async function deliver(
  messages: Captured[],
  opts: { env: Env; queue?: string },
): Promise<BatchResult> {
  const ids = messages.map(() => `msg-${++seq}`);
  const batch = createMessageBatch(
    opts.queue ?? 'image-edge-jobs',
    messages.map((m, i) => ({
      id: ids[i]!,
      timestamp: new Date(),
      attempts: m.attempts,
      body: m.body,
    })),
  );
  // getQueueResult does not report delays: record them on the way to the real retry().
  const delays = new Map<string, number | undefined>();
  const watched = {
    queue: batch.queue,
    ackAll: () => batch.ackAll(),
    retryAll: (o?: QueueRetryOptions) => batch.retryAll(o),
    messages: batch.messages.map((m) => ({
      id: m.id,
      timestamp: m.timestamp,
      attempts: m.attempts,
      body: m.body,
      ack: () => m.ack(),
      retry: (o?: QueueRetryOptions) => {
        delays.set(m.id, o?.delaySeconds);
        m.retry(o);
      },
    })),
  } as unknown as MessageBatch<unknown>;
  const ctx = createExecutionContext();
  await worker.queue(watched, opts.env);
  const result = (await getQueueResult(batch, ctx)) as {
    explicitAcks: string[];
    retryMessages: { msgId: string }[];
  };
  return {
    acked: result.explicitAcks,
    retried: result.retryMessages.map((r) => ({
      msgId: r.msgId,
      delaySeconds: delays.get(r.msgId),
    })),
    ids,
  };
}

/**
 * Delivers everything in `queue` (and whatever that sends) in batches of `batchSize`, like the
 * real queue: retried messages come back with one more attempt until `maxRetries` retries,
 * after which they go to `deadLetters` (and are delivered to the dead-letter queue when
 * `dlq` is true). Stops after `maxBatches`.
 * @returns how many batches ran and the dead-lettered messages.
 */
export async function pump(
  queue: FakeQueue,
  testEnv: Env,
  { batchSize = 10, maxRetries = 3, dlq = true, maxBatches = 10_000 } = {},
): Promise<{ batches: number; deadLetters: Captured[] }> {
  const deadLetters: Captured[] = [];
  let batches = 0;
  while (queue.messages.length && batches < maxBatches) {
    const batch = queue.messages.splice(0, batchSize);
    const { retried, ids } = await deliver(batch, { env: testEnv });
    batches++;
    for (const r of retried) {
      const m = batch[ids.indexOf(r.msgId)]!;
      const again = { body: m.body, attempts: m.attempts + 1, delaySeconds: r.delaySeconds };
      if (m.attempts > maxRetries) deadLetters.push(again);
      else queue.messages.push(again);
    }
  }
  if (dlq && deadLetters.length)
    for (let i = 0; i < deadLetters.length; i += batchSize)
      await deliver(deadLetters.slice(i, i + batchSize), {
        env: testEnv,
        queue: 'image-edge-dlq',
      });
  return { batches, deadLetters };
}

/**
 * Requests the variant at `url` as a client would, with a fresh FakeQueue: the answer must be
 * 200 (or, with `pending`, a 503 with `Retry-After`: queued, no stand-in fits); when it is a
 * stand-in (`X-Variant-Source`) or that 503, runs the queue consumer (pump) and requests it
 * again, which must answer 200 with the variant itself.
 * @returns the first answer, and `real`, the variant's own answer after the queue (absent when
 *   the first answer was the variant).
 */
export async function variantAfterQueue(
  url: string,
  headers?: Record<string, string>,
  { pending = false }: { pending?: boolean } = {},
): Promise<{ first: Response; real?: Response }> {
  const q = new FakeQueue();
  const first = await call(url, { headers, env: envWith(q) });
  const waits = pending && first.status === 503;
  if (waits) expect(first.headers.get('Retry-After')).toMatch(/^\d+$/);
  else expect(first.status, await first.clone().text()).toBe(200);
  if (!waits && first.headers.get('X-Variant-Source') !== 'stand-in') return { first };
  await pump(q, envWith(q));
  const real = await call(url, { headers, env: envWith(q) });
  expect(real.status, await real.clone().text()).toBe(200);
  expect(real.headers.get('X-Variant-Source')).not.toBe('stand-in');
  return { first, real };
}

/**
 * A variant the planner queues, requested as a client would ({@link variantAfterQueue} with
 * `pending`): the first answer must be a stand-in or a queued 503, the answer after the queue
 * the variant itself, `image/<format>`.
 * @returns the variant's header facts (codecs/probe.ts `probe`).
 */
export async function madeThroughQueue(url: string, format: string): Promise<ProbeResult> {
  const { first, real } = await variantAfterQueue(url, undefined, { pending: true });
  if (first.status === 200) expect(first.headers.get('X-Variant-Source')).toBe('stand-in');
  else expect(first.status).toBe(503);
  expect(real).toBeDefined();
  expect(real!.headers.get('Content-Type')).toBe(`image/${format}`);
  return probe(new Uint8Array(await real!.arrayBuffer()));
}

/** Polls `check` every `everyMs` until it returns a truthy value or `timeoutMs` passes. */
export async function waitFor<T>(
  check: () => Promise<T | null | undefined | false>,
  timeoutMs = 30_000,
  everyMs = 200,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > end) throw new Error('waitFor: timed out');
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Counts R2 objects under a prefix. */
export async function countObjects(prefix: string): Promise<number> {
  let n = 0;
  let cursor: string | undefined;
  do {
    const page = await env.BUCKET.list({ prefix, cursor });
    n += page.objects.length;
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor);
  return n;
}

/**
 * Uploads `../shared/images/<file>` with upload work on (the card and eager presets go to
 * `q`); expects a 201. @returns the new image's id and sha256.
 */
export async function uploadWithWork(q: FakeQueue, file: string, key: string = KEYS.alice) {
  const res = await call('/v1/images', {
    method: 'POST',
    key,
    body: await fixture(`images/${file}`),
    env: envWith(q, { QUEUE_UPLOAD_WORK: 'true' }),
  });
  expect(res.status).toBe(201);
  return (await res.json()) as { id: string; sha256: string };
}
