/**
 * Statistics, the results table, the machine description and the cost table.
 */
import fs from 'node:fs';
import os from 'node:os';

/**
 * Median, quartiles (linear interpolation), min and max.
 * @param {number[]} samples
 */
export function summarize(samples) {
  const s = [...samples].sort((a, b) => a - b);
  /** @param {number} p */
  const at = (p) => {
    if (s.length === 0) return NaN;
    const i = (s.length - 1) * p;
    const lo = Math.floor(i);
    const hi = Math.ceil(i);
    return (s[lo] ?? NaN) + ((s[hi] ?? NaN) - (s[lo] ?? NaN)) * (i - lo);
  };
  return {
    median: at(0.5),
    q1: at(0.25),
    q3: at(0.75),
    min: s[0] ?? NaN,
    max: s.at(-1) ?? NaN,
    n: s.length,
  };
}

/** @param {number} x @param {number} [digits] */
export const round = (x, digits = 2) =>
  Number.isFinite(x) ? Number(x.toFixed(digits)) : /** @type {number | null} */ (null);

/** The machine, as written into results and the cost table. */
export function machine() {
  const cpuinfo = fs.readFileSync('/proc/cpuinfo', 'utf8');
  const model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? os.cpus()[0]?.model;
  const mhz = Number(/^cpu MHz\s*:\s*([\d.]+)$/m.exec(cpuinfo)?.[1] ?? NaN);
  const nproc = os.availableParallelism();
  return {
    nproc,
    cpu: model ?? 'unknown',
    cpuMHz: Number.isFinite(mhz) ? Math.round(mhz) : null,
    memGB: round(os.totalmem() / 1024 ** 3, 1),
    kernel: os.release(),
    node: process.version,
    summary: `nproc ${nproc}, ${model ?? 'unknown CPU'}${Number.isFinite(mhz) ? ` @ ${Math.round(mhz)} MHz` : ''}, Node ${process.version}, Linux ${os.release()}`,
  };
}

/** @param {number | null | undefined} x @param {number} [digits] */
const fmt = (x, digits = 1) =>
  x === null || x === undefined || !Number.isFinite(x) ? '—' : x.toFixed(digits);

/** @param {number} bytes */
const kb = (bytes) => (bytes ? `${(bytes / 1024).toFixed(1)}` : '—');

/**
 * @param {{ median: number, min: number, max: number } | undefined} t
 */
const time = (t) =>
  t ? `${fmt(t.median, t.median < 10 ? 2 : 1)} (${fmt(t.min, 1)}–${fmt(t.max, 1)})` : '—';

/**
 * The results as a Markdown table.
 * @param {any[]} cases results of the cases
 */
export function table(cases) {
  const head = [
    'case',
    'ours ms, median (min–max)',
    'sharp native ms, median (min–max)',
    'sharp-wasm32 ms, median (min–max)',
    'ours / native',
    'ours / wasm32',
    'KiB ours / sharp',
    'SSIM ours / sharp',
    'workerd peak RSS MiB (codecs, image)',
    'wasm MiB',
  ];
  const rows = cases.map((c) => {
    if (c.error) return [c.title, `error: ${c.error}`, '', '', '', '', '', '', '', ''];
    const o = c.ours;
    const sh = c.sharp;
    const wasm = Object.values(o?.wasm ?? {}).reduce((a, b) => a + b, 0);
    return [
      c.title,
      time(o?.ms),
      time(sh?.ms),
      time(c.wasm32?.ms),
      c.ratio ? `${fmt(c.ratio, 2)}x` : '—',
      c.ratioWasm32 ? `${fmt(c.ratioWasm32, 2)}x` : '—',
      o?.bytes || sh?.bytes ? `${kb(o?.bytes)} / ${kb(sh?.bytes)}` : '—',
      o?.ssim !== undefined || sh?.ssim !== undefined
        ? `${fmt(o?.ssim, 4)} / ${fmt(sh?.ssim, 4)}`
        : '—',
      o?.peakRssMB
        ? `${fmt(o.peakRssMB, 0)} (+${fmt(o.readyRssMB - o.idleRssMB, 0)} +${fmt(o.peakRssMB - o.readyRssMB, 0)})`
        : '—',
      wasm ? fmt(wasm / 1024 / 1024, 1) : '—',
    ];
  });
  const line = (/** @type {string[]} */ cells) => `| ${cells.join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n');
}

/**
 * The first request of each kind in a fresh isolate, as a Markdown table (stage and pipeline
 * cases; the memory rows repeat the pipeline's codecs).
 * @param {any[]} cases results of the cases
 */
export function firstRequestTable(cases) {
  const head = [
    'case (16x16 input)',
    'first request, ms in workerd',
    'first request, ms wall',
    'the same again, ms in workerd',
    'first − again, ms',
    'workerd start, ms',
  ];
  const rows = cases
    .filter((c) => c.ours?.firstRequest && !c.id.startsWith('mem-'))
    .map((c) => {
      const f = c.ours.firstRequest;
      return [
        c.title,
        fmt(f.ms, 0),
        fmt(f.wallMs, 0),
        fmt(f.againMs, 0),
        fmt(f.ms - f.againMs, 0),
        fmt(c.ours.startMs, 0),
      ];
    });
  const line = (/** @type {string[]} */ cells) => `| ${cells.join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n');
}

/**
 * Coefficients for the planner, from the full run's medians (see docs/performance.md).
 * @param {any[]} cases
 * @param {{ date: string, machine: string, avifSpeed: number, quality: unknown, source: string }} meta
 */
export function costTable(cases, meta) {
  const byId = new Map(cases.filter((c) => !c.error && c.ours).map((c) => [c.id, c]));
  /** @param {string} id */
  const perMP = (id) => {
    const c = byId.get(id);
    return c ? round(c.ours.ms.median / c.costMP, 2) : null;
  };
  /** @param {string} id */
  const memPerMP = (id) => {
    const c = byId.get(id);
    return c ? round((c.ours.peakRssMB - c.ours.readyRssMB) / c.costMP, 1) : null;
  };
  /** @param {string} id */
  const fixed = (id) => {
    const c = byId.get(id);
    return c ? round(c.ours.readyRssMB - c.ours.idleRssMB, 1) : null;
  };
  /**
   * MB per output MP of an encode beyond 800x1067: the slope between the 800w and 1600w
   * cases, floored at the RGBA input held twice (the JS copy and the encoder's); null
   * without the 1600w case. With the 800w ratio it makes the planner's piecewise-linear
   * curve through zero and both measured points (src/transform/cost.ts).
   * @param {string} format
   */
  const encodeSlope = (format) => {
    const a = byId.get(`encode-${format}-800w`);
    const b = byId.get(`encode-${format}-1600w`);
    if (!a || !b) return null;
    const grow = (/** @type {any} */ c) => c.ours.peakRssMB - c.ours.readyRssMB;
    return round(Math.max(8 / 1.048576, (grow(b) - grow(a)) / (b.costMP - a.costMP)), 1);
  };
  const idle = cases.filter((c) => c.ours?.idleRssMB).map((c) => c.ours.idleRssMB);
  return {
    measured: meta.date,
    machine: meta.machine,
    decodeMsPerMP: {
      jpeg: perMP('decode-jpeg-12mp'),
      png: perMP('decode-png-12mp'),
      webp: perMP('decode-webp-12mp'),
      avif: perMP('decode-avif-12mp'),
      gif: perMP('decode-gif-0.85mp'),
    },
    resizeMsPerMP: perMP('resize-12mp-800w'),
    encodeMsPerMP: {
      jpeg: perMP('encode-jpeg-800w'),
      png: perMP('encode-png-800w'),
      webp: perMP('encode-webp-800w'),
      avif: perMP('encode-avif-800w'),
    },
    avifSpeed: meta.avifSpeed,
    memoryMBPerMP: {
      decode: {
        jpeg: memPerMP('decode-jpeg-12mp'),
        png: memPerMP('decode-png-12mp'),
        webp: memPerMP('decode-webp-12mp'),
        avif: memPerMP('decode-avif-12mp'),
        gif: memPerMP('decode-gif-0.85mp'),
      },
      resize: memPerMP('resize-12mp-800w'),
      encode: {
        jpeg: memPerMP('encode-jpeg-800w'),
        png: memPerMP('encode-png-800w'),
        webp: memPerMP('encode-webp-800w'),
        avif: memPerMP('encode-avif-800w'),
      },
      webpLosslessDecode: memPerMP('decode-webp-lossless-3mp'),
      encodeAbove800w: {
        jpeg: encodeSlope('jpeg'),
        png: encodeSlope('png'),
        webp: encodeSlope('webp'),
        avif: encodeSlope('avif'),
      },
    },
    memoryFixedMB: {
      idle: round(summarize(idle).median, 0),
      decode: {
        jpeg: fixed('decode-jpeg-12mp'),
        png: fixed('decode-png-12mp'),
        webp: fixed('decode-webp-12mp'),
        avif: fixed('decode-avif-12mp'),
        gif: fixed('decode-gif-0.85mp'),
      },
      resize: fixed('resize-12mp-800w'),
      encode: {
        jpeg: fixed('encode-jpeg-800w'),
        png: fixed('encode-png-800w'),
        webp: fixed('encode-webp-800w'),
        avif: fixed('encode-avif-800w'),
      },
    },
    webpLosslessDecodeMsPerMP: perMP('decode-webp-lossless-3mp'),
    jpegScaledDecodeMsPerMP: perMP('decode-jpeg-12mp-scaled-2'),
    jpegScaledDecodeMsPerMPByDenom: {
      1: perMP('decode-jpeg-12mp-scaled-1'),
      2: perMP('decode-jpeg-12mp-scaled-2'),
      4: perMP('decode-jpeg-12mp-scaled-4'),
      8: perMP('decode-jpeg-12mp-scaled-8'),
    },
    quality: meta.quality,
    source: meta.source,
  };
}
