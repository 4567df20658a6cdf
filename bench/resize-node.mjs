#!/usr/bin/env node
/**
 * Node check and benchmark for src/codecs/resize.ts (wasm/resize.wasm) against sharp's
 * lanczos3, native and wasm32 (libvips, one thread).
 *
 *   node bench/resize-node.mjs            speed + memory: Carrie.jpg 3000x4000 RGBA →
 *                                         800x1067, each side in its own child process
 *                                         (fresh instance), in rounds, one process at a time
 *   node bench/resize-node.mjs --check    pixels against sharp's lanczos3 on the same RGBA
 *                                         (kodak, alpha, Carrie; reductions, enlargements)
 *   node bench/resize-node.mjs --case <ours|before|sharp|sharp-wasm32> <runs> [WxH]
 *
 * Env: RUNS (per process, default 5), ROUNDS (default 3), CHANNELS (3 or 4: see runCase),
 * BEFORE=<checkout> (adds a side `before`: that checkout's src/codecs/resize.ts, e.g. an
 * export of the commit before wasm/resize.wasm with its node_modules, for an A/B),
 * IMAGES_DIR.
 *
 * Time: medians of the wall and process CPU time of the calls after the first (a 2-core
 * machine shared with other jobs: read the ratios; CPU time is less disturbed by the load). Memory: ours, the largest wasm memory of any instance the
 * resizer made (its high-water mark: memory never shrinks); sharp-wasm32, its linear
 * memory's growth during the calls (libvips allocates there; it starts at 16 MiB).
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { importBundle } from './lib/node-bundle.mjs';
import { loadSharpWasm32 } from './lib/sharp-wasm32.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const images = process.env.IMAGES_DIR ?? path.resolve(here, '..', '..', 'shared', 'images');
const MiB = 1024 * 1024;

// Every wasm memory an instance exports, or that is created directly (sharp-wasm32's).
const memories = [];
const OrigMemory = WebAssembly.Memory;
const OrigInstance = WebAssembly.Instance;
WebAssembly.Instance = class extends OrigInstance {
  constructor(module, imports) {
    super(module, imports);
    for (const x of Object.values(this.exports)) if (x instanceof OrigMemory) memories.push(x);
  }
};
WebAssembly.Memory = class extends OrigMemory {
  constructor(desc) {
    super(desc);
    memories.push(this);
  }
};
const largestMemory = () => Math.max(0, ...memories.map((m) => m.buffer.byteLength));

/** Bundles `dir`'s src/codecs/resize.ts for Node. */
const loadOurs = (dir) =>
  importBundle(
    dir,
    `export { resizeImage } from './src/codecs/resize.ts';`,
    `resize-bench-${process.pid}.mjs`,
  );

/** A file decoded by sharp (upright) to RGBA8. */
async function rgba(file) {
  const { data, info } = await sharp(path.join(images, file))
    .rotate()
    .ensureAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  const { width, height } = info;
  return { data: new Uint8ClampedArray(data.buffer, data.byteOffset, data.length), width, height };
}

/** RGB8 of RGBA8 pixels. */
function dropAlpha(data) {
  const out = new Uint8ClampedArray((data.length / 4) * 3);
  for (let i = 0, o = 0; i < data.length; i += 4, o += 3) out.set(data.subarray(i, i + 3), o);
  return out;
}

/** `img` (RGBA8, or RGB8 with `channels: 3`) resized by `lib` (a sharp) with lanczos3. */
async function sharpResize(lib, img, w, h) {
  const raw = { width: img.width, height: img.height, channels: img.channels ?? 4 };
  const out = await lib(Buffer.from(img.data.buffer, img.data.byteOffset, img.data.length), { raw })
    .resize(w, h, { fit: 'fill', kernel: 'lanczos3' })
    .raw()
    .toBuffer();
  return {
    data: new Uint8ClampedArray(out.buffer, out.byteOffset, out.length),
    width: w,
    height: h,
  };
}

/** Timing and memory of one side, in this process. */
async function runCase(side, runs, w, h) {
  const img = await rgba('large/Carrie.jpg');
  // CHANNELS=3 (default): sharp resizes the RGB it decodes a JPEG to, as `npm run bench`'s
  // resize stage does; CHANNELS=4: sharp gets our RGBA (and premultiplies it).
  const rgb = process.env.CHANNELS !== '4';
  let call;
  if (side === 'ours' || side === 'before') {
    const { resizeImage } = await loadOurs(side === 'ours' ? root : process.env.BEFORE);
    call = () => resizeImage(img, w, h, { premultiply: false });
  } else {
    const lib = side === 'sharp' ? sharp : loadSharpWasm32();
    if (!lib) throw new Error('bench/sharp-wasm32 is not installed');
    if (side === 'sharp') {
      lib.concurrency(1);
      lib.cache(false);
    }
    const input = rgb ? { ...img, data: dropAlpha(img.data), channels: 3 } : img;
    call = () => sharpResize(lib, input, w, h);
  }
  const before = largestMemory();
  const ms = [];
  const cpu = [];
  for (let i = 0; i <= runs; i++) {
    const t = performance.now();
    const c = process.cpuUsage();
    const out = await call();
    ms.push(performance.now() - t);
    const { user, system } = process.cpuUsage(c);
    cpu.push((user + system) / 1000);
    if (out.data.length % (w * h) !== 0) throw new Error(`${side}: ${out.data.length} bytes`);
  }
  const memory = side === 'sharp' ? null : largestMemory() - (side === 'sharp-wasm32' ? before : 0);
  return { side, ms: ms.slice(1), cpu: cpu.slice(1), first: ms[0], memory };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Speed and memory, each side in child processes, in interleaved rounds. */
function bench() {
  const runs = Number(process.env.RUNS ?? 5);
  const rounds = Number(process.env.ROUNDS ?? 3);
  const size = '800x1067';
  const sides = ['ours', ...(process.env.BEFORE ? ['before'] : []), 'sharp', 'sharp-wasm32'];
  const all = Object.fromEntries(sides.map((s) => [s, { ms: [], cpu: [], memory: 0 }]));
  for (let r = 0; r < rounds; r++)
    for (const side of sides) {
      const out = execFileSync(
        process.execPath,
        [fileURLToPath(import.meta.url), '--case', side, String(runs), size],
        { encoding: 'utf8', env: process.env, maxBuffer: 1 << 20 },
      );
      const res = JSON.parse(out.trim().split('\n').pop());
      all[side].ms.push(...res.ms);
      all[side].cpu.push(...res.cpu);
      all[side].memory = Math.max(all[side].memory, res.memory ?? 0);
    }
  const m = Object.fromEntries(sides.map((s) => [s, median(all[s].ms)]));
  const c = Object.fromEntries(sides.map((s) => [s, median(all[s].cpu)]));
  console.log(
    `Carrie.jpg 3000x4000 RGBA → ${size} lanczos3 (sharp on ${process.env.CHANNELS === '4' ? 'RGBA' : 'RGB'}); node ${process.version}; ${rounds} rounds x ${runs} runs per side`,
  );
  for (const s of sides)
    console.log(
      `${s.padEnd(13)} wall median ${m[s].toFixed(1)} ms (min ${Math.min(...all[s].ms).toFixed(1)}), CPU median ${c[s].toFixed(1)} ms` +
        (s === 'sharp' ? '' : `, wasm memory ${(all[s].memory / MiB).toFixed(1)} MiB`),
    );
  for (const [what, x] of [
    ['wall', m],
    ['CPU', c],
  ])
    console.log(
      `${what}: ours / sharp ${(x.ours / x.sharp).toFixed(2)}x, ours / sharp-wasm32 ${(x.ours / x['sharp-wasm32']).toFixed(2)}x` +
        (x.before ? `, before / sharp-wasm32 ${(x.before / x['sharp-wasm32']).toFixed(2)}x` : ''),
    );
}

/** Per-channel differences between two RGBA8 images of one size. */
function diff(a, b) {
  let rgb = 0;
  let alpha = 0;
  let max = 0;
  let n = 0;
  for (let i = 0; i < a.data.length; i += 4) {
    for (let c = 0; c < 3; c++) {
      const d = Math.abs(a.data[i + c] - b.data[i + c]);
      // Colour under (nearly) zero alpha is invisible and undefined after unpremultiplying.
      if (a.data[i + 3] >= 16 || b.data[i + 3] >= 16) {
        rgb += d;
        max = Math.max(max, d);
        n++;
      }
    }
    alpha += Math.abs(a.data[i + 3] - b.data[i + 3]);
  }
  return { rgb: rgb / Math.max(1, n), alpha: alpha / (a.data.length / 4), max };
}

/** Pixels against sharp's lanczos3 on the same RGBA. */
async function check() {
  const { resizeImage } = await loadOurs(root);
  const cases = [
    ['kodak/kodim01.png', 300, 200],
    ['kodak/kodim01.png', 96, 64],
    ['kodak/kodim03.png', 513, 341],
    ['kodak/kodim03.png', 1536, 1024],
    ['kodak/kodim05.png', 1000, 300],
    ['large/Carrie.jpg', 800, 1067],
    ['large/Carrie.jpg', 1600, 2133],
    ['large/Carrie.jpg', 150, 200],
    ['alpha/blackbug.png', 200, 200],
    ['alpha/PNG_transparency_demonstration_1.png', 200, 150],
    ['alpha/PNG_transparency_demonstration_1.png', 1600, 1200],
    ['alpha/5_webp_a.webp', 100, 74],
  ];
  console.log(
    'file → size: mean |Δ| RGB (alpha ≥ 16), mean |Δ| alpha, max |Δ| RGB (ours vs sharp)',
  );
  for (const [file, w, h] of cases) {
    const img = await rgba(file);
    const ours = await resizeImage(img, w, h);
    const ref = await sharpResize(sharp, img, w, h);
    const d = diff(ours, ref);
    console.log(
      `${file} ${img.width}x${img.height} → ${w}x${h}: ${d.rgb.toFixed(2)} / ${d.alpha.toFixed(2)} / ${d.max}`,
    );
  }
}

const argv = process.argv.slice(2);
if (argv[0] === '--case') {
  const [w, h] = (argv[3] ?? '800x1067').split('x').map(Number);
  console.log(JSON.stringify(await runCase(argv[1], Number(argv[2] ?? 5), w, h)));
} else if (argv[0] === '--check') await check();
else bench();
