#!/usr/bin/env node
/**
 * Check for the compact coefficient store of wasm/jpeg_turbo.wasm
 * (wasm/jpeg-turbo/progressive-kxk.patch; wasm/README.md, "Progressive JPEGs at M/8"): every
 * progressive JPEG decoded at 1/8..8/8 by the patched module against the unpatched one.
 * Expected: identical pixels at 8/8, for every baseline file, and wherever neither the IDCT
 * nor the chroma path changed (3/8; 1/8 and 5/8-7/8 without subsampled chroma); at 4/8 and
 * 2/8 (pure 4x4/2x2 IDCTs) and 5/8-7/8 of subsampled files (chroma upsampled) a PSNR, and for
 * 2/8 and 4/8 also each module's PSNR against a box reduction of the 8/8 decode.
 *
 *   node bench/jpeg-turbo-kxk-identity.mjs [--old <file.wasm | git revision>]
 *
 * --old: the reference module, a file or a git revision whose `wasm/jpeg_turbo.wasm` is read
 * with `git show` (default `50f2dd2`, the parent of the patch). Inputs: every JPEG under
 * ../shared/images that is progressive, test/fixtures/progressive-*.jpg, the 24 MP progressive
 * grid source, and progressive re-encodings made here with sharp of Cerkiew.jpg and Carrie.jpg
 * (4:2:0, 4:4:4, mozjpeg's scans, grey, an odd size). One line per input and scale.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { GRID_SOURCES, sourcePath } from '../scripts/lib/grid-sources.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const images = path.resolve(root, '..', 'shared', 'images');
const args = process.argv.slice(2);
const i = args.indexOf('--old');
const ref = i >= 0 ? (args[i + 1] ?? '') : '50f2dd2';

/** The reference module's bytes: a file, or `wasm/jpeg_turbo.wasm` at a git revision. */
const oldBytes = fs.existsSync(ref)
  ? fs.readFileSync(ref)
  : execFileSync('git', ['show', `${ref}:wasm/jpeg_turbo.wasm`], {
      cwd: root,
      maxBuffer: 1 << 26,
    });

/** A module instance (its WASI imports stubbed: never called). */
async function load(bytes) {
  const stub = () => 52; // ENOSYS
  const { instance } = await WebAssembly.instantiate(bytes, {
    wasi_snapshot_preview1: new Proxy({}, { get: () => stub }),
  });
  instance.exports._initialize();
  return instance.exports;
}

/** `jt_decode` at m/8: { width, height, data } (a copy), or null on an error status. */
function decode(ex, input, m) {
  const ptr = ex.jt_alloc(input.length);
  new Uint8Array(ex.memory.buffer, ptr, input.length).set(input);
  const at = ex.jt_decode(ptr, input.length, m, 0);
  const h = new Uint32Array(ex.memory.buffer, at, 11);
  if (h[0] !== 0) return null;
  const out = {
    width: h[1],
    height: h[2],
    data: new Uint8Array(ex.memory.buffer, h[3], h[4]).slice(),
  };
  ex.jt_release();
  return out;
}

/** PSNR of the R, G, B samples of two RGBA buffers, dB (Infinity when identical). */
function psnr(a, b) {
  let se = 0;
  for (let k = 0; k < a.length; k++) if (k % 4 !== 3) se += (a[k] - b[k]) ** 2;
  return se === 0 ? Infinity : 10 * Math.log10((65025 * a.length * 0.75) / se);
}

/** A box reduction by `s` of an RGBA image to `w` x `h` (the whole s x s cells), RGBA. */
function box(img, s, w, h) {
  const out = new Uint8Array(w * h * 4);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      for (let c = 0; c < 4; c++) {
        let sum = 0;
        for (let dy = 0; dy < s; dy++)
          for (let dx = 0; dx < s; dx++)
            sum += img.data[((y * s + dy) * img.width + x * s + dx) * 4 + c];
        out[(y * w + x) * 4 + c] = Math.round(sum / (s * s));
      }
  return out;
}

/** The part of an RGBA image inside `w` x `h` (top left). */
function cropTo(img, w, h) {
  const out = new Uint8Array(w * h * 4);
  for (let y = 0; y < h; y++)
    out.set(img.data.subarray(y * img.width * 4, (y * img.width + w) * 4), y * w * 4);
  return out;
}

const inputs = [];
for (const f of fs.readdirSync(images, { recursive: true })) {
  if (!/\.jpe?g$/i.test(f)) continue;
  const bytes = fs.readFileSync(path.join(images, f));
  if ((await sharp(bytes).metadata()).isProgressive) inputs.push([f, bytes]);
}
for (const f of ['progressive-420.jpg', 'progressive-444.jpg'])
  inputs.push([`fixtures/${f}`, fs.readFileSync(path.join(root, 'test', 'fixtures', f))]);
const grid = GRID_SOURCES.find((s) => s.label === '24 MP progressive JPEG');
inputs.push(['grid 24 MP progressive', fs.readFileSync(await sourcePath(grid))]);
for (const f of ['progressive/Cerkiew.jpg', 'large/Carrie.jpg']) {
  const base = sharp(path.join(images, f)).resize(1001, 1335, { fit: 'inside' });
  const made = {
    420: base.clone().jpeg({ quality: 90, progressive: true }),
    444: base.clone().jpeg({ quality: 95, progressive: true, chromaSubsampling: '4:4:4' }),
    mozjpeg: base.clone().jpeg({ quality: 80, progressive: true, mozjpeg: true }),
    grey: base.clone().grayscale().jpeg({ quality: 85, progressive: true }),
    odd: sharp(path.join(images, f))
      .resize(333, 251, { fit: 'fill' })
      .jpeg({ quality: 70, progressive: true, optimiseScans: true, mozjpeg: true }),
  };
  for (const [kind, pipeline] of Object.entries(made))
    inputs.push([`${f} re-encoded ${kind}`, new Uint8Array(await pipeline.toBuffer())]);
}

const before = await load(oldBytes);
const after = await load(fs.readFileSync(path.join(root, 'wasm', 'jpeg_turbo.wasm')));
for (const [name, bytes] of inputs) {
  const full = decode(before, bytes, 8);
  for (let m = 1; m <= 8; m++) {
    const a = decode(before, bytes, m);
    const b = decode(after, bytes, m);
    if (!a || !b) {
      console.log(`${name} ${m}/8: status ${a ? 0 : 'error'} → ${b ? 0 : 'error'}`);
      continue;
    }
    let line = `${name} ${m}/8 ${b.width}x${b.height}: `;
    const p = psnr(a.data, b.data);
    line += p === Infinity ? 'identical' : `PSNR ${p.toFixed(2)} dB against the unpatched module`;
    if (full && (m === 2 || m === 4)) {
      const s = 8 / m;
      const w = Math.floor(full.width / s);
      const h = Math.floor(full.height / s);
      const r = box(full, s, w, h);
      line += `; against a box reduction of 8/8: ${psnr(cropTo(a, w, h), r).toFixed(2)} → ${psnr(cropTo(b, w, h), r).toFixed(2)} dB`;
    }
    console.log(line);
  }
}
