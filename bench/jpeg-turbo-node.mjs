#!/usr/bin/env node
/**
 * Node check and benchmark for src/codecs/jpeg-turbo.ts (wasm/jpeg_turbo.wasm: libjpeg-turbo
 * 2.1.5 decoding at M/8) against jpeg_scaled.wasm (jpeg-decoder at 1/d), @jsquash/jpeg
 * (mozjpeg), sharp (native libjpeg-turbo) and sharp-wasm32.
 *
 *   node bench/jpeg-turbo-node.mjs [file]     decode speed + wasm memory, one child process
 *                                             per case (fresh instance; default Carrie.jpg)
 *   node bench/jpeg-turbo-node.mjs --check    pixels: 1/1 against sharp's decode for every
 *                                             JPEG in ../shared/images; M/8 against
 *                                             jpeg_scaled at the same size (PSNR); CMYK
 *                                             against jpeg_scaled; bad inputs
 *   node bench/jpeg-turbo-node.mjs --case <turbo|scaled|jsquash|sharp|sharp-wasm32> <file>
 *                                             <M or denom> [runs]
 *
 * Env: RUNS (default 7). Images from ../shared (IMAGES_DIR, BAD_IMAGES_DIR override).
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

// Every wasm instance's memory, by module (the adapters drop big instances after a call).
const memories = [];
const OrigInstance = WebAssembly.Instance;
WebAssembly.Instance = class extends OrigInstance {
  constructor(module, imports) {
    super(module, imports);
    const mem = Object.values(this.exports).find((x) => x instanceof WebAssembly.Memory);
    if (mem) memories.push(mem);
  }
};

/** Bundles the two JPEG adapters for Node (a `.wasm` import becomes a compiled Module). */
function loadAdapters() {
  return importBundle(
    root,
    `export * from './src/codecs/jpeg-turbo.ts';
export { decodeJpegScaled } from './src/codecs/jpeg-scaled.ts';`,
    'jpeg-turbo-bench.mjs',
  );
}

async function loadJsquash() {
  const { init, default: decode } = await import('@jsquash/jpeg/decode.js');
  const wasmPath = path.join(root, 'node_modules/@jsquash/jpeg/codec/dec/mozjpeg_dec.wasm');
  await init(await WebAssembly.compile(fs.readFileSync(wasmPath)));
  return decode;
}

async function loadSharp(kind) {
  if (kind === 'sharp') {
    const sharp = (await import('sharp')).default;
    sharp.concurrency(1);
    sharp.cache(false);
    return sharp;
  }
  const { loadSharpWasm32 } = await import('./lib/sharp-wasm32.mjs');
  return loadSharpWasm32();
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** One case in this process: `runs` decodes, prints one JSON line. */
async function runCase(kind, file, arg, runs) {
  const bytes = new Uint8Array(fs.readFileSync(file));
  const n = Number(arg);
  let call;
  if (kind === 'turbo' || kind === 'scaled') {
    const a = await loadAdapters();
    call =
      kind === 'turbo' ? () => a.decodeJpegTurbo(bytes, n) : () => a.decodeJpegScaled(bytes, n);
  } else if (kind === 'jsquash') {
    const decode = await loadJsquash();
    call = () => decode(bytes.buffer.slice(0), { preserveOrientation: false });
  } else {
    const sharp = await loadSharp(kind);
    if (!sharp) return console.log(JSON.stringify({ kind, skipped: 'not installed' }));
    // Full decode to raw RGB(A) pixels; `n` > 1: libvips' shrink-on-load by 1/n.
    call = async () => {
      const img = n > 1 ? sharp(bytes, { jpeg: undefined }).jpeg() : sharp(bytes);
      const { info } = await (
        n > 1
          ? sharp(bytes).resize({
              width: Math.ceil(3000 / n),
              fastShrinkOnLoad: true,
              kernel: 'nearest',
            })
          : img
      )
        .raw()
        .toBuffer({ resolveWithObject: true });
      return info;
    };
  }
  const wall = [];
  const cpu = [];
  let size = '';
  let peak = 0;
  for (let i = 0; i < runs; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const out = await call();
    wall.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
    size = `${out.width}x${out.height}`;
    if (i === 0) peak = Math.max(0, ...memories.map((m) => m.buffer.byteLength));
  }
  console.log(
    JSON.stringify({
      kind,
      arg: n,
      size,
      minMs: Math.min(...wall),
      medianMs: median(wall),
      cpuMs: median(cpu),
      wasmMiB: peak / MiB,
    }),
  );
}

function bench(file) {
  const runs = process.env.RUNS ?? '7';
  const cases = [
    ['turbo', 8],
    ['turbo', 6],
    ['turbo', 4],
    ['turbo', 3],
    ['turbo', 2],
    ['scaled', 1],
    ['scaled', 2],
    ['scaled', 4],
    ['jsquash', 1],
    ['sharp', 1],
    ['sharp-wasm32', 1],
  ];
  console.log(`${path.basename(file)}, RUNS=${runs}, one child process per case`);
  console.log('| decoder | scale | output | wall min / median ms | CPU ms | wasm MiB |');
  console.log('|---|---|---|---|---|---|');
  for (const [kind, arg] of cases) {
    const out = execFileSync(
      process.execPath,
      [fileURLToPath(import.meta.url), '--case', kind, file, String(arg), runs],
      { encoding: 'utf8' },
    );
    const r = JSON.parse(out.trim().split('\n').pop());
    if (r.skipped) {
      console.log(`| ${kind} | | | ${r.skipped} | | |`);
      continue;
    }
    const scale = kind === 'turbo' ? `${arg}/8` : `1/${arg}`;
    const mem = kind.startsWith('sharp') ? '' : r.wasmMiB.toFixed(1);
    console.log(
      `| ${kind} | ${scale} | ${r.size} | ${r.minMs.toFixed(0)} / ${r.medianMs.toFixed(0)} | ${r.cpuMs.toFixed(0)} | ${mem} |`,
    );
  }
}

/** Largest per-sample difference and PSNR of two RGBA images (alpha ignored). */
function compare(a, b) {
  let max = 0;
  let se = 0;
  let differing = 0;
  for (let i = 0; i < a.length; i++) {
    if ((i & 3) === 3) continue;
    const d = Math.abs(a[i] - b[i]);
    if (d > max) max = d;
    if (d) differing++;
    se += d * d;
  }
  const n = (a.length / 4) * 3;
  const psnr = se === 0 ? Infinity : 10 * Math.log10((255 * 255) / (se / n));
  return { max, differing: differing / n, psnr };
}

/** The JPEG without its APP2 ICC_PROFILE segments (markers before the first SOS). */
function withoutIcc(b) {
  const parts = [b.subarray(0, 2)];
  let i = 2;
  while (i + 4 <= b.length && b[i] === 0xff && b[i + 1] !== 0xda) {
    const len = (b[i + 2] << 8) | b[i + 3];
    const icc =
      b[i + 1] === 0xe2 && String.fromCharCode(...b.subarray(i + 4, i + 15)) === 'ICC_PROFILE';
    if (!icc) parts.push(b.subarray(i, i + 2 + len));
    i += 2 + len;
  }
  parts.push(b.subarray(i));
  return Buffer.concat(parts);
}

function jpegsUnder(dir) {
  const out = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...jpegsUnder(p));
    else if (/\.jpe?g$/i.test(e.name)) out.push(p);
  }
  return out.sort();
}

async function check() {
  const a = await loadAdapters();
  const sharp = await loadSharp('sharp');
  let failures = 0;
  console.log('1/1 against sharp (native libjpeg-turbo) decode, RGB samples:');
  for (const file of jpegsUnder(images)) {
    const bytes = new Uint8Array(fs.readFileSync(file));
    const meta = await sharp(bytes).metadata();
    const img = a.decodeJpegTurbo(bytes, 8);
    const name = path.relative(images, file);
    if (meta.channels === 4) {
      console.log(`  ${name}: CMYK (sharp converts through a profile; see below)`);
      continue;
    }
    // Without its ICC profile, or sharp would convert the pixels to sRGB.
    const ref = await sharp(withoutIcc(bytes)).ensureAlpha().raw().toBuffer();
    const c = compare(img.data, ref);
    if (c.max > 2) failures++;
    console.log(
      `  ${name} ${img.width}x${img.height}: max ${c.max}, differing ${(c.differing * 100).toFixed(3)} %`,
    );
  }
  console.log('1/1 against @jsquash/jpeg (mozjpeg 3.3.1, the full decode it replaces):');
  const jsquash = await loadJsquash();
  for (const file of jpegsUnder(images)) {
    const bytes = new Uint8Array(fs.readFileSync(file));
    let ref;
    try {
      ref = await jsquash(
        bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
        {
          preserveOrientation: false,
        },
      );
    } catch (err) {
      console.log(`  ${path.relative(images, file)}: mozjpeg fails (${err.message})`);
      continue;
    }
    const c = compare(a.decodeJpegTurbo(bytes, 8).data, ref.data);
    if (c.max > 2) failures++;
    console.log(
      `  ${path.relative(images, file)}: max ${c.max}, differing ${(c.differing * 100).toFixed(3)} %`,
    );
  }
  console.log('M/8 against jpeg_scaled at the same size (1/2, 1/4, 1/8), PSNR dB:');
  for (const file of jpegsUnder(images)) {
    const bytes = new Uint8Array(fs.readFileSync(file));
    const row = [];
    for (const [m, d] of [
      [8, 1],
      [4, 2],
      [2, 4],
      [1, 8],
    ]) {
      const t = a.decodeJpegTurbo(bytes, m);
      const s = a.decodeJpegScaled(bytes, d);
      if (t.width !== s.width || t.height !== s.height) {
        failures++;
        row.push(`${m}/8 size ${t.width}x${t.height} vs ${s.width}x${s.height}`);
        continue;
      }
      row.push(`${m}/8 ${compare(t.data, s.data).psnr.toFixed(1)}`);
    }
    console.log(`  ${path.relative(images, file)}: ${row.join(', ')}`);
  }
  const fixtures = path.join(root, 'test', 'fixtures');
  for (const f of fs.readdirSync(fixtures).filter((f) => /\.jpe?g$/i.test(f))) {
    const bytes = new Uint8Array(fs.readFileSync(path.join(fixtures, f)));
    try {
      const t = a.decodeJpegTurbo(bytes, 8);
      const s = a.decodeJpegScaled(bytes, 1);
      const c = compare(t.data, s.data);
      console.log(`  fixture ${f} 1/1 vs jpeg_scaled: max ${c.max}, PSNR ${c.psnr.toFixed(1)}`);
    } catch (err) {
      console.log(`  fixture ${f}: ${err.message}`);
    }
  }
  console.log('bad inputs (each must throw DecodeError, the next decode must work):');
  const good = new Uint8Array(fs.readFileSync(path.join(images, 'exif', 'Landscape_1.jpg')));
  const bad = fs.existsSync(badImages)
    ? jpegsUnder(badImages).map((f) => [
        path.relative(badImages, f),
        new Uint8Array(fs.readFileSync(f)),
      ])
    : [];
  for (const cut of [100, 1000, 20_000, good.length - 2000])
    bad.push([`Landscape_1 cut at ${cut}`, good.subarray(0, cut)]);
  for (const [name, bytes] of bad) {
    let result;
    try {
      const img = a.decodeJpegTurbo(bytes, 8);
      result = `decoded ${img.width}x${img.height}`;
    } catch (err) {
      result = `${err.name}: ${err.message}`;
      if (err.name !== 'DecodeError') failures++;
    }
    const next = a.decodeJpegTurbo(good, 4);
    if (next.width !== 300) failures++;
    console.log(`  ${name}: ${result}`);
  }
  console.log(failures ? `${failures} FAILURES` : 'all checks passed');
  process.exitCode = failures ? 1 : 0;
}

const args = process.argv.slice(2);
if (args[0] === '--case') await runCase(args[1], args[2], args[3], Number(args[4] ?? 7));
else if (args[0] === '--check') await check();
else bench(args[0] ?? path.join(images, 'large', 'Carrie.jpg'));
