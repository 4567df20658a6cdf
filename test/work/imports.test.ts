/**
 * Import jobs through the Worker and the real local queue: `POST /v1/jobs` with a source and
 * a prefix (R2 listing) or paths ingests each object as an original, with exact counts,
 * per-item errors, dedup of equal bytes, and validation problems up front.
 */
import { env } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { call, fixture, fixtureList, KEYS } from '../helpers';
import { waitFor } from './helpers';

interface JobJson {
  id: string;
  status: string;
  import: unknown;
  progress: { total: number; succeeded: number; failed: number; done: number };
}

const post = (body: unknown, key: string = KEYS.alice) =>
  call('/v1/jobs', { method: 'POST', key, body: JSON.stringify(body) });

const finished = (id: string) =>
  waitFor(async () => {
    const v = (await (await call(`/v1/jobs/${id}`, { key: KEYS.alice })).json()) as JobJson;
    return ['succeeded', 'failed'].includes(v.status) ? v : null;
  }, 60_000);

async function items(id: string) {
  const res = await call(`/v1/jobs/${id}/items?limit=100`, { key: KEYS.alice });
  return (
    (await res.json()) as {
      items: { image_id: string; status: string; last_error: string | null }[];
    }
  ).items;
}

const count = async (sql: string) => (await env.DB.prepare(sql).first<{ n: number }>())!.n;

describe('import jobs', () => {
  // 20 objects: 18 distinct images, one copy of the first, one text file.
  const files: string[] = [];
  beforeAll(async () => {
    const all = (await fixtureList('images')).filter(
      (f) =>
        /\.(png|jpe?g|webp|gif)$/i.test(f) && !f.startsWith('large/') && !f.startsWith('phone/'),
    );
    files.push(...all.slice(0, 18));
    expect(files).toHaveLength(18);
    for (const [i, f] of files.entries())
      await env.SOURCE_BUCKET.put(
        `import/${String(i).padStart(2, '0')}-${f.replaceAll('/', '_')}`,
        await fixture(`images/${f}`),
      );
    await env.SOURCE_BUCKET.put('import/18-copy', await fixture(`images/${files[0]!}`));
    await env.SOURCE_BUCKET.put('import/19-notes.txt', new TextEncoder().encode('not an image'));
    await env.SOURCE_BUCKET.put('elsewhere/x.png', await fixture(`images/${files[1]!}`));
  });

  it('ingests every object under a prefix, with exact counts', async () => {
    const imagesBefore = await count("SELECT COUNT(*) AS n FROM images WHERE owner = 'alice'");
    const res = await post({ source: 'bucket', prefix: 'import/' });
    expect(res.status).toBe(201);
    const job = (await res.json()) as JobJson;
    expect(job.import).toEqual({ source: 'bucket', prefix: 'import/' });
    const done = await finished(job.id);
    expect(done.status).toBe('failed'); // one item (the text file) failed
    expect(done.progress).toMatchObject({ total: 20, succeeded: 19, failed: 1, done: 20 });
    const list = await items(job.id);
    expect(list).toHaveLength(20);
    const bad = list.filter((i) => i.status === 'failed');
    expect(bad.map((i) => i.image_id)).toEqual(['import/19-notes.txt']);
    expect(bad[0]!.last_error).toMatch(/JPEG, PNG, WebP/);
    // 20 objects, 19 images, 18 distinct byte strings: the copy shares its image.
    expect(
      await count(
        "SELECT COUNT(*) AS n FROM source_objects WHERE source = 'bucket' AND path LIKE 'import/%'",
      ),
    ).toBe(19);
    expect(
      await count(
        "SELECT COUNT(DISTINCT image_id) AS n FROM source_objects WHERE source = 'bucket' AND path LIKE 'import/%'",
      ),
    ).toBe(18);
    expect(
      (await count("SELECT COUNT(*) AS n FROM images WHERE owner = 'alice'")) - imagesBefore,
    ).toBe(18);
    // Nothing outside the prefix was touched; an imported object is served without a fetch.
    expect(
      await count("SELECT COUNT(*) AS n FROM source_objects WHERE path = 'elsewhere/x.png'"),
    ).toBe(0);
    const v = await call('/cdn-cgi/image/w=50,f=png/bucket/import/18-copy');
    expect(v.status).toBe(200);
  });

  it('ingests a list of paths of an http source; a missing one fails its item', async () => {
    const res = await post({
      source: 'web',
      paths: ['images/exif/Landscape_3.jpg', 'images/kodak/kodim02.png', 'images/none.png'],
    });
    expect(res.status).toBe(201);
    const done = await finished(((await res.json()) as JobJson).id);
    expect(done.progress).toMatchObject({ total: 3, succeeded: 2, failed: 1 });
  });

  it('refuses bad requests up front, storing nothing', async () => {
    const jobs = await count('SELECT COUNT(*) AS n FROM jobs');
    const cases: [unknown, string, number][] = [
      [{ source: 'nosuch', prefix: '' }, KEYS.alice, 404],
      [{ source: 'bucket', prefix: '' }, KEYS.bob, 404], // another owner's source
      [{ source: 'web', prefix: 'images/' }, KEYS.alice, 400], // http origins cannot be listed
      [{ source: 'bucket' }, KEYS.alice, 400],
      [{ source: 'bucket', prefix: 'a', paths: ['b'] }, KEYS.alice, 400],
      [{ source: 'kodak', paths: ['small/4.webp'] }, KEYS.alice, 403],
      [{ source: 'web', paths: ['a/../b.png'] }, KEYS.alice, 400],
      [{ source: 'bucket', prefix: 'a', variants: ['small'] }, KEYS.alice, 400],
    ];
    for (const [body, key, status] of cases) {
      const res = await post(body, key);
      expect(res.status, JSON.stringify(body)).toBe(status);
      expect(res.headers.get('Content-Type')).toBe('application/problem+json');
    }
    expect(await count('SELECT COUNT(*) AS n FROM jobs')).toBe(jobs);
  });
});
