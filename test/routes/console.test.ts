/**
 * The console's pages (src/routes/console.ts) through the Worker with the real ASSETS binding
 * (console/dist, built by `npm run build:console` before the tests), and `GET /v1/whoami`.
 */
import { describe, expect, it } from 'vitest';
import { call, KEYS } from '../helpers';

describe('console pages', () => {
  for (const path of ['/', '/console', '/console/', '/console/images/abcdefghijklmnop']) {
    it(`serves the console's index.html with a strict CSP at ${path}`, async () => {
      const res = await call(path);
      expect(res.status).toBe(200);
      expect(res.headers.get('Content-Type')).toMatch(/^text\/html/);
      const csp = res.headers.get('Content-Security-Policy') ?? '';
      expect(csp).toContain("default-src 'none'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toMatch(/unsafe-(inline|eval)/);
      expect(res.headers.get('X-Content-Type-Options')).toBe('nosniff');
      const html = await res.text();
      expect(html).toContain('<div id="app"></div>');
      // Every script is an external file of this origin: nothing inline for the CSP to refuse.
      expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
      expect(html).toMatch(/<script type="module" crossorigin src="\/console\/assets\/[^"]+\.js">/);
    });
  }

  it("serves the console's hashed script from the assets", async () => {
    const html = await (await call('/')).text();
    const src = /src="(\/console\/assets\/[^"]+\.js)"/.exec(html)![1]!;
    const res = await call(src);
    expect(res.status).toBe(200);
    expect(res.headers.get('Content-Type')).toMatch(/javascript/);
    expect((await res.text()).length).toBeGreaterThan(1000);
  });

  it('leaves the API, delivery and health paths to the Worker', async () => {
    expect((await call('/healthz')).status).toBe(200);
    const missing = await call('/console-nope');
    expect(missing.status).toBe(404);
    expect(missing.headers.get('Content-Type')).toBe('application/problem+json');
    const img = await call('/img/abcdefghijklmnop/w=10');
    expect(img.status).toBe(404);
    expect(img.headers.get('Content-Type')).toBe('application/problem+json');
    expect(img.headers.get('Content-Security-Policy')).toBeNull();
  });
});

describe('GET /v1/whoami', () => {
  it("answers the key's owner and scopes, and whether signing is on", async () => {
    const res = await call('/v1/whoami', { key: KEYS.reader });
    expect(res.status).toBe(200);
    expect(res.headers.get('Cache-Control')).toBe('no-store');
    expect(await res.json()).toEqual({ owner: 'alice', scopes: ['read'], signing: false });
    const bob = await (await call('/v1/whoami', { key: KEYS.bob })).json();
    expect(bob).toEqual({ owner: 'bob', scopes: ['read', 'upload'], signing: false });
  });

  it('refuses a missing or unknown key with a problem', async () => {
    const none = await call('/v1/whoami');
    expect(none.status).toBe(401);
    expect(none.headers.get('Content-Type')).toBe('application/problem+json');
    const bad = await call('/v1/whoami', { key: 'not-a-key' });
    expect(bad.status).toBe(403);
    expect(bad.headers.get('Content-Type')).toBe('application/problem+json');
  });
});
