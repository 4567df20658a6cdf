#!/usr/bin/env node
/**
 * The 12 MP PNG decode taken apart in Node (issue 14's PNG rows; docs/performance.md, "The
 * issue-14 table with the session-9 encoders"): png_scaled.wasm at full size
 * (src/codecs/png-scaled.ts: Debian's png 0.17.7, inflating with fdeflate 0.3.7 since issue 14; the
 * decoder of every PNG source), @jsquash/png (png 0.17.10, `decodeImage`'s), sharp-wasm32 and
 * native sharp (libspng + zlib), the sides interleaved, on two files of Carrie's pixels:
 * sharp's (zlib level 6, no filter: the bench's `decode-png-12mp`) and our encoder's (RGB,
 * Sub filter, level 1). Not part of `npm run bench`.
 *
 *   node bench/png-decode-node.mjs       (env RUNS, default 7; IMAGES_DIR)
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { importBundle } from './lib/node-bundle.mjs';
import { loadSharpWasm32 } from './lib/sharp-wasm32.mjs';
import { decodeRaw, fromRaw, libvips, native } from './lib/sharp-side.mjs';

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const images = process.env.IMAGES_DIR ?? path.resolve(root, '..', 'shared', 'images');
const RUNS = Number(process.env.RUNS ?? 7);

const wasm32Sharp = loadSharpWasm32();
if (!wasm32Sharp) throw new Error('bench/sharp-wasm32 is not installed');
const wasm32 = libvips('wasm32', wasm32Sharp);
const own = await importBundle(
  root,
  `export { decodePngResized } from './src/codecs/png-scaled';
export { encodeImage } from './src/codecs/encode';`,
  'png-decode-node.mjs',
);
const pngjs = await import('@jsquash/png/codec/pkg/squoosh_png.js');
pngjs.initSync(fs.readFileSync(require.resolve('@jsquash/png/codec/pkg/squoosh_png_bg.wasm')));

const raw = await decodeRaw(fs.readFileSync(path.join(images, 'large/Carrie.jpg')));
const { width, height } = raw.info;
const rgba = await fromRaw(raw).ensureAlpha().raw().toBuffer();
const files = {
  'sharp, level 6': new Uint8Array(await fromRaw(raw).png({ compressionLevel: 6 }).toBuffer()),
  'ours, level 1 Sub': await own.encodeImage(
    { data: new Uint8ClampedArray(rgba.buffer, rgba.byteOffset, rgba.length), width, height },
    'png',
  ),
};
const whole = { left: 0, top: 0, width, height };

/** @type {[string, (bytes: Uint8Array) => unknown][]} */
const sides = [
  ['png_scaled.wasm (ours)', (b) => own.decodePngResized(b, whole, width, height)],
  ['@jsquash/png', (b) => pngjs.decode(b)],
  ['sharp-wasm32', (b) => wasm32.decodeRaw(b)],
  ['native sharp', (b) => native.decodeRaw(b)],
];
const median = (/** @type {number[]} */ a) => [...a].sort((x, y) => x - y)[a.length >> 1] ?? NaN;

for (const [name, bytes] of Object.entries(files)) {
  /** @type {Record<string, number[]>} */
  const ms = {};
  for (let r = 0; r <= RUNS; r++)
    for (const [side, decode] of sides) {
      const t0 = performance.now();
      await decode(bytes);
      if (r > 0) (ms[side] ??= []).push(performance.now() - t0); // r = 0: warm-up
    }
  const base = median(ms['sharp-wasm32'] ?? []);
  console.log(`\n${name}: ${width}x${height}, ${bytes.length} B; medians (min) of ${RUNS}, ms`);
  for (const [side, t] of Object.entries(ms))
    console.log(
      `  ${side.padEnd(24)} ${median(t).toFixed(1).padStart(7)} (${Math.min(...t).toFixed(1)})  ${(median(t) / base).toFixed(2)}x sharp-wasm32`,
    );
}
