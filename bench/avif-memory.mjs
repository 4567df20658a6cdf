/**
 * Peak memory of AVIF variants in workerd (issue 13): for each variant of a 12 MP AVIF made
 * by sharp (phone/IMG_1063.JPG, 4032x3024, 8-bit 4:4:4 (sharp's default), quality 50), a fresh workerd runs
 * bench/avif-memory-worker.js (bundled like production by `wrangler deploy --dry-run`); the
 * source is stored, the peak RSS is reset, and one pipeline runs. Printed per variant: the
 * peak RSS above the idle workerd (VmHWM − idle VmRSS, MiB; compare with the planner's
 * estimate, which is also above an idle isolate)
 * and the wasm memory left per codec (our AVIF instance is dropped after a large decode: 0).
 *
 *   node bench/avif-memory.mjs [--alpha] [--420]   (--420: 4:2:0 chroma instead of 4:4:4)      (about a minute per variant on 2 cores)
 *
 * Memory figures only: times on a shared machine mean nothing (npm run bench has those).
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { BenchWorker } from './lib/ours.mjs';

const root = path.resolve(import.meta.dirname, '..');
const alpha = process.argv.includes('--alpha');
const yuv420 = process.argv.includes('--420');

/** Variants of the grid, as transform strings (presets resolved) and formats. */
const VARIANTS = [
  ['thumbnail', 'w=150,h=150,fit=cover', 'webp'],
  ['w=400,f=webp', 'w=400', 'webp'],
  ['w=800,f=webp', 'w=800', 'webp'],
  ['w=800,f=avif', 'w=800', 'avif'],
  ['w=800,f=jpeg', 'w=800', 'jpeg'],
  ['w=1600,f=webp', 'w=1600', 'webp'],
  ['large (w=1600,f=auto → avif)', 'w=1600', 'avif'],
  ['w=2000,h=2000,fit=cover,f=webp', 'w=2000,h=2000,fit=cover', 'webp'],
  ['w=800,f=auto (→ avif)', 'w=800', 'avif'],
];

const phone = path.join(root, '..', 'shared', 'images', 'phone', 'IMG_1063.JPG');
let img = sharp(phone);
if (alpha) img = img.ensureAlpha(0.5);
const source = new Uint8Array(
  await img
    .avif({ quality: 50, effort: 2, chromaSubsampling: yuv420 ? '4:2:0' : '4:4:4' })
    .toBuffer(),
);

const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'image-edge-avif-mem-'));
// A config of its own (wrangler.toml's Worker would be picked up otherwise).
const config = path.join(outdir, 'wrangler.toml');
fs.writeFileSync(
  config,
  `name = "avif-memory"\nmain = "${path.join(root, 'bench', 'avif-memory-worker.js')}"\n` +
    `compatibility_date = "2026-05-01"\ncompatibility_flags = ["nodejs_compat"]\n`,
);
const bundle = path.join(outdir, 'bundle');
await promisify(execFile)(
  path.join(root, 'node_modules', '.bin', 'wrangler'),
  ['deploy', '--dry-run', '--config', config, '--outdir', bundle],
  { cwd: root, env: { ...process.env, WRANGLER_SEND_METRICS: 'false' }, maxBuffer: 1 << 24 },
);
const built = fs.readdirSync(bundle).find((f) => f.endsWith('.js'));
if (built !== 'worker.js')
  fs.renameSync(path.join(bundle, built ?? ''), path.join(bundle, 'worker.js'));

console.log(
  `source: ${source.length} bytes AVIF, 4032x3024 ${yuv420 ? '4:2:0' : '4:4:4'}${alpha ? ' + alpha' : ''}`,
);
console.log('| variant | output | peak above idle, MiB | wasm MiB per codec |');
console.log('|---|---|---|---|');
for (const [name, t, f] of VARIANTS) {
  const w = await BenchWorker.start(root, bundle);
  try {
    await w.fetch('/input', { body: source });
    const idle = w.memory().rssMB;
    w.resetPeak();
    const { body } = await w.fetch(`/pipeline?t=${encodeURIComponent(t)}&f=${f}`, {
      method: 'POST',
    });
    const r = JSON.parse(new TextDecoder().decode(body));
    const peak = w.memory().hwmMB - idle;
    const wasm = Object.entries(r.wasm)
      .filter(([, v]) => v > 0)
      .map(([k, v]) => `${k} ${(v / 1048576).toFixed(1)}`)
      .join(', ');
    console.log(`| ${name} | ${r.width}x${r.height} ${r.format} | ${peak.toFixed(1)} | ${wasm} |`);
  } finally {
    await w.stop();
  }
}
