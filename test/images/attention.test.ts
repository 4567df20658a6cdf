/**
 * `gravity=auto`: the attention point computed with the image card (images/attention.ts),
 * stored in D1 and used by every `g=auto` crop, against sharp's `position: 'attention'`.
 */
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { decodeImage } from '../../src/codecs/decode';
import { call, KEYS } from '../helpers';
import { envWith, FakeQueue, pump, uploadWithWork } from '../work/helpers';

/** A crop window in upright source pixels. */
interface Window {
  left: number;
  top: number;
  width: number;
  height: number;
}

/**
 * The agreement we promise with sharp's attention crop (docs/url-format.md): intersection over
 * union of the two crop windows in source pixels.
 */
const MIN_IOU = 0.7;

function iou(a: Window, b: Window): number {
  const w = Math.max(0, Math.min(a.left + a.width, b.left + b.width) - Math.max(a.left, b.left));
  const h = Math.max(0, Math.min(a.top + a.height, b.top + b.height) - Math.max(a.top, b.top));
  const inter = w * h;
  return inter / (a.width * a.height + b.width * b.height - inter);
}

interface Facts {
  focal_point: { x: number; y: number } | null;
  gravity_used: string;
  geometry: { crop: Window };
}

const facts = async (id: string, options: string) => {
  const res = await call(`/img/${id}/${options},f=json`);
  expect(res.status).toBe(200);
  return { facts: (await res.json()) as Facts, cache: res.headers.get('Cache-Control') };
};

const sharpWindow = async (file: string, w: number, h: number) =>
  (await (
    await env.FIXTURES.fetch(`http://fixtures/sharp-attention/images/${file}?w=${w}&h=${h}`)
  ).json()) as Window;

describe('gravity=auto', () => {
  it('crops flowers.jpeg where sharp attention does, once the card is made', async () => {
    const q = new FakeQueue();
    const id = (await uploadWithWork(q, 'crop/flowers.jpeg')).id;
    await pump(q, envWith(q));
    const info = (await (await call(`/v1/images/${id}`, { key: KEYS.alice })).json()) as {
      focal_point: { x: number; y: number } | null;
    };
    expect(info.focal_point).toEqual({ x: expect.any(Number), y: expect.any(Number) });
    const stored = await env.DB.prepare('SELECT focal_x, focal_y FROM images WHERE id = ?')
      .bind(id)
      .first<{ focal_x: number; focal_y: number }>();
    expect(stored).toEqual({ focal_x: info.focal_point!.x, focal_y: info.focal_point!.y });

    const options = 'w=300,h=300,fit=cover,g=auto';
    const { facts: ours } = await facts(id, options);
    expect(ours.focal_point).toEqual(info.focal_point);
    expect(ours.gravity_used).toMatch(/^auto \(focal point /);
    const theirs = await sharpWindow('crop/flowers.jpeg', 300, 300);
    expect(iou(ours.geometry.crop, theirs)).toBeGreaterThanOrEqual(MIN_IOU);
    // Not the centre crop: flowers.jpeg's attention is well right of the middle.
    const centre = (await facts(id, 'w=300,h=300,fit=cover,g=center')).facts.geometry.crop;
    expect(ours.geometry.crop.left).toBeGreaterThan(centre.left);

    // The image itself: 300x300, stored like any variant.
    const png = await call(`/img/${id}/${options},f=png`);
    expect(png.status).toBe(200);
    expect(png.headers.get('Cache-Control')).toContain('immutable');
    const px = await decodeImage(new Uint8Array(await png.arrayBuffer()), 'png');
    expect([px.width, px.height]).toEqual([300, 300]);
  });

  it('falls back to a centre crop while the focal point is pending, and says so', async () => {
    const q = new FakeQueue();
    const id = (await uploadWithWork(q, 'crop/flowers.jpeg', KEYS.bob)).id; // the card is queued, not made
    const { facts: pending, cache } = await facts(id, 'w=300,h=300,fit=cover,g=auto');
    expect(pending.focal_point).toBeNull();
    expect(pending.gravity_used).toBe('center (focal point pending)');
    expect(cache).toBe('no-store');
    const centre = (await facts(id, 'w=300,h=300,fit=cover,g=center')).facts.geometry.crop;
    expect(pending.geometry.crop).toEqual(centre);
    // The centre crop is served, but neither stored nor cached as the g=auto variant.
    const png = await call(`/img/${id}/w=300,h=300,fit=cover,g=auto,f=png`);
    expect(png.status).toBe(200);
    expect(png.headers.get('Cache-Control')).toBe('no-store');
    expect(png.headers.get('X-Gravity-Used')).toBe('center (focal point pending)');

    await pump(q, envWith(q));
    const after = await call(`/img/${id}/w=300,h=300,fit=cover,g=auto,f=png`);
    expect(after.headers.get('Cache-Control')).toContain('immutable');
    expect(after.headers.get('X-Gravity-Used')).toBeNull();
  });

  it('agrees with sharp attention on concert.jpg and the phone photos, square and wide', async () => {
    const q = new FakeQueue();
    for (const file of ['crop/concert.jpg', 'phone/IMG_1063.JPG', 'phone/IMG_6556.JPG']) {
      const id = (await uploadWithWork(q, file)).id;
      await pump(q, envWith(q));
      for (const [w, h] of [
        [300, 300],
        [400, 200],
      ] as const) {
        const { facts: ours } = await facts(id, `w=${w},h=${h},fit=cover,g=auto`);
        const theirs = await sharpWindow(file, w, h);
        expect(iou(ours.geometry.crop, theirs), `${file} ${w}x${h}`).toBeGreaterThanOrEqual(
          MIN_IOU,
        );
      }
    }
  });

  it('maps the focal point through rotate', async () => {
    const q = new FakeQueue();
    const id = (await uploadWithWork(q, 'crop/flowers.jpeg', KEYS.mallory)).id;
    await pump(q, envWith(q));
    const { facts: upright } = await facts(id, 'w=300,h=300,fit=cover,g=auto');
    const { x, y } = upright.focal_point!;
    // Rotated 90° clockwise, the upright point (x, y) is at (1 - y, x).
    const turned = (await facts(id, 'w=300,h=300,fit=cover,g=auto,rotate=90')).facts;
    const explicit = (await facts(id, `w=300,h=300,fit=cover,g=${1 - y}x${x},rotate=90`)).facts;
    expect(turned.geometry.crop).toEqual(explicit.geometry.crop);
    expect(turned.geometry.crop.top).toBeGreaterThan(0);
  });

  it('gives an image whose card predates the attention point one, via the card message', async () => {
    const q = new FakeQueue();
    const id = (await uploadWithWork(q, 'crop/concert.jpg', KEYS.bob)).id;
    await pump(q, envWith(q));
    await env.DB.prepare('UPDATE images SET focal_x = NULL, focal_y = NULL WHERE id = ?')
      .bind(id)
      .run();
    expect((await facts(id, 'w=300,h=300,fit=cover,g=auto')).facts.focal_point).toBeNull();
    q.messages.push({ body: { type: 'card', v: 1, imageId: id }, attempts: 1 });
    await pump(q, envWith(q));
    expect((await facts(id, 'w=300,h=300,fit=cover,g=auto')).facts.focal_point).not.toBeNull();
  });

  it('refuses gravity=face with a problem naming the option', async () => {
    const res = await call('/img/AAAAAAAAAAAAAAAA/w=100,h=100,fit=cover,g=face');
    expect(res.status).toBe(400);
    expect(res.headers.get('Content-Type')).toContain('application/problem+json');
    expect(await res.json()).toMatchObject({
      option: 'g',
      detail: expect.stringContaining('"face"'),
    });
  });
});
