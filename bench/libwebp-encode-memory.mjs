/**
 * libwebp's memory for a large lossy WebP encode (session 12, wasm/libwebp/token-store.patch):
 * one banded encode (src/codecs/webp.ts encodeWebpRows' ABI, bands of 32 rows) of a grid
 * photo resized by sharp, in a fresh instance of wasm/libwebp.wasm per case, whose memory size
 * is the encode's high-water mark (wasm memory only grows). The progress hook (webp_yield)
 * samples the memory as the encode goes: after the picture (`pic`), the analysis (`anl`), the
 * macroblock loop (`loop`: tokens or coefficients recorded) and at the end (`end`).
 *
 *   node bench/libwebp-encode-memory.mjs [--wasm FILE] [--q Q] [CASE ...]
 *
 * CASE is `<source>@<W>x<H>` with source one of `phone` (12 MP phone JPEG), `carrie` (12 MP
 * camera JPEG), `j48` (the grid's 48 MP JPEG), `noise` (hashed RGB noise: the worst case);
 * default: phone@4000x3000 j48@4000x5333 j48@5000x6667 carrie@3000x4000 noise@2000x2000.
 * Prints per case: the file's size and hash, MiB of wasm memory at each step and at the end, and MiB
 * per output MP. `--wasm` measures another build (e.g. `git show main:wasm/libwebp.wasm`) for
 * a before/after; `--q` sets the quality (default 80, the pipeline's). Memory only; no times.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';

const root = path.resolve(import.meta.dirname, '..');
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  if (i < 0) return dflt;
  const v = args[i + 1];
  args.splice(i, 2);
  return v;
};
const wasmFile = path.resolve(opt('--wasm', path.join(root, 'wasm', 'libwebp.wasm')));
const quality = Number(opt('--q', '80'));
const cases = args.length
  ? args
  : ['phone@4000x3000', 'j48@4000x5333', 'j48@5000x6667', 'carrie@3000x4000', 'noise@2000x2000'];
const module = new WebAssembly.Module(fs.readFileSync(wasmFile));
const shared = path.resolve(root, '..', 'shared', 'images');
const SOURCES = {
  phone: path.join(shared, 'phone', 'IMG_1063.JPG'),
  carrie: path.join(shared, 'large', 'Carrie.jpg'),
  j48: path.join(root, 'node_modules', '.cache', 'image-edge-grid', 'jpeg-48mp.jpg'),
};
const MiB = 1 << 20;

/** RGBA8 of a case's source at w x h (noise: hashed per pixel). */
async function pixels(source, w, h) {
  if (source === 'noise') {
    const px = Buffer.alloc(w * h * 4, 255);
    for (let i = 0; i < w * h; i++) {
      let s = Math.imul(i, 0x9e3779b1);
      s = Math.imul(s ^ (s >>> 15), 0x85ebca6b);
      px[i * 4] = s & 255;
      px[i * 4 + 1] = (s >>> 8) & 255;
      px[i * 4 + 2] = (s >>> 16) & 255;
    }
    return px;
  }
  if (!SOURCES[source]) throw new Error(`unknown source ${source}`);
  return sharp(SOURCES[source], { limitInputPixels: false })
    .rotate()
    .resize(w, h, { fit: 'fill' })
    .ensureAlpha()
    .raw()
    .toBuffer();
}

for (const c of cases) {
  const [source, size] = c.split('@');
  const [w, h] = size.split('x').map(Number);
  const px = await pixels(source, w, h);
  const marks = [];
  let e;
  const ok = () => 0;
  e = /** @type {any} */ (
    new WebAssembly.Instance(module, {
      env: {
        emscripten_notify_memory_growth: () => undefined,
        webp_yield: (p) => marks.push([p, e.memory.buffer.byteLength / MiB]),
      },
      wasi_snapshot_preview1: { fd_close: ok, fd_write: ok, fd_seek: ok },
    }).exports
  );
  e._initialize();
  const header = (p) => new Uint32Array(e.memory.buffer, p >>> 0, 11);
  let hd = header(e.webp_band_begin(w, h, quality, 4, 0, 32));
  if (hd[0]) throw new Error(`band_begin: status ${hd[0]}`);
  const buf = hd[3];
  for (let y = 0; y < h; y += 32) {
    const rows = Math.min(32, h - y);
    new Uint8Array(e.memory.buffer, buf, rows * w * 4).set(
      px.subarray(y * w * 4, (y + rows) * w * 4),
    );
    if (header(e.webp_band_put(y, rows))[0]) throw new Error('band_put');
  }
  const pic = e.memory.buffer.byteLength / MiB;
  e.webp_yield_every(1);
  hd = header(e.webp_band_finish());
  if (hd[0]) throw new Error(`band_finish: status ${hd[0]}`);
  const bytes = hd[4];
  const sha = crypto
    .createHash('sha256')
    .update(new Uint8Array(e.memory.buffer, hd[3], bytes))
    .digest('hex')
    .slice(0, 12);
  const end = e.memory.buffer.byteLength / MiB;
  const at = (p) => (marks.findLast(([q]) => q <= p) ?? [0, pic])[1];
  const mp = (w * h) / 1e6;
  console.log(
    `${c} q${quality}: ${bytes} bytes (${((8 * bytes) / (w * h)).toFixed(2)} bpp, sha256 ${sha}…); MiB pic ${pic.toFixed(1)} anl ${at(20).toFixed(1)} loop ${at(59).toFixed(1)} end ${end.toFixed(1)}; ${(end / mp).toFixed(2)} MiB/MP`,
  );
}
