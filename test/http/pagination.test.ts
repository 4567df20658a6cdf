/**
 * Cursors of every paginated list (src/http/pagination.ts): anything we did not issue, such as
 * a time of `1e309` (Infinity once parsed), is a 400 problem naming `cursor`, never a page.
 */
import { describe, expect, it } from 'vitest';
import { call, KEYS } from '../helpers';

const ID = 'AAAAAAAAAAAAAAAA';
const b64 = (s: string) => btoa(s).replaceAll('=', '');

const bad = [
  b64(`[1e309,"${ID}"]`),
  b64(`[-1e309,"${ID}"]`),
  b64(`[1.5,"${ID}"]`),
  b64(`[-1,"${ID}"]`),
  b64(`[9007199254740993,"${ID}"]`),
  b64(`["1","${ID}"]`),
  b64(`[1,"short"]`),
  b64(`[1,"${ID}",3]`),
  b64('{}'),
  'not base64!',
  '',
];

describe('cursors', () => {
  for (const list of ['/v1/images', '/v1/jobs'])
    it(`${list} answers 400 for every cursor it did not issue`, async () => {
      for (const cursor of bad) {
        const res = await call(`${list}?cursor=${encodeURIComponent(cursor)}`, { key: KEYS.alice });
        expect(res.status, `${list} cursor ${cursor}`).toBe(400);
        expect(res.headers.get('Content-Type')).toBe('application/problem+json');
        expect(await res.json()).toMatchObject({ status: 400, option: 'cursor' });
      }
      const good = await call(`${list}?cursor=${b64(`[1700000000000,"${ID}"]`)}`, {
        key: KEYS.alice,
      });
      expect(good.status).toBe(200);
    });

  it('/v1/jobs/:id/items and /v1/presets refuse malformed cursors too', async () => {
    expect(
      (await call(`/v1/presets?cursor=${b64('[1e309]')}%2F`, { key: KEYS.alice })).status,
    ).toBe(400);
    expect((await call('/v1/presets?cursor=', { key: KEYS.alice })).status).toBe(400);
  });
});
