/**
 * Job webhooks: the HMAC signature (verifies; a tampered body, another secret or an old
 * timestamp does not), callback host checks, and delivery by the consumer to a capturing
 * outbound service (vitest.config.ts): signed POST once the job ends, retries on failure, and
 * the dead-letter queue marking it failed.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { hostAllowed, isPrivateHost, signWebhook, verifyWebhook } from '../../src/security/webhook';
import { call, fixture, KEYS, upload } from '../helpers';
import { envWith, FakeQueue, pump } from './helpers';

const SECRET = 'test-webhook-secret'; // vitest.config.ts

interface CapturedRequest {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: string;
}

/** Requests the Worker sent to hooks.test so far (the outbound service keeps them). */
async function captured(path: string): Promise<CapturedRequest[]> {
  const all = (await (await fetch('http://hooks.test/__log')).json()) as CapturedRequest[];
  return all.filter((r) => new URL(r.url).pathname === path);
}

describe('signature', () => {
  it('verifies its own signature and nothing tampered, late or signed with another secret', async () => {
    const body = JSON.stringify({ type: 'job.finished', job: { id: 'x', status: 'succeeded' } });
    const now = 1_800_000_000;
    const header = await signWebhook(SECRET, body, now);
    expect(header).toMatch(/^t=1800000000,v1=[0-9a-f]{64}$/);
    expect(await verifyWebhook(SECRET, header, body, { now })).toBe(true);
    expect(await verifyWebhook(SECRET, header, body.replace('succeeded', 'failed'), { now })).toBe(
      false,
    );
    expect(await verifyWebhook('another-secret', header, body, { now })).toBe(false);
    expect(await verifyWebhook(SECRET, header, body, { now: now + 301 })).toBe(false);
    const forged = header.replace(/t=\d+/, `t=${now + 1}`);
    expect(await verifyWebhook(SECRET, forged, body, { now })).toBe(false);
    expect(await verifyWebhook(SECRET, `${header},v1=${'0'.repeat(64)}`, body, { now })).toBe(true);
    expect(await verifyWebhook(SECRET, 'garbage', body, { now })).toBe(false);
    expect(await verifyWebhook(SECRET, null, body, { now })).toBe(false);
  });

  it('knows private hosts and matches the allow-list', () => {
    for (const h of [
      'localhost',
      'a.localhost',
      '127.0.0.1',
      '10.1.2.3',
      '172.20.0.1',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '[::1]',
      '[fd00::1]',
      '[fe80::1]',
      '[::ffff:127.0.0.1]',
      // IPv6 forms that embed a private, loopback or link-local IPv4 address.
      '[::7f00:1]', // IPv4-compatible ::127.0.0.1
      '[::ffff:7f00:1]', // IPv4-mapped, hex form
      '[::ffff:a9fe:a9fe]',
      '[64:ff9b::a9fe:a9fe]', // NAT64 of 169.254.169.254
      '[64:ff9b::7f00:1]',
      '[64:ff9b:1::1]', // local-use NAT64
      '[2002:7f00:1::1]', // 6to4 of 127.0.0.1
      '[2002:a9fe:a9fe::]',
      '[2002:c0a8:101::1]', // 6to4 of 192.168.1.1
      '[2001::1]', // Teredo
      '[2001:db8::1]', // documentation
      '[::]',
      '[fc00::1]',
      '[fec0::1]', // deprecated site-local
      '[ff02::1]',
      '[100::1]', // discard
      '192.0.2.1',
      '198.18.0.1',
      '224.0.0.1',
      '255.255.255.255',
      'printer.local',
      'db.internal',
      '2130706433',
    ])
      expect(isPrivateHost(h), h).toBe(true);
    for (const h of [
      'hooks.example.com',
      '8.8.8.8',
      '172.32.0.1',
      '[2606:4700::1]',
      '[::ffff:8.8.8.8]',
      '[64:ff9b::808:808]', // NAT64 of 8.8.8.8
      '[2002:808:808::1]', // 6to4 of 8.8.8.8
    ])
      expect(isPrivateHost(h), h).toBe(false);
    expect(hostAllowed('hooks.example.com', ['hooks.example.com'])).toBe(true);
    expect(hostAllowed('a.hooks.example.com', ['*.hooks.example.com'])).toBe(true);
    expect(hostAllowed('hooks.example.com', ['*.hooks.example.com'])).toBe(false);
    expect(hostAllowed('evilhooks.example.com', ['*.hooks.example.com'])).toBe(false);
    expect(hostAllowed('hooks.example.com.', ['hooks.example.com'])).toBe(true);
  });
});

describe('delivery', () => {
  let id: string;
  beforeAll(async () => {
    id = (await upload(await fixture('images/exif/Landscape_4.jpg'))).json.id as string;
  });

  const createJob = async (q: FakeQueue, callback: string) => {
    const res = await call('/v1/jobs', {
      method: 'POST',
      key: KEYS.alice,
      env: envWith(q),
      body: JSON.stringify({ images: [id], variants: ['w=30,f=png'], callback_url: callback }),
    });
    expect(res.status).toBe(201);
    return ((await res.json()) as { id: string }).id;
  };

  it('POSTs a signed summary once the job ends', async () => {
    const q = new FakeQueue();
    const jobId = await createJob(q, 'https://hooks.test/ok');
    await pump(q, envWith(q));
    expect(q.sentOf('webhook')).toEqual([
      { type: 'webhook', v: 1, jobId, bookmark: expect.any(String) },
    ]);
    const [req, ...more] = await captured('/ok');
    expect(more).toEqual([]);
    expect(req!.method).toBe('POST');
    expect(req!.headers['content-type']).toBe('application/json');
    expect(req!.headers['webhook-id']).toBe(jobId);
    const sig = req!.headers['webhook-signature']!;
    expect(await verifyWebhook(SECRET, sig, req!.body)).toBe(true);
    expect(await verifyWebhook(SECRET, sig, req!.body.replace('"succeeded"', '"failed"'))).toBe(
      false,
    );
    expect(JSON.parse(req!.body)).toMatchObject({
      type: 'job.finished',
      job: { id: jobId, status: 'succeeded', total: 1, succeeded: 1, failed: 0 },
    });
    const view = (await (await call(`/v1/jobs/${jobId}`, { key: KEYS.alice })).json()) as {
      webhook: { status: string; attempts: number };
    };
    expect(view.webhook).toMatchObject({ status: 'delivered', attempts: 1 });
    // A redelivered webhook message sends nothing more.
    q.messages.push({ body: { type: 'webhook', v: 1, jobId }, attempts: 1 });
    await pump(q, envWith(q));
    expect(await captured('/ok')).toHaveLength(1);
  });

  it('retries a failing callback with backoff, then the dead-letter queue marks it failed', async () => {
    const q = new FakeQueue();
    const jobId = await createJob(q, 'https://hooks.test/fail');
    const { deadLetters } = await pump(q, envWith(q), { maxRetries: 3 });
    expect(deadLetters.map((d) => d.body)).toEqual([
      { type: 'webhook', v: 1, jobId, bookmark: expect.any(String) },
    ]);
    expect(await captured('/fail')).toHaveLength(4);
    const view = (await (await call(`/v1/jobs/${jobId}`, { key: KEYS.alice })).json()) as {
      status: string;
      webhook: { status: string; attempts: number; error: string };
    };
    expect(view.status).toBe('succeeded');
    expect(view.webhook).toMatchObject({
      status: 'failed',
      attempts: 4,
      error: expect.stringContaining('500'),
    });
  });

  it('sends the webhook of a cancelled job', async () => {
    const q = new FakeQueue();
    const jobId = await createJob(q, 'https://hooks.test/cancelled');
    const res = await call(`/v1/jobs/${jobId}/cancel`, {
      method: 'POST',
      key: KEYS.alice,
      env: envWith(q),
    });
    expect(res.status).toBe(200);
    await pump(q, envWith(q));
    const [req] = await captured('/cancelled');
    expect(JSON.parse(req!.body)).toMatchObject({ job: { id: jobId, status: 'cancelled' } });
  });
});
