/**
 * Animation through the Worker: animated GIF and WebP uploads keep their frames, delays and
 * loop count through `w=…,f=webp`, `f=gif` and `f=auto`; `anim=false` gives a still; an
 * animation over MAX_ANIMATION_PIXELS is a 422 problem. Outputs are read by parsing the
 * container (WebP: ANIM and ANMF chunks; GIF: omggif), not by decoding with our own code.
 */
import { GIFEncoder } from 'gifenc';
import { GifReader } from 'omggif';
import { describe, expect, it } from 'vitest';
import { MAX_ANIMATION_PIXELS } from '../../src/config';
import { call, fixture, upload } from '../helpers';

const le = (b: Uint8Array, o: number, n: number) => {
  let v = 0;
  for (let i = n - 1; i >= 0; i--) v = v * 256 + b[o + i]!;
  return v;
};
const sum = (a: readonly number[]) => a.reduce((s, v) => s + v, 0);
const fourcc = (b: Uint8Array, o: number) => String.fromCharCode(...b.subarray(o, o + 4));

/** Animation facts of a WebP file from its chunks (RIFF/WEBP, VP8X, ANIM, ANMF…). */
function webpAnimation(b: Uint8Array) {
  expect(fourcc(b, 0)).toBe('RIFF');
  expect(fourcc(b, 8)).toBe('WEBP');
  let loopCount: number | undefined;
  let width = 0;
  let height = 0;
  const durations: number[] = [];
  for (let pos = 12; pos + 8 <= b.length;) {
    const name = fourcc(b, pos);
    const size = le(b, pos + 4, 4);
    const data = pos + 8;
    if (name === 'VP8X') {
      width = le(b, data + 4, 3) + 1;
      height = le(b, data + 7, 3) + 1;
    } else if (name === 'ANIM') loopCount = le(b, data + 4, 2);
    else if (name === 'ANMF') durations.push(le(b, data + 12, 3));
    pos = data + size + (size & 1);
  }
  return { width, height, loopCount, durations };
}

/** Animation facts of a GIF file (delays in ms; loop count as total plays, 0 = forever). */
function gifAnimation(b: Uint8Array) {
  const r = new GifReader(b);
  const durations = Array.from({ length: r.numFrames() }, (_, i) => r.frameInfo(i).delay * 10);
  const loops = r.loopCount();
  return {
    width: r.width,
    height: r.height,
    loopCount: loops === null ? 1 : loops === 0 ? 0 : loops + 1,
    durations,
  };
}

const SOURCES = [
  // path, frames, delays (ms), loop count (total plays)
  ['animated-loop-3.gif', [...Array<number>(9).fill(3000), 15000], 3, 370],
  ['animated-loop-3.webp', [...Array<number>(9).fill(3000), 15000], 3, 370],
  ['rotating-squares.gif', Array<number>(30).fill(30), 0, 80],
  ['rotating-squares.webp', null, 0, 80],
] as const;

async function variant(id: string, transform: string, accept?: string) {
  const res = await call(`/img/${id}/${transform}`, accept ? { headers: { Accept: accept } } : {});
  return { res, bytes: new Uint8Array(await res.arrayBuffer()) };
}

describe('animation', () => {
  for (const [name, delays, loops, width] of SOURCES) {
    it(`keeps the frames, delays and loop count of ${name} through WebP and GIF`, async () => {
      const source = await fixture(`images/animated/${name}`);
      const { res, json } = await upload(source);
      expect(res.status).toBe(201);
      const id = json.id as string;
      const original = name.endsWith('.gif') ? gifAnimation(source) : webpAnimation(source);
      if (delays) expect(original.durations).toEqual(delays);
      expect(original.loopCount).toBe(loops);
      const w = Math.round(width / 2);

      const webp = await variant(id, `w=${w},f=webp`);
      expect(webp.res.status).toBe(200);
      expect(webp.res.headers.get('Content-Type')).toBe('image/webp');
      const a = webpAnimation(webp.bytes);
      expect(a.width).toBe(w);
      // libwebp's animation encoder merges a frame identical to the one before into it (its
      // duration added): rotating-squares.gif's 30 frames hold 9 distinct ones, as the WebP
      // beside it shows. The timing is kept either way.
      if (name.endsWith('.webp')) expect(a.durations).toEqual(original.durations);
      else expect(a.durations.length).toBeLessThanOrEqual(original.durations.length);
      expect(sum(a.durations)).toBe(sum(original.durations));
      expect(a.durations.length).toBeGreaterThan(1);
      expect(a.loopCount).toBe(loops);

      const gif = await variant(id, `w=${w},f=gif`);
      expect(gif.res.status).toBe(200);
      expect(gif.res.headers.get('Content-Type')).toBe('image/gif');
      const g = gifAnimation(gif.bytes);
      expect(g.width).toBe(w);
      // GIF stores centiseconds: WebP delays are rounded to 10 ms.
      expect(g.durations).toEqual(original.durations.map((d) => Math.round(d / 10) * 10));
      expect(g.loopCount).toBe(loops);

      // f=auto keeps animation: WebP when accepted, else GIF.
      const auto = await variant(id, `w=${w},f=auto`, 'image/avif,image/webp,*/*');
      expect(auto.res.headers.get('Content-Type')).toBe('image/webp');
      expect(webpAnimation(auto.bytes).durations).toEqual(a.durations);
      const basic = await variant(id, `w=${w},f=auto`, 'image/png,*/*');
      expect(basic.res.headers.get('Content-Type')).toBe('image/gif');
      expect(gifAnimation(basic.bytes).durations.length).toBe(original.durations.length);

      // anim=false: a still image.
      const still = await variant(id, `w=${w},f=webp,anim=false`);
      expect(still.res.status).toBe(200);
      expect(webpAnimation(still.bytes).durations).toEqual([]);
      const stillGif = await variant(id, `w=${w},f=gif,anim=false`);
      expect(gifAnimation(stillGif.bytes).durations.length).toBe(1);
    });
  }

  it('refuses to keep an animation over the frame-pixel limit, and gives its first frame', async () => {
    // 13 frames of 2000x2000 = 52 MP > 50 MP; indexed frames, so the file is small.
    const side = 2000;
    const frames = Math.ceil(MAX_ANIMATION_PIXELS / (side * side)) + 0;
    expect(frames * side * side).toBeGreaterThan(MAX_ANIMATION_PIXELS);
    const gif = GIFEncoder();
    for (let i = 0; i < frames; i++)
      gif.writeFrame(new Uint8Array(side * side).fill(i % 2), side, side, {
        palette: [
          [255, 0, 0],
          [0, 0, 255],
        ],
        delay: 100,
      });
    gif.finish();
    const { res, json } = await upload(gif.bytes());
    expect(res.status).toBe(201);
    const id = json.id as string;
    const over = await call(`/img/${id}/w=100,f=webp`);
    expect(over.status).toBe(422);
    expect(over.headers.get('Content-Type')).toContain('application/problem+json');
    const problem = (await over.json()) as { detail: string };
    expect(problem.detail).toContain('anim=false');
    const still = await variant(id, 'w=100,f=webp,anim=false');
    expect(still.res.status).toBe(200);
    expect(webpAnimation(still.bytes).durations).toEqual([]);
  });
});
