#!/usr/bin/env node
/**
 * Check for the progressive-coefficient patch of wasm/jpeg_scaled.wasm (wasm/README.md,
 * "Progressive JPEGs"): the patched module must decode every progressive JPEG to exactly the
 * pixels of the unpatched one at 1/1, 1/2, 1/4 and 1/8, and answer mutated files the same way.
 *
 *   node bench/jpeg-progressive-identity.mjs [--old <file.wasm | git revision>] [--fuzz N]
 *
 * --old: the reference module, a file or a git revision whose `wasm/jpeg_scaled.wasm` is read
 * with `git show` (default: the revision that introduced the patch's parent, `a0f4367`).
 * Inputs: every progressive JPEG under ../shared/images and ../shared/bad-images, the 24 MP
 * progressive grid source (scripts/lib/grid-sources.mjs), and progressive re-encodings made
 * here with sharp of every shared JPEG (shrunk to at most 1600 px first, to keep the run
 * short): libjpeg-turbo's progression (successive approximation) 4:2:0 and 4:4:4, mozjpeg's
 * optimised scans, greyscale and CMYK (4 components). --fuzz N (default
 * 300) mutates bytes of five small progressive files and compares both modules' status,
 * message and pixels; the one allowed difference is the unpatched module's
 * "Coefficient overflow" on a coefficient the patched one does not keep.
 * Prints one line per input and exits 1 on any other difference.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { GRID_SOURCES, sourcePath } from '../scripts/lib/grid-sources.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const shared = path.resolve(root, '..', 'shared');
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};

/** The reference module's bytes: a file, or `wasm/jpeg_scaled.wasm` at a git revision. */
function oldModuleBytes(ref) {
  if (fs.existsSync(ref)) return fs.readFileSync(ref);
  return execFileSync('git', ['show', `${ref}:wasm/jpeg_scaled.wasm`], {
    cwd: root,
    maxBuffer: 1 << 26,
  });
}

/** A raw binding of the module's C ABI (wasm/README.md), fresh instance after a trap. */
function binding(bytes) {
  const module = new WebAssembly.Module(bytes);
  let inst = null;
  let peak = 0;
  return {
    /** Decodes at 1/denom; returns { status, message, width, height, sha } or { trap }. */
    decode(input, denom) {
      inst ??= new WebAssembly.Instance(module, {}).exports;
      try {
        const ptr = inst.jpeg_alloc(input.length) >>> 0;
        new Uint8Array(inst.memory.buffer, ptr, input.length).set(input);
        const h = inst.jpeg_decode(ptr, input.length, denom, 0) >>> 0;
        const w = new Uint32Array(inst.memory.buffer, h, 11);
        const mem = inst.memory.buffer;
        const out = {
          status: w[0],
          width: w[1],
          height: w[2],
          message: new TextDecoder().decode(new Uint8Array(mem, w[9], w[10])),
          sha:
            w[0] === 0
              ? createHash('sha256')
                  .update(new Uint8Array(mem, w[3], w[4]))
                  .digest('hex')
              : '',
        };
        inst.jpeg_release();
        peak = Math.max(peak, mem.byteLength);
        return out;
      } catch (e) {
        inst = null;
        return { trap: String(e) };
      }
    },
    /** Drops the instance (the next call starts with fresh, small memory). */
    reset() {
      inst = null;
      peak = 0;
    },
    /** Largest linear memory seen since the last reset, bytes. */
    peak: () => peak,
  };
}

function isProgressive(buf) {
  let i = 2;
  while (i + 4 < buf.length) {
    if (buf[i] !== 0xff) return false;
    const m = buf[i + 1];
    if (m === 0xff) {
      i++;
      continue;
    }
    if (m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc)
      return m === 0xc2 || m === 0xc6;
    i += 2 + ((buf[i + 2] << 8) | buf[i + 3]);
  }
  return false;
}

function listJpegs(dir) {
  const out = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...listJpegs(p));
    else if (/\.jpe?g$/i.test(e.name)) out.push(p);
  }
  return out.sort();
}

/** Progressive inputs: [label, bytes]. */
async function inputs() {
  const out = [];
  const all = [
    ...listJpegs(path.join(shared, 'images')),
    ...listJpegs(path.join(shared, 'bad-images')),
  ];
  for (const file of all) {
    const bytes = fs.readFileSync(file);
    if (isProgressive(bytes)) out.push([path.relative(shared, file), bytes]);
  }
  const grid = GRID_SOURCES.find((s) => s.generated === 'jpeg-24mp-progressive.jpg');
  out.push(['grid: ' + grid.label, fs.readFileSync(await sourcePath(grid))]);
  for (const file of listJpegs(path.join(shared, 'images'))) {
    const bytes = fs.readFileSync(file);
    if (isProgressive(bytes)) continue;
    const name = path.relative(shared, file);
    const small = await sharp(bytes)
      .resize(1600, 1600, { fit: 'inside', withoutEnlargement: true })
      .toBuffer();
    const s = () => sharp(small);
    out.push([
      `${name} turbo 4:2:0`,
      await s().jpeg({ progressive: true, mozjpeg: false, quality: 85 }).toBuffer(),
    ]);
    out.push([
      `${name} turbo 4:4:4`,
      await s()
        .jpeg({ progressive: true, mozjpeg: false, quality: 95, chromaSubsampling: '4:4:4' })
        .toBuffer(),
    ]);
    out.push([`${name} mozjpeg`, await s().jpeg({ mozjpeg: true, quality: 80 }).toBuffer()]);
    out.push([
      `${name} grey`,
      await s().greyscale().jpeg({ progressive: true, quality: 90 }).toBuffer(),
    ]);
    out.push([
      `${name} CMYK`,
      await s().toColourspace('cmyk').jpeg({ progressive: true, quality: 90 }).toBuffer(),
    ]);
  }
  return out.filter(([, b]) => isProgressive(b));
}

function same(a, b) {
  return JSON.stringify(a) === JSON.stringify(b);
}

const oldRef = opt('--old', 'a0f4367');
const fuzzCount = Number(opt('--fuzz', '300'));
const oldMod = binding(oldModuleBytes(oldRef));
const newMod = binding(fs.readFileSync(path.join(root, 'wasm', 'jpeg_scaled.wasm')));
let failures = 0;
const list = await inputs();
const small = [];
for (const [label, bytes] of list) {
  const cells = [];
  for (const denom of [1, 2, 4, 8]) {
    oldMod.reset();
    newMod.reset();
    const a = oldMod.decode(bytes, denom);
    const b = newMod.decode(bytes, denom);
    const ok = same(a, b);
    if (!ok) failures++;
    const mib = (n) => (n / 2 ** 20).toFixed(1);
    cells.push(
      `1/${denom} ${ok ? 'same' : 'DIFF'} ${mib(oldMod.peak())}→${mib(newMod.peak())} MiB`,
    );
    if (!ok) console.log('  old', a, '\n  new', b);
  }
  console.log(`${label} (${bytes.length} B): ${cells.join(', ')}`);
  if (bytes.length < 60_000 && small.length < 5) small.push(bytes);
}

// Mutations: same status, message and pixels, but for the documented overflow case.
let rnd = 12345;
const next = () => (rnd = (Math.imul(rnd, 1103515245) + 12345) >>> 0);
let overflow = 0;
let compared = 0;
for (const base of small) {
  for (let n = 0; n < fuzzCount; n++) {
    const m = Buffer.from(base);
    const count = 1 + (next() % 4);
    for (let k = 0; k < count; k++) m[200 + (next() % (m.length - 200))] = next() & 0xff;
    for (const denom of [1, 2, 8]) {
      const a = oldMod.decode(m, denom);
      const b = newMod.decode(m, denom);
      compared++;
      if (same(a, b)) continue;
      if (denom !== 1 && /Coefficient overflow/.test(a.message ?? '')) {
        overflow++;
        continue;
      }
      failures++;
      console.log('mutation differs', denom, a, b);
    }
  }
}
console.log(
  `${list.length} inputs; ${compared} mutated decodes compared, ${overflow} allowed overflow differences`,
);
console.log(failures ? `FAIL: ${failures} differences` : 'OK: identical');
process.exit(failures ? 1 : 0);
