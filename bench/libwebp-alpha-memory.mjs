/**
 * libwebp's memory for the alpha plane of a lossy WebP, by what the plane holds (session 9,
 * wasm/libwebp/alpha-budget.patch): one banded encode at q80, method 4 (src/codecs/webp.ts
 * encodeWebpRows' ABI) in a fresh instance of wasm/libwebp.wasm per case, whose memory size is
 * the encode's high-water mark (wasm memory only grows). Planes: `noise` (hashed, every pixel
 * its own level), `noise4` (4 levels of it), `gradient` (diagonal ramp), `shapes` (hard-edged
 * tiles and discs), `soft` (a soft-edged disc), `real` (../shared/images/alpha/blackbug.png
 * stretched by sharp); colour gradients under each.
 *
 *   node bench/libwebp-alpha-memory.mjs [--wasm FILE] [WxH ...]   (default 2000x2000 2000x2667)
 *
 * Prints, per size and plane: the output's size, the ALPH chunk's method (0 raw, 1 lossless)
 * and the instance's memory in MiB. `--wasm` measures another build (e.g. an older
 * libwebp.wasm from git) for a before/after. Memory only; no times.
 */
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';

const root = path.resolve(import.meta.dirname, '..');
const args = process.argv.slice(2);
const wi = args.indexOf('--wasm');
const wasmFile =
  wi >= 0 ? path.resolve(args[wi + 1] ?? '') : path.join(root, 'wasm', 'libwebp.wasm');
const sizes = args.filter((_, i) => wi < 0 || (i !== wi && i !== wi + 1));
const module = new WebAssembly.Module(fs.readFileSync(wasmFile));

/** A fresh instance of the module. */
function instance() {
  const ok = () => 0;
  const e = /** @type {any} */ (
    new WebAssembly.Instance(module, {
      env: { emscripten_notify_memory_growth: () => undefined, webp_yield: () => undefined },
      wasi_snapshot_preview1: { fd_close: ok, fd_write: ok, fd_seek: ok },
    }).exports
  );
  e._initialize();
  return e;
}

/** @param {any} e @param {number} p */
const header = (e, p) => new Uint32Array(e.memory.buffer, p >>> 0, 11);

/** Banded lossy encode at q80, method 4; returns the file. */
function encode(
  /** @type {any} */ e,
  /** @type {Uint8Array} */ px,
  /** @type {number} */ w,
  /** @type {number} */ h,
) {
  let hd = header(e, e.webp_band_begin(w, h, 80, 4, 0, 32));
  if (hd[0]) throw new Error(`band_begin: status ${hd[0]}`);
  const buf = hd[3];
  for (let y = 0; y < h; y += 32) {
    const rows = Math.min(32, h - y);
    new Uint8Array(e.memory.buffer, buf, rows * w * 4).set(
      px.subarray(y * w * 4, (y + rows) * w * 4),
    );
    if (header(e, e.webp_band_put(y, rows))[0]) throw new Error('band_put');
  }
  hd = header(e, e.webp_band_finish());
  if (hd[0]) throw new Error(`band_finish: status ${hd[0]}`);
  const out = new Uint8Array(e.memory.buffer, hd[3], hd[4]).slice();
  e.webp_release();
  return out;
}

/** @param {number} x @param {number} y */
function hash(x, y) {
  let s = Math.imul(x, 73856093) ^ Math.imul(y, 19349663);
  s = Math.imul(s ^ (s >>> 16), 0x45d9f3b);
  return (s ^ (s >>> 16)) >>> 0;
}

/** @type {Record<string, (x: number, y: number, w: number, h: number) => number>} */
const PLANES = {
  noise: (x, y) => hash(x, y) & 255,
  noise4: (x, y) => (hash(x, y) & 3) * 85,
  gradient: (x, y, w, h) => Math.round((255 * (x + y)) / (w + h - 2)),
  shapes: (x, y) =>
    (((x >> 6) ^ (y >> 6)) & 1 ? 255 : 0) ^
    (Math.hypot((x % 300) - 150, (y % 300) - 150) < 90 ? 255 : 0),
  soft: (x, y, w, h) => {
    const d = Math.hypot(x - w / 2, y - h / 2) / (Math.min(w, h) / 3);
    return d < 1 ? 255 : d < 1.25 ? Math.round(255 * (1.25 - d) * 4) : 0;
  },
};

/** RGBA of `kind` at w x h. */
async function image(/** @type {string} */ kind, /** @type {number} */ w, /** @type {number} */ h) {
  if (kind === 'real') {
    const bug = path.join(root, '..', 'shared', 'images', 'alpha', 'blackbug.png');
    return new Uint8Array(
      await sharp(bug).resize(w, h, { fit: 'fill' }).ensureAlpha().raw().toBuffer(),
    );
  }
  const px = new Uint8Array(w * h * 4);
  const f = /** @type {(x: number, y: number, w: number, h: number) => number} */ (PLANES[kind]);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const i = (y * w + x) * 4;
      px.set([(x * 255) / w, (y * 255) / h, 128, f(x, y, w, h)], i);
    }
  return px;
}

/** The ALPH chunk's compression method, or -1. */
function alphMethod(/** @type {Uint8Array} */ webp) {
  for (let i = 12; i + 8 <= webp.length;) {
    const tag = String.fromCharCode(...webp.subarray(i, i + 4));
    const size =
      (webp[i + 4] ?? 0) |
      ((webp[i + 5] ?? 0) << 8) |
      ((webp[i + 6] ?? 0) << 16) |
      ((webp[i + 7] ?? 0) << 24);
    if (tag === 'ALPH') return (webp[i + 8] ?? 0) & 3;
    i += 8 + size + (size & 1);
  }
  return -1;
}

console.log(`${path.relative(root, wasmFile)}: q80, method 4, banded`);
for (const size of sizes.length ? sizes : ['2000x2000', '2000x2667']) {
  const [w = 0, h = 0] = size.split('x').map(Number);
  for (const kind of [...Object.keys(PLANES), 'real']) {
    const px = await image(kind, w, h);
    const e = instance();
    const out = encode(e, px, w, h);
    const mib = (e.memory.buffer.byteLength / 2 ** 20).toFixed(1);
    console.log(
      `${size} ${kind.padEnd(8)} ${String(out.length).padStart(8)} bytes  ALPH ${alphMethod(out)}  ${mib} MiB`,
    );
  }
}
