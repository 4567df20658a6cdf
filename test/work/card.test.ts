/**
 * Work that follows an upload or a delete: the image card (ThumbHash and colour, shown by
 * `GET /v1/images/:id` and rendered by `GET /img/:id/placeholder`), eager presets, and the
 * purge of an original's variants.
 */
import { env } from 'cloudflare:test';
import { thumbHashToApproximateAspectRatio } from 'thumbhash';
import { describe, expect, it } from 'vitest';
import { decodeImage } from '../../src/codecs/decode';
import { sniffFormat } from '../../src/codecs/probe';
import { averageColour } from '../../src/images/card';
import { BUILTIN_PRESETS } from '../../src/transform/presets';
import { call, fixture, KEYS } from '../helpers';
import { countObjects, envWith, FakeQueue, pump, uploadWithWork } from './helpers';

const info = async (id: string) =>
  (await (await call(`/v1/images/${id}`, { key: KEYS.alice })).json()) as {
    thumbhash: string | null;
    colour: string | null;
    urls: { placeholder: string };
  };

describe('image card', () => {
  it('enqueues the card and the eager presets on upload, and computes the card once', async () => {
    const q = new FakeQueue();
    const img = await uploadWithWork(q, 'exif/Landscape_6.jpg');
    const eager = [...BUILTIN_PRESETS.values()].filter((p) => p.eager).map((p) => p.options);
    expect(q.sentOf('card')).toEqual([
      { type: 'card', v: 1, imageId: img.id, bookmark: expect.any(String) },
    ]);
    expect(q.sentOf('variant').map((m) => m.spec)).toEqual(eager);

    const before = await info(img.id);
    expect(before).toMatchObject({ thumbhash: null, colour: null });
    const early = await call(`/img/${img.id}/placeholder`);
    expect(early.status).toBe(404);
    expect(early.headers.get('Retry-After')).toBe('5');

    await pump(q, envWith(q));
    const after = await info(img.id);
    expect(after.thumbhash).toMatch(/^[A-Za-z0-9+/]+=*$/);
    expect(after.colour).toMatch(/^#[0-9a-f]{6}$/);
    expect(after.urls.placeholder).toMatch(new RegExp(`/img/${img.id}/placeholder$`));
    // Landscape_6 is stored 450x600 with orientation 6: the card is of the upright 600x450.
    const hash = Uint8Array.from(atob(after.thumbhash!), (c) => c.charCodeAt(0));
    expect(thumbHashToApproximateAspectRatio(hash)).toBeGreaterThan(1.2);

    // The eager thumbnail exists in every negotiable format.
    const thumb = await call(`/img/${img.id}/thumbnail`, { headers: { Accept: 'image/avif' } });
    expect(thumb.headers.get('X-Variant-Source')).toBe('r2');

    const res = await call(`/img/${img.id}/placeholder`);
    expect(res.status).toBe(200);
    expect(res.headers.get('Content-Type')).toBe('image/png');
    expect(res.headers.get('Cache-Control')).toContain('immutable');
    const png = new Uint8Array(await res.arrayBuffer());
    expect(sniffFormat(png)).toBe('png');
    const px = await decodeImage(png, 'png');
    expect(Math.max(px.width, px.height)).toBeLessThanOrEqual(32);
    expect(px.width).toBeGreaterThan(px.height);
    const etag = res.headers.get('ETag')!;
    expect(
      (await call(`/img/${img.id}/placeholder`, { headers: { 'If-None-Match': etag } })).status,
    ).toBe(304);

    // A second card message changes nothing.
    q.messages.push({ body: { type: 'card', v: 1, imageId: img.id }, attempts: 1 });
    await pump(q, envWith(q));
    expect((await info(img.id)).thumbhash).toBe(after.thumbhash);
  });

  it('makes the card of a 12 MP lossless WebP (libwebp decodes it in a window of rows)', async () => {
    const grid = (await (await env.FIXTURES.fetch('http://fixtures/grid/')).json()) as {
      label: string;
      path: string;
    }[];
    const source = grid.find((s) => s.label === '12 MP WebP (lossless)')!;
    const q = new FakeQueue();
    const res = await call('/v1/images', {
      method: 'POST',
      key: KEYS.alice,
      body: await fixture(source.path),
      env: envWith(q, { QUEUE_UPLOAD_WORK: 'true' }),
    });
    expect(res.status).toBe(201);
    const { id } = (await res.json()) as { id: string };
    await pump(q, envWith(q));
    const after = await info(id);
    expect(after.thumbhash).toMatch(/^[A-Za-z0-9+/]+=*$/);
    expect(after.colour).toMatch(/^#[0-9a-f]{6}$/);
    const hash = Uint8Array.from(atob(after.thumbhash!), (c) => c.charCodeAt(0));
    expect(thumbHashToApproximateAspectRatio(hash)).toBeGreaterThan(1.2); // 4032x3024
  }, 120_000);

  it('gives a transparent image its alpha-weighted colour and a deleted one nothing', async () => {
    expect(
      averageColour({
        data: new Uint8ClampedArray([255, 0, 0, 255, 0, 0, 255, 0, 0, 0, 255, 85]),
        width: 3,
        height: 1,
      }),
    ).toBe('#bf0040');
    expect(averageColour({ data: new Uint8ClampedArray(4), width: 1, height: 1 })).toBeNull();
    const q = new FakeQueue();
    const img = await uploadWithWork(q, 'alpha/PNG_transparency_demonstration_1.png');
    await pump(q, envWith(q));
    expect((await info(img.id)).colour).toMatch(/^#[0-9a-f]{6}$/);
    expect((await call('/img/AAAAAAAAAAAAAAAA/placeholder')).status).toBe(404);
  });
});

describe('delete', () => {
  it('enqueues the purge of the variants, which keeps them while another row shares the bytes', async () => {
    const q = new FakeQueue();
    const a = await uploadWithWork(q, 'kodak/kodim07.png');
    const b = await uploadWithWork(q, 'kodak/kodim07.png', KEYS.bob); // same bytes, bob
    await pump(q, envWith(q));
    const prefix = `variants/${a.sha256}/`;
    expect(await countObjects(prefix)).toBeGreaterThan(0);
    const rows = () =>
      env.DB.prepare('SELECT COUNT(*) AS n FROM variants WHERE sha256 = ?')
        .bind(a.sha256)
        .first<{ n: number }>()
        .then((r) => r!.n);
    expect(await rows()).toBeGreaterThan(0);

    // Alice deletes hers: bob's row still refers to the bytes, so nothing is purged.
    const del = (id: string, key: string) =>
      call(`/v1/images/${id}`, { method: 'DELETE', key, env: envWith(q) });
    expect((await del(a.id, KEYS.alice)).status).toBe(204);
    expect(q.messages).toEqual([]);
    // Bob deletes his: the original goes now, the variants through the queue.
    expect((await del(b.id, KEYS.bob)).status).toBe(204);
    expect(q.sentOf('purge')).toEqual([
      { type: 'purge', v: 1, sha256: a.sha256, bookmark: expect.any(String) },
    ]);
    expect(await env.BUCKET.head(`originals/${a.sha256}`)).toBeNull();
    expect(await countObjects(prefix)).toBeGreaterThan(0);
    await pump(q, envWith(q));
    expect(await countObjects(prefix)).toBe(0);
    expect(await rows()).toBe(0);
  });

  it('deletes the variants at once when the queue is down', async () => {
    const q = new FakeQueue();
    const a = await uploadWithWork(q, 'kodak/kodim08.png');
    await pump(q, envWith(q));
    expect(await countObjects(`variants/${a.sha256}/`)).toBeGreaterThan(0);
    q.failSends = 3; // every quick retry refused
    const res = await call(`/v1/images/${a.id}`, {
      method: 'DELETE',
      key: KEYS.alice,
      env: envWith(q),
    });
    expect(res.status).toBe(204);
    expect(await countObjects(`variants/${a.sha256}/`)).toBe(0);
  });
});
