/**
 * Quick Node comparison of wasm/libwebp.wasm (libwebp 1.5.0, our build) with @jsquash/webp
 * 1.5.0 (libwebp 1.1.0): decode (full and scaled) and encode times for a 12 MP and an
 * 800x1067 image. Not part of `npm run bench`; run by hand: `node bench/libwebp-node.mjs`.
 * Inputs are made with sharp from ../shared/images/large/Carrie.jpg (3000x4000), WebP q80.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import sharp from 'sharp';

const require = createRequire(import.meta.url);
const root = new URL('..', import.meta.url).pathname;
const RUNS = Number(process.env.RUNS ?? 5);

function ours() {
  const mod = new WebAssembly.Module(fs.readFileSync(`${root}wasm/libwebp.wasm`));
  const ok = () => 0;
  const e = new WebAssembly.Instance(mod, {
    env: { emscripten_notify_memory_growth: () => undefined, webp_yield: () => undefined },
    wasi_snapshot_preview1: { fd_close: ok, fd_write: ok, fd_seek: ok },
  }).exports;
  e._initialize();
  const put = (b) => {
    const p = e.webp_alloc(b.length);
    new Uint8Array(e.memory.buffer, p, b.length).set(b);
    return p;
  };
  const hdr = (p) => new Uint32Array(e.memory.buffer, p, 11);
  return {
    decode(b, tw = 0, th = 0) {
      const h = hdr(e.webp_decode(put(b), b.length, tw, th, 0));
      if (h[0]) throw new Error(`decode status ${h[0]}`);
      const out = new Uint8Array(e.memory.buffer, h[3], h[4]).slice();
      e.webp_release();
      return out;
    },
    encode(px, w, h, q) {
      const r = hdr(e.webp_encode(put(px), w, h, q, 4, 0));
      if (r[0]) throw new Error(`encode status ${r[0]}`);
      const out = new Uint8Array(e.memory.buffer, r[3], r[4]).slice();
      e.webp_release();
      return out;
    },
    memory: () => e.memory.buffer.byteLength,
  };
}

async function jsquash(dir, file) {
  const factory = (await import(`@jsquash/webp/codec/${dir}/${file}.js`)).default;
  const wasm = new WebAssembly.Module(
    fs.readFileSync(require.resolve(`@jsquash/webp/codec/${dir}/${file}.wasm`)),
  );
  let memory;
  const api = await factory({
    noInitialRun: true,
    instantiateWasm(imports, done) {
      const i = new WebAssembly.Instance(wasm, imports);
      memory = Object.values(i.exports).find((x) => x instanceof WebAssembly.Memory);
      done(i);
      return i.exports;
    },
  });
  return { api, memory: () => memory.buffer.byteLength };
}

function best(fn) {
  let min = Infinity;
  let out;
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    out = fn();
    min = Math.min(min, performance.now() - t);
  }
  return { ms: min, out };
}

const carrie = `${root}../shared/images/large/Carrie.jpg`;
const inputs = [
  ['12 MP (3000x4000)', sharp(carrie)],
  ['800x1067', sharp(carrie).resize(800, 1067)],
];
const mine = ours();
const dec = await jsquash('dec', 'webp_dec');
const enc = await jsquash('enc', 'webp_enc_simd');
const { defaultOptions } = await import('@jsquash/webp/meta.js');
for (const [name, img] of inputs) {
  const { data, info } = await img
    .clone()
    .ensureAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  const webp = new Uint8Array(await img.clone().webp({ quality: 80 }).toBuffer());
  const px = new Uint8Array(data);
  const d1 = best(() => mine.decode(webp));
  const d2 = best(() => dec.api.decode(webp));
  const ds = best(() => mine.decode(webp, Math.ceil(info.width / 4), Math.ceil(info.height / 4)));
  const e1 = best(() => mine.encode(px, info.width, info.height, 80));
  const e2 = best(() =>
    enc.api.encode(px, info.width, info.height, { ...defaultOptions, quality: 80 }),
  );
  console.log(
    `${name}: decode libwebp.wasm ${d1.ms.toFixed(1)} ms, @jsquash ${d2.ms.toFixed(1)} ms; ` +
      `scaled 1/4 decode ${ds.ms.toFixed(1)} ms; encode q80 libwebp.wasm ${e1.ms.toFixed(1)} ms ` +
      `(${e1.out.length} B), @jsquash SIMD ${e2.ms.toFixed(1)} ms (${e2.out.length} B)`,
  );
}
console.log(
  `wasm memory: libwebp.wasm ${(mine.memory() / 2 ** 20).toFixed(1)} MiB, @jsquash dec ${(dec.memory() / 2 ** 20).toFixed(1)} MiB, enc ${(enc.memory() / 2 ** 20).toFixed(1)} MiB (best of ${RUNS})`,
);
