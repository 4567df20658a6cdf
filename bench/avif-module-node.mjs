#!/usr/bin/env node
/**
 * wasm/avif.wasm's memory per decode, against the planner's figure for it
 * (src/transform/avif-cost.ts `avifModuleMb` + the instance's fixed 1 MiB): one fresh instance
 * per case, its linear memory read after the call (memory never shrinks, so that is the
 * call's peak). Memory only: times on a shared machine mean nothing.
 *
 *   node bench/avif-module-node.mjs
 *   AVIF_WASM=/tmp/old-avif.wasm node bench/avif-module-node.mjs   (another build, A/B)
 *
 * Sources: the grid's 12 MP AVIF (scripts/lib/grid-sources.mjs; 8-bit 4:4:4, sharp's
 * default) and AVIFs made here by sharp from the same photo (4:4:4 at other sizes, 4:2:0, an
 * alpha ramp), cached in node_modules/.cache/avif-module-node/. Each case is a rectangle
 * (default: the whole image) and either a box factor or a scaled size, as
 * src/transform/pipeline.ts `decodePlan` asks of the module.
 */
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { GRID_SOURCES, sourcePath } from '../scripts/lib/grid-sources.mjs';
import { importBundle } from './lib/node-bundle.mjs';

const root = path.resolve(import.meta.dirname, '..');
const wasmFile = process.env.AVIF_WASM ?? path.join(root, 'wasm', 'avif.wasm');
const phone = path.join(root, '..', 'shared', 'images', 'phone', 'IMG_1063.JPG');
const cache = path.join(root, 'node_modules', '.cache', 'avif-module-node');
const MiB = 1024 * 1024;

/** An AVIF made by sharp from the phone photo (cached). */
async function made(name, width, height, chromaSubsampling, alpha = false) {
  const file = path.join(cache, `${name}.avif`);
  if (fs.existsSync(file)) return file;
  fs.mkdirSync(cache, { recursive: true });
  let img = sharp(phone).resize(width, height, { fit: 'fill' });
  if (alpha) {
    const data = await img.ensureAlpha().raw().toBuffer();
    for (let i = 0; i < width * height; i++)
      data[i * 4 + 3] = Math.round((255 * (i % width)) / (width - 1));
    img = sharp(data, { raw: { width, height, channels: 4 } });
  }
  await img.avif({ quality: 60, effort: 2, chromaSubsampling }).toFile(file);
  return file;
}

/**
 * A 10-bit AVIF made by @jsquash/avif's encoder in Node (sharp's prebuilt libheif writes 8-bit
 * only), cached; `subsample` is libavif's pixel format as @jsquash takes it (1 = 4:2:0,
 * 3 = 4:4:4).
 */
async function deep(name, width, height, subsample) {
  const file = path.join(cache, `${name}.avif`);
  if (fs.existsSync(file)) return file;
  fs.mkdirSync(cache, { recursive: true });
  const data = await sharp(phone)
    .resize(width, height, { fit: 'fill' })
    .ensureAlpha()
    .raw()
    .toBuffer();
  const d16 = Uint16Array.from(data, (v) => v * 4 + (v >> 6)); // 8 → 10 bits
  const { default: encode, init } = await import('@jsquash/avif/encode.js');
  const wasm = path.join(root, 'node_modules/@jsquash/avif/codec/enc/avif_enc.wasm');
  await init(new WebAssembly.Module(fs.readFileSync(wasm)));
  const out = await encode(
    { data: d16, width, height },
    { quality: 60, speed: 10, bitDepth: 10, subsample },
  );
  fs.writeFileSync(file, new Uint8Array(out));
  return file;
}

const grid = await sourcePath(GRID_SOURCES.find((s) => s.label === '12 MP AVIF'));
const files = {
  grid,
  '12mp-420': await made('12mp-420', 4032, 3024, '4:2:0'),
  '6mp': await made('6mp-444', 3000, 2000, '4:4:4'),
  '2mp': await made('2mp-444', 1700, 1200, '4:4:4'),
  odd: await made('odd-444', 1025, 769, '4:4:4'),
  '6mp-alpha': await made('6mp-alpha', 3000, 2000, '4:4:4', true),
  '6mp-10bit-444': await deep('6mp-10bit-444', 3000, 2000, 3),
  '6mp-10bit-420': await deep('6mp-10bit-420', 3000, 2000, 1),
};

/** [label, file key, rect [l,t,w,h] or null, box k, or scaled size [w,h]] */
const CASES = [
  ['12 MP 4:4:4 (grid), box 64', 'grid', null, 64],
  ['12 MP 4:4:4 (grid), 3024x3024 crop → 2000x2000', 'grid', [504, 0, 3024, 3024], [2000, 2000]],
  ['12 MP 4:4:4 (grid) → 1600x1200', 'grid', null, [1600, 1200]],
  ['12 MP 4:4:4 (grid) → 800x600', 'grid', null, [800, 600]],
  ['12 MP 4:4:4 (grid) → 3500x2625', 'grid', null, [3500, 2625]],
  ['12 MP 4:2:0, box 64', '12mp-420', null, 64],
  ['12 MP 4:2:0, 3024x3024 crop → 2000x2000', '12mp-420', [504, 0, 3024, 3024], [2000, 2000]],
  ['12 MP 4:2:0 → 3500x2625', '12mp-420', null, [3500, 2625]],
  ['6 MP 4:4:4, box 64', '6mp', null, 64],
  ['6 MP 4:4:4 → 2000x1333', '6mp', null, [2000, 1333]],
  ['2 MP 4:4:4, box 64', '2mp', null, 64],
  ['2 MP 4:4:4 → 1600x1129', '2mp', null, [1600, 1129]],
  ['1025x769 4:4:4, box 64', 'odd', null, 64],
  ['1025x769 4:4:4 → 1000x750', 'odd', null, [1000, 750]],
  ['6 MP 4:4:4 + alpha, box 64', '6mp-alpha', null, 64],
  ['6 MP 4:4:4 + alpha → 2000x1333', '6mp-alpha', null, [2000, 1333]],
  ['6 MP 10-bit 4:4:4, box 64', '6mp-10bit-444', null, 64],
  ['6 MP 10-bit 4:4:4 → 2000x1333', '6mp-10bit-444', null, [2000, 1333]],
  ['6 MP 10-bit 4:4:4 → 2800x1867', '6mp-10bit-444', null, [2800, 1867]],
  ['6 MP 10-bit 4:2:0, box 64', '6mp-10bit-420', null, 64],
  ['6 MP 10-bit 4:2:0 → 2000x1333', '6mp-10bit-420', null, [2000, 1333]],
];

const { avifModuleMb, probe } = await importBundle(
  root,
  `export { avifModuleMb } from './src/transform/avif-cost.ts';
   export { probe } from './src/codecs/probe/index.ts';`,
  'avif-module-node.mjs',
);
const module = new WebAssembly.Module(fs.readFileSync(wasmFile));
const enosys = () => 52;
const FIXED_MB = 1; // cost-table.json memoryFixedMB.decode.avif: the instance's initial memory

console.log(
  `${path.relative(root, wasmFile)}; wasm MiB after the call · planner (fixed 1 + avifModuleMb)`,
);
for (const [label, key, rect, how] of CASES) {
  const bytes = fs.readFileSync(files[key]);
  const meta = await sharp(bytes).metadata();
  const [l, t, w, h] = rect ?? [0, 0, meta.width, meta.height];
  const [k, ow, oh] = Array.isArray(how) ? [1, how[0], how[1]] : [how, 0, 0];
  const e = new WebAssembly.Instance(module, {
    wasi_snapshot_preview1: { fd_close: enosys, fd_seek: enosys, fd_write: enosys },
  }).exports;
  e._initialize();
  const ptr = e.avif_alloc(bytes.length);
  new Uint8Array(e.memory.buffer, ptr, bytes.length).set(bytes);
  const at = e.avif_decode(ptr, bytes.length, l, t, w, h, k, ow, oh, 0);
  const [status, outW, outH] = new Uint32Array(e.memory.buffer, at, 3);
  if (status !== 0) throw new Error(`${label}: status ${status}`);
  // The facts the planner has: the probe's (the AV1 coding from av1C).
  const facts = probe(new Uint8Array(bytes));
  const src = { ...facts, bytes: bytes.length };
  const scaled = ow > 0 && ow * oh < w * h;
  const model = FIXED_MB + avifModuleMb(src, outW * outH, ow > 0 ? 0 : k, scaled);
  const wasm = e.memory.buffer.byteLength / MiB;
  console.log(
    `${label} (${facts.avifCoding ? `${facts.avifCoding.bitDepth}-bit ${facts.avifCoding.chroma}` : '?'}): ${outW}x${outH} ${wasm.toFixed(1)} · ${model.toFixed(1)}${model < wasm ? ' UNDER' : ''}`,
  );
}
