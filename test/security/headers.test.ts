/**
 * Response headers that make served bytes safe: `X-Content-Type-Options: nosniff` on every
 * response (errors, 304s and 405s too), a sanitised `Content-Disposition` on originals, and
 * error responses that are never cached.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { variantCacheKey } from '../../src/storage/edge-cache';
import { canonicalTransform, parseTransform } from '../../src/transform/spec';
import { BASE, call, fixture, KEYS, upload } from '../helpers';

let id: string;
let broken: string;
beforeAll(async () => {
  id = (await upload(await fixture('images/exif/Landscape_3.jpg'))).json.id as string;
  broken = (await upload(await fixture('bad-images/malformed/sharp_truncated.png'))).json
    .id as string;
});

describe('nosniff', () => {
  it('is on 2xx, 304, 4xx and 405 responses alike', async () => {
    const variant = await call(`/img/${id}/w=50,f=jpeg`);
    const etag = variant.headers.get('ETag')!;
    const orig = await call(`/img/${id}/original`);
    const responses = [
      variant,
      orig,
      await call(`/img/${id}/w=50,f=jpeg`, { headers: { 'If-None-Match': etag } }), // 304 hit
      await call(`/img/${id}/original`, {
        headers: { 'If-None-Match': orig.headers.get('ETag')! },
      }), // 304 original
      await call(`/img/${id}/w=0`), // 400
      await call('/v1/images'), // 401
      await call('/v1/images', { method: 'POST', key: KEYS.reader }), // 403
      await call('/nowhere'), // 404
      await call('/healthz', { method: 'POST' }), // 405
      await call('/v1/images', {
        method: 'POST',
        key: KEYS.alice,
        body: new TextEncoder().encode('GIF89a'),
      }), // 422
      await call(`/img/${broken}/w=20,f=png`), // 422 (does not decode)
      await call('/healthz'),
    ];
    const statuses = responses.map((r) => r.status);
    expect(statuses).toEqual([200, 200, 304, 304, 400, 401, 403, 404, 405, 422, 422, 200]);
    for (const r of responses)
      expect(r.headers.get('X-Content-Type-Options'), String(r.status)).toBe('nosniff');
  });
});

describe('originals', () => {
  it('carry the probed type and a Content-Disposition built only from the id and format', async () => {
    const res = await call(`/img/${id}/original`);
    expect(res.headers.get('Content-Type')).toBe('image/jpeg');
    expect(res.headers.get('Content-Disposition')).toBe(`inline; filename="${id}.jpg"`);
    expect(res.headers.get('Content-Disposition')).toMatch(
      /^inline; filename="[A-Za-z0-9_-]{16}\.(jpg|png|webp|avif|gif)"$/,
    );
  });

  it('ignore a hostile file name given in a multipart upload', async () => {
    const form = new FormData();
    form.set(
      'file',
      new File(
        [await fixture('images/kodak/kodim12.png')],
        "../../x\".html; filename*=UTF-8''evil.html",
        {
          type: 'text/html',
        },
      ),
    );
    const res = await call('/v1/images', { method: 'POST', key: KEYS.bob, body: form });
    expect(res.status).toBe(201);
    const { id: bobId } = (await res.json()) as { id: string };
    const orig = await call(`/img/${bobId}/original`);
    expect(orig.headers.get('Content-Type')).toBe('image/png');
    expect(orig.headers.get('Content-Disposition')).toBe(`inline; filename="${bobId}.png"`);
  });
});

describe('errors are never cached', () => {
  it('sends no-store on problems and keeps them out of the edge cache', async () => {
    for (const path of [
      `/img/${broken}/w=21,f=png`,
      `/img/${id}/w=9000`,
      '/img/AAAAAAAAAAAAAAAA/w=10',
    ]) {
      for (let i = 0; i < 2; i++) {
        const res = await call(path);
        expect(res.status, path).toBeGreaterThanOrEqual(400);
        expect(res.headers.get('Cache-Control')).toBe('no-store');
        expect(res.headers.get('X-Cache')).toBeNull();
      }
    }
    const segment = canonicalTransform(parseTransform('w=21,f=png'));
    const key = variantCacheKey(new URL(BASE).origin, broken, segment);
    expect(await caches.default.match(key)).toBeUndefined();
  });
});
