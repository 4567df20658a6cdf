/**
 * Signed URLs made by the client (Web Crypto, the Worker's own signing code) verify in the
 * running Worker, which has SIGNING_KEYS set; anything else is refused.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { ImageEdge, signUrl } from '../src/index';
import { service, testClient, uploadFixture } from '../../test/helpers';

describe('signed URLs', () => {
  let id: string;
  beforeAll(async () => {
    id = await uploadFixture(testClient(), 'small/Giunchedi_Filippo_January_2015_01.jpg');
  });

  it('verify in the Worker with either configured key, with and without expiry', async () => {
    const s = service();
    for (const signingKey of s.signingKeys) {
      const client = new ImageEdge({ baseUrl: s.url, signingKey });
      const url = await client.signed(id, { width: 64, format: 'webp' }, { expiresIn: 600 });
      expect(url).toMatch(new RegExp(`[?&]kid=${signingKey.kid}&`));
      const res = await fetch(url);
      expect(res.status).toBe(200);
      expect(res.headers.get('Content-Type')).toBe('image/webp');
      await res.arrayBuffer();
    }
    const noExpiry = await testClient().signed(id, 'thumbnail');
    expect(noExpiry).not.toContain('exp=');
    const res = await fetch(noExpiry, { headers: { Accept: 'image/webp' } });
    expect(res.status).toBe(200);
    await res.arrayBuffer();
  });

  it('are refused when unsigned, tampered with, expired or signed with an unknown key', async () => {
    const s = service();
    const client = testClient();
    const good = await client.signed(id, { width: 80, format: 'jpeg' }, { expiresIn: 600 });
    const tampered = good.replace('width=80', 'width=81');
    const expired = await signUrl(`${s.url}/img/${id}/width=80,format=jpeg`, s.signingKeys[0]!, {
      exp: Math.floor(Date.now() / 1000) - 10,
    });
    const stranger = await signUrl(`${s.url}/img/${id}/width=80,format=jpeg`, {
      kid: 'k1',
      key: 'x'.repeat(43),
    });
    for (const url of [
      client.url(id, { width: 80, format: 'jpeg' }),
      tampered,
      expired,
      stranger,
    ]) {
      const res = await fetch(url);
      expect(res.status, url).toBe(403);
      expect(res.headers.get('Content-Type')).toBe('application/problem+json');
      await res.arrayBuffer();
    }
  });
});
