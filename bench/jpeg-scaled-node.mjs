#!/usr/bin/env node
/**
 * Node check and benchmark for src/codecs/jpeg-scaled.ts (wasm/jpeg_scaled.wasm) against
 * @jsquash/jpeg's full decode, and of decodeJpegResized against decodeJpegScaled +
 * resizeImage (wasm/resize.wasm since pipeline 7; @jsquash/resize before), the path it replaces.
 *
 *   node bench/jpeg-scaled-node.mjs            speed + wasm memory (one child process per
 *                                              case, so every case starts with a fresh
 *                                              instance; memory never shrinks)
 *   node bench/jpeg-scaled-node.mjs --check    correctness: sizes, PSNR vs a box-downscaled
 *                                              @jsquash decode, every shared JPEG, bad inputs,
 *                                              then --check-resized
 *   node bench/jpeg-scaled-node.mjs --check-resized
 *                                              decodeJpegResized vs decodeJpegScaled + crop +
 *                                              resizeImage (PSNR), its errors and traps
 *   node bench/jpeg-scaled-node.mjs --instance-cost
 *                                              a call on a fresh vs a kept instance
 *   node bench/jpeg-scaled-node.mjs --case <jsquash|scaled|scaled+resize|resized> <file>
 *                                       <denom> [runs] [WxH]
 *
 * Env: RUNS (default 7), FUZZ (mutations in --check, default 400), JPEG_SCALED_WASM (use
 * another build of the module instead of wasm/jpeg_scaled.wasm), ONLY_RESIZE=1 (bench only
 * the decode + resize cases), EXTRA_JPEGS=a.jpg:b.jpg (more inputs for the checks).
 *
 * The TypeScript adapters are bundled with esbuild; a `.wasm` import becomes
 * `new WebAssembly.Module(bytes)`, as wrangler and vitest-pool-workers do at build time.
 * Images come from ../shared (IMAGES_DIR / BAD_IMAGES_DIR override).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { importBundle } from './lib/node-bundle.mjs';

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
    if (mem) memories.set(module, [...(memories.get(module) ?? []), mem].slice(-4));
    const real = this.exports.jpeg_decode;
    const realResize = this.exports.jpeg_decode_resize;
    if (real) {
      scaledInstances++;
      // forceTrap: pass an out-of-bounds pointer, so the module really traps.
      const exports = {
        ...this.exports,
        jpeg_decode: (p, l, d, m) => (forceTrap ? real(0xfffffff0, l, d, m) : real(p, l, d, m)),
        jpeg_decode_resize: (p, l, ...rest) =>
          forceTrap ? realResize(0xfffffff0, l, ...rest) : realResize(p, l, ...rest),
      };
      Object.defineProperty(this, 'exports', { value: Object.freeze(exports) });
    }
  }
};
let scaledInstances = 0;
let forceTrap = false;

/**
 * Bundles src/codecs/jpeg-scaled.ts and src/codecs/resize.ts (wasm/resize.wasm, as the
 * pipeline uses it; @jsquash/resize before pipeline 7) for Node and imports them.
 */
async function loadScaled() {
  return importBundle(
    root,
    `export * from './src/codecs/jpeg-scaled.ts';
export { resizeImage } from './src/codecs/resize.ts';
import { wasmMemory } from './wasm/instances.ts';
export { wasmMemory };
export const jpegScaledMemoryBytes = () => wasmMemory().jpegScaled ?? 0;`,
    'jpeg-scaled-bench.mjs',
    // JPEG_SCALED_WASM=<file> swaps in another build (A/B comparisons).
    (file) =>
      file.endsWith('jpeg_scaled.wasm') && process.env.JPEG_SCALED_WASM
        ? path.resolve(process.env.JPEG_SCALED_WASM)
        : file,
  );
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

/** Wasm memory in bytes per codec (largest instance of each module seen so far). */
function wasmByCodec() {
  const out = { jpeg_scaled: 0, resize: 0, mozjpeg: 0 };
  for (const [module, mems] of memories) {
    const name = WebAssembly.Module.exports(module).some((e) => e.name === 'jpeg_decode')
      ? 'jpeg_scaled'
      : WebAssembly.Module.exports(module).some((e) => e.name === 'resize_rgba')
        ? 'resize'
        : 'mozjpeg';
    for (const mem of mems) out[name] = Math.max(out[name], mem.buffer.byteLength);
  }
  return out;
}

/**
 * One benchmark case in this process: `runs` timed calls of
 * - jsquash: @jsquash/jpeg full decode;
 * - scaled: decodeJpegScaled(file, denom);
 * - scaled+resize: decodeJpegScaled(file, denom) then resizeImage(…, size, lanczos3, no
 *   premultiply) — the pipeline before decodeJpegResized;
 * - resized: decodeJpegResized(file, denom, whole image, size).
 * Wasm memory per codec is the largest instance's `memory.buffer.byteLength`: after the
 * first run (a fresh instance, so that call's peak) and after all runs.
 */
async function runCase(kind, file, denom, runs, size) {
  const bytes = new Uint8Array(fs.readFileSync(file));
  const [outW, outH] = (size ?? '0x0').split('x').map(Number);
  const times = [];
  let width = 0;
  let height = 0;
  let first = {};
  let call;
  if (kind === 'jsquash') {
    const decode = await loadJsquash();
    call = () => decode(bytes.buffer.slice(0));
  } else {
    const m = await loadScaled();
    if (kind === 'scaled') call = () => m.decodeJpegScaled(bytes, denom);
    else if (kind === 'scaled+resize')
      call = async () =>
        m.resizeImage(m.decodeJpegScaled(bytes, denom), outW, outH, { premultiply: false });
    else if (kind === 'resized')
      call = () => {
        const { width: dw, height: dh } = decodedSize(bytes, denom);
        return m.decodeJpegResized(
          bytes,
          denom,
          { left: 0, top: 0, width: dw, height: dh },
          outW,
          outH,
        );
      };
    else throw new Error(`unknown case ${kind}`);
  }
  const cpu = [];
  for (let i = 0; i < runs; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const img = await call();
    times.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
    ({ width, height } = img);
    if (i === 0) first = wasmByCodec();
  }
  const all = wasmByCodec();
  const sorted = [...times].sort((a, b) => a - b);
  const mib = (b) => +(b / MiB).toFixed(1);
  return {
    kind,
    file: path.basename(file),
    denom,
    out: `${width}x${height}`,
    firstMs: +times[0].toFixed(1),
    medianMs: +sorted[Math.floor(sorted.length / 2)].toFixed(1),
    minMs: +sorted[0].toFixed(1),
    // Process CPU time (all threads: includes V8's background compilation and GC), steadier
    // than wall time when other jobs share the machine.
    cpuMs: +[...cpu].sort((a, b) => a - b)[Math.floor(cpu.length / 2)].toFixed(1),
    jpegMiB: mib(first.jpeg_scaled + first.mozjpeg),
    resizeMiB: mib(first.resize),
    wasmMiB1: mib(first.jpeg_scaled + first.mozjpeg + first.resize),
    wasmMiB: mib(all.jpeg_scaled + all.mozjpeg + all.resize),
    maxRssMiB: +(process.resourceUsage().maxRSS / 1024).toFixed(0),
  };
}

/** Size of a JPEG decoded at 1/denom: ceil(coded size / denom), from the SOFn header. */
function decodedSize(bytes, denom) {
  let i = 2;
  while (i + 9 < bytes.length) {
    if (bytes[i] !== 0xff) {
      i++;
      continue;
    }
    const marker = bytes[i + 1];
    const len = (bytes[i + 2] << 8) | bytes[i + 3];
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      const h = (bytes[i + 5] << 8) | bytes[i + 6];
      const w = (bytes[i + 7] << 8) | bytes[i + 8];
      return { width: Math.ceil(w / denom), height: Math.ceil(h / denom) };
    }
    i += 2 + len;
  }
  throw new Error('no SOF marker');
}

async function bench() {
  const carrie = path.join(images, 'large/Carrie.jpg');
  const cerkiew = path.join(images, 'progressive/Cerkiew.jpg');
  const runs = Number(process.env.RUNS ?? 7);
  // [kind, file, denom, output size]
  const cases = process.env.ONLY_RESIZE
    ? []
    : [carrie, cerkiew].flatMap((file) => [
        ['jsquash', file, 1],
        ['scaled', file, 1],
        ['scaled', file, 2],
        ['scaled', file, 4],
        ['scaled', file, 8],
      ]);
  cases.push(
    ['scaled+resize', carrie, 2, '800x1067'],
    ['resized', carrie, 2, '800x1067'],
    ['scaled+resize', cerkiew, 2, '600x804'],
    ['resized', cerkiew, 2, '600x804'],
  );
  const rows = [];
  for (const [kind, file, denom, size] of cases) {
    const out = execFileSync(
      process.execPath,
      [
        fileURLToPath(import.meta.url),
        '--case',
        kind,
        file,
        String(denom),
        String(runs),
        size ?? '',
      ],
      { encoding: 'utf8' },
    );
    rows.push(JSON.parse(out));
  }
  console.log(
    `node ${process.version}, ${runs} runs per case (median / min / first wall ms, median process CPU ms); wasm memory of a fresh instance after the first run per codec (jpegMiB: jpeg_scaled or mozjpeg, resizeMiB: @jsquash/resize), their sum (wasmMiB1) and after all runs (wasmMiB)`,
  );
  console.table(rows);
}

/**
 * Cost of dropping the jpeg_scaled instance after a call (what the adapter does above its
 * memory threshold): raw `jpeg_decode_resize` calls, Carrie.jpg 1/2 → 800x1067, on one kept
 * instance vs a new instance per call (instantiation + memory growth + fresh pages),
 * interleaved so background load hits both alike.
 */
async function instanceCost(runs) {
  const wasmPath = process.env.JPEG_SCALED_WASM ?? path.join(root, 'wasm/jpeg_scaled.wasm');
  const module = new WebAssembly.Module(fs.readFileSync(wasmPath));
  const file = new Uint8Array(fs.readFileSync(path.join(images, 'large/Carrie.jpg')));
  const callOn = (x) => {
    const ptr = x.jpeg_alloc(file.length) >>> 0;
    new Uint8Array(x.memory.buffer, ptr, file.length).set(file);
    const h = x.jpeg_decode_resize(ptr, file.length, 2, 0, 0, 1500, 2000, 800, 1067, 0) >>> 0;
    const status = new Uint32Array(x.memory.buffer, h, 11)[0];
    x.jpeg_release();
    if (status !== 0) throw new Error(`status ${status}`);
  };
  const kept = new OrigInstance(module, {}).exports;
  callOn(kept); // warm-up (tier-up)
  const t = { instantiate: [], fresh: [], kept: [], freshCpu: [], keptCpu: [] };
  const timed = (wall, cpuTimes, fn) => {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const r = fn();
    wall.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpuTimes?.push((c.user + c.system) / 1000);
    return r;
  };
  for (let i = 0; i < runs; i++) {
    const x = timed(t.instantiate, null, () => new OrigInstance(module, {}).exports);
    timed(t.fresh, t.freshCpu, () => callOn(x));
    timed(t.kept, t.keptCpu, () => callOn(kept));
  }
  const med = (a) => +[...a].sort((x, y) => x - y)[a.length >> 1].toFixed(2);
  console.log(
    `${runs} runs, medians (wall / process CPU ms): new WebAssembly.Instance ${med(t.instantiate)}; call on a fresh instance ${med(t.fresh)} / ${med(t.freshCpu)}; on a kept instance ${med(t.kept)} / ${med(t.keptCpu)}`,
  );
}

/** PSNR (dB) and max channel difference of RGBA `a` against RGBA `b` (alpha ignored). */
function psnrRgba(a, b) {
  let se = 0;
  let max = 0;
  let differ = 0;
  for (let i = 0; i < a.length; i++) {
    if (i % 4 === 3) continue;
    const e = a[i] - b[i];
    if (e) differ++;
    se += e * e;
    if (Math.abs(e) > max) max = Math.abs(e);
  }
  const mse = se / ((a.length / 4) * 3);
  return { db: mse === 0 ? Infinity : 10 * Math.log10((255 * 255) / mse), max, differ };
}

/** Crops RGBA `img` to `r` (a copy). */
function cropRgba(img, r) {
  const out = new Uint8ClampedArray(r.width * r.height * 4);
  for (let y = 0; y < r.height; y++) {
    const s = ((r.top + y) * img.width + r.left) * 4;
    out.set(img.data.subarray(s, s + r.width * 4), y * r.width * 4);
  }
  return { data: out, width: r.width, height: r.height };
}

/**
 * decodeJpegResized against the path it replaces: decodeJpegScaled + JS crop + resizeImage
 * (wasm/resize.wasm lanczos3 since pipeline 7, @jsquash/resize before; no premultiply). Ratios stay below 3 so resizeImage does not
 * box-shrink first. Returns the number of failures.
 */
async function checkResized(m) {
  let failures = 0;
  const fail = (msg) => {
    failures++;
    console.log('FAIL', msg);
  };
  const reference = async (bytes, denom, crop, w, h) => {
    let img = m.decodeJpegScaled(bytes, denom);
    if (crop) img = cropRgba(img, crop);
    return m.resizeImage(img, w, h, { premultiply: false });
  };
  const compare = async (name, bytes, denom, crop, w, h, minDb) => {
    const dec = m.decodeJpegScaled(bytes, denom);
    const c = crop ?? { left: 0, top: 0, width: dec.width, height: dec.height };
    const ref = await reference(bytes, denom, crop, w, h);
    const got = m.decodeJpegResized(bytes, denom, c, w, h);
    const alphaOk = got.data.every((v, i) => i % 4 !== 3 || v === 255);
    const q = psnrRgba(got.data, ref.data);
    const ok = got.width === w && got.height === h && alphaOk && q.db >= minDb;
    console.log(
      `${ok ? 'ok' : 'FAIL'} ${name} 1/${denom} ${c.width}x${c.height}+${c.left}+${c.top} → ${w}x${h}: PSNR ${q.db.toFixed(2)} dB, max diff ${q.max}, ${q.differ} of ${(w * h * 3) / 1} channels differ`,
    );
    if (!ok) failures++;
    return q;
  };

  const carrie = new Uint8Array(fs.readFileSync(path.join(images, 'large/Carrie.jpg')));
  const main = await compare('Carrie', carrie, 2, null, 800, 1067, 45);
  await compare(
    'Carrie',
    carrie,
    2,
    { left: 317, top: 611, width: 500, height: 500 },
    200,
    200,
    45,
  );
  await compare(
    'Carrie',
    carrie,
    2,
    { left: 1000, top: 1500, width: 500, height: 500 },
    333,
    251,
    45,
  );
  await compare('Carrie', carrie, 4, { left: 0, top: 0, width: 750, height: 1 }, 300, 1, 45);
  await compare('Carrie', carrie, 8, null, 375, 200, 45); // one axis unchanged
  await compare('Carrie', carrie, 8, null, 1, 1, 0); // resizeImage box-shrinks: no PSNR bound
  // Equal size: a plain crop copy, exactly.
  {
    const crop = { left: 11, top: 7, width: 123, height: 45 };
    const ref = cropRgba(m.decodeJpegScaled(carrie, 4), crop);
    const got = m.decodeJpegResized(carrie, 4, crop, 123, 45);
    if (psnrRgba(got.data, ref.data).differ !== 0) fail('equal-size crop is not a copy');
    else console.log('ok equal-size crop = copy');
  }
  // Every JPEG in shared/images: full image at the largest scale, ratio ~1.6.
  let lowest = Infinity;
  for (const file of listJpegs(images).filter((f) => /\.jpe?g$/i.test(f))) {
    const bytes = new Uint8Array(fs.readFileSync(file));
    const d = m.decodeJpegScaled(bytes, 2);
    const w = Math.max(1, Math.round(d.width / 1.6));
    const h = Math.max(1, Math.round(d.height / 1.6));
    const q = await compare(path.relative(images, file), bytes, 2, null, w, h, 45);
    lowest = Math.min(lowest, q.db);
  }
  // CMYK (YCCK) fixture: patches survive a 2x reduction.
  const cmyk = new Uint8Array(fs.readFileSync(path.join(root, 'test/fixtures/cmyk.jpg')));
  await compare('cmyk.jpg', cmyk, 1, null, 40, 8, 45);
  console.log(`lowest PSNR over shared/images: ${lowest.toFixed(2)} dB`);
  // Optional extra JPEGs (e.g. greyscale or CMYK made with cjpeg / ImageMagick): EXTRA_JPEGS.
  for (const f of (process.env.EXTRA_JPEGS ?? '').split(':').filter(Boolean)) {
    const bytes = new Uint8Array(fs.readFileSync(f));
    const d = m.decodeJpegScaled(bytes, 1);
    const crop = { left: 5, top: 3, width: d.width - 9, height: d.height - 7 };
    await compare(
      path.basename(f),
      bytes,
      1,
      crop,
      Math.round(crop.width / 2.3),
      Math.round(crop.height / 1.7),
      45,
    );
  }

  // Errors: bad arguments → RangeError; bad data → JpegDecodeError; the next call works.
  const good = new Uint8Array(fs.readFileSync(path.join(images, 'exif/Landscape_1.jpg')));
  const okNext = () =>
    m.decodeJpegResized(good, 4, { left: 0, top: 0, width: 150, height: 113 }, 75, 56);
  const expectThrow = (name, fn, check, trap = false) => {
    forceTrap = trap;
    try {
      fn();
      fail(`${name}: no error`);
    } catch (e) {
      if (!check(e)) fail(`${name}: ${e}`);
      else console.log(`ok ${name}: ${e.name} ${e.code ?? ''} ${e.message}`);
    } finally {
      forceTrap = false;
    }
    if (okNext().width !== 75) fail(`next call after ${name}`);
  };
  const full = { left: 0, top: 0, width: 1500, height: 2000 };
  expectThrow(
    'crop outside',
    () => m.decodeJpegResized(carrie, 2, { ...full, left: 1 }, 800, 1067),
    (e) => e instanceof RangeError,
  );
  expectThrow(
    'upscale',
    () => m.decodeJpegResized(carrie, 2, full, 1501, 1067),
    (e) => e instanceof RangeError,
  );
  expectThrow(
    'zero crop',
    () => m.decodeJpegResized(carrie, 2, { ...full, width: 0 }, 1, 1),
    (e) => e instanceof RangeError,
  );
  expectThrow(
    'bad denom',
    () => m.decodeJpegResized(carrie, 3, full, 1, 1),
    (e) => e instanceof RangeError,
  );
  expectThrow(
    'truncated',
    () => m.decodeJpegResized(carrie.subarray(0, 100000), 2, full, 800, 1067),
    (e) => e instanceof m.JpegDecodeError && e.code === 'malformed',
  );
  expectThrow(
    'garbage',
    () => m.decodeJpegResized(new Uint8Array(5000).fill(7), 2, full, 800, 1067),
    (e) => e instanceof m.JpegDecodeError,
  );
  expectThrow(
    'too large',
    () => m.decodeJpegResized(carrie, 2, full, 800, 1067, 11_999_999),
    (e) => e instanceof m.JpegDecodeError && e.code === 'too-large',
  );
  // A real trap inside jpeg_decode_resize (out-of-bounds input pointer): typed error, and
  // the next call gets a fresh instance.
  const before = scaledInstances;
  expectThrow(
    'forced trap',
    () => m.decodeJpegResized(good, 4, { left: 0, top: 0, width: 150, height: 113 }, 75, 56),
    (e) => e instanceof m.JpegDecodeError && e.code === 'trap',
    true,
  );
  if (scaledInstances !== before + 1) fail('no fresh instance after the trap');
  console.log(`Carrie → 800x1067 vs decodeJpegScaled + resizeImage: ${main.db.toFixed(2)} dB`);
  return failures;
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
  // Memory accounting and the 32 MiB rule.
  m.decodeJpegScaled(carrie, 8);
  const small = m.jpegScaledMemoryBytes();
  m.decodeJpegScaled(carrie, 1);
  console.log(
    `memory after Carrie 1/8: ${(small / MiB).toFixed(1)} MiB; after 1/1: ${m.jpegScaledMemoryBytes()} (instance dropped above 32 MiB)`,
  );
  if (small === 0 || small > 32 * MiB || m.jpegScaledMemoryBytes() !== 0) fail('memory rule');

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

  // 6. decodeJpegResized against decodeJpegScaled + crop + resizeImage.
  failures += await checkResized(m);

  console.log(failures ? `${failures} FAILURES` : 'all checks passed');
  process.exitCode = failures ? 1 : 0;
}

const args = process.argv.slice(2);
if (args[0] === '--case') {
  const [, kind, file, denom, runs, size] = args;
  console.log(JSON.stringify(await runCase(kind, file, Number(denom), Number(runs ?? 5), size)));
} else if (args[0] === '--instance-cost') {
  await instanceCost(Number(process.env.RUNS ?? 15));
} else if (args[0] === '--check') {
  await check();
} else if (args[0] === '--check-resized') {
  const failures = await checkResized(await loadScaled());
  console.log(failures ? `${failures} FAILURES` : 'all checks passed');
  process.exitCode = failures ? 1 : 0;
} else {
  await bench();
}
