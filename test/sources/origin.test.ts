/**
 * Origin sources through the real Worker (docs/sources.md): variants of an HTTP origin's and a
 * second R2 bucket's objects, every refusal (status + problem+json + nothing stored), the
 * shared-bytes rule, revalidation after the TTL, and `/cdn-cgi/image/<options>/<id>` for
 * uploads. The HTTP origin is https://origin.test, answered in Node by vitest.config.ts
 * (serveOrigin) from ../shared/images: no network.
 */
import { env } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeImage } from '../../src/codecs/decode';
import { sniffFormat } from '../../src/codecs/probe';
import { signPath } from '../../src/security/signature';
import { call, fixture, KEYS, upload } from '../helpers';

/** What is stored: image rows, source rows and R2 originals. */
async function stored() {
  const images = await env.DB.prepare('SELECT COUNT(*) AS n FROM images').first<{ n: number }>();
  const objects = await env.DB.prepare('SELECT COUNT(*) AS n FROM source_objects').first<{
    n: number;
  }>();
  const originals = await env.BUCKET.list({ prefix: 'originals/' });
  return { images: images!.n, objects: objects!.n, originals: originals.objects.length };
}

/** GETs a variant; asserts a 200 image and returns it decoded. */
async function variant(path: string, headers: Record<string, string> = {}) {
  const res = await call(path, { headers });
  expect(res.status, `${path}: ${res.status} ${res.ok ? '' : await res.clone().text()}`).toBe(200);
  const bytes = new Uint8Array(await res.arrayBuffer());
  const format = sniffFormat(bytes)!;
  expect(res.headers.get('Content-Type')).toBe(`image/${format}`);
  return { res, bytes, format, img: await decodeImage(bytes, format) };
}

/** GETs `path`; asserts the problem status and type and that nothing new was stored. */
async function refused(path: string, status: number, type: string) {
  const before = await stored();
  const res = await call(path);
  const body = (await res.json()) as { status: number; type: string; detail?: string };
  expect(res.status, `${path}: ${JSON.stringify(body)}`).toBe(status);
  expect(res.headers.get('Content-Type')).toBe('application/problem+json');
  expect(body.status).toBe(status);
  expect(body.type).toBe(`/problems/${type}`);
  expect(body.detail).toBeTruthy();
  expect(await stored()).toEqual(before);
  return body;
}

const originLog = async () =>
  (await (await fetch('https://origin.test/__log')).json()) as {
    path: string;
    conditional: boolean;
    status: number;
  }[];

describe('variants from sources', () => {
  beforeAll(async () => {
    await env.SOURCE_BUCKET.put('kodak/kodim05.png', await fixture('images/kodak/kodim05.png'));
  });

  it('transforms an HTTP origin object, kept in R2 under its SHA-256', async () => {
    const { res, img, format } = await variant(
      '/cdn-cgi/image/w=400,f=auto/web/images/kodak/kodim03.png',
      { Accept: 'image/webp,*/*' },
    );
    expect(format).toBe('webp');
    expect(img.width).toBe(400);
    expect(res.headers.get('Vary')).toBe('Accept');
    // A mutable URL: cacheable for the source's TTL, not immutable.
    expect(res.headers.get('Cache-Control')).toBe('public, max-age=1');
    const row = await env.DB.prepare(
      "SELECT * FROM source_objects WHERE source = 'web' AND path = 'images/kodak/kodim03.png'",
    ).first<{ sha256: string; etag: string; image_id: string }>();
    expect(row?.etag).toMatch(/^"[0-9a-f]{40}"$/);
    const bytes = new Uint8Array(await fixture('images/kodak/kodim03.png'));
    const sha = [...new Uint8Array(await crypto.subtle.digest('SHA-256', bytes))]
      .map((b) => b.toString(16).padStart(2, '0'))
      .join('');
    expect(row?.sha256).toBe(sha);
    expect(await env.BUCKET.head(`originals/${sha}`)).not.toBeNull();
    // The image is the source owner's, with its origin in the metadata.
    const info = await call(`/v1/images/${row!.image_id}`, { key: KEYS.alice });
    expect(((await info.json()) as { metadata: unknown }).metadata).toEqual({
      source: 'web',
      path: 'images/kodak/kodim03.png',
    });
  });

  it('transforms an R2 source object, and /img/src and the URL form answer the same', async () => {
    const a = await variant('/cdn-cgi/image/w=300,f=png/bucket/kodak/kodim05.png');
    expect([a.img.width, a.format]).toEqual([300, 'png']);
    const b = await variant('/img/src/bucket/kodak/kodim05.png/w=300,f=png');
    expect(b.bytes).toEqual(a.bytes);
    const c = await variant('/cdn-cgi/image/w=120/https://origin.test/images/kodak/kodim03.png');
    expect(c.img.width).toBe(120);
  });

  it('shares one original (and its variants) between paths with the same bytes', async () => {
    await env.SOURCE_BUCKET.put('copy/kodim05.png', await fixture('images/kodak/kodim05.png'));
    const before = await stored();
    const a = await variant('/cdn-cgi/image/w=300,f=png/bucket/copy/kodim05.png');
    // The same owner's same bytes are one image: the variant made for the first path serves.
    expect(a.res.headers.get('X-Cache')).toBe('HIT');
    const rows = await env.DB.prepare(
      "SELECT DISTINCT image_id FROM source_objects WHERE source = 'bucket' AND path LIKE '%kodim05.png'",
    ).all();
    expect(rows.results).toHaveLength(1);
    const after = await stored();
    expect(after.originals).toBe(before.originals);
    expect(after.images).toBe(before.images);
    expect(after.objects).toBe(before.objects + 1);
  });

  it('follows a redirect within the source', async () => {
    const { img } = await variant('/cdn-cgi/image/w=64/web/redirect-home/kodak/kodim07.png');
    expect(img.width).toBe(64);
  });

  it('answers /cdn-cgi/image/<options>/<id> exactly as /img/<id>/<options>', async () => {
    const { json } = await upload(await fixture('images/kodak/kodim09.png'));
    const id = json.id as string;
    const a = await call(`/img/${id}/w=200,f=webp`);
    const b = await call(`/cdn-cgi/image/w=200,f=webp/${id}`);
    expect(b.status).toBe(200);
    expect(b.headers.get('ETag')).toBe(a.headers.get('ETag'));
    expect(b.headers.get('Cache-Control')).toBe(a.headers.get('Cache-Control'));
    expect(new Uint8Array(await b.arrayBuffer())).toEqual(new Uint8Array(await a.arrayBuffer()));
    const bad = await call(`/cdn-cgi/image/w=0/${id}`);
    expect(bad.status).toBe(400);
    expect((await call('/cdn-cgi/image/w=200/AAAAAAAAAAAAAAAA')).status).toBe(404);
  });
});

describe('refusals: a clear problem, nothing stored', () => {
  it('origin 404', () => refused('/cdn-cgi/image/w=100/web/images/none.jpg', 404, 'not-found'));
  it('R2 source without the object', () =>
    refused('/cdn-cgi/image/w=100/bucket/none.jpg', 404, 'not-found'));
  it('a timeout', () =>
    refused('/cdn-cgi/image/w=100/web/slow/kodak/kodim01.png', 504, 'origin-timeout'));
  it('an oversize body (declared)', () =>
    refused('/cdn-cgi/image/w=100/web/images/large/Carrie.jpg', 422, 'unprocessable-image'));
  it('an oversize body (streamed without Content-Length)', () =>
    refused('/cdn-cgi/image/w=100/web/stream/large/Carrie.jpg', 422, 'unprocessable-image'));
  it('a non-image', () =>
    refused('/cdn-cgi/image/w=100/web/text/a.jpg', 415, 'unsupported-media-type'));
  it('a redirect to another host', async () => {
    const body = await refused('/cdn-cgi/image/w=100/web/redirect-away/a.jpg', 502, 'bad-origin');
    // Refused at the redirect, not fetched (the test network answers other hosts 502 too).
    expect(body.detail).toContain('redirected to https://elsewhere.test/a.jpg');
  });
  it('a path outside the prefix', () =>
    refused('/cdn-cgi/image/w=100/kodak/small/4.webp', 403, 'outside-prefix'));
  it('dot segments and encoded slashes', async () => {
    // The URL parser resolves (encoded) dot segments first; the prefix still holds.
    await refused('/cdn-cgi/image/w=100/kodak/kodak/%2E%2E/small/4.webp', 403, 'outside-prefix');
    await refused('/cdn-cgi/image/w=100/kodak/kodak%2F..%2Fsmall/4.webp', 400, 'bad-request');
  });
  it('a source that is not configured', () =>
    refused('/cdn-cgi/image/w=100/nosuch/images/kodak/kodim01.png', 404, 'not-found'));
  it('a URL no source serves (never fetched)', () =>
    refused('/cdn-cgi/image/w=100/https://elsewhere.test/a.jpg', 404, 'not-found'));
  it('bad options, before any fetch', async () => {
    const n = (await originLog()).length;
    await refused('/cdn-cgi/image/w=abc/web/images/kodak/kodim01.png', 400, 'bad-request');
    expect((await originLog()).length).toBe(n);
  });
});

describe('revalidation', () => {
  it('a changed origin object yields a new variant after the TTL, and the old is purged', async () => {
    const set = (file: string) =>
      fetch('https://origin.test/__set', {
        method: 'POST',
        body: JSON.stringify({ name: 'photo.png', file }),
      });
    await set('kodak/kodim11.png');
    const path = '/cdn-cgi/image/w=100,f=png/web/mutable/photo.png';
    const first = await variant(path);
    const etag1 = first.res.headers.get('ETag');
    const row1 = await env.DB.prepare(
      "SELECT image_id, sha256 FROM source_objects WHERE path = 'mutable/photo.png'",
    ).first<{ image_id: string; sha256: string }>();

    // Within the TTL: no origin request at all.
    const n = (await originLog()).length;
    expect((await variant(path)).res.headers.get('ETag')).toBe(etag1);
    expect((await originLog()).length).toBe(n);

    // After the TTL, unchanged: one conditional request answered 304, same variant.
    await new Promise((r) => setTimeout(r, 1100));
    expect((await variant(path)).res.headers.get('ETag')).toBe(etag1);
    const log = await originLog();
    expect(log.at(-1)).toMatchObject({
      path: '/mutable/photo.png',
      conditional: true,
      status: 304,
    });

    // Changed: after the TTL, new bytes, a new image and a new variant; the old ones go.
    await set('kodak/kodim12.png');
    await new Promise((r) => setTimeout(r, 1100));
    const second = await variant(path);
    expect(second.res.headers.get('ETag')).not.toBe(etag1);
    expect(second.bytes).not.toEqual(first.bytes);
    const row2 = await env.DB.prepare(
      "SELECT image_id, sha256 FROM source_objects WHERE path = 'mutable/photo.png'",
    ).first<{ image_id: string; sha256: string }>();
    expect(row2!.sha256).not.toBe(row1!.sha256);
    expect((await call(`/v1/images/${row1!.image_id}`, { key: KEYS.alice })).status).toBe(404);
    expect(await env.BUCKET.head(`originals/${row1!.sha256}`)).toBeNull();
  });

  it('an image deleted through the API is fetched again after the TTL', async () => {
    const path = '/cdn-cgi/image/w=80,f=png/web/images/exif/Landscape_2.jpg';
    await variant(path);
    const row = await env.DB.prepare(
      "SELECT image_id FROM source_objects WHERE path = 'images/exif/Landscape_2.jpg'",
    ).first<{ image_id: string }>();
    const del = await call(`/v1/images/${row!.image_id}`, { method: 'DELETE', key: KEYS.alice });
    expect(del.status).toBe(204);
    await new Promise((r) => setTimeout(r, 1100));
    await variant(path);
    const log = await originLog();
    expect(log.at(-1)).toMatchObject({ path: '/images/exif/Landscape_2.jpg', conditional: false });
    const again = await env.DB.prepare(
      "SELECT image_id FROM source_objects WHERE path = 'images/exif/Landscape_2.jpg'",
    ).first<{ image_id: string }>();
    expect(again!.image_id).not.toBe(row!.image_id);
  });
});

describe('signed delivery', () => {
  it('with SIGNING_KEYS set, a /cdn-cgi/image URL needs a signature, checked before any fetch', async () => {
    const key = { kid: 'k1', key: 'a-long-random-secret-of-32-or-more-chars' };
    const sEnv = { ...env, SIGNING_KEYS: JSON.stringify([key]) };
    const path = '/cdn-cgi/image/w=72,f=png/web/images/kodak/kodim04.png';
    const n = (await originLog()).length;
    const bare = await call(path, { env: sEnv });
    expect(bare.status).toBe(403);
    expect(bare.headers.get('Content-Type')).toBe('application/problem+json');
    expect((await originLog()).length).toBe(n);
    const signed = await call(await signPath(path, key), { env: sEnv });
    expect(signed.status).toBe(200);
    expect((await decodeImage(new Uint8Array(await signed.arrayBuffer()), 'png')).width).toBe(72);
  });
});
