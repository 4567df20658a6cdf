/**
 * Deleting shared bytes (src/images/retire.ts): an upload of the same bytes that races the
 * deletion of their last row ends with its original stored, and a deletion whose deleter died
 * is finished by the next upload or by the sweep.
 */
import { createScheduledController, env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import worker from '../../src/index';
import { call, fixture, KEYS, upload } from '../helpers';

/** Lowercase hex SHA-256 of `bytes`. */
const hex = async (bytes: Uint8Array) =>
  [...new Uint8Array(await crypto.subtle.digest('SHA-256', bytes))]
    .map((b) => b.toString(16).padStart(2, '0'))
    .join('');

describe('delete vs upload of the same bytes', () => {
  it('leaves the racing upload with its original', async () => {
    const bytes = await fixture('images/kodak/kodim09.png');
    const first = await upload(bytes, KEYS.alice);
    expect(first.res.status).toBe(201);
    const sha = first.json.sha256 as string;

    // The delete is held at its R2 call: its row is gone, the original about to go.
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let reached!: () => void;
    const atR2 = new Promise<void>((r) => (reached = r));
    const slowBucket = new Proxy(env.BUCKET, {
      get(target, prop) {
        if (prop === 'delete')
          return async (keys: string | string[]) => {
            reached();
            await gate;
            return target.delete(keys);
          };
        const v = Reflect.get(target, prop) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
    const deletion = call(`/v1/images/${first.json.id as string}`, {
      method: 'DELETE',
      key: KEYS.alice,
      env: { ...env, BUCKET: slowBucket },
    });
    await atR2;
    // Another owner uploads the same bytes meanwhile; the delete goes on 300 ms later.
    const racing = upload(bytes, KEYS.mallory);
    setTimeout(release, 300);
    const [del, up] = await Promise.all([deletion, racing]);
    expect(del.status).toBe(204);
    expect(up.res.status).toBe(201);
    expect(up.json.sha256).toBe(sha);

    expect(await env.BUCKET.head(`originals/${sha}`)).not.toBeNull();
    const original = await call(`/img/${up.json.id as string}/original`);
    expect(original.status).toBe(200);
    expect(await hex(new Uint8Array(await original.arrayBuffer()))).toBe(sha);
    const left = await env.DB.prepare('SELECT COUNT(*) AS n FROM retiring_originals').first<{
      n: number;
    }>();
    expect(left?.n).toBe(0);
  });

  it('finishes a deletion whose deleter died: in the next upload, and in the sweep', async () => {
    // An upload finds a tombstone past its lease: it finishes the deletion and stores the bytes.
    const bytes = await fixture('images/kodak/kodim10.png');
    const sha = await hex(bytes);
    const long = Date.now() - 10 * 60_000;
    await env.DB.prepare('INSERT INTO retiring_originals (sha256, started_at) VALUES (?, ?)')
      .bind(sha, long)
      .run();
    const up = await upload(bytes, KEYS.alice);
    expect(up.res.status).toBe(201);
    expect(await env.BUCKET.head(`originals/${sha}`)).not.toBeNull();

    // The sweep finishes an abandoned deletion of bytes no row refers to.
    const orphan = 'e'.repeat(64);
    await env.BUCKET.put(`originals/${orphan}`, new Uint8Array([1]));
    await env.BUCKET.put(`variants/${orphan}/abc.webp`, new Uint8Array([2]));
    await env.DB.prepare('INSERT INTO retiring_originals (sha256, started_at) VALUES (?, ?)')
      .bind(orphan, long)
      .run();
    await worker.scheduled(
      createScheduledController({ scheduledTime: Date.now(), cron: '17 3 * * *' }),
      env,
    );
    expect(await env.BUCKET.head(`originals/${orphan}`)).toBeNull();
    expect(await env.BUCKET.head(`variants/${orphan}/abc.webp`)).toBeNull();
    const left = await env.DB.prepare('SELECT COUNT(*) AS n FROM retiring_originals').first<{
      n: number;
    }>();
    expect(left?.n).toBe(0);
  });
});
