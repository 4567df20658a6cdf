#!/usr/bin/env node
/**
 * `npm run grid`: the issue-13 grid (15 sources × 10 variants, scripts/lib/grid-sources.mjs)
 * against a local service, with the peak memory of the workerd process per cell. Prints a
 * Markdown table for docs/performance.md: per cell the final status, format and size (`⇢`
 * when a stand-in came first and the real variant after the queue consumer ran), and the
 * process's peak RSS during the cell (VmHWM, reset before each cell through
 * `/proc/<pid>/clear_refs`) with its rise over the RSS at the start of the cell.
 *
 *   npm run grid                      starts its own service (scripts/lib/local-service.mjs,
 *                                     port 8811, temporary state) and stops it at the end
 *   npm run grid -- --upload          only the large-upload check: VmHWM while a 60 MB PNG
 *                                     is uploaded (streamed to R2), against the body size
 *   npm run grid -- --only "48 MP,99.6"  only the sources whose label contains one of the
 *                                     comma-separated texts (and no large-upload check)
 *   npm run grid -- --only "24 MP" --variant w=400,f=webp   only that variant (repeatable)
 *
 * Env: GRID_PORT (default 8811) for the service's port; GRID_VARS, a JSON object of Worker
 * vars for the service (e.g. '{"INLINE_BUDGET_MB":"1000","QUEUE_BUDGET_MB":"1000"}' to make
 * every cell inline and measure what the planner would refuse).
 *
 * Not a timed test and not a benchmark: the figures are for the memory table. Local workerd
 * does not enforce the 128 MB limit, and wasm memories never shrink, so a cell's peak holds
 * what earlier cells left in the isolate: read the rise column with that in mind.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { GRID_SOURCES, LARGE_UPLOAD, noisePng, sourcePath } from './lib/grid-sources.mjs';
import {
  groupMembers,
  killActiveNow,
  startLocalService,
  stopActive,
} from './lib/local-service.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const PORT = Number(process.env.GRID_PORT ?? 8811);
const ACCEPT = 'image/avif,image/webp,image/apng,image/*,*/*;q=0.8';
/** The 10 variants of the grid (test/routes/delivery-grid.test.ts). */
const VARIANTS = [
  'thumbnail',
  'w=400,f=webp',
  'w=800,f=webp',
  'w=800,f=avif',
  'w=800,f=jpeg',
  'w=1600,f=webp',
  'large',
  'w=2000,h=2000,fit=cover,f=webp',
  'f=webp',
  'w=800,f=auto',
];
/** One request's limit, ms. */
const REQUEST_TIMEOUT_MS = 90_000;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const args = process.argv.slice(2);
const uploadOnly = args.includes('--upload');
const only = args.includes('--only') ? args[args.indexOf('--only') + 1]?.split(',') : undefined;
/** `--variant V` (repeatable): only these variants, each then first in a fresh isolate. */
const picked = args.flatMap((a, i) => (a === '--variant' ? [args[i + 1]] : []));
const variants = picked.length ? VARIANTS.filter((v) => picked.includes(v)) : VARIANTS;

/** kB fields of /proc/<pid>/status. */
function memory(pid) {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}

/** Resets the process's VmHWM to its current RSS (Linux 4.0+: `echo 5 > clear_refs`). */
const resetPeak = (pid) => fs.writeFileSync(`/proc/${pid}/clear_refs`, '5');

const mb = (kb) => Math.round(kb / 1024);

/** Format and size from the first bytes of an image (enough for these encoders' headers). */
function describe(bytes) {
  const b = bytes;
  const u32 = (o) => ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
  if (b[0] === 0xff && b[1] === 0xd8) {
    for (let p = 2; p + 9 < b.length;) {
      if (b[p] !== 0xff) return { format: 'jpeg' };
      const m = b[p + 1];
      const len = (b[p + 2] << 8) | b[p + 3];
      if (m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc)
        return {
          format: 'jpeg',
          width: (b[p + 7] << 8) | b[p + 8],
          height: (b[p + 5] << 8) | b[p + 6],
        };
      p += 2 + len;
    }
    return { format: 'jpeg' };
  }
  if (b[0] === 0x89 && b[1] === 0x50) return { format: 'png', width: u32(16), height: u32(20) };
  if (String.fromCharCode(...b.subarray(8, 12)) === 'WEBP') {
    const chunk = String.fromCharCode(...b.subarray(12, 16));
    const le24 = (o) => b[o] | (b[o + 1] << 8) | (b[o + 2] << 16);
    if (chunk === 'VP8X') return { format: 'webp', width: le24(24) + 1, height: le24(27) + 1 };
    if (chunk === 'VP8 ')
      return {
        format: 'webp',
        width: (b[26] | (b[27] << 8)) & 0x3fff,
        height: (b[28] | (b[29] << 8)) & 0x3fff,
      };
    if (chunk === 'VP8L') {
      const bits = b[21] | (b[22] << 8) | (b[23] << 16) | (b[24] << 24);
      return { format: 'webp', width: (bits & 0x3fff) + 1, height: ((bits >> 14) & 0x3fff) + 1 };
    }
    return { format: 'webp' };
  }
  if (String.fromCharCode(...b.subarray(4, 8)) === 'ftyp') {
    const at = Buffer.from(b).indexOf('ispe');
    return at > 0
      ? { format: 'avif', width: u32(at + 8), height: u32(at + 12) }
      : { format: 'avif' };
  }
  if (b[0] === 0x47 && b[1] === 0x49)
    return { format: 'gif', width: b[6] | (b[7] << 8), height: b[8] | (b[9] << 8) };
  return { format: 'unknown' };
}

/** Uploads a file as a raw body; returns the JSON answer. */
async function upload(url, key, file) {
  const bytes = fs.readFileSync(file);
  const res = await fetch(`${url}/v1/images`, {
    method: 'POST',
    body: bytes,
    headers: { Authorization: `Bearer ${key}`, 'Content-Length': String(bytes.byteLength) },
  });
  const json = await res.json();
  if (res.status !== 200 && res.status !== 201)
    throw new Error(`upload of ${path.basename(file)}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

/** One cell: request, follow a stand-in until the real variant (or 120 s); `timeout` when a
 * request has no answer in {@link REQUEST_TIMEOUT_MS}. */
async function cell(url, id, variant) {
  try {
    return await follow(url, id, variant);
  } catch (err) {
    if (err instanceof Error && err.name === 'TimeoutError') return { status: 'timeout' };
    throw err;
  }
}

/** See {@link cell}. */
async function follow(url, id, variant) {
  const get = () =>
    fetch(`${url}/img/${id}/${variant}`, {
      headers: { Accept: ACCEPT },
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
  let res = await get();
  let bytes = new Uint8Array(await res.arrayBuffer());
  const standIn = () => res.headers.get('X-Variant-Source') === 'stand-in';
  const viaStandIn = standIn();
  const end = Date.now() + 120_000;
  while (standIn() && Date.now() < end) {
    await sleep(1000);
    res = await get();
    bytes = new Uint8Array(await res.arrayBuffer());
  }
  if (res.status !== 200) return { status: res.status, viaStandIn };
  return {
    status: res.status,
    viaStandIn,
    standInStill: standIn(),
    ...describe(bytes),
  };
}

async function main() {
  process.on('exit', killActiveNow);
  for (const sig of ['SIGINT', 'SIGTERM'])
    process.on(sig, () => stopActive().then(() => process.exit(130)));
  const vars = JSON.parse(process.env.GRID_VARS ?? '{}');
  const service = await startLocalService({ root, keyCount: 1, port: PORT, vars });
  try {
    // wrangler dev runs two workerd processes (a small proxy and the service): the service's
    // is the one that holds the Workers, the larger.
    const workerds = groupMembers(service.pid).filter((p) => p.comm === 'workerd');
    if (!workerds.length) throw new Error('no workerd process in the service group');
    const pid = workerds.reduce((a, b) => (memory(b.pid).rss > memory(a.pid).rss ? b : a)).pid;
    const key = service.keys[0];
    const out = [];

    // Large uploads: the peak during each against its body size (three sizes, so that a
    // rise that follows the body shows).
    for (const file of only ? [] : [noisePng(3000, 3000), LARGE_UPLOAD, noisePng(6000, 5000)]) {
      const large = await sourcePath(file);
      const size = fs.statSync(large).size;
      const before = memory(pid);
      resetPeak(pid);
      await upload(service.url, key, large);
      const after = memory(pid);
      out.push(
        `- ${file.label}, ${size} bytes, raw body: workerd RSS ${mb(before.rss)} MiB before, peak ${mb(after.hwm)} MiB during (rise ${mb(after.hwm - before.rss)} MiB).`,
      );
    }
    out.push('');
    console.log(out.join('\n'));
    if (uploadOnly) return;

    out.push(
      `| source | ${variants.join(' | ')} |`,
      `|---|${variants.map(() => '---').join('|')}|`,
    );
    console.log(out.slice(-2).join('\n'));
    for (const source of GRID_SOURCES) {
      if (only && !only.some((o) => source.label.includes(o))) continue;
      const { id } = await upload(service.url, key, await sourcePath(source));
      const cells = [];
      for (const variant of variants) {
        const start = memory(pid);
        resetPeak(pid);
        const r = await cell(service.url, id, variant);
        const peak = memory(pid).hwm;
        const what =
          r.status === 200
            ? `${r.viaStandIn ? '⇢ ' : ''}${r.format} ${r.width}x${r.height}${r.standInStill ? ' (stand-in)' : ''}`
            : `${r.status}`;
        cells.push(`${what} · ${mb(peak)} (+${mb(peak - start.rss)})`);
      }
      const line = `| ${source.label} | ${cells.join(' | ')} |`;
      out.push(line);
      console.log(line);
    }
    if (args.includes('--out'))
      fs.writeFileSync(args[args.indexOf('--out') + 1], out.join('\n') + '\n');
  } finally {
    await service.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
