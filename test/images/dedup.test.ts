/**
 * Uploading bytes the owner already has (src/images/ingest.ts): the existing image comes back
 * as stored (200, `deduplicated: true`), and when the request carried other metadata the
 * answer says it was not applied (`metadata_ignored: true`) instead of dropping it silently.
 */
import { describe, expect, it } from 'vitest';
import { call, fixture, KEYS } from '../helpers';

const post = (bytes: Uint8Array, metadata?: unknown) =>
  call(
    `/v1/images${metadata === undefined ? '' : `?metadata=${encodeURIComponent(JSON.stringify(metadata))}`}`,
    { method: 'POST', body: bytes, key: KEYS.alice },
  );

describe('re-uploading the same bytes', () => {
  it('returns the stored image and flags metadata that was not applied', async () => {
    const bytes = await fixture('images/kodak/kodim12.png');
    const first = await post(bytes, { title: 'first', tags: ['a'] });
    expect(first.status).toBe(201);
    expect(await first.json()).toMatchObject({ deduplicated: false, metadata_ignored: false });

    // Same metadata (keys in another order): nothing to flag.
    const same = await post(bytes, { tags: ['a'], title: 'first' });
    expect(same.status).toBe(200);
    expect(await same.json()).toMatchObject({ deduplicated: true, metadata_ignored: false });

    // No metadata sent: nothing to flag.
    const bare = await post(bytes);
    expect(await bare.json()).toMatchObject({ deduplicated: true, metadata_ignored: false });

    // Other metadata: the stored image is returned unchanged, and the answer says so.
    const other = await post(bytes, { title: 'second' });
    expect(other.status).toBe(200);
    const body = (await other.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      deduplicated: true,
      metadata_ignored: true,
      metadata: { title: 'first', tags: ['a'] },
    });
    const info = await call(`/v1/images/${body.id as string}`, { key: KEYS.alice });
    expect(((await info.json()) as { metadata: unknown }).metadata).toEqual({
      title: 'first',
      tags: ['a'],
    });
  });
});
