#!/usr/bin/env node
/**
 * Benchmark: our transform code inside workerd against sharp (libvips) in Node, side by side
 * on the same inputs, plus the cost table the planner reads. See docs/performance.md.
 *
 *   node bench/run.mjs                 every case; writes bench/results/<date>[-<label>].json,
 *                                      src/transform/cost-table.json and the table in
 *                                      docs/performance.md
 *   node bench/run.mjs --quick         a few cases, fewer runs (< 30 s); results file only
 *   node bench/run.mjs --no-update     full run without touching the cost table or the docs
 *   node bench/run.mjs --cases a,b     only these case ids (results file only)
 *   node bench/run.mjs --runs N        timed runs per case (default 7, AVIF cases 5)
 *   node bench/run.mjs --list          list the cases
 *
 * Env: BENCH_LABEL=before|after|… goes into the results file name; IMAGES_DIR overrides
 * ../shared/images (resolved from this file, so a fresh clone beside shared/ works).
 *
 * Method, per case: a fresh workerd (Miniflare) runs the bundle wrangler builds from
 * bench/worker.js; inputs are uploaded once; then one warm-up and N timed samples, ours and
 * sharp's interleaved (so background load hits both alike). Our time is measured inside
 * workerd with performance.now() (it advances during CPU work locally; checked at start);
 * sharp's with performance.now() in Node around the promise, libvips on one thread.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BenchWorker, buildWorker } from './lib/ours.mjs';
import { costTable, firstRequestTable, machine, round, summarize, table } from './lib/report.mjs';
import { loadSharpWasm32 } from './lib/sharp-wasm32.mjs';
import {
  decodeRaw,
  fromRaw,
  libvips,
  native,
  reference,
  resizeRaw,
  sharp,
  sharpEncoder,
  sharpVersion,
  ssimAgainst,
  ssimRaw,
} from './lib/sharp-side.mjs';
import { replaceResults, writeFormatted } from './lib/docs.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const images = process.env.IMAGES_DIR ?? path.resolve(root, '..', 'shared', 'images');

const argv = process.argv.slice(2);
const flag = (/** @type {string} */ name) => argv.includes(name);
const option = (/** @type {string} */ name) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const quick = flag('--quick');
const only = option('--cases')?.split(',');
const runsOverride = option('--runs') ? Number(option('--runs')) : undefined;
const label = (process.env.BENCH_LABEL ?? '').replace(/[^\w.-]+/g, '-');
const update = !quick && !only && !flag('--no-update');

/** @param {string} rel */
const read = (rel) => new Uint8Array(fs.readFileSync(path.join(images, rel)));

/** @typedef {import('./lib/sharp-side.mjs').Raw} Raw */
/** @typedef {import('./lib/sharp-side.mjs').Libvips} Libvips */

/** The third column: sharp on libvips in WebAssembly, when bench/sharp-wasm32 is installed. */
const wasm32Sharp = loadSharpWasm32();
const wasm32 = wasm32Sharp ? libvips('wasm32', wasm32Sharp) : null;
/**
 * One unit of work, done by both sides; a sample runs all units of a case (the Kodak set has 12).
 * @typedef {{
 *   name: string,
 *   input: { bytes: Uint8Array, raw?: { width: number, height: number } },
 *   params: Record<string, string | number>,
 *   sharp: (v: Libvips) => Promise<Buffer | Raw>,
 *   quality?: 'encoded' | 'raw',
 *   file?: Uint8Array,
 *   ref?: () => Promise<Raw>,
 *   jpegRows?: boolean,
 * }} Unit
 * `jpegRows`: sharp is given our rows encoder's JPEG settings (sharp-side.mjs `sharpEncoder`);
 * a pipeline unit's JPEG must then be planned on that encoder, and without it on mozjpeg
 * (checked on every sample against the plan the bench Worker reports).
 */
/**
 * @typedef {{
 *   id: string, title: string, kind: 'stage' | 'pipeline', quick?: boolean,
 *   costMP: number, runs?: number, reps?: number,
 *   units: (ctx: Ctx) => Promise<Unit[]>,
 *   keepOutput?: string,
 * }} Case
 */

/** Inputs shared by several cases, made on first use. */
class Ctx {
  constructor() {
    /** @type {Map<string, Promise<any>>} */
    this.memo = new Map();
    /** Our encoded outputs of earlier cases, by case id (decode-webp/avif use them). */
    /** @type {Map<string, Uint8Array>} */
    this.outputs = new Map();
    /** @type {{ quality: Record<string, number | null>, avifSpeed: number }} */
    this.defaults = { quality: {}, avifSpeed: 8 };
  }

  /** @template T @param {string} key @param {() => Promise<T>} make @returns {Promise<T>} */
  once(key, make) {
    if (!this.memo.has(key)) this.memo.set(key, make());
    return /** @type {Promise<T>} */ (this.memo.get(key));
  }

  carrie() {
    return read('large/Carrie.jpg');
  }

  /** Carrie decoded by sharp: 3000x4000, 3 channels. @returns {Promise<Raw>} */
  carrieRaw() {
    return this.once('carrieRaw', () => decodeRaw(this.carrie()));
  }

  /** The 800x1067 lanczos3 downscale of Carrie (3 channels): encode input and reference. */
  ref800() {
    return this.once('ref800', async () => resizeRaw(await this.carrieRaw(), 800, 1067));
  }

  /** The 1600x2133 lanczos3 downscale of Carrie (3 channels): the larger encode input. */
  ref1600() {
    return this.once('ref1600', async () => resizeRaw(await this.carrieRaw(), 1600, 2133));
  }

  /** @param {Raw} raw @returns {Promise<Uint8Array>} RGBA8, as our decoders produce */
  rgba(raw) {
    return fromRaw(raw)
      .ensureAlpha()
      .raw()
      .toBuffer()
      .then((b) => new Uint8Array(b.buffer, b.byteOffset, b.length));
  }
}

const CARRIE_MP = 12;
const OUT_MP = (800 * 1067) / 1e6;

/**
 * @param {Uint8Array} bytes @param {string} format
 * @param {boolean} [scaled] PNG: png_scaled.wasm (every PNG source's decoder), not @jsquash/png
 * @returns {Unit}
 */
const decodeUnit = (bytes, format, scaled = false) => ({
  name: format,
  input: { bytes },
  params: { op: 'decode', format, ...(scaled ? { scaled: 1 } : {}) },
  sharp: (v) => v.decodeRaw(bytes),
});

/**
 * Encode of Carrie's lanczos3 downscale to `width` (800x1067 or 1600x2133). The two sizes
 * give the planner the encoders' memory per output MP as a slope (bench/lib/report.mjs).
 * `rows` (JPEG): libjpeg-turbo fed the rows band by band (src/codecs/jpeg-rows.ts, the
 * streamed path's encoder where mozjpeg does not fit) instead of mozjpeg.
 * @param {'jpeg'|'png'|'webp'|'avif'} format @param {800|1600} [width] @param {boolean} [rows]
 * @returns {Case}
 */
const encodeCase = (format, width = 800, rows = false) => {
  const height = width === 800 ? 1067 : 2133;
  return {
    id: `encode-${format}${rows ? '-rows' : ''}-${width}w`,
    title: `encode ${format.toUpperCase()} ${width}x${height}${rows ? ' (libjpeg-turbo rows)' : ''}`,
    kind: 'stage',
    quick: format === 'jpeg' && width === 800 && !rows,
    costMP: (width * height) / 1e6,
    runs: format === 'avif' ? 5 : width === 800 ? undefined : 5,
    keepOutput: width === 800 && !rows ? format : undefined,
    async units(ctx) {
      const ref = await (width === 800 ? ctx.ref800() : ctx.ref1600());
      const rgba = await ctx.rgba(ref);
      return [
        {
          name: format,
          input: { bytes: rgba, raw: { width, height } },
          params: { op: 'encode', format, ...(rows ? { rows: 1 } : {}) },
          sharp: (v) => sharpEncoder(v.fromRaw(ref), format, ctx.defaults, rows).toBuffer(),
          quality: 'encoded',
          ref: async () => ref,
        },
      ];
    },
  };
};

/** @param {'webp'|'avif'} format @returns {Case} */
const decodeOwnOutputCase = (format) => ({
  id: `decode-${format}-0.85mp`,
  title: `decode ${format.toUpperCase()} 0.85 MP (our encode)`,
  kind: 'stage',
  costMP: OUT_MP,
  reps: 3,
  async units(ctx) {
    // Our own encoder's output when the encode case ran, else sharp's encode of the same pixels.
    const bytes =
      ctx.outputs.get(`encode-${format}-800w`) ??
      new Uint8Array(
        await sharpEncoder(fromRaw(await ctx.ref800()), format, ctx.defaults).toBuffer(),
      );
    return [decodeUnit(bytes, format)];
  },
});

/**
 * Decode of a 12 MP file in `format` made by sharp from Carrie's pixels (photo content at
 * original size; the coefficients in the cost table come from these). `scaled` (PNG): by
 * png_scaled.wasm, the decoder the pipeline uses for PNG sources, at full size.
 * @param {'png'|'webp'|'avif'} format @param {boolean} [scaled] @returns {Case}
 */
const decodeLargeCase = (format, scaled = false) => ({
  id: `decode-${format}-12mp${scaled ? '-scaled' : ''}`,
  title: `decode ${format.toUpperCase()} 12 MP (made by sharp${scaled ? '; png_scaled.wasm' : ''})`,
  kind: 'stage',
  costMP: CARRIE_MP,
  runs: format === 'avif' ? 5 : undefined,
  async units(ctx) {
    const raw = await ctx.carrieRaw();
    // Fast settings: only the decode is timed.
    /** @type {Record<string, () => sharp.Sharp>} */
    const make = {
      png: () => fromRaw(raw).png({ compressionLevel: 6 }),
      webp: () => fromRaw(raw).webp({ quality: 80, effort: 0 }),
      avif: () => fromRaw(raw).avif({ quality: 50, effort: 0, chromaSubsampling: '4:2:0' }),
    };
    const bytes = await ctx.once(
      `carrie.${format}`,
      async () => new Uint8Array(await make[format]().toBuffer()),
    );
    return [decodeUnit(bytes, format, scaled)];
  },
});

/** @param {1|2|4|8} denom @returns {Case} */
const scaledCase = (denom) => ({
  id: `decode-jpeg-12mp-scaled-${denom}`,
  title: `decode JPEG 12 MP at 1/${denom} (${denom === 1 ? 'JPEG module' : 'shrink-on-load'})`,
  kind: 'stage',
  costMP: CARRIE_MP,
  async units(ctx) {
    const bytes = ctx.carrie();
    return [
      {
        name: `1/${denom}`,
        input: { bytes },
        params: { op: 'decode-scaled', denom },
        // libvips shrinks on load by the same factor when asked for exactly 1/denom.
        sharp: (v) =>
          v
            .sharp(bytes)
            .resize(Math.ceil(3000 / denom), Math.ceil(4000 / denom), { fit: 'fill' })
            .raw()
            .toBuffer(),
      },
    ];
  },
});

/**
 * libjpeg-turbo at m/8 (src/codecs/jpeg-turbo.ts); sharp makes the same size (libvips
 * shrinks on load by a power of two, then reduces).
 * @param {number} m @returns {Case}
 */
const turboCase = (m) => ({
  id: `decode-jpeg-12mp-turbo-${m}`,
  title: `decode JPEG 12 MP at ${m}/8 (libjpeg-turbo)`,
  kind: 'stage',
  costMP: CARRIE_MP,
  async units(ctx) {
    const bytes = ctx.carrie();
    const [w, h] = [Math.ceil((3000 * m) / 8), Math.ceil((4000 * m) / 8)];
    return [
      {
        name: `${m}/8`,
        input: { bytes },
        params: { op: 'decode-turbo', m },
        sharp: (v) =>
          (m === 8 ? v.sharp(bytes) : v.sharp(bytes).resize(w, h, { fit: 'fill' }))
            .raw()
            .toBuffer(),
      },
    ];
  },
});

/**
 * A whole pipeline: probe, parseTransform(`t`), runPipeline(…, format) in workerd; sharp's
 * equivalent `sharp(file).rotate().resize({ width }).<format>()`. `rows`: a JPEG the planner
 * sends to the rows encoder (transform/fallback.ts), sharp with its settings.
 * @param {string} id @param {string} title @param {string[]} files @param {number} width
 * @param {'jpeg'|'webp'|'avif'} format @param {Partial<Case> & { rows?: boolean }} [extra]
 * @returns {Case}
 */
const pipelineCase = (id, title, files, width, format, { rows = false, ...extra } = {}) => ({
  id,
  title,
  kind: 'pipeline',
  costMP: 0,
  ...extra,
  async units(ctx) {
    return files.map((rel) => {
      const file = read(rel);
      return {
        name: path.basename(rel),
        input: { bytes: file },
        params: { op: 'pipeline', t: `w=${width}`, f: format },
        sharp: (v) =>
          sharpEncoder(
            v.sharp(file).rotate().resize({ width }),
            format,
            ctx.defaults,
            rows,
          ).toBuffer(),
        quality: 'encoded',
        file,
        jpegRows: rows,
      };
    });
  },
});

const kodak = Array.from(
  { length: 12 },
  (_, i) => `kodak/kodim${String(i + 1).padStart(2, '0')}.png`,
);

/**
 * The memory table (docs/performance.md): Carrie.jpg downscaled by sharp (lanczos3) to
 * `mp` megapixels at 3:4, stored as JPEG (q 90) or PNG, then our whole pipeline to an
 * 800 px WebP. Peak RSS and wasm memory per case set the inline ceiling.
 * @param {'jpeg'|'png'} format @param {number} mp @returns {Case}
 */
const memoryCase = (format, mp) => ({
  id: `mem-${format}-${mp}mp`,
  title: `memory: ${format.toUpperCase()} ${mp} MP → 800w WebP`,
  kind: 'pipeline',
  costMP: 0,
  runs: 3,
  async units(ctx) {
    const width = Math.round(Math.sqrt((mp * 1e6 * 3) / 4));
    const height = Math.round((width * 4) / 3);
    const resized = sharp(ctx.carrie()).resize(width, height);
    const file = new Uint8Array(
      await (format === 'jpeg' ? resized.jpeg({ quality: 90 }) : resized.png()).toBuffer(),
    );
    const out = Math.min(800, width);
    return [
      {
        name: `${width}x${height}.${format}`,
        input: { bytes: file },
        params: { op: 'pipeline', t: `w=${out}`, f: 'webp' },
        sharp: (v) =>
          sharpEncoder(v.sharp(file).resize({ width: out }), 'webp', ctx.defaults).toBuffer(),
        quality: 'encoded',
        file,
      },
    ];
  },
});

/** Every case, in run order (encodes before the decodes that read their output). */
/** @type {Case[]} */
const CASES = [
  {
    id: 'decode-jpeg-12mp',
    title: 'decode JPEG 12 MP',
    kind: 'stage',
    costMP: CARRIE_MP,
    units: async (ctx) => [decodeUnit(ctx.carrie(), 'jpeg')],
  },
  {
    id: 'decode-jpeg-0.4mp',
    title: 'decode JPEG 0.43 MP',
    kind: 'stage',
    quick: true,
    costMP: (800 * 533) / 1e6,
    reps: 5,
    units: async () => [decodeUnit(read('small/Giunchedi_Filippo_January_2015_01.jpg'), 'jpeg')],
  },
  {
    id: 'decode-png-0.4mp',
    title: 'decode PNG 0.39 MP',
    kind: 'stage',
    quick: true,
    costMP: (768 * 512) / 1e6,
    reps: 3,
    units: async () => [decodeUnit(read('kodak/kodim01.png'), 'png')],
  },
  decodeLargeCase('png'),
  decodeLargeCase('png', true),
  decodeLargeCase('webp'),
  decodeLargeCase('avif'),
  {
    // Lossless WebP: libwebp 1.5.0's VP8L decoder (wasm/libwebp.wasm, src/codecs/webp.ts).
    id: 'decode-webp-lossless-3mp',
    title: 'decode lossless WEBP 3 MP',
    kind: 'stage',
    costMP: 3,
    reps: 1,
    async units(ctx) {
      const bytes = await ctx.once(
        'carrie3mp.lossless.webp',
        async () =>
          new Uint8Array(
            await sharp(ctx.carrie())
              .resize(1500, 2000)
              .webp({ lossless: true, effort: 0 })
              .toBuffer(),
          ),
      );
      return [decodeUnit(bytes, 'webp')];
    },
  },
  scaledCase(1),
  scaledCase(2),
  scaledCase(4),
  scaledCase(8),
  turboCase(8),
  turboCase(6),
  turboCase(4),
  turboCase(3),
  {
    id: 'resize-12mp-800w',
    title: 'resize 12 MP → 800x1067 (lanczos3)',
    kind: 'stage',
    costMP: CARRIE_MP,
    async units(ctx) {
      const raw = await ctx.carrieRaw();
      const rgba = await ctx.rgba(raw);
      return [
        {
          name: 'resize',
          input: { bytes: rgba, raw: { width: 3000, height: 4000 } },
          params: { op: 'resize', w: 800, h: 1067 },
          sharp: (v) => v.resizeRaw(raw, 800, 1067),
          quality: 'raw',
          ref: () => ctx.ref800(),
        },
      ];
    },
  },
  encodeCase('webp'),
  encodeCase('avif'),
  encodeCase('jpeg'),
  encodeCase('jpeg', 800, true),
  encodeCase('png'),
  encodeCase('webp', 1600),
  encodeCase('avif', 1600),
  encodeCase('jpeg', 1600),
  encodeCase('jpeg', 1600, true),
  encodeCase('png', 1600),
  decodeOwnOutputCase('webp'),
  decodeOwnOutputCase('avif'),
  {
    id: 'decode-gif-0.85mp',
    title: 'decode GIF 0.85 MP',
    kind: 'stage',
    costMP: OUT_MP,
    reps: 3,
    async units(ctx) {
      const gif = await sharpEncoder(fromRaw(await ctx.ref800()), 'gif', ctx.defaults).toBuffer();
      return [decodeUnit(new Uint8Array(gif), 'gif')];
    },
  },
  pipelineCase(
    'pipe-carrie-webp-800',
    'pipeline 12 MP JPEG → 800w WebP',
    ['large/Carrie.jpg'],
    800,
    'webp',
    {
      quick: true,
    },
  ),
  pipelineCase(
    'pipe-carrie-webp-1600',
    'pipeline 12 MP JPEG → 1600w WebP (the large preset)',
    ['large/Carrie.jpg'],
    1600,
    'webp',
  ),
  pipelineCase(
    'pipe-small-webp-400',
    'pipeline 0.43 MP JPEG → 400w WebP',
    ['small/Giunchedi_Filippo_January_2015_01.jpg'],
    400,
    'webp',
  ),
  pipelineCase(
    'pipe-flickr-jpeg-1200',
    'pipeline 6 MP JPEG → 1200w JPEG',
    ['large/2569067123_aca715a2ee_o.jpg'],
    1200,
    'jpeg',
  ),
  pipelineCase(
    'pipe-carrie-jpeg-1600',
    'pipeline 12 MP JPEG → 1600w JPEG (libjpeg-turbo rows)',
    ['large/Carrie.jpg'],
    1600,
    'jpeg',
    { rows: true },
  ),
  pipelineCase(
    'pipe-kodak-avif-400',
    'pipeline 12 Kodak PNGs → 400w AVIF (sum)',
    kodak,
    400,
    'avif',
    {
      runs: 5,
    },
  ),
  pipelineCase(
    'pipe-blackbug-webp-300',
    'pipeline 3 MP alpha PNG → 300w WebP',
    ['alpha/blackbug.png'],
    300,
    'webp',
    {
      quick: true,
    },
  ),
  ...[1, 2, 4, 6, 12].flatMap((mp) => [memoryCase('jpeg', mp), memoryCase('png', mp)]),
];

/**
 * A 16x16 stand-in for a unit: same op and format, so it instantiates the same codecs.
 * @param {Unit} u @returns {Promise<Pick<Unit, 'input' | 'params'>>}
 */
async function tinyOf(u) {
  if (u.input.raw) {
    const bytes = new Uint8Array(16 * 16 * 4).fill(128);
    const params = u.params.op === 'resize' ? { ...u.params, w: 8, h: 8 } : u.params;
    return { input: { bytes, raw: { width: 16, height: 16 } }, params };
  }
  const meta = await sharp(u.input.bytes).metadata();
  const small = sharp(u.input.bytes).resize(16, 16, { fit: 'fill' });
  /** @type {Record<string, () => sharp.Sharp>} */
  const encoders = {
    jpeg: () => small.jpeg(),
    png: () => small.png(),
    webp: () => small.webp(),
    heif: () => small.avif(),
    gif: () => small.gif(),
  };
  const encode = encoders[meta.format ?? ''];
  if (!encode) throw new Error(`no tiny stand-in for ${String(meta.format)}`);
  const bytes = new Uint8Array(await encode().toBuffer());
  const params = u.params.op === 'pipeline' ? { ...u.params, t: 'w=8' } : u.params;
  return { input: { bytes }, params };
}

/** @param {Buffer | Raw} out @returns {out is Raw} */
const isRaw = (out) => !Buffer.isBuffer(out);

/**
 * Runs one case: fresh workerd, uploads, warm-up, interleaved timed samples, quality, memory.
 * @param {Case} c @param {Ctx} ctx @param {string} outdir
 */
async function runCase(c, ctx, outdir) {
  const units = await c.units(ctx);
  const runs = runsOverride ?? (quick ? 3 : (c.runs ?? 7));
  const reps = c.reps ?? 1;
  const started = performance.now();
  const worker = await BenchWorker.start(root, outdir);
  const startMs = performance.now() - started;
  try {
    // Loopback overhead of a request (Node → Miniflare → workerd → back), for the record.
    const noop = [];
    for (let i = 0; i < 20; i++) {
      const t0 = performance.now();
      await worker.fetch('/noop');
      noop.push(performance.now() - t0);
    }
    const idle = worker.memory();
    // Instantiate the codecs on a 16x16 input first, so the peak below is what the image
    // size costs; `ready - idle` is the fixed cost of the codec instances. The first unit's
    // 16x16 run is the first request of its kind in a fresh isolate (lazy instantiation and
    // V8's lazy compilation of the wasm functions it calls); its repeat is the same work warm.
    /** @type {{ ms: number, wallMs: number, againMs: number, againWallMs: number } | undefined} */
    let firstRequest;
    for (const [i, u] of units.entries()) {
      const tiny = await tinyOf(u);
      await worker.put(`tiny${i}`, tiny.input.bytes, tiny.input.raw);
      const first = await worker.run({ key: `tiny${i}`, ...tiny.params });
      if (i > 0) continue;
      const again = await worker.run({ key: `tiny${i}`, ...tiny.params });
      firstRequest = {
        ms: first.ms,
        wallMs: round(first.wallMs, 1) ?? NaN,
        againMs: again.ms,
        againWallMs: round(again.wallMs, 1) ?? NaN,
      };
    }
    await worker.fetch('/clear', { method: 'POST' });
    const ready = worker.memory();
    const readyWasm = /** @type {Record<string, number>} */ (await worker.json('/mem'));
    for (const [i, u] of units.entries()) await worker.put(`u${i}`, u.input.bytes, u.input.raw);
    worker.resetPeak(); // the peak from here on: inputs held + processing

    /** @type {{ ms: number[], wallMs: number[], sharp: number[], wasm32: number[], stages: Record<string, number>[] }} */
    const samples = { ms: [], wallMs: [], sharp: [], wasm32: [], stages: [] };
    /** @type {Awaited<ReturnType<BenchWorker['run']>>[]} */
    let lastOurs = [];
    /** @type {(Buffer | Raw)[]} */
    let lastSharp = [];
    /** @type {{ hwmMB: number, rssMB: number } | undefined} */
    let peak;
    for (let r = -1; r < runs; r++) {
      // Ours: all units, summed. The warm-up (r = -1) does one repetition and gives the peak
      // RSS of one operation per unit (later samples would add uncollected garbage).
      const n = r < 0 ? 1 : reps;
      let ms = 0;
      let wall = 0;
      /** @type {Record<string, number>} */
      const stages = {};
      lastOurs = [];
      for (const [i, u] of units.entries()) {
        const res = await worker.run({ key: `u${i}`, reps: n, ...u.params });
        if (res.plan && u.params.f === 'jpeg' && res.plan.jpegRows !== Boolean(u.jpegRows))
          throw new Error(
            `${u.name}: planned ${res.plan.jpegRows ? 'on the rows encoder' : 'on mozjpeg'}, sharp has the other's settings`,
          );
        ms += res.ms / n;
        wall += res.wallMs / n;
        for (const [k, v] of Object.entries(res.timings ?? {})) stages[k] = (stages[k] ?? 0) + v;
        lastOurs.push(res);
      }
      if (r < 0) peak = worker.memory();
      // sharp, native then wasm32: the same units, same number of repetitions.
      /** @type {Record<string, number>} */
      const sharpMs = {};
      for (const lib of wasm32 ? [native, wasm32] : [native]) {
        sharpMs[lib.name] = 0;
        /** @type {(Buffer | Raw)[]} */
        const outs = [];
        for (const u of units) {
          const t0 = performance.now();
          /** @type {Buffer | Raw | undefined} */
          let out;
          for (let k = 0; k < n; k++) out = await u.sharp(lib);
          sharpMs[lib.name] += (performance.now() - t0) / n;
          if (out) outs.push(out);
        }
        if (lib === native) lastSharp = outs;
      }
      if (r < 0) continue; // warm-up
      samples.ms.push(ms);
      samples.wallMs.push(wall);
      samples.sharp.push(sharpMs.native ?? NaN);
      if (wasm32) samples.wasm32.push(sharpMs.wasm32 ?? NaN);
      if (Object.keys(stages).length) samples.stages.push(stages);
    }
    if (!peak) throw new Error('no warm-up run');
    const wasm = /** @type {Record<string, number>} */ (await worker.json('/mem'));

    // Output bytes and quality (outside the timed loop).
    let oursBytes = 0;
    let sharpBytes = 0;
    /** @type {number[]} */
    const oursSsim = [];
    /** @type {number[]} */
    const sharpSsim = [];
    /** @type {string[]} */
    const sizes = [];
    for (const [i, u] of units.entries()) {
      const ours = lastOurs[i];
      const theirs = lastSharp[i];
      if (!ours || !theirs) continue;
      sizes.push(`${ours.width}x${ours.height}`);
      if (u.quality === 'encoded' && !isRaw(theirs)) {
        oursBytes += ours.body.length;
        sharpBytes += theirs.length;
        const ref = u.ref
          ? await u.ref()
          : await reference(/** @type {Uint8Array} */ (u.file), ours.width, ours.height);
        oursSsim.push(await ssimAgainst(ours.body, ref));
        const meta = await sharp(theirs).metadata();
        const sharpRef =
          (meta.width === ours.width && meta.height === ours.height) || !u.file
            ? ref
            : await reference(
                /** @type {Uint8Array} */ (u.file),
                meta.width ?? 0,
                meta.height ?? 0,
              );
        sharpSsim.push(await ssimAgainst(theirs, sharpRef));
        if (c.keepOutput) ctx.outputs.set(c.id, ours.body);
      } else if (u.quality === 'raw' && isRaw(theirs) && u.ref) {
        const ref = await u.ref();
        const out = await worker.run({ key: `u${i}`, ...u.params, out: 1 });
        const oursRaw = {
          data: Buffer.from(out.body),
          info: { width: out.width, height: out.height, channels: /** @type {4} */ (4) },
        };
        oursSsim.push(await ssimRaw(oursRaw, ref));
        sharpSsim.push(await ssimRaw(/** @type {Raw} */ (theirs), ref));
      }
    }
    const mean = (/** @type {number[]} */ xs) =>
      xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : undefined;

    const oursMs = summarize(samples.ms);
    const sharpMs = summarize(samples.sharp);
    const wasm32Ms = samples.wasm32.length ? summarize(samples.wasm32) : undefined;
    /** @type {Record<string, number>} */
    const stageMedians = {};
    for (const k of Object.keys(samples.stages[0] ?? {}))
      stageMedians[k] = round(summarize(samples.stages.map((s) => s[k] ?? 0)).median, 1) ?? 0;
    return {
      id: c.id,
      title: c.title,
      kind: c.kind,
      units: units.map((u) => u.name),
      outputSize: [...new Set(sizes)].join(', '),
      runs,
      warmup: 1,
      reps,
      costMP: c.costMP,
      ours: {
        ms: roundStats(oursMs),
        wallMs: roundStats(summarize(samples.wallMs)),
        samples: samples.ms.map((x) => round(x, 2)),
        stageMs: Object.keys(stageMedians).length ? stageMedians : undefined,
        plans: plansOf(lastOurs),
        bytes: oursBytes || undefined,
        ssim: round(mean(oursSsim) ?? NaN, 4) ?? undefined,
        idleRssMB: round(idle.rssMB, 1),
        readyRssMB: round(ready.rssMB, 1),
        peakRssMB: round(peak.hwmMB, 1),
        readyWasm,
        wasm,
        noopMs: roundStats(summarize(noop)),
        startMs: round(startMs, 0),
        firstRequest,
      },
      sharp: {
        ms: roundStats(sharpMs),
        samples: samples.sharp.map((x) => round(x, 2)),
        bytes: sharpBytes || undefined,
        ssim: round(mean(sharpSsim) ?? NaN, 4) ?? undefined,
      },
      wasm32: wasm32Ms && {
        ms: roundStats(wasm32Ms),
        samples: samples.wasm32.map((x) => round(x, 2)),
      },
      ratio: round(oursMs.median / sharpMs.median, 2),
      ratioWasm32: wasm32Ms ? round(oursMs.median / wasm32Ms.median, 2) : undefined,
    };
  } finally {
    await worker.stop();
  }
}

/**
 * The distinct shapes a pipeline case ran (the bench Worker's `x-plan`), or undefined.
 * @param {{ plan?: unknown }[]} runs
 */
function plansOf(runs) {
  const plans = [...new Set(runs.flatMap((r) => (r.plan ? [JSON.stringify(r.plan)] : [])))];
  return plans.length ? plans.map((p) => JSON.parse(p)) : undefined;
}

/** @param {ReturnType<typeof summarize>} s */
function roundStats(s) {
  return {
    median: round(s.median, 2),
    q1: round(s.q1, 2),
    q3: round(s.q3, 2),
    min: round(s.min, 2),
    max: round(s.max, 2),
    n: s.n,
  };
}

async function main() {
  if (flag('--list')) {
    for (const c of CASES) console.log(`${c.id}${c.quick ? ' (quick)' : ''}: ${c.title}`);
    return;
  }
  if (!fs.existsSync(images)) throw new Error(`no images at ${images} (set IMAGES_DIR)`);
  const started = performance.now();
  const date = new Date().toISOString().slice(0, 10);
  const mach = machine();
  const load = [os.loadavg()[0]];
  const cases = CASES.filter((c) => (only ? only.includes(c.id) : !quick || c.quick));
  if (only && cases.length !== only.length)
    throw new Error(`unknown case in --cases; known: ${CASES.map((c) => c.id).join(', ')}`);

  process.stdout.write('building bench/worker.js with wrangler… ');
  const outdir = await buildWorker(root);
  const ctx = new Ctx();
  // Encoder defaults and the clock check, from a first workerd.
  const probeWorker = await BenchWorker.start(root, outdir);
  ctx.defaults = await probeWorker.json('/defaults');
  const t0 = performance.now();
  const clock = await probeWorker.json('/clock?ms=100');
  const clockWall = performance.now() - t0;
  await probeWorker.stop();
  const clockNote =
    clock.perfMs > 0
      ? `performance.now() advanced ${clock.perfMs} ms during a ${round(clockWall, 0)} ms busy loop (1 ms steps): timing inside workerd`
      : 'performance.now() did not advance during CPU work';
  console.log(`done\n${mach.summary}\n${clockNote}`);
  if ((load[0] ?? 0) > mach.nproc / 2)
    console.log(
      `note: load average ${load[0]?.toFixed(2)} on ${mach.nproc} CPUs: expect noisy figures`,
    );
  console.log(
    `our defaults: quality ${JSON.stringify(ctx.defaults.quality)}, AVIF speed ${ctx.defaults.avifSpeed}\n`,
  );

  const results = [];
  for (const c of cases) {
    const t = performance.now();
    process.stdout.write(`${c.id} … `);
    try {
      const r = await runCase(c, ctx, outdir);
      results.push(r);
      console.log(
        `ours ${r.ours.ms.median} ms, sharp ${r.sharp.ms.median} ms, x${r.ratio}` +
          (r.wasm32 ? `, sharp-wasm32 ${r.wasm32.ms.median} ms, x${r.ratioWasm32}` : '') +
          ` (${((performance.now() - t) / 1000).toFixed(1)} s)`,
      );
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (process.env.BENCH_DEBUG) console.error(err);
      results.push({ id: c.id, title: c.title, kind: c.kind, error: message });
      console.log(`ERROR ${message}`);
    }
  }
  fs.rmSync(outdir, { recursive: true, force: true });
  load.push(os.loadavg()[0]);

  const seconds = round((performance.now() - started) / 1000, 1);
  const name = `${date}${label ? `-${label}` : ''}${quick ? '-quick' : only ? '-partial' : ''}.json`;
  const versions = {
    ...sharpVersion(),
    sharpWasm32: wasm32Sharp
      ? {
          sharp: wasm32Sharp.versions.sharp,
          libvips: wasm32Sharp.versions.vips,
          emscripten: /** @type {any} */ (wasm32Sharp.versions).emscripten,
        }
      : null,
    workerd: readVersion('workerd'),
    wrangler: readVersion('wrangler'),
    miniflare: readVersion('miniflare'),
  };
  const md = table(results);
  const out = {
    date,
    label: label || undefined,
    mode: quick ? 'quick' : only ? 'partial' : 'full',
    seconds,
    machine: mach,
    loadAverage1m: { start: round(load[0] ?? NaN, 2), end: round(load[1] ?? NaN, 2) },
    versions,
    clock: { ...clock, wallMs: round(clockWall, 1), note: clockNote },
    settings: {
      ourDefaults: ctx.defaults,
      sharp:
        'concurrency(1), cache(false); jpeg mozjpeg:true 4:2:0; webp effort 4; avif effort 9-speed, 4:2:0, 8-bit; the same for @img/sharp-wasm32 (libvips built with emscripten, wasm SIMD) in the same Node process',
      timing:
        'ours: performance.now() inside workerd; sharp: performance.now() in Node; 1 warm-up, interleaved samples',
      ssim: 'ssim.js weber, 11x11 window, luma, no downsampling; vs sharp lanczos3 of the full decode; alpha flattened on white',
    },
    cases: results,
  };
  const resultsDir = path.join(root, 'bench', 'results');
  fs.mkdirSync(resultsDir, { recursive: true });
  fs.writeFileSync(path.join(resultsDir, name), `${JSON.stringify(out, null, 2)}\n`);

  console.log(`\n${md}\n\nfirst request in a fresh isolate:\n${firstRequestTable(results)}\n`);
  console.log(`${results.length} cases in ${seconds} s; wrote bench/results/${name}`);

  if (update && results.every((r) => !('error' in r))) {
    const tablePath = path.join(root, 'src', 'transform', 'cost-table.json');
    const cost = costTable(results, {
      date,
      machine: mach.summary,
      avifSpeed: ctx.defaults.avifSpeed,
      quality: ctx.defaults.quality,
      source: `bench/results/${name}`,
    });
    // Memory figures come from the per-variant peaks of `node bench/grid-memory.mjs`
    // (docs/performance.md, "Memory per variant"), not from these cases: keep them.
    const current = JSON.parse(fs.readFileSync(tablePath, 'utf8'));
    for (const key of ['memoryMBPerMP', 'memoryFixedMB', 'memoryMBPerInputMB', 'memorySource'])
      if (key in current) cost[key] = current[key];
    await writeFormatted(tablePath, `${JSON.stringify(cost, null, 2)}\n`);
    await replaceResults(
      path.join(root, 'docs', 'performance.md'),
      'bench',
      [
        `Measured ${date} on ${mach.summary} (load average ${out.loadAverage1m.start} → ${out.loadAverage1m.end});`,
        `sharp ${versions.sharp} / libvips ${versions.libvips}${versions.sharpWasm32 ? ` (native and @img/sharp-wasm32, emscripten ${versions.sharpWasm32.emscripten})` : ''}, workerd ${versions.workerd}; run took ${seconds} s.`,
        `Results: \`bench/results/${name}\`.`,
        '',
        md,
        '',
        'First request in a fresh isolate (one workerd per case, after one plain request; a 16x16',
        "input of the case, so the time is the codecs' instantiation and the lazy compilation of",
        'the wasm functions they call, not the image):',
        '',
        firstRequestTable(results),
      ].join('\n'),
    );
    console.log('wrote src/transform/cost-table.json');
  } else if (update) {
    console.log('some cases failed: cost table and docs not updated');
  }
}

/** @param {string} pkg */
function readVersion(pkg) {
  try {
    return JSON.parse(fs.readFileSync(path.join(root, 'node_modules', pkg, 'package.json'), 'utf8'))
      .version;
  } catch {
    return undefined;
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
