/**
 * SOURCES parsing (src/sources/config.ts): valid entries, and every entry refused at load —
 * above all, a base URL on a loopback, private, link-local or internal address, whatever its
 * spelling (the webhook code's rule): there is no setting that allows one.
 */
import { describe, expect, it } from 'vitest';
import { loadSources, sourceForUrl } from '../../src/sources/config';

const one = (entry: Record<string, unknown>) => loadSources(JSON.stringify([entry]));
const http = (base_url: string) => ({ name: 'web', type: 'http', owner: 'o', base_url });

describe('SOURCES', () => {
  it('parses http and r2 sources with their defaults', () => {
    const s = loadSources(
      JSON.stringify([
        { ...http('https://images.example.com/media/'), prefix: 'up/', headers: { 'X-Key': 'k' } },
        { name: 'b', type: 'r2', binding: 'SOURCE_BUCKET', owner: 'o', ttl_seconds: 60 },
      ]),
    );
    expect(s.get('web')).toMatchObject({
      type: 'http',
      prefix: 'up/',
      ttlSeconds: 3600,
      timeoutMs: 10_000,
      maxBytes: null,
      headers: { 'X-Key': 'k' },
    });
    expect(s.get('b')).toMatchObject({ type: 'r2', binding: 'SOURCE_BUCKET', ttlSeconds: 60 });
    expect(loadSources(undefined).size).toBe(0);
    expect(sourceForUrl(s, 'https://images.example.com/media/a/b.jpg')?.key).toBe('a/b.jpg');
    expect(sourceForUrl(s, 'https://images.example.com/other/b.jpg')).toBeNull();
  });

  it.each([
    'http://127.0.0.1/',
    'http://localhost:8080/',
    'https://foo.localhost/',
    'http://10.1.2.3/',
    'http://192.168.0.1/',
    'http://169.254.169.254/',
    'http://[::1]/',
    'http://[::ffff:127.0.0.1]/',
    'http://2130706433/',
    'http://0x7f000001/',
    'https://db.internal/',
    'http://printer.local/',
  ])('refuses the private base URL %s', (url) => {
    expect(() => one(http(url))).toThrow(/private address/);
  });

  it.each([
    [{ ...http('ftp://example.com/') }, /http or https/],
    [{ ...http('https://example.com/a') }, /end in \//],
    [{ ...http('https://u:p@example.com/') }, /credentials/],
    [{ ...http('https://example.com/'), name: 'Bad Name' }, /name/],
    [{ ...http('https://example.com/'), owner: '' }, /owner/],
    [{ ...http('https://example.com/'), timeout_ms: 0 }, /timeout_ms/],
    [{ ...http('https://example.com/'), extra: 1 }, /unknown field/],
    [{ name: 'b', type: 'r2', owner: 'o', binding: 'lower' }, /binding/],
    [{ name: 'b', type: 's3', owner: 'o' }, /type/],
  ])('refuses a malformed entry %#', (entry, message) => {
    expect(() => one(entry)).toThrow(message);
  });

  it('refuses duplicate names and non-lists', () => {
    const e = http('https://example.com/');
    expect(() => loadSources(JSON.stringify([e, e]))).toThrow(/duplicate/);
    expect(() => loadSources('{}')).toThrow(/list/);
  });
});
