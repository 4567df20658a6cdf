#!/usr/bin/env node
/**
 * Node check and benchmark for src/codecs/jpeg-scaled.ts (wasm/jpeg_scaled.wasm) against
 * @jsquash/jpeg's full decode.
 *
 *   node bench/jpeg-scaled-node.mjs            speed + wasm memory (one child process per
 *                                              case, so every case starts with a fresh
 *                                              instance; memory never shrinks)
 *   node bench/jpeg-scaled-node.mjs --check    correctness: sizes, PSNR vs a box-downscaled
 *                                              @jsquash decode, every shared JPEG, bad inputs
 *   node bench/jpeg-scaled-node.mjs --case <jsquash|scaled> <file> <denom> [runs]
 *
 * Env: RUNS (default 7), FUZZ (mutations in --check, default 400), JPEG_SCALED_WASM (use
 * another build of the module instead of wasm/jpeg_scaled.wasm).
 *
 * The TypeScript adapter is bundled with esbuild; a `.wasm` import becomes
 * `new WebAssembly.Module(bytes)`, as wrangler and vitest-pool-workers do at build time.
 * Images come from ../shared (IMAGES_DIR / BAD_IMAGES_DIR override).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const images = process.env.IMAGES_DIR ?? path.resolve(root, '..', 'shared', 'images');
const badImages = process.env.BAD_IMAGES_DIR ?? path.resolve(root, '..', 'shared', 'bad-images');
const MiB = 1024 * 1024;

// Record every wasm instance's memory (the adapter drops big instances after a decode).
const memories = new Map();
const OrigInstance = WebAssembly.Instance;
WebAssembly.Instance = class extends OrigInstance {
  constructor(module, imports) {
    super(module, imports);
    const mem = Object.values(this.exports).find((x) => x instanceof WebAssembly.Memory);
    if (mem) memories.set(module, mem);
    const real = this.exports.jpeg_decode;
    if (real) {
      scaledInstances++;
      // forceTrap: pass an out-of-bounds pointer, so the module really traps.
      const exports = {
        ...this.exports,
        jpeg_decode: (p, l, d, m) => (forceTrap ? real(0xfffffff0, l, d, m) : real(p, l, d, m)),
      };
      Object.defineProperty(this, 'exports', { value: Object.freeze(exports) });
    }
  }
};
let scaledInstances = 0;
let forceTrap = false;

async function loadScaled() {
  const result = await esbuild.build({
    entryPoints: [path.join(root, 'src/codecs/jpeg-scaled.ts')],
    bundle: true,
    format: 'esm',
    platform: 'node',
    write: false,
    plugins: [
      {
        name: 'wasm-module',
        setup(build) {
          // JPEG_SCALED_WASM=<file> swaps in another build (A/B comparisons).
          build.onResolve({ filter: /\.wasm$/ }, (args) => ({
            path:
              args.path.endsWith('jpeg_scaled.wasm') && process.env.JPEG_SCALED_WASM
                ? path.resolve(process.env.JPEG_SCALED_WASM)
                : path.resolve(args.resolveDir, args.path),
            namespace: 'wasm-module',
          }));
          build.onLoad({ filter: /.*/, namespace: 'wasm-module' }, (args) => ({
            contents: `import fs from 'node:fs';
export default new WebAssembly.Module(fs.readFileSync(${JSON.stringify(args.path)}));`,
            loader: 'js',
          }));
        },
      },
    ],
  });
  const tmp = path.join(root, 'node_modules', '.cache', 'jpeg-scaled-bench.mjs');
  fs.mkdirSync(path.dirname(tmp), { recursive: true });
  fs.writeFileSync(tmp, result.outputFiles[0].text);
  return import(pathToFileURL(tmp).href);
}

let jsquashModule;
async function loadJsquash() {
  const { init, default: decode } = await import('@jsquash/jpeg/decode.js');
  const wasmPath = path.join(root, 'node_modules/@jsquash/jpeg/codec/dec/mozjpeg_dec.wasm');
  jsquashModule = await WebAssembly.compile(fs.readFileSync(wasmPath));
  await init(jsquashModule);
  return decode;
}

/** Box-average an RGBA image by `d` to ceil(w/d) x ceil(h/d) (partial edge blocks averaged). */
function boxDown(src, w, h, d) {
  const ow = Math.ceil(w / d);
  const oh = Math.ceil(h / d);
  const out = new Float64Array(ow * oh * 3);
  const cnt = new Uint32Array(ow * oh);
  for (let y = 0; y < h; y++) {
    const oy = Math.floor(y / d) * ow;
    for (let x = 0; x < w; x++) {
      const o = oy + Math.floor(x / d);
      const s = (y * w + x) * 4;
      out[o * 3] += src[s];
      out[o * 3 + 1] += src[s + 1];
      out[o * 3 + 2] += src[s + 2];
      cnt[o]++;
    }
  }
  for (let i = 0; i < ow * oh; i++) for (let c = 0; c < 3; c++) out[i * 3 + c] /= cnt[i];
  return { data: out, width: ow, height: oh };
}

/** PSNR (dB) of RGBA `a` against float RGB `ref` of the same size (alpha ignored). */
function psnr(a, ref) {
  let se = 0;
  const n = ref.length / 3;
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < 3; c++) {
      const e = a[i * 4 + c] - ref[i * 3 + c];
      se += e * e;
    }
  }
  const mse = se / (n * 3);
  return mse === 0 ? Infinity : 10 * Math.log10((255 * 255) / mse);
}

function listJpegs(dir) {
  const out = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...listJpegs(p));
    else out.push(p);
  }
  return out.sort();
}

const isJpegMagic = (b) => b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff;

async function runCase(kind, file, denom, runs) {
  const bytes = new Uint8Array(fs.readFileSync(file));
  const times = [];
  let width = 0;
  let height = 0;
  let wasmBytes = 0;
  let firstWasmBytes = 0;
  const wasmNow = () => Math.max(0, ...[...memories.values()].map((mem) => mem.buffer.byteLength));
  if (kind === 'jsquash') {
    const decode = await loadJsquash();
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      const img = await decode(bytes.buffer.slice(0));
      times.push(performance.now() - t0);
      ({ width, height } = img);
      if (i === 0) firstWasmBytes = wasmNow();
    }
    wasmBytes = memories.get(jsquashModule)?.buffer.byteLength ?? 0;
  } else {
    const m = await loadScaled();
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      const img = m.decodeJpegScaled(bytes, denom);
      times.push(performance.now() - t0);
      ({ width, height } = img);
      if (i === 0) firstWasmBytes = wasmNow();
    }
    wasmBytes = wasmNow();
  }
  const sorted = [...times].sort((a, b) => a - b);
  return {
    kind,
    file: path.basename(file),
    denom,
    width,
    height,
    firstMs: +times[0].toFixed(1),
    medianMs: +sorted[Math.floor(sorted.length / 2)].toFixed(1),
    minMs: +sorted[0].toFixed(1),
    wasmMiB1: +(firstWasmBytes / MiB).toFixed(1),
    wasmMiB: +(wasmBytes / MiB).toFixed(1),
    maxRssMiB: +(process.resourceUsage().maxRSS / 1024).toFixed(0),
  };
}

async function bench() {
  const files = [
    path.join(images, 'large/Carrie.jpg'),
    path.join(images, 'progressive/Cerkiew.jpg'),
  ];
  const runs = Number(process.env.RUNS ?? 7);
  const rows = [];
  for (const file of files) {
    const cases = [
      ['jsquash', 1],
      ['scaled', 1],
      ['scaled', 2],
      ['scaled', 4],
      ['scaled', 8],
    ];
    for (const [kind, denom] of cases) {
      const out = execFileSync(
        process.execPath,
        [fileURLToPath(import.meta.url), '--case', kind, file, String(denom), String(runs)],
        { encoding: 'utf8' },
      );
      rows.push(JSON.parse(out));
    }
  }
  console.log(
    `node ${process.version}, ${runs} runs per case (median / min / first), wasm memory after the first run (wasmMiB1) and after all runs`,
  );
  console.table(rows);
}

async function check() {
  const m = await loadScaled();
  const decodeFull = await loadJsquash();
  let failures = 0;
  const fail = (msg) => {
    failures++;
    console.log('FAIL', msg);
  };

  // 1. Carrie.jpg at every scale: sizes and PSNR vs box-downscaled @jsquash full decode.
  const carrie = new Uint8Array(fs.readFileSync(path.join(images, 'large/Carrie.jpg')));
  const ref = await decodeFull(carrie.buffer.slice(0));
  const expect = { 1: [3000, 4000], 2: [1500, 2000], 4: [750, 1000], 8: [375, 500] };
  for (const d of [1, 2, 4, 8]) {
    const img = m.decodeJpegScaled(carrie, d);
    const box = boxDown(ref.data, ref.width, ref.height, d);
    const db = psnr(img.data, box.data);
    const sizeOk = img.width === expect[d][0] && img.height === expect[d][1];
    const alphaOk = img.data.every((v, i) => i % 4 !== 3 || v === 255);
    console.log(
      `Carrie 1/${d}: ${img.width}x${img.height} PSNR ${db.toFixed(2)} dB alpha255 ${alphaOk}`,
    );
    if (!sizeOk || db <= 30 || !alphaOk) fail(`Carrie 1/${d}`);
  }

  // 2. Every JPEG in shared/images at every scale (and PSNR at 1/1 vs @jsquash).
  const minPsnr = {};
  for (const file of listJpegs(images).filter((f) => /\.jpe?g$/i.test(f))) {
    const bytes = new Uint8Array(fs.readFileSync(file));
    const full = await decodeFull(bytes.buffer.slice(0));
    for (const d of [1, 2, 4, 8]) {
      try {
        const img = m.decodeJpegScaled(bytes, d);
        const box = boxDown(full.data, full.width, full.height, d);
        const db = psnr(img.data, box.data);
        const ok =
          img.width === box.width &&
          img.height === box.height &&
          img.data.length === img.width * img.height * 4;
        minPsnr[d] = Math.min(minPsnr[d] ?? Infinity, +db.toFixed(1));
        if (!ok || db <= 30)
          fail(
            `${path.relative(images, file)} 1/${d}: ${img.width}x${img.height} ${db.toFixed(1)} dB`,
          );
        else if (d === 1 || d === 8)
          console.log(
            `ok ${path.relative(images, file)} 1/${d} ${img.width}x${img.height} ${db.toFixed(1)} dB`,
          );
      } catch (e) {
        fail(`${path.relative(images, file)} 1/${d}: ${e}`);
      }
    }
  }

  console.log('lowest PSNR (dB) per scale over shared/images:', minPsnr);

  // 3. Bad inputs: every file with JPEG magic, truncations of a good file, junk.
  const good = new Uint8Array(fs.readFileSync(path.join(images, 'exif/Landscape_1.jpg')));
  const prog = new Uint8Array(fs.readFileSync(path.join(images, 'progressive/Cerkiew.jpg')));
  const bad = [];
  for (const f of listJpegs(badImages)) {
    const b = new Uint8Array(fs.readFileSync(f));
    if (isJpegMagic(b) || /\.jpe?g$/i.test(f) || b.length === 0)
      bad.push([path.relative(badImages, f), b]);
  }
  for (const cut of [2, 3, 20, 200, 600, 5000, 60000, good.length - 2])
    bad.push([`Landscape_1[0:${cut}]`, good.subarray(0, cut)]);
  for (const cut of [1000, 100000, 900000]) bad.push([`Cerkiew[0:${cut}]`, prog.subarray(0, cut)]);
  const flipped = good.slice();
  for (let i = 1000; i < flipped.length; i += 97) flipped[i] ^= 0x5a;
  bad.push(['Landscape_1 bit-flipped', flipped]);
  bad.push(['zeros', new Uint8Array(1000)]);
  bad.push(['SOI only', Uint8Array.of(0xff, 0xd8)]);
  for (const [name, b] of bad) {
    for (const d of [1, 8]) {
      try {
        const img = m.decodeJpegScaled(b, d);
        console.log(`decoded ${name} 1/${d}: ${img.width}x${img.height}`);
      } catch (e) {
        const typed = e instanceof m.JpegDecodeError;
        console.log(
          `${typed ? 'JpegDecodeError' : 'OTHER'} ${name} 1/${d}: [${e.code}] ${e.message}`,
        );
        if (!typed) fail(`${name}: not a JpegDecodeError: ${e}`);
      }
      // The instance (or its replacement) must still work.
      const after = m.decodeJpegScaled(good, 4);
      if (after.width !== 150 || after.height !== 113) fail(`reuse after ${name}`);
    }
  }
  // Truncated files must be errors (not partial images).
  for (const [name, b] of bad.filter(([n]) => /\[0:|truncated_jpeg/.test(n))) {
    try {
      m.decodeJpegScaled(b, 1);
      fail(`${name} decoded`);
    } catch (e) {
      if (!(e instanceof m.JpegDecodeError)) fail(`${name}: ${e}`);
    }
  }

  // 3b. Deterministic mutation fuzzing (FUZZ=n, default 400): every outcome must be a
  //     decode or a JpegDecodeError, and a trap must not break the next decode.
  let seed = 12345;
  const rnd = (n) => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed % n;
  };
  const outcomes = {};
  const seeds = [good, prog.subarray(0, 300000)];
  for (let i = 0; i < Number(process.env.FUZZ ?? 400); i++) {
    const src = seeds[i % 2];
    const b = src.slice();
    const flips = 1 + rnd(8);
    for (let k = 0; k < flips; k++) {
      const pos = rnd(3) === 0 ? rnd(b.length) : rnd(Math.min(b.length, 2000));
      b[pos] = rnd(256);
    }
    const d = [1, 2, 4, 8][rnd(4)];
    let key;
    try {
      m.decodeJpegScaled(b, d);
      key = 'decoded';
    } catch (e) {
      key = e instanceof m.JpegDecodeError ? `JpegDecodeError/${e.code}` : `OTHER ${e}`;
      if (!(e instanceof m.JpegDecodeError)) fail(`fuzz ${i}: ${e}`);
      if (e.code === 'trap' && outcomes[key] === undefined)
        console.log(`first trap (fuzz ${i}): ${e.message}`);
    }
    outcomes[key] = (outcomes[key] ?? 0) + 1;
    const after = m.decodeJpegScaled(good, 8);
    if (after.width !== 75) fail(`reuse after fuzz ${i}`);
  }
  console.log('fuzz outcomes', outcomes);

  // 3c. A real trap (memory access out of bounds): typed error, instance replaced.
  m.decodeJpegScaled(good, 8);
  const before = scaledInstances;
  forceTrap = true;
  try {
    m.decodeJpegScaled(good, 8);
    fail('forced trap did not throw');
  } catch (e) {
    console.log(`forced trap: ${e.name} [${e.code}] ${e.message}`);
    if (!(e instanceof m.JpegDecodeError) || e.code !== 'trap') fail(`forced trap gave ${e}`);
  }
  forceTrap = false;
  if (m.jpegScaledMemoryBytes() !== 0) fail('trapped instance still current');
  if (m.decodeJpegScaled(good, 8).width !== 75 || scaledInstances !== before + 1)
    fail('no fresh instance after trap');
  // Memory accounting and the 64 MiB rule.
  m.decodeJpegScaled(carrie, 8);
  const small = m.jpegScaledMemoryBytes();
  m.decodeJpegScaled(carrie, 1);
  console.log(
    `memory after Carrie 1/8: ${(small / MiB).toFixed(1)} MiB; after 1/1: ${m.jpegScaledMemoryBytes()} (instance dropped above 64 MiB)`,
  );
  if (small === 0 || small > 64 * MiB || m.jpegScaledMemoryBytes() !== 0) fail('memory rule');

  // 3d. maxSourcePixels.
  try {
    m.decodeJpegScaled(carrie, 8, 11_999_999);
    fail('maxSourcePixels not enforced');
  } catch (e) {
    if (e.code !== 'too-large') fail(`maxSourcePixels: ${e}`);
  }
  if (m.decodeJpegScaled(carrie, 8, 12_000_000).width !== 375) fail('maxSourcePixels boundary');

  // 4. chooseJpegScale.
  const cs = [
    [[3000, 4000, 375, 500], 8],
    [[3000, 4000, 376, 500], 4],
    [[3000, 4000, 750, 1001], 2],
    [[3000, 4000, 1500, 2000], 2],
    [[3000, 4000, 1501, 10], 1],
    [[3000, 4000, 6000, 8000], 1],
    [[601, 450, 76, 57], 8],
    [[601, 450, 77, 57], 4],
  ];
  for (const [args, want] of cs) {
    const got = m.chooseJpegScale(...args);
    if (got !== want) fail(`chooseJpegScale(${args}) = ${got}, want ${want}`);
  }

  // 5. Optional extra JPEGs (e.g. CMYK made with ImageMagick): EXTRA_JPEGS=a.jpg:b.jpg,
  //    compared at 1/1 against REF_PNG-style raw RGBA given as <file>.rgba with WxH in name.
  for (const f of (process.env.EXTRA_JPEGS ?? '').split(':').filter(Boolean)) {
    const img = m.decodeJpegScaled(new Uint8Array(fs.readFileSync(f)), 1);
    const rawPath = f.replace(/\.jpe?g$/i, '.rgb');
    if (fs.existsSync(rawPath)) {
      const raw = fs.readFileSync(rawPath);
      const rgb = Float64Array.from(raw);
      console.log(
        `extra ${path.basename(f)} ${img.width}x${img.height} PSNR vs ${path.basename(rawPath)}: ${psnr(img.data, rgb).toFixed(2)} dB`,
      );
    } else {
      console.log(
        `extra ${path.basename(f)} ${img.width}x${img.height} first pixel ${[...img.data.subarray(0, 4)]}`,
      );
    }
  }

  console.log(failures ? `${failures} FAILURES` : 'all checks passed');
  process.exitCode = failures ? 1 : 0;
}

const args = process.argv.slice(2);
if (args[0] === '--case') {
  const [, kind, file, denom, runs] = args;
  console.log(JSON.stringify(await runCase(kind, file, Number(denom), Number(runs ?? 5))));
} else if (args[0] === '--check') {
  await check();
} else {
  await bench();
}
