/**
 * Peak memory of PNG variants in workerd (issue 13's PNG cases): for each PNG kind made by
 * sharp from a phone photo, and each common variant, a fresh workerd (the bench Worker,
 * bench/worker.js, built as `wrangler deploy` bundles it) stores the PNG, resets its peak RSS
 * and runs the production pipeline once (probe + parseTransform + runPipeline). Prints a
 * Markdown table of VmHWM, MiB: the peak above the RSS right before the run (the input
 * already stored), and the wasm memory left per codec. Memory only: times on a shared
 * machine are not reported.
 *
 *   node bench/png-memory.mjs [kind ...]     (kinds: rgb8 rgb16 alpha interlaced palette flag16)
 */
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { BenchWorker, buildWorker } from './lib/ours.mjs';

const root = path.resolve(import.meta.dirname, '..');
const phone = path.join(root, '..', 'shared', 'images', 'phone', 'IMG_1063.JPG');
const phone8 = path.join(root, '..', 'shared', 'images', 'phone', 'IMG_6556.JPG');

/** @param {sharp.Sharp} img */
async function withRamp(img) {
  const { data, info } = await img.removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const ramp = Buffer.alloc(info.width * info.height);
  for (let y = 0; y < info.height; y++)
    for (let x = 0; x < info.width; x++)
      ramp[y * info.width + x] = Math.round((255 * x) / (info.width - 1));
  const raw = { width: info.width, height: info.height, channels: /** @type {3} */ (3) };
  return sharp(data, { raw }).joinChannel(ramp, { raw: { ...raw, channels: 1 } });
}

/** The PNG kinds, as test/codecs/png-scaled.test.ts makes them (vitest.config.ts). */
const KINDS = {
  rgb8: () => sharp(phone).rotate().png().toBuffer(),
  rgb16: () => sharp(phone).rotate().toColourspace('rgb16').png().toBuffer(),
  alpha: async () => (await withRamp(sharp(phone).rotate())).png().toBuffer(),
  interlaced: () => sharp(phone).rotate().png({ progressive: true }).toBuffer(),
  palette: async () =>
    (await withRamp(sharp(phone8).rotate()))
      .png({ palette: true, colours: 256, effort: 1 })
      .toBuffer(),
  flag16: () =>
    fs.promises.readFile(
      path.join(root, '..', 'shared', 'images', 'deep', 'Flag_of_the_Netherlands-16bit.png'),
    ),
};

const VARIANTS = [
  ['thumbnail', 'w=150,h=150,fit=cover', 'webp'],
  ['w=400,f=webp', 'w=400', 'webp'],
  ['w=800,f=jpeg', 'w=800', 'jpeg'],
  ['w=1600,f=webp', 'w=1600', 'webp'],
  ['large (w=1600, f=auto → webp)', 'w=1600', 'webp'],
  ['w=2000,h=2000,fit=cover,f=webp', 'w=2000,h=2000,fit=cover', 'webp'],
];

const kinds = process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(KINDS);
const outdir = await buildWorker(root);
console.log('| source | MB | variant | output | peak VmHWM MiB | above input stored | wasm MiB |');
console.log('| --- | --- | --- | --- | --- | --- | --- |');
for (const kind of kinds) {
  const make = KINDS[/** @type {keyof typeof KINDS} */ (kind)];
  if (!make) throw new Error(`unknown kind ${kind}`);
  const png = new Uint8Array(await make());
  const meta = await sharp(png).metadata();
  for (const [name, t, f] of VARIANTS) {
    if (name.startsWith('large') && t === 'w=1600' && kind !== 'rgb8') continue; // same as w=1600
    const worker = await BenchWorker.start(root, outdir);
    try {
      await worker.put('png', png);
      const before = worker.memory().rssMB;
      worker.resetPeak();
      const r = await worker.run({ key: 'png', op: 'pipeline', t, f, reps: 1 });
      const peak = worker.memory().hwmMB;
      const wasm = Object.values(r.wasm).reduce((a, b) => a + b, 0) / 2 ** 20;
      console.log(
        `| ${kind} ${meta.width}x${meta.height} | ${(png.length / 2 ** 20).toFixed(1)} | ${name} | ${r.width}x${r.height} | ${peak.toFixed(0)} | ${(peak - before).toFixed(0)} | ${wasm.toFixed(1)} |`,
      );
    } finally {
      await worker.stop();
    }
  }
}
fs.rmSync(outdir, { recursive: true, force: true });
