/**
 * Uploads and originals through the real Worker: HTTP in, R2 and D1 effects out.
 */
import { env } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { call, failingD1, fixture, fixtureList, imagesTable, KEYS, upload } from '../helpers';

interface Expected {
  format: string;
  width: number;
  height: number;
  orientation: number;
}

/** The README table's facts as the API reports them: displayed (EXIF-turned) size. */
async function expectedTable(): Promise<Map<string, Expected>> {
  const table = new Map<string, Expected>();
  for (const [file, row] of await imagesTable()) {
    const turned = row.orientation >= 5;
    table.set(file, {
      format: row.format,
      width: turned ? row.height : row.width,
      height: turned ? row.width : row.height,
      orientation: row.orientation,
    });
  }
  return table;
}

const countRows = async (sha256: string) =>
  (await env.DB.prepare('SELECT COUNT(*) AS n FROM images WHERE sha256 = ?')
    .bind(sha256)
    .first<{ n: number }>())!.n;

describe('POST /v1/images', () => {
  let table: Map<string, Expected>;
  beforeAll(async () => {
    table = await expectedTable();
  });

  it('stores every shared image with the facts from its header', async () => {
    const files = (await fixtureList('images')).filter((f) => !f.endsWith('.md'));
    expect(files.length).toBe(table.size);
    for (const file of files) {
      const { res, json } = await upload(await fixture(`images/${file}`));
      const want = table.get(file)!;
      expect(res.status, file).toBe(201);
      expect(json, file).toMatchObject(want);
      expect(res.headers.get('Location')).toBe(`http://img.test/v1/images/${json.id as string}`);
      const obj = await env.BUCKET.head(`originals/${json.sha256 as string}`);
      expect(obj?.size, file).toBe(json.bytes);
    }
  });

  it('answers Carrie.jpg with 3000x4000 and a short unguessable id', async () => {
    const bytes = await fixture('images/large/Carrie.jpg');
    const { json } = await upload(bytes, KEYS.bob);
    expect(json).toMatchObject({
      format: 'jpeg',
      width: 3000,
      height: 4000,
      bytes: bytes.byteLength,
      frames: 1,
    });
    expect(json.id).toMatch(/^[A-Za-z0-9_-]{16}$/);
    expect(json.id).not.toContain((json.sha256 as string).slice(0, 8));
  });

  it('deduplicates the same bytes for the same owner, not across owners', async () => {
    const bytes = await fixture('images/exif/Landscape_3.jpg');
    const first = await upload(bytes, KEYS.bob);
    const again = await upload(bytes, KEYS.bob);
    expect(again.res.status).toBe(200);
    expect(again.json).toMatchObject({ id: first.json.id, deduplicated: true });
    expect(await countRows(first.json.sha256 as string)).toBe(2); // alice's (first test) and bob's
  });

  it('accepts multipart/form-data with a file and metadata', async () => {
    const form = new FormData();
    form.append(
      'file',
      new File([await fixture('images/kodak/kodim03.png')], 'whatever.txt', { type: 'text/plain' }),
    );
    form.append('metadata', JSON.stringify({ album: 'kodak', n: 3 }));
    const res = await call('/v1/images', { method: 'POST', body: form, key: KEYS.bob });
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({
      format: 'png',
      width: 768,
      height: 512,
      metadata: { album: 'kodak', n: 3 },
    });
  });

  it('refuses metadata over 1 KiB or not an object', async () => {
    const bytes = await fixture('images/kodak/kodim04.png');
    const big = encodeURIComponent(JSON.stringify({ x: 'a'.repeat(1100) }));
    for (const q of [`?metadata=${big}`, '?metadata=[1]', '?metadata=nope']) {
      const { res, json } = await upload(bytes, KEYS.bob, q);
      expect(res.status, q).toBe(400);
      expect(json).toMatchObject({ status: 400, option: 'metadata' });
    }
  });

  it('needs a key (401), a valid key (403) and the upload scope (403)', async () => {
    const body = await fixture('images/small/Giunchedi_Filippo_January_2015_01.jpg');
    const none = await call('/v1/images', { method: 'POST', body });
    expect(none.status).toBe(401);
    expect(none.headers.get('Content-Type')).toBe('application/problem+json');
    expect((await call('/v1/images', { method: 'POST', body, key: 'wrong' })).status).toBe(403);
    expect((await call('/v1/images', { method: 'POST', body, key: KEYS.reader })).status).toBe(403);
  });

  it('is 413 from Content-Length before reading, and mid-stream for a chunked body', async () => {
    const small = { ...env, MAX_UPLOAD_BYTES: '1000' };
    const body = await fixture('images/small/Giunchedi_Filippo_January_2015_01.jpg');
    const res = await call('/v1/images', { method: 'POST', body, key: KEYS.alice, env: small });
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ status: 413, limit: 1000 });

    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < body.length; i += 256) controller.enqueue(body.slice(i, i + 256));
        controller.close();
      },
    });
    const chunked = await call('/v1/images', {
      method: 'POST',
      body: stream,
      key: KEYS.alice,
      env: small,
    });
    expect(chunked.status).toBe(413);
  });

  it('is 415 for anything that is not JPEG, PNG, WebP, AVIF or GIF by magic bytes', async () => {
    const cases = [
      await fixture('bad-images/svg/imgproxy_test1.svg'),
      await fixture('bad-images/malformed/imgproxy_bmp-invalid-bpp.bmp'),
      await fixture('bad-images/polyglot-metadata/patt_CVE-2021-22204_exiftool_djvu.jpg'),
      new TextEncoder().encode('<!doctype html><html></html>'),
      new Uint8Array(0),
    ];
    for (const bytes of cases) {
      const { res, json } = await upload(bytes);
      expect(res.status).toBe(415);
      expect(json).toMatchObject({ status: 415 });
    }
  });

  it('is 422 with the limit for bombs and huge declared dimensions, storing nothing', async () => {
    const files = [
      ...(await fixtureList('bad-images/bombs')).map((f) => `bad-images/bombs/${f}`),
      'bad-images/synthetic/png_header_100000x100000_rgba8_truncated.png',
    ];
    for (const file of files) {
      const { res, json } = await upload(await fixture(file));
      expect(res.status, file).toBe(422);
      expect(json.limit, file).toBeTypeOf('number');
    }
    const listed = await env.BUCKET.list({ prefix: 'originals/' });
    const rows = await env.DB.prepare('SELECT sha256 FROM images').all<{ sha256: string }>();
    expect(new Set(listed.objects.map((o) => o.key.slice('originals/'.length)))).toEqual(
      new Set(rows.results.map((r) => r.sha256)),
    );
  });

  it('leaves no D1 row without its R2 object when R2 or D1 fail mid-upload', async () => {
    const bytes = await fixture('bad-images/synthetic/png_control_1x1_rgba8_valid.png');
    const failingBucket = new Proxy(env.BUCKET, {
      get: (target, prop) =>
        prop === 'put'
          ? () => Promise.reject(new Error('injected R2 failure'))
          : (Reflect.get(target, prop) as unknown as (...a: unknown[]) => unknown).bind(target),
    });
    const res = await call('/v1/images', {
      method: 'POST',
      body: bytes,
      key: KEYS.alice,
      env: { ...env, BUCKET: failingBucket },
    });
    expect(res.status).toBe(500);
    expect(res.headers.get('Content-Type')).toBe('application/problem+json');
    const aliceRows = await env.DB.prepare(
      "SELECT COUNT(*) AS n FROM images WHERE owner = 'alice' AND bytes = ?",
    )
      .bind(bytes.byteLength)
      .first<{ n: number }>();
    expect(aliceRows!.n).toBe(0);

    const failingDb = failingD1(env.DB, 'batch');
    const other = await fixture('bad-images/polyglot-metadata/pillow_invalid-exif.jpg');
    const dbRes = await call('/v1/images', {
      method: 'POST',
      body: other,
      key: KEYS.alice,
      env: { ...env, DB: failingDb },
    });
    // D1 down: a 503 problem with Retry-After (src/storage/d1-session.ts), nothing half-stored.
    expect(dbRes.status).toBe(503);
    expect(dbRes.headers.get('Retry-After')).toBe('5');
    expect(dbRes.headers.get('Content-Type')).toBe('application/problem+json');
    const rows = await env.DB.prepare('SELECT sha256 FROM images').all<{ sha256: string }>();
    for (const { sha256 } of rows.results)
      expect(await env.BUCKET.head(`originals/${sha256}`), sha256).not.toBeNull();
  });
});

describe('info, list, delete, original', () => {
  it('lists newest first with an opaque cursor, and only the owner’s images', async () => {
    const files = ['kodim07.png', 'kodim08.png', 'kodim09.png', 'kodim10.png', 'kodim11.png'];
    const ids: string[] = [];
    for (const f of files)
      ids.push((await upload(await fixture(`images/kodak/${f}`), KEYS.bob)).json.id as string);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await call(`/v1/images?limit=2${cursor ? `&cursor=${cursor}` : ''}`, {
        key: KEYS.bob,
      });
      expect(res.status).toBe(200);
      const page = (await res.json()) as { images: { id: string }[]; next_cursor: string | null };
      expect(page.images.length).toBeLessThanOrEqual(2);
      seen.push(...page.images.map((i) => i.id));
      cursor = page.next_cursor;
    } while (cursor);
    const pos = ids.map((id) => seen.indexOf(id));
    expect(pos.every((p) => p >= 0)).toBe(true);
    expect([...pos].sort((a, b) => b - a)).toEqual(pos); // newest first
    expect(new Set(seen).size).toBe(seen.length);
    const alice = (await (await call('/v1/images?limit=100', { key: KEYS.alice })).json()) as {
      images: { id: string }[];
    };
    expect(alice.images.some((i) => ids.includes(i.id))).toBe(false);
    expect((await call('/v1/images?cursor=garbage', { key: KEYS.bob })).status).toBe(400);
    expect((await call('/v1/images?limit=1000', { key: KEYS.bob })).status).toBe(400);
  });

  it('shows info to the owner only (another owner gets 404)', async () => {
    const { json } = await upload(await fixture('images/kodak/kodim12.png'), KEYS.bob);
    const mine = await call(`/v1/images/${json.id as string}`, { key: KEYS.bob });
    expect(mine.status).toBe(200);
    expect(await mine.json()).toMatchObject({ id: json.id, width: 768, height: 512 });
    expect((await call(`/v1/images/${json.id as string}`, { key: KEYS.alice })).status).toBe(404);
  });

  it('serves the original with its type, ETag, nosniff and a 304', async () => {
    const bytes = await fixture('images/alpha/PNG_transparency_demonstration_1.png');
    const { json } = await upload(bytes, KEYS.bob);
    const res = await call(`/img/${json.id as string}/original`);
    expect(res.status).toBe(200);
    expect(res.headers.get('Content-Type')).toBe('image/png');
    expect(res.headers.get('X-Content-Type-Options')).toBe('nosniff');
    expect(res.headers.get('Content-Disposition')).toBe(
      `inline; filename="${json.id as string}.png"`,
    );
    const etag = res.headers.get('ETag')!;
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(bytes);
    const again = await call(`/img/${json.id as string}/original`, {
      headers: { 'If-None-Match': etag },
    });
    expect(again.status).toBe(304);
  });

  it('deletes the row, and the original once no row refers to it', async () => {
    const bytes = await fixture('images/exif/Landscape_8.jpg');
    const a = await upload(bytes, KEYS.alice);
    const b = await upload(bytes, KEYS.bob);
    const key = `originals/${a.json.sha256 as string}`;
    expect(
      (await call(`/v1/images/${a.json.id as string}`, { method: 'DELETE', key: KEYS.bob })).status,
    ).toBe(404);
    expect(
      (await call(`/v1/images/${a.json.id as string}`, { method: 'DELETE', key: KEYS.alice }))
        .status,
    ).toBe(204);
    expect((await call(`/v1/images/${a.json.id as string}`, { key: KEYS.alice })).status).toBe(404);
    expect(await env.BUCKET.head(key)).not.toBeNull(); // bob still refers to it
    expect(
      (await call(`/v1/images/${b.json.id as string}`, { method: 'DELETE', key: KEYS.bob })).status,
    ).toBe(204);
    expect(await env.BUCKET.head(key)).toBeNull();
    expect((await call(`/img/${b.json.id as string}/original`)).status).toBe(404);
  });
});
