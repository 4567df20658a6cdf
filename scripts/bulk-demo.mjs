#!/usr/bin/env node
/**
 * Bulk-job demo against a running service (`npm start`):
 *
 *   API_KEY=… node scripts/bulk-demo.mjs [--base http://127.0.0.1:8787] [--images ../shared/images]
 *                                        [--presets thumbnail,small,preview]
 *
 * 1. Uploads every image below --images (already stored ones are deduplicated).
 * 2. Asks for one variant too heavy for a request (large/Carrie.jpg as an 800w AVIF, at a
 *    quality picked per run so it is new): shows the stand-in served at once, then polls until
 *    the real variant is served from R2.
 * 3. Creates one bulk job (every uploaded image × the presets, with an Idempotency-Key),
 *    prints its progress from GET /v1/jobs/:id while it runs, and when it ends checks that
 *    every variant is stored: each preset in each format a client can negotiate (AVIF, WebP,
 *    JPEG/PNG) must come from R2 or the edge cache, not be computed.
 * Exits 1 when the job does not succeed or a variant is missing.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: {
    base: { type: 'string', default: 'http://127.0.0.1:8787' },
    images: {
      type: 'string',
      default: path.resolve(import.meta.dirname, '..', '..', 'shared', 'images'),
    },
    presets: { type: 'string', default: 'thumbnail,small,preview' },
    key: { type: 'string', default: process.env.API_KEY },
  },
});
if (!args.key) {
  console.error('Set API_KEY (npm start prints it; it is in .dev.vars) or pass --key.');
  process.exit(2);
}
const base = args.base.replace(/\/$/, '');
const presets = args.presets.split(',').filter(Boolean);
const auth = { Authorization: `Bearer ${args.key}` };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const t0 = Date.now();
const at = () => `${((Date.now() - t0) / 1000).toFixed(1).padStart(6)} s`;

async function api(method, url, body, headers = {}) {
  const res = await fetch(base + url, {
    method,
    headers: { ...auth, ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : body,
  });
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  if (!res.ok && res.status !== 409) throw new Error(`${method} ${url}: ${res.status} ${text}`);
  return { status: res.status, json, headers: res.headers };
}

async function walk(dir) {
  const out = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await walk(p)));
    else if (!e.name.endsWith('.md')) out.push(p);
  }
  return out.sort();
}

// 1. Upload.
const files = await walk(args.images);
const ids = new Map();
for (const file of files) {
  const { status, json } = await api('POST', '/v1/images', await readFile(file));
  ids.set(path.relative(args.images, file), json.id);
  console.log(
    `${at()}  upload ${status} ${json.id} ${path.relative(args.images, file)} (${json.width}x${json.height} ${json.format})`,
  );
}

// 2. A request too heavy for inline work.
const carrie = ids.get(path.join('large', 'Carrie.jpg'));
if (carrie) {
  const q = 40 + Math.floor(Math.random() * 50);
  const url = `/img/${carrie}/w=800,q=${q},f=avif`;
  const accept = { Accept: 'image/avif,image/webp,image/*' };
  const started = Date.now();
  const first = await fetch(base + url, { headers: accept });
  await first.arrayBuffer();
  console.log(
    `${at()}  heavy GET ${url}: ${first.status} ${first.headers.get('content-type')} ` +
      `source=${first.headers.get('x-variant-source')} stand-in="${first.headers.get('x-stand-in') ?? ''}" ` +
      `cache-control="${first.headers.get('cache-control')}" (${Date.now() - started} ms)`,
  );
  for (;;) {
    await sleep(500);
    const res = await fetch(base + url, { headers: accept });
    const bytes = (await res.arrayBuffer()).byteLength;
    if (res.headers.get('x-variant-source') === 'r2' || res.headers.get('x-cache') === 'HIT') {
      console.log(
        `${at()}  heavy GET again: ${res.status} ${res.headers.get('content-type')} ` +
          `source=${res.headers.get('x-variant-source')} ${bytes} bytes, ` +
          `${Date.now() - started} ms after the first request`,
      );
      break;
    }
    if (Date.now() - started > 60_000) throw new Error('the heavy variant never arrived');
  }
}

// 3. The bulk job.
const imageIds = [...new Set(ids.values())];
const body = JSON.stringify({ images: imageIds, variants: presets });
const idem = `bulk-demo-${createHash('sha256').update(body).digest('hex').slice(0, 16)}-${t0}`;
const created = await api('POST', '/v1/jobs', body, {
  'Content-Type': 'application/json',
  'Idempotency-Key': idem,
});
const job = created.json;
console.log(
  `${at()}  job ${created.status} ${job.id}: ${imageIds.length} images × ${presets.join(', ')}`,
);
const replay = await api('POST', '/v1/jobs', body, {
  'Content-Type': 'application/json',
  'Idempotency-Key': idem,
});
console.log(`${at()}  same Idempotency-Key again: ${replay.status}, job ${replay.json.id}`);

let view;
for (;;) {
  view = (await api('GET', `/v1/jobs/${job.id}`)).json;
  const p = view.progress;
  console.log(
    `${at()}  ${view.status.padEnd(9)} ${String(p.done).padStart(3)}/${p.total} ${String(p.percent).padStart(5)} %` +
      `  ok ${p.succeeded} failed ${p.failed} queued ${p.queued} running ${p.running}` +
      `  rate ${p.rate_per_second ?? '–'}/s  eta ${p.eta_seconds ?? '–'} s`,
  );
  if (['succeeded', 'failed', 'cancelled'].includes(view.status)) break;
  await sleep(1000);
}
if (view.progress.failed) {
  const failed = (await api('GET', `/v1/jobs/${job.id}/items?status=failed`)).json;
  for (const i of failed.items) console.log(`  failed: ${i.image_id} ${i.spec}: ${i.last_error}`);
}

// Every variant present: each preset in each negotiable format, served from storage.
let present = 0;
let missing = 0;
for (const id of imageIds) {
  for (const preset of presets) {
    for (const accept of ['image/avif', 'image/webp', 'image/jpeg']) {
      const res = await fetch(`${base}/img/${id}/${preset}`, { headers: { Accept: accept } });
      await res.arrayBuffer();
      const source =
        res.headers.get('x-cache') === 'HIT' ? 'edge' : res.headers.get('x-variant-source');
      if (res.status === 200 && (source === 'r2' || source === 'edge')) present++;
      else {
        missing++;
        console.log(`  missing: ${id} ${preset} (${accept}): ${res.status} ${source}`);
      }
    }
  }
}
console.log(
  `${at()}  job ${view.status}: ${view.progress.succeeded}/${view.progress.total} items; ` +
    `variants present ${present}/${present + missing} (every image × ${presets.length} presets × 3 formats)`,
);
process.exit(view.status === 'succeeded' && missing === 0 ? 0 : 1);
