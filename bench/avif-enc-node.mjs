#!/usr/bin/env node
/**
 * AVIF encode in Node (issue 14): src/codecs/avif-enc.ts (wasm/avif_enc.wasm: aom 3.12.1 +
 * libavif 1.4.2, our build) against @jsquash/avif 2.1.1 (aom 3.7.0 + libavif 1.0.1, the
 * encoder it replaced) and sharp-wasm32 (aom 3.13.1 in libheif), on RGBA of the 12 MP phone
 * photo (phone/IMG_1063.JPG) resized to 800x1067 and 1600x2133 by sharp (fill), with the
 * settings src/codecs/encode.ts uses (quality 50, speed 9, 8-bit 4:2:0) and their sharp
 * equivalents (quality 50, effort 0, 4:2:0, 8-bit). The three sides alternate in one
 * process (a warm-up round first), so the ratios are comparable on a shared machine.
 * Per side: median and minimum time, output bytes, PSNR (RGB, decoded by native sharp)
 * against the input, and the wasm memory of our instance after the call.
 *
 *   node bench/avif-enc-node.mjs [800|1600 ...]     (default both)
 *
 * Env: RUNS (default 7). Results feed docs/performance.md ("AVIF encode").
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import sharp from 'sharp';
import { importBundle } from './lib/node-bundle.mjs';
import { loadSharpWasm32 } from './lib/sharp-wasm32.mjs';

const require = createRequire(import.meta.url);
const root = path.resolve(import.meta.dirname, '..');
const images = process.env.IMAGES_DIR ?? path.resolve(root, '..', 'shared', 'images');
const phone = path.join(images, 'phone', 'IMG_1063.JPG');
const RUNS = Number(process.env.RUNS ?? 7);
const SIZES = { 800: [800, 1067], 1600: [1600, 2133] };
const wanted = process.argv.slice(2).filter((a) => a in SIZES);

// The memory of each instance of our module (the adapter drops a large one after its call).
let ourMemory = null;
const OrigInstance = WebAssembly.Instance;
WebAssembly.Instance = class extends OrigInstance {
  constructor(module, imports) {
    super(module, imports);
    if ('avifenc_encode' in this.exports) ourMemory = this.exports.memory;
  }
};

/** Our adapter, bundled for Node (its `.wasm` import becomes a compiled Module). */
const ours = await importBundle(
  root,
  `export { encodeAvif } from './src/codecs/avif-enc.ts';`,
  'avif-enc-bench.mjs',
);

/** @jsquash/avif's single-threaded encoder, instantiated as wasm/index.ts did. */
async function jsquashAvif() {
  const factory = (await import('@jsquash/avif/codec/enc/avif_enc.js')).default;
  const wasm = new WebAssembly.Module(
    fs.readFileSync(require.resolve('@jsquash/avif/codec/enc/avif_enc.wasm')),
  );
  return factory({
    noInitialRun: true,
    instantiateWasm(imports, done) {
      const i = new WebAssembly.Instance(wasm, imports);
      done(i);
      return i.exports;
    },
    print: () => undefined,
    printErr: () => undefined,
  });
}

/** PSNR in dB over RGB of an encoded file (decoded by native sharp) against RGBA pixels. */
async function psnr(file, rgba) {
  const data = await sharp(file).removeAlpha().raw().toBuffer();
  let sum = 0;
  for (let i = 0, j = 0; i < data.length; i += 3, j += 4)
    for (let c = 0; c < 3; c++) {
      const d = data[i + c] - rgba[j + c];
      sum += d * d;
    }
  return 10 * Math.log10((255 * 255) / (sum / data.length));
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const wasm32 = loadSharpWasm32();
if (!wasm32) throw new Error('bench/sharp-wasm32 is not installed (npm run bench:install)');
wasm32.concurrency(1);
wasm32.cache(false);
const jsquash = await jsquashAvif();
const jsquashDefaults = (await import('@jsquash/avif/meta.js')).defaultOptions;

for (const key of wanted.length ? wanted : Object.keys(SIZES)) {
  const [width, height] = SIZES[key];
  const rgbaBuf = await sharp(phone)
    .rotate()
    .resize(width, height, { fit: 'fill' })
    .ensureAlpha()
    .raw()
    .toBuffer();
  const rgba = new Uint8Array(rgbaBuf.buffer, rgbaBuf.byteOffset, rgbaBuf.length);
  const sides = [
    [
      'ours: aom 3.12.1 + libavif 1.4.2',
      () => ours.encodeAvif(rgba, width, height, { quality: 50, speed: 9 }),
    ],
    [
      '@jsquash/avif 2.1.1: aom 3.7.0',
      () => jsquash.encode(rgba, width, height, { ...jsquashDefaults, quality: 50, speed: 9 }),
    ],
    [
      'sharp-wasm32: aom 3.13.1',
      () =>
        wasm32(rgba, { raw: { width, height, channels: 4 } })
          .removeAlpha()
          .avif({ quality: 50, effort: 0, chromaSubsampling: '4:2:0', bitdepth: 8 })
          .toBuffer(),
    ],
  ];
  const rows = sides.map(([name]) => ({ name, ms: [], out: null, mem: 0 }));
  for (let r = 0; r <= RUNS; r++)
    for (let s = 0; s < sides.length; s++) {
      const t = performance.now();
      const out = await sides[s][1]();
      const ms = performance.now() - t;
      if (s === 0) rows[s].mem = Math.max(rows[s].mem, ourMemory.buffer.byteLength);
      rows[s].out = out;
      if (r > 0) rows[s].ms.push(ms); // round 0 is the warm-up
    }
  const base = median(rows[2].ms);
  console.log(`\nAVIF encode ${width}x${height} (phone/IMG_1063.JPG), q50 speed 9, ${RUNS} runs`);
  for (const row of rows) {
    const m = median(row.ms);
    const mem = row.mem ? `  wasm memory ${(row.mem / 2 ** 20).toFixed(1)} MiB` : '';
    console.log(
      `  ${row.name.padEnd(34)} med ${m.toFixed(1).padStart(7)} ms  min ${Math.min(...row.ms)
        .toFixed(1)
        .padStart(
          7,
        )} ms  ${(m / base).toFixed(2)}x wasm32  ${String(row.out.length).padStart(7)} B  ${(await psnr(row.out, rgba)).toFixed(2)} dB${mem}`,
    );
  }
}
