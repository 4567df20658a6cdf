#!/usr/bin/env node
/**
 * Encoder settings study (issue 14, sixth session): our JPEG and AVIF encoders of then (the
 * @jsquash/jpeg and @jsquash/avif wasm modules; AVIF is now encoded by wasm/avif_enc.wasm,
 * which bench/avif-enc-node.mjs compares with @jsquash/avif and sharp-wasm32) against
 * sharp-wasm32 and native sharp, in Node, on the bench's 800x1067 Carrie and a few photos of
 * ../shared/images. Per setting: output bytes, PSNR against the source pixels (RGB, decoded by
 * native sharp) and time (min and median of RUNS, the sides interleaved). Not part of
 * `npm run bench`; run by hand:
 *
 *   node bench/encoders-node.mjs [jpeg|avif] [--time]   bytes/PSNR on every image; with
 *                                                        --time, times on Carrie 800x1067
 *   node bench/encoders-node.mjs --workerd [fmt...]      the same encoder wasm, same input
 *                                                        and options, timed inside workerd
 *                                                        (bench/worker.js, encodeImage) and in
 *                                                        Node, beside sharp-wasm32, interleaved;
 *                                                        fmt: jpeg avif (@jsquash, as then),
 *                                                        rows (libjpeg-turbo fed rows,
 *                                                        src/codecs/jpeg-rows.ts) png
 *                                                        (src/codecs/png-enc.ts; @jsquash/png,
 *                                                        the encoder before it, beside), with
 *                                                        sharp at the bench's settings
 *
 * Env: RUNS (default 5); SIDES, a regular expression: only the settings whose label matches. Results feed docs/performance.md "Encoders against sharp-wasm32".
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultOptions as avifDefaults } from '@jsquash/avif/meta.js';
import { defaultOptions as jpegDefaults } from '@jsquash/jpeg/meta.js';
import { importBundle } from './lib/node-bundle.mjs';
import { BenchWorker, buildWorker } from './lib/ours.mjs';
import { loadSharpWasm32 } from './lib/sharp-wasm32.mjs';
import { decodeRaw, libvips, resizeRaw, sharp, sharpEncoder } from './lib/sharp-side.mjs';

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const images = process.env.IMAGES_DIR ?? path.resolve(root, '..', 'shared', 'images');
const RUNS = Number(process.env.RUNS ?? 5);
const argv = process.argv.slice(2);
const formats = argv.filter((a) => ['jpeg', 'avif', 'rows', 'png'].includes(a));
const timing = argv.includes('--time');
const inWorkerd = argv.includes('--workerd');

/** An @jsquash emscripten encoder, instantiated as wasm/index.ts does (output captured). */
async function jsquash(pkg, file) {
  const factory = (await import(`@jsquash/${pkg}/codec/enc/${file}.js`)).default;
  const wasm = new WebAssembly.Module(
    fs.readFileSync(require.resolve(`@jsquash/${pkg}/codec/enc/${file}.wasm`)),
  );
  const quiet = () => undefined;
  const api = await factory({
    noInitialRun: true,
    instantiateWasm(imports, done) {
      const i = new WebAssembly.Instance(wasm, imports);
      done(i);
      return i.exports;
    },
    print: quiet,
    printErr: quiet,
  });
  return api;
}

/** Photos at most 800 px wide (EXIF orientation applied), 3 channels, plus their RGBA. */
async function inputs() {
  const carrie = await decodeRaw(fs.readFileSync(path.join(images, 'large/Carrie.jpg')));
  const list = [['Carrie 800x1067 (bench)', await resizeRaw(carrie, 800, 1067)]];
  for (const rel of [
    'kodak/kodim01.png',
    'kodak/kodim05.png',
    'crop/flowers.jpeg',
    'phone/IMG_1063.JPG',
    'large/2569067123_aca715a2ee_o.jpg',
  ]) {
    const { data, info } = await sharp(path.join(images, rel))
      .rotate()
      .resize({ width: 800, withoutEnlargement: true, kernel: 'lanczos3' })
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    list.push([`${path.basename(rel)} ${info.width}x${info.height}`, { data, info }]);
  }
  const out = [];
  for (const [name, raw] of list) {
    const { width, height } = raw.info;
    const rgba = await sharp(raw.data, { raw: { width, height, channels: 3 } })
      .ensureAlpha()
      .raw()
      .toBuffer();
    out.push({ name, raw, rgba: new Uint8Array(rgba.buffer, rgba.byteOffset, rgba.length) });
  }
  return out;
}

/** PSNR in dB over RGB of an encoded file (decoded by native sharp) against 3-channel pixels. */
async function psnr(file, raw) {
  const { data, info } = await sharp(file)
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.width !== raw.info.width || info.height !== raw.info.height)
    throw new Error('PSNR: size mismatch');
  let sum = 0;
  for (let i = 0; i < data.length; i++) {
    const d = data[i] - raw.data[i];
    sum += d * d;
  }
  return 10 * Math.log10((255 * 255) / (sum / data.length));
}

/** JPEG structure: scans (SOS count), sampling of Y, first luma quant table entries. */
function jpegInfo(b) {
  let scans = 0;
  let sampling = '';
  let dqt0 = '';
  for (let i = 2; i + 4 <= b.length;) {
    if (b[i] !== 0xff) {
      i++;
      continue;
    }
    const m = b[i + 1];
    if (m === 0xd8 || m === 0x01 || (m >= 0xd0 && m <= 0xd7) || m === 0x00 || m === 0xff) {
      i += m === 0xff ? 1 : 2;
      continue;
    }
    if (m === 0xd9) break;
    const len = (b[i + 2] << 8) | b[i + 3];
    if (m === 0xda) scans++;
    if (m === 0xc0 || m === 0xc1 || m === 0xc2) {
      const s = b[i + 11];
      sampling = `${s >> 4}x${s & 15}${m === 0xc2 ? ' prog' : ' seq'}`;
    }
    if (m === 0xdb && !dqt0) dqt0 = [...b.subarray(i + 5, i + 13)].join(',');
    if (m === 0xda) {
      // skip entropy-coded data to the next marker
      i += 2 + len;
      while (
        i + 1 < b.length &&
        !(b[i] === 0xff && b[i + 1] !== 0x00 && !(b[i + 1] >= 0xd0 && b[i + 1] <= 0xd7))
      )
        i++;
      continue;
    }
    i += 2 + len;
  }
  return `${sampling}, ${scans} scans, Y q[0..7] ${dqt0}`;
}

const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];

/**
 * @param {{ name: string, raw: any, rgba: Uint8Array }} img
 * @param {[string, (img: any) => Promise<Uint8Array> | Uint8Array][]} sides
 */
async function measure(img, allSides, withTime) {
  const only = process.env.SIDES ? new RegExp(process.env.SIDES) : null;
  const sides = only ? allSides.filter(([n], i) => i === 0 || only.test(n)) : allSides;
  const rows = [];
  for (const [name, enc] of sides) {
    const out = await enc(img);
    // A setting that writes a corrupt file is reported, not fatal.
    const q = await psnr(out, img.raw).catch((e) => (console.log(`  ${name}: ${e.message}`), NaN));
    rows.push({ name, bytes: out.length, psnr: q, out, ms: [] });
  }
  if (withTime) {
    for (let r = 0; r < RUNS; r++)
      for (const row of rows) {
        const enc = sides.find(([n]) => n === row.name)[1];
        const t = performance.now();
        await enc(img);
        row.ms.push(performance.now() - t);
      }
  }
  return rows;
}

function print(img, rows, base, extra) {
  console.log(`\n${img.name}`);
  const b = rows.find((r) => r.name === base);
  for (const r of rows) {
    const t = r.ms.length
      ? `  min ${Math.min(...r.ms).toFixed(1)} med ${median(r.ms).toFixed(1)} ms (${(median(r.ms) / median(b.ms)).toFixed(2)}x)`
      : '';
    console.log(
      `  ${r.name.padEnd(44)} ${String(r.bytes).padStart(7)} B ${((r.bytes / b.bytes - 1) * 100).toFixed(1).padStart(6)} %  ${r.psnr.toFixed(2)} dB${t}${extra ? '  ' + extra(r.out) : ''}`,
    );
  }
}

const wasm32 = loadSharpWasm32();
if (!wasm32) throw new Error('bench/sharp-wasm32 is not installed');
const imgs = await inputs();
const todo = formats.length ? formats : ['jpeg', 'avif'];
const list = timing ? imgs.slice(0, 1) : imgs;

/** VmSize of a process, GiB (a wasm memory with trap-handler bounds checks reserves ~10 GiB). */
const vmSize = (pid) =>
  Number(/^VmSize:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 2 ** 20;

if (inWorkerd) {
  const img = imgs[0];
  const { width, height } = img.raw.info;
  const worker = await BenchWorker.start(root, await buildWorker(root));
  try {
    await worker.put('img', img.rgba, { width, height });
    const vm0 = vmSize(worker.pid);
    const moz = await jsquash('jpeg', 'mozjpeg_enc');
    const aom = await jsquash('avif', 'avif_enc');
    // Our own encoders, as src/ calls them, bundled for Node.
    const own = await importBundle(
      root,
      `export { rowSink } from './src/codecs/row-sink';
export { encodeImage } from './src/codecs/encode';`,
      'encoders-node-own.mjs',
    );
    const defaults = await worker.json('/defaults');
    const rgbaImg = { data: new Uint8ClampedArray(img.rgba.buffer), width, height };
    const n = width * 4;
    const rows = () =>
      own.rowSink({ format: 'jpeg', progressive: true }, undefined).rows(width, height, (rowAt) => {
        for (let y = 0; y < height; y++) rowAt(y).set(img.rgba.subarray(y * n, (y + 1) * n));
      });
    const pngjs = await import('@jsquash/png/codec/pkg/squoosh_png.js');
    pngjs.initSync(fs.readFileSync(require.resolve('@jsquash/png/codec/pkg/squoosh_png_bg.wasm')));
    /** The bench's sharp side on sharp-wasm32 (bench/lib/sharp-side.mjs `sharpEncoder`). */
    const bench32 = (fmt, rowsSettings = false) =>
      sharpEncoder(libvips('wasm32', wasm32).fromRaw(img.raw), fmt, defaults, rowsSettings);
    const jpegOpts = {
      ...jpegDefaults,
      quality: 82,
      progressive: true,
      auto_subsample: false,
      chroma_subsample: 2,
    };
    const avifOpts = { ...avifDefaults, quality: 50, speed: 9 };
    const w32 = (fmt) =>
      fmt === 'jpeg'
        ? wasm32(img.raw.data, { raw: { width, height, channels: 3 } }).jpeg({
            quality: 82,
            mozjpeg: true,
            chromaSubsampling: '4:2:0',
          })
        : wasm32(img.raw.data, { raw: { width, height, channels: 3 } }).avif({
            quality: 50,
            effort: 0,
            chromaSubsampling: '4:2:0',
            bitdepth: 8,
          });
    /**
     * Per format: the bench Worker's params, then the sides timed in Node (ours first).
     * @type {Record<string, { params: Record<string, string | number>, sides: [string, () => unknown][] }>}
     */
    const plans = {
      jpeg: {
        params: { format: 'jpeg' },
        sides: [
          ['Node', () => moz.encode(img.rgba, width, height, jpegOpts)],
          ['sharp-wasm32', () => w32('jpeg').toBuffer()],
        ],
      },
      avif: {
        params: { format: 'avif' },
        sides: [
          ['Node', () => aom.encode(img.rgba, width, height, avifOpts)],
          ['sharp-wasm32', () => w32('avif').toBuffer()],
        ],
      },
      rows: {
        params: { format: 'jpeg', rows: 1 },
        sides: [
          ['Node', rows],
          ['sharp-wasm32', () => bench32('jpeg', true).toBuffer()],
        ],
      },
      png: {
        params: { format: 'png' },
        sides: [
          ['Node', () => own.encodeImage(rgbaImg, 'png')],
          ['sharp-wasm32', () => bench32('png').toBuffer()],
          ['@jsquash/png in Node', () => pngjs.encode(img.rgba, width, height, 8)],
          [
            'sharp-wasm32 level 1',
            () => bench32('png').png({ compressionLevel: 1, adaptiveFiltering: false }).toBuffer(),
          ],
        ],
      },
    };
    for (const fmt of todo) {
      const { params, sides } = plans[fmt];
      /** @type {Record<string, number[]>} */
      const t = { workerd: [] };
      /** @type {Record<string, number>} */
      let bytes = {};
      for (let r = 0; r <= RUNS; r++) {
        const wd = await worker.run({ key: 'img', op: 'encode', ...params, reps: 1 });
        bytes = { workerd: wd.body.length };
        if (r > 0) t.workerd.push(wd.ms);
        for (const [name, run] of sides) {
          const t0 = performance.now();
          const out = /** @type {Uint8Array} */ (await run());
          const ms = performance.now() - t0;
          bytes[name] = out.length;
          if (r > 0) (t[name] ??= []).push(ms); // r = 0: warm-up
        }
      }
      const m = (k) => median(t[k]);
      const lo = (k) => Math.min(...t[k]);
      const ratio = (a, b, f) => `${a}/${b} ${(f(a) / f(b)).toFixed(2)}x`;
      const names = Object.keys(t);
      console.log(
        `${fmt} minima: ${names.map((k) => `${k} ${lo(k).toFixed(1)}`).join(', ')} ms; ` +
          `${ratio('workerd', 'Node', lo)}, ${ratio('Node', 'sharp-wasm32', lo)}`,
      );
      console.log(
        `${fmt} ${img.name}: ${names.map((k) => `${k} ${m(k).toFixed(1)} ms (${bytes[k]} B)`).join(', ')}; ` +
          `${ratio('workerd', 'Node', m)}, ${ratio('workerd', 'sharp-wasm32', m)}, ` +
          `${ratio('Node', 'sharp-wasm32', m)} (medians of ${RUNS})`,
      );
    }
    console.log(
      `workerd VmSize ${vm0.toFixed(1)} GiB before the encoders, ${vmSize(worker.pid).toFixed(1)} GiB after; Node ${vmSize(process.pid).toFixed(1)} GiB`,
    );
  } finally {
    await worker.stop();
  }
  process.exit(0);
}

if (todo.includes('jpeg')) {
  const moz = await jsquash('jpeg', 'mozjpeg_enc');
  // Exactly what src/codecs/encode.ts passes today.
  const ours = {
    ...jpegDefaults,
    quality: 82,
    progressive: true,
    auto_subsample: false,
    chroma_subsample: 2,
  };
  const o = (opts) => (img) =>
    moz.encode(img.rgba, img.raw.info.width, img.raw.info.height, { ...ours, ...opts });
  const s = (lib, opts) => (img) =>
    lib(img.raw.data, { raw: { ...img.raw.info, channels: 3 } })
      .jpeg({ quality: 82, chromaSubsampling: '4:2:0', ...opts })
      .toBuffer();
  const sides = [
    ['ours today', o({})],
    ['ours progressive:false (baseline, trellis on)', o({ progressive: false })],
    ['ours optimize_coding:false', o({ optimize_coding: false })],
    [
      'ours progressive:false optimize_coding:false',
      o({ progressive: false, optimize_coding: false }),
    ],
    ['ours trellis_opt_zero', o({ trellis_opt_zero: true })],
    ['wasm32 mozjpeg:true (bench)', s(wasm32, { mozjpeg: true })],
    ['wasm32 mozjpeg:true optimiseScans:false', s(wasm32, { mozjpeg: true, optimiseScans: false })],
    ['wasm32 mozjpeg:true trellis:false', s(wasm32, { mozjpeg: true, trellisQuantisation: false })],
    [
      'wasm32 mozjpeg:true overshoot:false',
      s(wasm32, { mozjpeg: true, overshootDeringing: false }),
    ],
    [
      'wasm32 q-table 3 progressive, no trellis/scans',
      s(wasm32, { quantisationTable: 3, progressive: true }),
    ],
    ['wasm32 default (libjpeg-turbo settings)', s(wasm32, {})],
    ['native mozjpeg:true (bench)', s(sharp, { mozjpeg: true })],
  ];
  for (const img of list) print(img, await measure(img, sides, timing), 'ours today', jpegInfo);
}

if (todo.includes('avif')) {
  const aom = await jsquash('avif', 'avif_enc');
  const ours = { ...avifDefaults, quality: 50, speed: 9 };
  const o = (opts) => (img) =>
    aom.encode(img.rgba, img.raw.info.width, img.raw.info.height, { ...ours, ...opts });
  const s = (lib, opts) => (img) =>
    lib(img.raw.data, { raw: { ...img.raw.info, channels: 3 } })
      .avif({ quality: 50, effort: 0, chromaSubsampling: '4:2:0', bitdepth: 8, ...opts })
      .toBuffer();
  const sides = [
    ['ours today (q50 speed 9, tune auto=ssim)', o({})],
    ['ours tune psnr', o({ tune: 1 })],
    ['ours speed 10', o({ speed: 10 })],
    ['ours tileColsLog2 1', o({ tileColsLog2: 1 })],
    ['wasm32 effort 0 4:2:0 (bench)', s(wasm32, {})],
    ['wasm32 effort 0 4:4:4 (sharp default)', s(wasm32, { chromaSubsampling: '4:4:4' })],
    ['native effort 0 4:2:0 (bench)', s(sharp, {})],
  ];
  for (const img of list) print(img, await measure(img, sides, timing), sides[0][0]);
}
