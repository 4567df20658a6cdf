/**
 * Route precedence through the Worker (src/app.ts): these paths match more than one pattern
 * (`/img/src/*`, `/img/:id/original`, `/img/:id/placeholder`, `/img/:id/:transform`; hono's
 * RegExpRouter refuses such a table, so the SmartRouter runs the TrieRouter), and each must
 * reach the route that owns it, with `405` and `Allow` for a method no route takes.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { call, fixture, upload } from '../helpers';

let id: string;
beforeAll(async () => {
  id = (await upload(await fixture('images/exif/Landscape_3.jpg'))).json.id as string;
});

/** The problem detail of a 4xx answer. */
async function detail(res: Response): Promise<string> {
  expect(res.headers.get('Content-Type')).toBe('application/problem+json');
  return ((await res.json()) as { detail: string }).detail;
}

describe('route precedence', () => {
  it('sends /img/src/… to the source routes, never to a variant of an image "src"', async () => {
    for (const path of ['/img/src/nosuch/a.jpg/w=100', '/img/src/nosuch/a.jpg/original']) {
      const res = await call(path);
      expect(res.status, path).toBe(404);
      expect(await detail(res), path).toBe('No source nosuch is configured.');
    }
  });

  it('serves original, placeholder and options of one image by their own routes', async () => {
    const original = await call(`/img/${id}/original`);
    expect(original.status).toBe(200);
    expect(original.headers.get('Content-Type')).toBe('image/jpeg');
    expect(original.headers.get('Content-Disposition')).toContain(`${id}.jpg`);
    const placeholder = await call(`/img/${id}/placeholder`);
    // The card is not computed in the tests (no queue work): the placeholder route's own 404.
    expect(placeholder.status).toBe(404);
    expect(await detail(placeholder)).toContain('placeholder');
    const variant = await call(`/img/${id}/w=40,f=png`);
    expect(variant.status).toBe(200);
    expect(variant.headers.get('Content-Type')).toBe('image/png');
    expect(variant.headers.get('X-Cache')).toBe('MISS');
    const hit = await call(`/img/${id}/w=40,f=png`);
    expect(hit.headers.get('X-Cache')).toBe('HIT');
    expect(hit.headers.get('X-Content-Type-Options')).toBe('nosniff');
  });

  it('answers 405 with Allow for a method no route takes, 404 for no route', async () => {
    const res = await call(`/img/${id}/w=40,f=png`, { method: 'POST' });
    expect(res.status).toBe(405);
    expect(res.headers.get('Allow')).toContain('GET');
    expect((await call('/img')).status).toBe(404);
    expect((await call(`/img/${id}`)).status).toBe(404);
  });
});
