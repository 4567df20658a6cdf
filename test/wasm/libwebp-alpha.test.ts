/**
 * The alpha plane's lossless encode in wasm/libwebp.wasm without its copies (our patches
 * wasm/libwebp/alpha-in-place.patch and vp8l-cost-window.patch; wasm/README.md, "The alpha
 * plane's memory"): the plane is encoded where it lies (no extracted copy at alpha_quality
 * 100), filtered into a plane freed before the VP8L encode starts, the VP8L encoder transforms
 * its ARGB picture in place instead of copying it, and its shortest-path search
 * (TraceBackwards) keeps its costs for a window of positions instead of every pixel. Driven
 * through the module's banded ABI in plain Node (no workerd):
 * - the bytes are those of the unpatched module (hashes recorded with libwebp.wasm
 *   `a490e3aa…`, before the patch) for each path of the patch: 256 levels (no palette packing,
 *   filters tried), 12 and 2 levels (packed palette, mapped in place), an alpha that compresses
 *   worse than raw (stored filtered and uncompressed: filtered again), method 6 (several
 *   configurations: the copy kept) and method 0;
 * - the alpha decodes exactly;
 * - a 2000x2000 encode peaks in less wasm memory than before (105.4 MiB unpatched, 86.3 with
 *   the first patch, 56.9 with both);
 * - whatever the plane holds (noise, 4 levels of noise, a gradient, hard-edged shapes, a soft
 *   edge), a 2000x2000 encode stays within the planner's WebP-with-alpha figure
 *   (src/transform/cost-table.json `webpAlpha`): the lossless encode runs within a budget set by
 *   the plane's size (wasm/libwebp/alpha-budget.patch), and a plane that needs more (noise took
 *   111 MiB) is stored uncompressed, its alpha exact.
 * A rebuild that changes libwebp's output on purpose records new hashes here (and a new entry
 * in test/transform/pipeline-version.test.ts).
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { encodeBanded as encode, header, instance, type Libwebp } from './libwebp-node.js';

/** The planner's figures (src/transform/cost-table.json), WebP with alpha. */
const table = JSON.parse(
  fs.readFileSync(new URL('../../src/transform/cost-table.json', import.meta.url), 'utf8'),
) as {
  memoryMBPerMP: { encode: { webpAlpha: number }; encodeAbove800w: { webpAlpha: number } };
  memoryFixedMB: { encode: { webpAlpha: number } };
};

/** The alpha channel of a decoded file. */
function decodedAlpha(e: Libwebp, webp: Uint8Array): Uint8Array {
  const ptr = e.webp_alloc(webp.length) >>> 0;
  new Uint8Array(e.memory.buffer, ptr, webp.length).set(webp);
  const hd = header(e, e.webp_decode(ptr, webp.length, 0, 0, 0, 0, 0, 0, 0));
  expect(hd[0]).toBe(0);
  const rgba = new Uint8Array(e.memory.buffer, hd[3], hd[4]);
  const alpha = new Uint8Array(rgba.length / 4);
  for (let i = 0; i < alpha.length; i++) alpha[i] = rgba[i * 4 + 3]!;
  e.webp_release();
  return alpha;
}

/** Alpha shapes, one per path of the patch. */
const SHAPES: Record<string, (x: number, y: number, w: number, h: number) => number> = {
  /** A soft-edged disc: 256 levels, a palette too large to pack, filters tried. */
  soft: (x, y, w, h) => {
    const d = Math.hypot(x - w / 2, y - h / 2) / (Math.min(w, h) / 3);
    return d < 1 ? 255 : d < 1.25 ? Math.round(255 * (1.25 - d) * 4) : 0;
  },
  /** 12 levels in tiles: two palette indices per pixel. */
  levels: (x, y) => (((x >> 5) * 3 + (y >> 5)) % 12) * 23,
  /** 2 levels: eight indices per pixel. */
  mask: (x, y) => (((x >> 3) ^ (y >> 3)) & 1 ? 255 : 0),
  /** Hashed noise: compresses worse than raw, so stored filtered and uncompressed. */
  noise: (x, y) => hash(x, y) & 255,
  /** 4 levels of hashed noise: compresses to about a quarter, with a reference per few pixels. */
  noise4: (x, y) => (hash(x, y) & 3) * 85,
  /** A diagonal ramp. */
  gradient: (x, y, w, h) => Math.round((255 * (x + y)) / (w + h - 2)),
  /** Hard-edged tiles and discs. */
  shapes: (x, y) =>
    (((x >> 6) ^ (y >> 6)) & 1 ? 255 : 0) ^
    (Math.hypot((x % 300) - 150, (y % 300) - 150) < 90 ? 255 : 0),
};

function hash(x: number, y: number): number {
  let s = Math.imul(x, 73856093) ^ Math.imul(y, 19349663);
  s = Math.imul(s ^ (s >>> 16), 0x45d9f3b);
  return (s ^ (s >>> 16)) >>> 0;
}

/** The ALPH chunk's header byte (bits 0-1: 0 raw, 1 lossless), or -1 without one. */
function alphHeader(webp: Uint8Array): number {
  for (let i = 12; i + 8 <= webp.length;) {
    const tag = String.fromCharCode(...webp.subarray(i, i + 4));
    const size = webp[i + 4]! | (webp[i + 5]! << 8) | (webp[i + 6]! << 16) | (webp[i + 7]! << 24);
    if (tag === 'ALPH') return webp[i + 8]!;
    i += 8 + size + (size & 1);
  }
  return -1;
}

/** The planner's memory for a WebP-with-alpha encode of `mp` output MP (src/transform/cost.ts). */
function plannedMiB(mp: number): number {
  const knee = (800 * 1067) / 1e6;
  const m = table.memoryMBPerMP;
  return (
    table.memoryFixedMB.encode.webpAlpha +
    m.encode.webpAlpha * Math.min(mp, knee) +
    m.encodeAbove800w.webpAlpha * Math.max(0, mp - knee)
  );
}

/** RGBA `w` x `h`: colour gradients (or flat grey) under the alpha `shape`. */
function image(shape: string, w: number, h: number, flat = false): Uint8Array {
  const px = new Uint8Array(w * h * 4);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const i = (y * w + x) * 4;
      px[i] = flat ? 128 : (x * 255) / w;
      px[i + 1] = flat ? 128 : (y * 255) / h;
      px[i + 2] = flat ? 128 : ((x + y) * 3) & 255;
      px[i + 3] = SHAPES[shape]!(x, y, w, h);
    }
  return px;
}

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex').slice(0, 16);

describe('libwebp alpha encode without copies (wasm/libwebp/alpha-in-place.patch)', () => {
  it.each([
    ['soft', 4, '332d88d26a7e56f6'],
    ['levels', 4, '26dfec8e72c71490'],
    ['mask', 4, '667a07d0606d7cfb'],
    ['noise', 4, 'c5c6222ec8c83c93'],
    ['soft', 6, 'c75dc2f17f86c10b'],
    ['soft', 0, '7ec92d5190a835b6'],
  ])('%s alpha at method %i: the unpatched bytes, alpha exact', (shape, method, hash) => {
    const [w, h] = [301, 203];
    const px = image(shape, w, h);
    const e = instance();
    const out = encode(e, px, w, h, 80, method);
    expect(sha(out)).toBe(hash);
    const alpha = decodedAlpha(e, out);
    const diff = alpha.findIndex((a, i) => a !== px[i * 4 + 3]);
    expect(diff).toBe(-1);
  });

  it.each([
    ['noise', 0, '76fd4f33a0e90f94'],
    ['noise4', 0, ''],
    ['gradient', 1, ''],
    ['shapes', 1, ''],
    ['soft', 1, ''],
  ])(
    '%s alpha, 2000x2000: within the planner figure, alpha exact (ALPH method %i)',
    (shape, method, hash) => {
      const px = image(shape, 2000, 2000);
      const e = instance();
      const out = encode(e, px, 2000, 2000, 80, 4);
      const mib = e.memory.buffer.byteLength / 2 ** 20;
      // The figure is MB above an idle isolate for the whole encode; libwebp's own memory
      // (the instance's, from 1 MiB) must fit in it. Noise took 111.2 MiB before the budget.
      expect(mib).toBeLessThan(plannedMiB(4));
      expect(alphHeader(out) & 3).toBe(method);
      if (hash) expect(sha(out)).toBe(hash); // noise: the bytes of the unbudgeted module
      const alpha = decodedAlpha(e, out);
      expect(alpha.findIndex((a, i) => a !== px[i * 4 + 3])).toBe(-1);
    },
  );

  it('encodes a 2000x2000 alpha image in less memory than the unpatched module', () => {
    // A soft-edged disc: VP8L's TraceBackwards runs (it does not for the grid's alpha PNG).
    const px = image('soft', 2000, 2000, true);
    const e = instance();
    const out = encode(e, px, 2000, 2000, 80, 4);
    expect(sha(out)).toBe('ded10a27fabf5c37'); // the unpatched bytes
    const mib = e.memory.buffer.byteLength / 2 ** 20;
    // Unpatched: 105.4 MiB (the picture's ARGB copied, the plane extracted and filtered
    // beside it, TraceBackwards' costs for every pixel: 32 MB); patched: 56.9.
    expect(mib).toBeLessThan(64);
  });
});
