#!/usr/bin/env node
/**
 * Bytes, PSNR and wasm memory of the rows JPEG encoder (src/codecs/jpeg-rows.ts,
 * wasm/jpeg_turbo_enc.wasm: libjpeg-turbo 2.1.5) against mozjpeg (@jsquash/jpeg, today's
 * encoder, as src/codecs/encode.ts calls it) at the same quality, on photos resized by sharp
 * (lanczos3) to the sizes the service makes: two-pass progressive (`rows`) and baseline
 * (`rowsBaseline`), and single pass (`onePass`: baseline, standard Huffman tables). No timings.
 *
 *   node bench/jpeg-rows-node.mjs [quality...]    (default 82; our default JPEG quality)
 *
 * Images from ../shared (IMAGES_DIR overrides).
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultOptions as jpegDefaults } from '@jsquash/jpeg/meta.js';
import sharp from 'sharp';
import { importBundle } from './lib/node-bundle.mjs';

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const images = process.env.IMAGES_DIR ?? path.resolve(root, '..', 'shared', 'images');
const qualities = process.argv.slice(2).map(Number);
if (qualities.length === 0) qualities.push(82);

const CASES = [
  ['kodak/kodim01.png', 768],
  ['kodak/kodim05.png', 768],
  ['kodak/kodim23.png', 768],
  ['large/Carrie.jpg', 1600],
  ['phone/IMG_1063.JPG', 2000],
  ['phone/IMG_6556.JPG', 1600],
];

const memories = [];
const OrigInstance = WebAssembly.Instance;
WebAssembly.Instance = class extends OrigInstance {
  constructor(module, imports) {
    super(module, imports);
    const mem = Object.values(this.exports).find((x) => x instanceof WebAssembly.Memory);
    if (mem) memories.push(mem);
  }
};

async function mozjpeg() {
  const factory = (await import('@jsquash/jpeg/codec/enc/mozjpeg_enc.js')).default;
  const wasm = new WebAssembly.Module(
    fs.readFileSync(require.resolve('@jsquash/jpeg/codec/enc/mozjpeg_enc.wasm')),
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

/** PSNR (RGB) of a JPEG against the RGBA it was made from. */
async function psnr(jpeg, rgba) {
  const { data } = await sharp(jpeg).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  let se = 0;
  let n = 0;
  for (let i = 0; i < data.length; i += 4)
    for (let c = 0; c < 3; c++) {
      const d = data[i + c] - rgba[i + c];
      se += d * d;
      n++;
    }
  return 10 * Math.log10((255 * 255) / (se / n));
}

const ours = await importBundle(
  root,
  `export { encodeJpegRows } from './src/codecs/jpeg-rows.ts';`,
  'jpeg-rows-bench.mjs',
);
const moz = await mozjpeg();
const rows = [];
for (const [file, width] of CASES) {
  const src = path.join(images, file);
  if (!fs.existsSync(src)) continue;
  const { data, info } = await sharp(src)
    .rotate()
    .resize({ width, kernel: 'lanczos3' })
    .ensureAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  const rgba = new Uint8ClampedArray(data.buffer, data.byteOffset, data.length);
  for (const q of qualities) {
    const m = new Uint8Array(
      moz.encode(rgba, info.width, info.height, {
        ...jpegDefaults,
        quality: q,
        progressive: true,
        auto_subsample: false,
        chroma_subsample: 2,
      }),
    );
    const row = {
      image: file,
      size: `${info.width}x${info.height}`,
      q,
      mozjpeg: m.length,
      mozPsnr: +(await psnr(m, rgba)).toFixed(2),
    };
    for (const [key, progressive, singlePass] of [
      ['rows', true, false],
      ['rowsBaseline', false, false],
      ['onePass', false, true],
    ]) {
      const n = info.width * 4;
      const out = ours.encodeJpegRows(
        info.width,
        info.height,
        (rowAt) => {
          for (let y = 0; y < info.height; y++) rowAt(y).set(rgba.subarray(y * n, (y + 1) * n));
        },
        { quality: q, progressive, singlePass },
      );
      row[key] = out.length;
      row[`${key}Psnr`] = +(await psnr(out, rgba)).toFixed(2);
      row[`${key}VsMoz`] = `${(((out.length - m.length) / m.length) * 100).toFixed(1)}%`;
      row[`${key}WasmMiB`] = +(memories.at(-1).buffer.byteLength / 2 ** 20).toFixed(1);
    }
    row.onePassVsRows = `${(((row.onePass - row.rows) / row.rows) * 100).toFixed(1)}%`;
    rows.push(row);
  }
}
console.table(rows);
