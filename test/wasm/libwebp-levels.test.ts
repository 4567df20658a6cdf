/**
 * The lossy encoder's levels in wasm/libwebp.wasm (our patch wasm/libwebp/level-store.patch;
 * wasm/README.md, "The lossy encoder's tokens"): the token loop keeps each macroblock's
 * quantized levels in a compact store (a byte per residual, a byte per level) instead of its
 * tokens (2 bytes per coded bit, 0.9-1.5 bytes per pixel of a photo at q80, 12 for noise), and
 * turns them into the same tokens a page at a time once the probabilities are known; the file
 * is written at its exact size (glue.c `exact_write`). Driven through the module's banded ABI
 * in plain Node (no workerd):
 * - the bytes are those of the module before the patch (hashes recorded with libwebp.wasm
 *   `422e139a…`) for methods 3-6 (the token loop; 5 and 6 with trellis), qualities 50-100,
 *   levels beyond an int8 (a high-contrast pattern at q100), transparency, odd sizes;
 * - a 2400x2400 photo stays within the planner's banded WebP figure (transform/cost.ts
 *   `bandedWebpMb`: 11.1 MiB measured, 18.7 with the tokens), and 4 MP of noise, the worst
 *   case for the tokens, takes 14.5 MiB instead of 67.3.
 * A rebuild that changes libwebp's output on purpose records new hashes here (and a new entry
 * in test/transform/pipeline-version.test.ts).
 */
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { encodeBanded as encode, instance } from './libwebp-node.js';

const PHONE = fileURLToPath(new URL('../../../shared/images/phone/IMG_1063.JPG', import.meta.url));
/**
 * transform/cost.ts `bandedWebpMb(5.76)`, MiB (2.6 per MP to 4 MP, 1.8 beyond; that module
 * imports the Worker's wasm, which plain Node cannot).
 */
const PLANNER_MIB_2400 = 2.6 * 4 + 1.8 * (5.76 - 4);

/** A hash of (x, y) (as bench/libwebp-alpha-massif.sh's noise). */
function hash(x: number, y: number): number {
  let s = Math.imul(x, 73856093) ^ Math.imul(y, 19349663);
  s = Math.imul(s ^ (s >>> 16), 0x45d9f3b);
  return (s ^ (s >>> 16)) >>> 0;
}

/** RGBA of `w` x `h` from a pixel function returning [r, g, b, a]. */
function image(w: number, h: number, f: (x: number, y: number) => number[]): Uint8Array {
  const px = new Uint8Array(w * h * 4);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) px.set(f(x, y), (y * w + x) * 4);
  return px;
}

const noise = (x: number, y: number) => {
  const s = hash(x, y);
  return [s & 255, (s >>> 8) & 255, (s >>> 16) & 255, 255];
};
/** 8 px squares of black and white with a colour ramp: levels beyond an int8 at q100. */
const checker = (x: number, y: number) => {
  const v = ((x >> 3) ^ (y >> 3)) & 1 ? 255 : 0;
  return [v, 255 - v, (x * y) & 255, 255];
};
/** A smooth ramp with a little noise, transparent at the left edge. */
const ramp = (x: number, y: number) => [
  (x + (hash(x, y) & 15)) & 255,
  (y * 2) & 255,
  ((x + y) >> 1) & 255,
  x < 24 ? x * 10 : 255,
];

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex').slice(0, 16);

describe('libwebp lossy encode with the level store', () => {
  it('makes the bytes of the module before the patch', () => {
    const cases: [string, Uint8Array, number, number, number, number][] = [
      ['noise 301x203 q80 m4', image(301, 203, noise), 301, 203, 80, 4],
      ['noise 301x203 q90 m6', image(301, 203, noise), 301, 203, 90, 6],
      ['checker 640x480 q100 m4', image(640, 480, checker), 640, 480, 100, 4],
      ['checker 640x480 q100 m5', image(640, 480, checker), 640, 480, 100, 5],
      ['checker 640x480 q50 m3', image(640, 480, checker), 640, 480, 50, 3],
      ['ramp 517x333 q80 m4 (alpha)', image(517, 333, ramp), 517, 333, 80, 4],
      ['ramp 517x333 q75 m6 (alpha)', image(517, 333, ramp), 517, 333, 75, 6],
    ];
    const got = cases.map(
      ([name, px, w, h, q, m]) => `${name}: ${sha(encode(instance(), px, w, h, q, m))}`,
    );
    expect(got).toEqual([
      'noise 301x203 q80 m4: 361e1be832a00346',
      'noise 301x203 q90 m6: 4d8be4106dbcbe32',
      'checker 640x480 q100 m4: fb6e661d351ea436',
      'checker 640x480 q100 m5: fdbfaa3a9d1d6d16',
      'checker 640x480 q50 m3: 2c76593b4f13b923',
      'ramp 517x333 q80 m4 (alpha): 162a42e63ee28784',
      'ramp 517x333 q75 m6 (alpha): 21bc1ba69e906b29',
    ]);
  });

  it('keeps a 2400x2400 photo within the planner figure', async () => {
    const px = await sharp(PHONE)
      .resize(2400, 2400, { fit: 'fill' })
      .ensureAlpha()
      .raw()
      .toBuffer();
    const e = instance();
    encode(e, new Uint8Array(px), 2400, 2400, 80, 4);
    const mib = e.memory.buffer.byteLength / 2 ** 20;
    expect(mib).toBeLessThanOrEqual(PLANNER_MIB_2400);
  });

  it('keeps 4 MP of noise in a fifth of the memory the tokens took', () => {
    const e = instance();
    encode(e, image(2000, 2000, noise), 2000, 2000, 80, 4);
    const mib = e.memory.buffer.byteLength / 2 ** 20;
    expect(mib).toBeLessThan(20); // 14.5 MiB; 67.3 with the tokens
  });
});
