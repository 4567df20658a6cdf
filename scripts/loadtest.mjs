#!/usr/bin/env node
/**
 * `npm run loadtest`: a bounded load test (at most 3 minutes in all) of the HTTP service on
 * 127.0.0.1, with autocannon.
 *
 * By default it starts its own instance (wrangler's local mode, see lib/local-service.mjs:
 * temporary state and API keys, never the developer's `.wrangler/state` or `.dev.vars`), or
 * it uses a running one: `npm run loadtest -- --url http://127.0.0.1:8787 --key <api key>`
 * (`--key` may be repeated; only 127.0.0.1 is accepted). It seeds the small JPEG and PNG
 * images of ../shared/images, then runs four scenarios and prints, per scenario, requests per
 * second, p50/p95/p99 latency (computed from every response's latency) and the errors
 * (non-2xx/3xx responses and socket errors, separately):
 *
 * 1. hits: a handful of warmed variant URLs, GET repeatedly (the share of `X-Cache: HIT` is
 *    checked and reported); then the same against the floor, a hello-world Worker doing one
 *    `caches.default.match` with bodies of the same sizes (scripts/lib/floor/, served by the
 *    same wrangler in the delivery Worker's deployment shape, `[assets]` router included), in
 *    slices alternating with the hits: hit/floor throughput and p99 ratios, checked against
 *    ≥ 0.9x and ≤ 1.2x;
 * 2. misses: every request a new variant (`w=N,f=webp`, N unique per image) of a small
 *    JPEG/PNG; the mean decode/resize/encode from `Server-Timing` is reported;
 * 3. uploads: small JPEG/PNG bodies made unique by random bytes after the image data (each
 *    upload stores a new original: 201);
 * 4. mix: 85 % hits, 10 % misses, 5 % uploads;
 * 5. spike: misses at 2 → 20 → 200 connections (phases of a few seconds), while one-at-a-time
 *    probes measure hits and `/healthz`; checked: healthz p99 under 1 s, hit p99 within 2x of
 *    the hits' unloaded p99 (probed before the spike) or of the floor's own probes under the
 *    same number of flooding connections (the control: the floor Worker flooded and probed
 *    the same way right after each phase, what this machine does to any Worker's probe while
 *    N connections keep it busy), and no error other than 429/503 with
 *    `Retry-After` (admission control, src/transform/admission.ts, refuses what does not fit);
 *    per phase, the CPU time per answer of each process (the service's workerds and wrangler's
 *    Node processes from `/proc/<pid>/stat`, this process's own `process.cpuUsage()`).
 *
 * Rate limits: uploads rotate over several API keys (writes are limited per key, 120/min)
 * and GETs carry a rotating `CF-Connecting-IP` from 198.18.0.0/15 (uncached deliveries are
 * limited per client IP, 300/min; locally Miniflare keeps a client-sent header), so the test
 * measures the service, not the limiter, as many clients would. 429s are counted separately.
 *
 * Results: bench/results/loadtest-<YYYY-MM-DD>.json, and the table between the
 * `loadtest:results` markers in docs/performance.md (`--no-update`: leave the page alone).
 * Exit status 1 when a check failed (errors over 1 %, too few hits, computed misses or 201s).
 */
import autocannon from 'autocannon';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { machine, round } from '../bench/lib/report.mjs';
import {
  cpuMs,
  groupMembers,
  killActiveNow,
  startFloorWorker,
  startLocalService,
  stopActive,
} from './lib/local-service.mjs';
import { replaceResults, writeFormatted } from '../bench/lib/docs.mjs';
import { discardBodies } from './lib/load-client.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const imagesDir = path.resolve(root, '..', 'shared', 'images');

/** Everything, start-up and shutdown included, must fit in this (seconds). */
const BUDGET_S = 180;
/** Reserved at the end for stopping the service and writing the results (seconds). */
const RESERVE_S = 8;

/**
 * Connections per scenario, for a 2-core machine shared by the load generator, wrangler and
 * workerd: transforms are CPU-bound, so more than a few concurrent misses only queue.
 */
const SCENARIOS = [
  { name: 'hits', connections: 8, kinds: ['hit'] },
  { name: 'floor', connections: 8, kinds: ['floor'] },
  { name: 'misses', connections: 2, kinds: ['miss'] },
  { name: 'uploads', connections: 4, kinds: ['upload'], afterSpike: true },
  { name: 'mix', connections: 8, kinds: ['hit', 'miss', 'upload'], afterSpike: true },
];
const MIX = { hit: 0.85, miss: 0.1, upload: 0.05 };
/** Spike: miss connections per phase, seconds per phase, and the unloaded probe before it. */
const SPIKE_PHASES = [2, 20, 200];
const SPIKE_PHASE_S = 6;
const SPIKE_BASELINE_S = 5;
/** Time kept for the spike when fitting the other scenarios into the budget (seconds). */
const SPIKE_RESERVE_S = 2 * (SPIKE_BASELINE_S + SPIKE_PHASES.length * (SPIKE_PHASE_S + 2)) + 3;
/** Pause between one prober's requests, ms (probes measure latency, not throughput). */
const PROBE_GAP_MS = 25;
const KIND_LABEL = { hit: 'hits', miss: 'misses', upload: 'uploads', floor: 'floor' };
/** Goals of the hits against the floor, in the same run: throughput ratio and p99 ratio. */
const FLOOR_MIN_RPS_RATIO = 0.9;
const FLOOR_MAX_P99_RATIO = 1.2;
/** The hits and the floor alternate in this many slices each (alternating()). */
const FLOOR_SLICES = 3;
/** The hit set: these seeds at this transform. */
const HOT_FILES = [
  'small/Giunchedi_Filippo_January_2015_01.jpg',
  'kodak/kodim01.png',
  'kodak/kodim02.png',
  'kodak/kodim03.png',
  'kodak/kodim04.png',
  'exif/Landscape_1.jpg',
  'exif/Landscape_2.jpg',
  'exif/Landscape_6.jpg',
];
const HOT_TRANSFORM = 'w=320,f=webp';
/** Seeded for the hits and misses: small JPEGs and 0.4 MP PNGs (no 12 MP images). */
const SEED_DIRS = ['small', 'kodak', 'exif'];
/** Upload bodies (~140–220 KB). */
const UPLOAD_FILES = [
  ...Array.from({ length: 8 }, (_, i) => `exif/Landscape_${i + 1}.jpg`),
  'small/Giunchedi_Filippo_January_2015_01.jpg',
  'alpha/PNG_transparency_demonstration_1.png',
];
/** Miss widths: MIN_W..min(image width, MAX_W), each used once per image. */
const MIN_W = 100;
const MAX_W = 760;

const USAGE = `usage: node scripts/loadtest.mjs [--url http://127.0.0.1:PORT --key KEY [--key KEY…]]
                                 [--duration SECONDS] [--keys N] [--port N] [--var NAME=VALUE…]
                                 [--no-update]
  --url        use a running service (127.0.0.1 only) instead of starting one
  --key        API key with the upload scope (repeat: uploads rotate over the keys)
  --duration   seconds per scenario (default 15; shortened to fit the ${BUDGET_S} s budget)
  --keys       API keys to create for a self-started service (default 32)
  --port       port of a self-started service; the floor Worker takes the next (default: free ports)
  --var        NAME=VALUE for a self-started service, over wrangler.toml's [vars] (repeatable)
  --scenarios  comma-separated subset of ${[...SCENARIOS.map((s) => s.name), 'spike'].join(',')} (default all)
  --no-update  do not rewrite the results in docs/performance.md`;

/** Seconds since this process started. */
const elapsedS = () => process.uptime();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------
// Arguments

function parseOptions() {
  const { values } = parseArgs({
    options: {
      url: { type: 'string' },
      key: { type: 'string', multiple: true },
      duration: { type: 'string', default: '15' },
      keys: { type: 'string', default: '32' },
      port: { type: 'string' },
      var: { type: 'string', multiple: true },
      scenarios: { type: 'string' },
      'no-update': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const duration = Number(values.duration);
  if (!Number.isFinite(duration) || duration < 3 || duration > 25)
    throw new Error('--duration must be 3..25 seconds');
  const keyCount = Number(values.keys);
  if (!Number.isInteger(keyCount) || keyCount < 1 || keyCount > 256)
    throw new Error('--keys must be an integer 1..256');
  let url;
  if (values.url !== undefined) {
    url = loopbackOrigin(values.url);
    if (!values.key?.length) throw new Error('--url needs at least one --key');
  } else if (values.key?.length) {
    throw new Error('--key goes with --url (a self-started service makes its own keys)');
  }
  const port = values.port === undefined ? undefined : Number(values.port);
  if (port !== undefined && (!Number.isInteger(port) || port < 1024 || port > 65534))
    throw new Error('--port must be an integer 1024..65534');
  const vars = {};
  for (const v of values.var ?? []) {
    const m = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(v);
    if (!m) throw new Error(`--var ${v}: expected NAME=VALUE`);
    vars[m[1]] = m[2];
  }
  if (url && Object.keys(vars).length) throw new Error('--var goes with a self-started service');
  const names = [...SCENARIOS.map((s) => s.name), 'spike'];
  const only = values.scenarios?.split(',');
  for (const n of only ?? [])
    if (!names.includes(n)) throw new Error(`--scenarios: unknown ${n} (known: ${names})`);
  return {
    url,
    only,
    keys: values.key ?? [],
    duration,
    keyCount,
    port,
    vars,
    update: !values['no-update'],
  };
}

/**
 * The origin of `raw` when it is plain http on 127.0.0.1 with a port and nothing else.
 * @throws Error for any other host, scheme, path, credentials or query.
 */
function loopbackOrigin(raw) {
  let u;
  try {
    u = new URL(raw);
  } catch {
    throw new Error(`--url ${raw} is not a URL`);
  }
  if (
    u.protocol !== 'http:' ||
    u.hostname !== '127.0.0.1' ||
    !u.port ||
    u.username ||
    u.password ||
    (u.pathname !== '/' && u.pathname !== '') ||
    u.search ||
    u.hash
  )
    throw new Error(
      `refusing --url ${raw}: the load test only runs against http://127.0.0.1:<port>`,
    );
  return u.origin;
}

// ---------------------------------------------------------------------------------------------
// Shutdown: the service is stopped on success, errors, Ctrl-C and the budget watchdog.

/** @type {{ stop(): void } | undefined} */
let running;
let shuttingDown = false;

async function shutdown(code, reason) {
  if (shuttingDown) return;
  shuttingDown = true;
  if (reason) console.error(`\n${reason}`);
  try {
    running?.stop();
  } catch {
    // already stopped
  }
  process.stdout.write('stopping… ');
  await stopActive();
  console.log('stopped');
  process.exit(code);
}

process.on('SIGINT', () => void shutdown(130, 'interrupted (SIGINT)'));
process.on('SIGTERM', () => void shutdown(143, 'terminated (SIGTERM)'));
process.on('exit', () => killActiveNow());

// ---------------------------------------------------------------------------------------------
// Small helpers

/** Case-insensitive header from autocannon's header object (values may be arrays). */
function header(headers, name) {
  for (const [k, v] of Object.entries(headers ?? {}))
    if (k.toLowerCase() === name) return Array.isArray(v) ? String(v[0]) : String(v);
  return undefined;
}

/** Nearest-rank percentile of sorted `xs`. */
function percentile(xs, p) {
  if (!xs.length) return NaN;
  return xs[Math.min(xs.length - 1, Math.max(0, Math.ceil((p / 100) * xs.length) - 1))];
}

/** `decode;dur=1.0, resize;dur=2.0, …` → { decode: 1, resize: 2, … } */
function parseServerTiming(value) {
  const out = {};
  for (const m of (value ?? '').matchAll(/([\w-]+);dur=([\d.]+)/g)) out[m[1]] = Number(m[2]);
  return out;
}

const mean = (xs) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);
const pct = (x) => `${(x * 100).toFixed(1)} %`;

function contentType(file) {
  return /\.png$/i.test(file) ? 'image/png' : 'image/jpeg';
}

/** The image bytes with random bytes appended after its end (EOI / IEND): a new original. */
function uniqueBody(bytes) {
  return Buffer.concat([bytes, randomBytes(16)]);
}

/** Other workerd and vitest processes on the machine (ours excluded), to judge noise. */
function otherLoad(ownPgid) {
  let workerd = 0;
  let vitest = 0;
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      const pgid = Number(
        stat
          .slice(stat.lastIndexOf(')') + 2)
          .split(' ')
          .at(2),
      );
      if (ownPgid && pgid === ownPgid) continue;
      const cmd = fs.readFileSync(`/proc/${name}/cmdline`, 'utf8');
      if (/(^|\/)workerd\0/.test(cmd)) workerd++;
      else if (/vitest/.test(cmd) && /(^|\/)node\0/.test(cmd)) vitest++;
    } catch {
      // gone
    }
  }
  return { workerd, vitest };
}

function versionOf(pkg) {
  try {
    const file = path.join(root, 'node_modules', ...pkg.split('/'), 'package.json');
    return JSON.parse(fs.readFileSync(file, 'utf8')).version;
  } catch {
    return null;
  }
}

function gitState() {
  try {
    const head = execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], { cwd: root })
      .toString()
      .trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], {
      cwd: root,
    })
      .toString()
      .split('\n')
      .filter(Boolean).length;
    return { head, modifiedFiles: dirty };
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------------
// Seeding and warming

/**
 * Uploads every seed (unique bytes, so a running service stores new originals and has no
 * variants of them yet). Returns `{ file, id, width, height }[]`.
 */
async function seed(base, keys) {
  const files = SEED_DIRS.flatMap((dir) =>
    fs
      .readdirSync(path.join(imagesDir, dir))
      .filter((f) => /\.(jpe?g|png)$/i.test(f))
      .sort()
      .map((f) => `${dir}/${f}`),
  );
  const seeds = [];
  let next = 0;
  const worker = async () => {
    while (next < files.length) {
      const i = next++;
      const file = files[i];
      const res = await fetch(`${base}/v1/images`, {
        method: 'POST',
        headers: {
          Authorization: `Bearer ${keys[i % keys.length]}`,
          'Content-Type': contentType(file),
        },
        body: uniqueBody(fs.readFileSync(path.join(imagesDir, file))),
        signal: AbortSignal.timeout(30_000),
      });
      const text = await res.text();
      if (res.status !== 201)
        throw new Error(`seeding ${file}: ${res.status} ${text.slice(0, 300)}`);
      const body = JSON.parse(text);
      seeds[i] = { file, id: body.id, width: body.width, height: body.height };
    }
  };
  await Promise.all([worker(), worker(), worker()]);
  return seeds;
}

let ipCounter = 0;
/** A client address from 198.18.0.0/15 (benchmarking range), different per request. */
function clientIp() {
  const n = ipCounter++ % 131072;
  return `198.${18 + (n >> 16)}.${(n >> 8) & 255}.${n & 255}`;
}

/**
 * Waits (at most `seconds`) until every seed has its image card (its placeholder answers
 * 200): each upload enqueues a card, and locally the queue consumer shares workerd's one
 * thread with delivery, so cards still being made would be measured as the hits' unloaded
 * latency. Returns how many seeds still had none.
 */
async function cardsMade(base, seeds, seconds = 30) {
  const stopAt = performance.now() + seconds * 1000;
  let pending = seeds;
  while (pending.length && performance.now() < stopAt) {
    const left = [];
    for (const s of pending) {
      const res = await fetch(`${base}/img/${s.id}/placeholder`, {
        headers: { 'CF-Connecting-IP': clientIp() },
        signal: AbortSignal.timeout(10_000),
      });
      await res.arrayBuffer();
      if (res.status !== 200) left.push(s);
    }
    pending = left;
    if (pending.length) await sleep(250);
  }
  return pending.length;
}

/** GETs each hot URL until it is a HIT (the cache put runs after the first response). */
async function warm(base, hotPaths) {
  const out = [];
  for (const p of hotPaths) {
    let first;
    let bytes = 0;
    let hit = false;
    for (let i = 0; i < 10 && !hit; i++) {
      const res = await fetch(base + p, {
        headers: { 'CF-Connecting-IP': clientIp() },
        signal: AbortSignal.timeout(30_000),
      });
      bytes = (await res.arrayBuffer()).byteLength;
      if (res.status !== 200) throw new Error(`warming ${p}: ${res.status}`);
      first ??= res.headers.get('X-Variant-Source');
      hit = res.headers.get('X-Cache') === 'HIT';
      if (!hit) await sleep(100);
    }
    if (!hit) throw new Error(`warming ${p}: never answered X-Cache: HIT`);
    out.push({ path: p, firstSource: first, bytes });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Request generators: each returns { kind, method, path, headers, body }.

/** GETs of `paths` in turn, each from another client address. */
function roundRobin(kind, paths) {
  let n = 0;
  return () => ({
    kind,
    method: 'GET',
    path: paths[n++ % paths.length],
    headers: { 'CF-Connecting-IP': clientIp() },
    body: '',
  });
}

function makeGenerators(seeds, hotPaths, keys, floorPaths) {
  const hit = roundRobin('hit', hotPaths);

  // Per seed, its miss widths in a shuffled order; seeds taken in turn.
  const widths = seeds.map((s) => {
    const top = Math.min(s.width, MAX_W);
    const ws = [];
    for (let w = MIN_W; w <= top; w++) if (w !== 320) ws.push(w);
    for (let i = ws.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      [ws[i], ws[j]] = [ws[j], ws[i]];
    }
    return ws;
  });
  let missN = 0;
  const miss = () => {
    for (let tries = 0; tries < seeds.length; tries++) {
      const i = missN++ % seeds.length;
      const w = widths[i].pop();
      if (w !== undefined)
        return {
          kind: 'miss',
          method: 'GET',
          path: `/img/${seeds[i].id}/w=${w},f=webp`,
          headers: { 'CF-Connecting-IP': clientIp() },
          body: '',
        };
    }
    throw new Error('ran out of unique miss variants');
  };

  const uploads = UPLOAD_FILES.map((f) => ({
    type: contentType(f),
    bytes: fs.readFileSync(path.join(imagesDir, f)),
  }));
  let upN = 0;
  const upload = () => {
    const n = upN++;
    const u = uploads[n % uploads.length];
    return {
      kind: 'upload',
      method: 'POST',
      path: '/v1/images',
      headers: { Authorization: `Bearer ${keys[n % keys.length]}`, 'Content-Type': u.type },
      body: uniqueBody(u.bytes),
    };
  };

  // The mix as a fixed pattern of 20 slots (17 hits, 2 misses, 1 upload), so the shares of
  // issued requests are exact.
  const slots = Array.from({ length: 20 }, () => hit);
  slots[4] = miss;
  slots[14] = miss;
  slots[9] = upload;
  let mixN = 0;
  const mix = () => slots[mixN++ % slots.length]();

  const floor = roundRobin('floor', floorPaths);

  return { hits: hit, misses: miss, uploads: upload, mix, floor };
}

// ---------------------------------------------------------------------------------------------
// One scenario

/**
 * Runs autocannon for `durationS` with `connections`, each request from `next()`. Every
 * response is recorded with its latency (autocannon's own, from write to last byte).
 */
function runAutocannon(base, { connections, durationS, next }) {
  /** @type {{ kind: string, status: number, ms: number, cache?: string, source?: string, timing?: string }[]} */
  const records = [];
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    const instance = autocannon(
      {
        url: base,
        connections,
        duration: durationS,
        pipelining: 1,
        timeout: 30,
        requests: [
          {
            setupRequest(req, ctx) {
              const r = next();
              ctx.kind = r.kind;
              ctx.res = undefined;
              return {
                ...req,
                method: r.method,
                path: r.path,
                headers: { ...r.headers },
                body: r.body,
              };
            },
            onResponse(status, _body, ctx, headers) {
              ctx.res = { status, headers };
            },
          },
        ],
        setupClient(client) {
          discardBodies(client);
          client.on('response', (status, _bytes, ms) => {
            const ctx = client.requestIterator.context;
            const h = ctx.res?.headers;
            records.push({
              kind: ctx.kind,
              status,
              ms,
              cache: header(h, 'x-cache'),
              source: header(h, 'x-variant-source'),
              timing: header(h, 'server-timing'),
              retryAfter: header(h, 'retry-after'),
            });
          });
        },
      },
      (err, result) => {
        running = undefined;
        if (err) reject(err);
        else {
          const cpu = process.cpuUsage(cpu0);
          const generatorCpuMs = (cpu.user + cpu.system) / 1000;
          resolve({ result, records, seconds: (performance.now() - t0) / 1000, generatorCpuMs });
        }
      },
    );
    running = instance;
  });
}

/** Latency and error figures for a set of records. */
function figures(records, seconds) {
  const ms = records.map((r) => r.ms).sort((a, b) => a - b);
  const status = {};
  for (const r of records) status[r.status] = (status[r.status] ?? 0) + 1;
  const failed = records.filter((r) => r.status >= 400);
  return {
    requests: records.length,
    rps: seconds ? round(records.length / seconds, 1) : null,
    latencyMs: {
      p50: round(percentile(ms, 50), 1),
      p95: round(percentile(ms, 95), 1),
      p99: round(percentile(ms, 99), 1),
      max: round(ms.at(-1) ?? NaN, 1),
      mean: round(mean(ms), 1),
    },
    status,
    non2xx3xx: failed.length,
    status429: failed.filter((r) => r.status === 429).length,
    status5xx: failed.filter((r) => r.status >= 500).length,
  };
}

function kindFacts(kind, records) {
  const rs = records.filter((r) => r.kind === kind);
  if (!rs.length || kind === 'floor') return {};
  if (kind === 'hit') {
    const hits = rs.filter((r) => r.status === 200 && r.cache === 'HIT').length;
    return { hitShare: round(hits / rs.length, 4) };
  }
  if (kind === 'miss') {
    const computed = rs.filter(
      (r) => r.status === 200 && r.cache === 'MISS' && r.source === 'computed',
    );
    const t = computed.map((r) => parseServerTiming(r.timing));
    const sources = {};
    for (const r of rs) {
      const k = `${r.status} ${r.cache ?? '-'} ${r.source ?? '-'}`;
      sources[k] = (sources[k] ?? 0) + 1;
    }
    return {
      computedShare: round(computed.length / rs.length, 4),
      responses: sources,
      serverTimingMeanMs: {
        decode: round(mean(t.map((x) => x.decode ?? NaN).filter(Number.isFinite)), 1),
        resize: round(mean(t.map((x) => x.resize ?? NaN).filter(Number.isFinite)), 1),
        encode: round(mean(t.map((x) => x.encode ?? NaN).filter(Number.isFinite)), 1),
      },
    };
  }
  const created = rs.filter((r) => r.status === 201).length;
  return { createdShare: round(created / rs.length, 4) };
}

/** Runs one scenario and returns its summary (with pass/fail checks). */
async function scenario(base, def, durationS, next) {
  const run = await runAutocannon(base, { connections: def.connections, durationS, next });
  return summarize(def, [run]);
}

/**
 * Runs two scenarios (the hits and the floor) in alternating slices, `slices` of each,
 * `durationS` in all per scenario, so that both see the same share of whatever else the
 * shared machine does meanwhile (the floor alone moved 207–356 req/s between runs minutes
 * apart). Returns both summaries, each over all its slices.
 * @param {{ def: object, base: string, next: () => object }[]} pair
 */
async function alternating(pair, durationS, slices) {
  const runs = pair.map(() => []);
  const sliceS = Math.max(1, Math.floor(durationS / slices));
  // Which goes first alternates from slice to slice, so neither always follows the other.
  for (let i = 0; i < slices && !shuttingDown; i++)
    for (let j = 0; j < pair.length; j++) {
      const k = i % 2 ? pair.length - 1 - j : j;
      const { def, base, next } = pair[k];
      runs[k].push(
        await runAutocannon(base, { connections: def.connections, durationS: sliceS, next }),
      );
    }
  return pair.map(({ def }, j) => summarize(def, runs[j]));
}

/** The summary of a scenario's autocannon runs (one, or its slices), with pass/fail checks. */
function summarize(def, runs) {
  const records = runs.flatMap((r) => r.records);
  const acSeconds = runs.reduce((t, r) => t + (r.result.duration || r.seconds), 0);
  const sum = (key) => runs.reduce((t, r) => t + r.result[key], 0);
  const autocannonFigures = ({ result }) => ({
    rpsAverage: result.requests.average,
    latencyMs: {
      p50: result.latency.p50,
      p90: result.latency.p90,
      p97_5: result.latency.p97_5,
      p99: result.latency.p99,
    },
  });
  const summary = {
    name: def.name,
    connections: def.connections,
    durationS: round(acSeconds, 2),
    ...(runs.length > 1 ? { slices: runs.length } : {}),
    ...figures(records, acSeconds),
    socketErrors: sum('errors'),
    timeouts: sum('timeouts'),
    // CPU of this process (autocannon, the load generator) per response, ms.
    generatorMsPerResponse: round(
      runs.reduce((t, r) => t + r.generatorCpuMs, 0) / Math.max(1, records.length),
      3,
    ),
    autocannon: runs.length > 1 ? runs.map(autocannonFigures) : autocannonFigures(runs[0]),
  };
  const { kinds } = def;
  summary.facts = Object.fromEntries(kinds.map((k) => [k, kindFacts(k, records)]));
  if (kinds.length > 1)
    summary.byKind = Object.fromEntries(
      kinds.map((k) => [
        k,
        figures(
          records.filter((r) => r.kind === k),
          acSeconds,
        ),
      ]),
    );

  const checks = [];
  const errorShare = (summary.non2xx3xx + summary.socketErrors) / Math.max(1, summary.requests);
  checks.push({
    check: 'errors (non-2xx/3xx and socket) at most 1 %',
    ok: errorShare <= 0.01 && summary.requests > 0,
    value: round(errorShare, 4),
  });
  const f = summary.facts;
  if (f.hit?.hitShare !== undefined)
    checks.push({ check: 'X-Cache: HIT on at least 90 % of hits', ok: f.hit.hitShare >= 0.9 });
  if (f.miss?.computedShare !== undefined)
    checks.push({
      check: 'at least 90 % of misses computed (MISS, X-Variant-Source: computed)',
      ok: f.miss.computedShare >= 0.9,
    });
  if (f.upload?.createdShare !== undefined)
    checks.push({ check: 'at least 90 % of uploads 201', ok: f.upload.createdShare >= 0.9 });
  summary.checks = checks;
  return summary;
}

/**
 * The hits scenario against the floor scenario of the same run: throughput and p99 ratios,
 * with their checks; null when either was skipped.
 */
function hitsAgainstFloor(results) {
  const hits = results.find((s) => s.name === 'hits' && !s.skipped);
  const floor = results.find((s) => s.name === 'floor' && !s.skipped);
  if (!hits || !floor) return null;
  const rpsRatio = round(hits.rps / floor.rps, 2);
  const p99Ratio = round(hits.latencyMs.p99 / floor.latencyMs.p99, 2);
  return {
    hits: { rps: hits.rps, p99: hits.latencyMs.p99, generatorMs: hits.generatorMsPerResponse },
    floor: { rps: floor.rps, p99: floor.latencyMs.p99, generatorMs: floor.generatorMsPerResponse },
    rpsRatio,
    p99Ratio,
    checks: [
      {
        check: `hit throughput ≥ ${FLOOR_MIN_RPS_RATIO}x the floor's`,
        ok: rpsRatio >= FLOOR_MIN_RPS_RATIO,
      },
      {
        check: `hit p99 ≤ ${FLOOR_MAX_P99_RATIO}x the floor's`,
        ok: p99Ratio <= FLOOR_MAX_P99_RATIO,
      },
    ],
  };
}

// ---------------------------------------------------------------------------------------------
// The spike

/**
 * Sends one request at a time (a pause of PROBE_GAP_MS between them) until `stopAt`
 * (performance.now() ms): `{ status, ms }` per request, status 0 for a socket error.
 */
async function probe(base, nextPath, stopAt) {
  const out = [];
  while (performance.now() < stopAt) {
    const t = performance.now();
    let status = 0;
    let cache;
    try {
      const res = await fetch(base + nextPath(), {
        headers: { 'CF-Connecting-IP': clientIp() },
        signal: AbortSignal.timeout(10_000),
      });
      await res.arrayBuffer();
      status = res.status;
      cache = res.headers.get('X-Cache') ?? undefined;
    } catch {
      // counted as status 0
    }
    out.push({ status, ms: performance.now() - t, cache });
    await sleep(PROBE_GAP_MS);
  }
  return out;
}

/**
 * CPU time so far (ms) of each process of the service's group (`pgid`: wrangler's Node process
 * and its workerds, by pid) and of this process (`loadgen`: autocannon and the probes).
 */
function cpuNow(pgid) {
  const usage = process.cpuUsage();
  const out = { loadgen: (usage.user + usage.system) / 1000 };
  if (pgid)
    for (const m of groupMembers(pgid)) {
      const ms = cpuMs(m.pid);
      if (ms !== null) out[`${m.comm} ${m.pid}`] = ms;
    }
  return out;
}

/** CPU ms per answer of each process between two {@link cpuNow} readings. */
function cpuPerAnswer(before, after, answers) {
  const out = {};
  for (const [k, v] of Object.entries(after))
    if (before[k] !== undefined) out[k] = round((v - before[k]) / Math.max(1, answers), 3);
  return out;
}

/** p50/p99 and non-200 count of probe records. */
function probeFigures(records) {
  const ms = records.map((r) => r.ms).sort((a, b) => a - b);
  return {
    requests: records.length,
    p50: round(percentile(ms, 50), 1),
    p99: round(percentile(ms, 99), 1),
    max: round(ms.at(-1) ?? NaN, 1),
    non200: records.filter((r) => r.status !== 200).length,
  };
}

/**
 * The spike: an unloaded probe of hits and /healthz, then each phase of SPIKE_PHASES miss
 * connections with the same probes alongside; and the control, the same against the floor
 * (`floor.base`, `floor.paths`): its unloaded probe, then each phase's connections flooding it
 * with floor requests while two probers measure it. Returns the figures and checks.
 */
async function spike(base, hotPaths, nextMiss, pgid, floor) {
  let hitN = 0;
  const nextHit = () => hotPaths[hitN++ % hotPaths.length];
  let floorN = 0;
  const nextFloor = () => floor.paths[floorN++ % floor.paths.length];
  const floorFlood = roundRobin('floor', floor.paths);
  /** The floor's probes alone, then under `connections` flooding the floor. */
  const control = async (connections) => {
    const stopAt = () =>
      performance.now() + (connections ? SPIKE_PHASE_S : SPIKE_BASELINE_S) * 1000;
    if (!connections) {
      const end = stopAt();
      const [a, b] = await Promise.all([
        probe(floor.base, nextFloor, end),
        probe(floor.base, nextFloor, end),
      ]);
      return probeFigures([...a, ...b]);
    }
    const end = stopAt();
    const [, a, b] = await Promise.all([
      runAutocannon(floor.base, { connections, durationS: SPIKE_PHASE_S, next: floorFlood }),
      probe(floor.base, nextFloor, end),
      probe(floor.base, nextFloor, end),
    ]);
    return probeFigures([...a, ...b]);
  };
  const probes = async (seconds) => {
    const stopAt = performance.now() + seconds * 1000;
    const [h1, h2, health] = await Promise.all([
      probe(base, nextHit, stopAt),
      probe(base, nextHit, stopAt),
      probe(base, () => '/healthz', stopAt),
    ]);
    return { hits: [...h1, ...h2], health };
  };
  const baseline = await probes(SPIKE_BASELINE_S);
  const unloaded = {
    hits: probeFigures(baseline.hits),
    healthz: probeFigures(baseline.health),
    floor: await control(0),
  };
  const phases = [];
  for (const connections of SPIKE_PHASES) {
    const cpuBefore = cpuNow(pgid);
    const [run, p] = await Promise.all([
      runAutocannon(base, { connections, durationS: SPIKE_PHASE_S, next: nextMiss }),
      probes(SPIKE_PHASE_S),
    ]);
    if (shuttingDown) return null;
    const { result, records } = run;
    const status = {};
    for (const r of records) status[r.status] = (status[r.status] ?? 0) + 1;
    const refusedWithoutRetryAfter = records.filter(
      (r) => (r.status === 429 || r.status === 503) && !r.retryAfter,
    ).length;
    const otherErrors = records.filter(
      (r) => r.status >= 400 && r.status !== 429 && r.status !== 503,
    ).length;
    const hits = probeFigures(p.hits);
    const healthz = probeFigures(p.health);
    const misses = figures(records, result.duration || SPIKE_PHASE_S);
    // Every answer of the phase (misses and probes) costs CPU somewhere: per process, ms each.
    const answers = records.length + p.hits.length + p.health.length;
    const cpuMsPerAnswer = cpuPerAnswer(cpuBefore, cpuNow(pgid), answers);
    // The control: what the same number of flooding connections does to the floor's probes.
    const floorProbes = await control(connections);
    if (shuttingDown) return null;
    const reference = Math.max(unloaded.hits.p99, floorProbes.p99);
    const checks = [
      { check: 'healthz p99 under 1 s, all 200', ok: healthz.p99 < 1000 && healthz.non200 === 0 },
      {
        check: `hit p99 within 2x of unloaded (${unloaded.hits.p99} ms) or of the floor's probes under the same flood (${floorProbes.p99} ms), all 200`,
        ok: hits.p99 <= 2 * reference && hits.non200 === 0,
      },
      {
        check: 'misses: no error but 429/503 with Retry-After, no socket errors or timeouts',
        ok:
          otherErrors === 0 &&
          refusedWithoutRetryAfter === 0 &&
          result.errors === 0 &&
          result.timeouts === 0,
      },
    ];
    phases.push({
      connections,
      misses: { ...misses, socketErrors: result.errors, timeouts: result.timeouts },
      missStatus: status,
      refusedWithoutRetryAfter,
      hits,
      healthz,
      floorProbes,
      answers,
      cpuMsPerAnswer,
      checks,
    });
    console.log(
      `  ${connections} connections: misses ${misses.requests} (${Object.entries(status)
        .map(([k, v]) => `${v}× ${k}`)
        .join(
          ', ',
        )}), hits p50/p99 ${hits.p50}/${hits.p99} ms, healthz p50/p99 ${healthz.p50}/${healthz.p99} ms; ` +
        `the floor flooded alike: probes p50/p99 ${floorProbes.p50}/${floorProbes.p99} ms`,
    );
    console.log(
      `    CPU ms per answer (${answers} answers): ${Object.entries(cpuMsPerAnswer)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}`,
    );
    for (const c of checks) if (!c.ok) console.log(`  FAILED: ${c.check}`);
  }
  return { unloaded, phases };
}

/** Rows of strings (the first is the header) as an aligned Markdown table. */
function markdownTable(rows) {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  const line = (r) => `| ${r.map((x, c) => x.padEnd(widths[c])).join(' | ')} |`;
  return [
    line(rows[0]),
    `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`,
    ...rows.slice(1).map(line),
  ].join('\n');
}

/** The spike as a Markdown table. */
function spikeTable(sp) {
  const rows = [
    [
      'phase',
      'miss connections',
      'misses',
      'miss answers',
      'hits p50 / p99 ms',
      'healthz p50 / p99 ms',
      'floor flooded alike: probes p50 / p99 ms',
      'checks',
    ],
    [
      'unloaded',
      '0',
      '—',
      '—',
      `${sp.unloaded.hits.p50} / ${sp.unloaded.hits.p99}`,
      `${sp.unloaded.healthz.p50} / ${sp.unloaded.healthz.p99}`,
      sp.unloaded.floor ? `${sp.unloaded.floor.p50} / ${sp.unloaded.floor.p99}` : '—',
      '—',
    ],
  ];
  for (const p of sp.phases)
    rows.push([
      'spike',
      String(p.connections),
      String(p.misses.requests),
      Object.entries(p.missStatus)
        .map(([k, v]) => `${v}× ${k}`)
        .join(', ') + (p.misses.socketErrors ? `, ${p.misses.socketErrors} socket errors` : ''),
      `${p.hits.p50} / ${p.hits.p99}`,
      `${p.healthz.p50} / ${p.healthz.p99}`,
      p.floorProbes ? `${p.floorProbes.p50} / ${p.floorProbes.p99}` : '—',
      p.checks.every((c) => c.ok)
        ? 'pass'
        : `FAIL: ${p.checks
            .filter((c) => !c.ok)
            .map((c) => c.check)
            .join('; ')}`,
    ]);
  return markdownTable(rows);
}

// ---------------------------------------------------------------------------------------------
// Output

function notes(s) {
  const parts = [];
  const f = s.facts ?? {};
  if (f.hit?.hitShare !== undefined) parts.push(`HIT ${pct(f.hit.hitShare)}`);
  if (f.miss?.computedShare !== undefined) {
    const t = f.miss.serverTimingMeanMs;
    parts.push(
      `computed ${pct(f.miss.computedShare)}, mean decode/resize/encode ${t.decode}/${t.resize}/${t.encode} ms`,
    );
  }
  if (f.upload?.createdShare !== undefined) parts.push(`201 ${pct(f.upload.createdShare)}`);
  if (s.status429) parts.push(`429: ${s.status429}`);
  if (s.status5xx) parts.push(`5xx: ${s.status5xx}`);
  if (s.timeouts) parts.push(`timeouts: ${s.timeouts}`);
  return parts.join('; ');
}

function table(scenarios) {
  const rows = [
    [
      'scenario',
      'connections',
      'requests',
      'req/s',
      'p50 ms',
      'p95 ms',
      'p99 ms',
      'non-2xx/3xx',
      'socket errors',
      'notes',
    ],
  ];
  const fmt = (x) => (x === null || x === undefined ? '—' : String(x));
  for (const s of scenarios) {
    if (s.skipped) {
      rows.push([s.name, String(s.connections), '—', '—', '—', '—', '—', '—', '—', s.skipped]);
      continue;
    }
    rows.push([
      s.name === 'mix' ? 'mix (85/10/5 %)' : s.name,
      String(s.connections),
      String(s.requests),
      fmt(s.rps),
      fmt(s.latencyMs.p50),
      fmt(s.latencyMs.p95),
      fmt(s.latencyMs.p99),
      String(s.non2xx3xx),
      String(s.socketErrors),
      notes(s),
    ]);
    for (const [kind, k] of Object.entries(s.byKind ?? {}))
      rows.push([
        `↳ mix: ${KIND_LABEL[kind] ?? kind}`,
        '',
        String(k.requests),
        fmt(k.rps),
        fmt(k.latencyMs.p50),
        fmt(k.latencyMs.p95),
        fmt(k.latencyMs.p99),
        String(k.non2xx3xx),
        '',
        notes({ facts: { [kind]: s.facts[kind] }, status429: k.status429, status5xx: k.status5xx }),
      ]);
  }
  return markdownTable(rows);
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const opts = parseOptions();
  if (!fs.existsSync(imagesDir)) throw new Error(`no images at ${imagesDir}`);
  const watchdog = setTimeout(
    () => void shutdown(1, `over the ${BUDGET_S} s budget: stopping`),
    (BUDGET_S - 2 - elapsedS()) * 1000,
  );
  const date = new Date().toISOString().slice(0, 10);
  const mach = machine();
  const load = { start: round(os.loadavg()[0], 2), end: null };
  console.log(`${mach.summary}\nload average (1 min) at start: ${load.start}`);

  let base = opts.url;
  let keys = opts.keys;
  const timings = {};
  /** @type {Awaited<ReturnType<typeof startLocalService>> | undefined} */
  let service;
  let ownPgid;
  let bundleSha256;
  let stopped;
  /** @type {string[]} */
  let serviceErrors = [];
  if (!base) {
    process.stdout.write('starting the service (bundle, migrations, wrangler dev)… ');
    service = await startLocalService({
      root,
      keyCount: opts.keyCount,
      port: opts.port,
      vars: opts.vars,
    });
    ownPgid = service.pid;
    base = service.url;
    keys = service.keys;
    bundleSha256 = service.bundleSha256;
    timings.startS = round(elapsedS(), 1);
    console.log(`${base} in ${timings.startS} s`);
  } else {
    const res = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(5000) });
    if (!res.ok) throw new Error(`${base}/healthz answered ${res.status}`);
  }
  process.stdout.write('starting the floor Worker… ');
  const floorService = await startFloorWorker({
    root,
    port: opts.port === undefined ? undefined : opts.port + 1,
  });
  console.log(floorService.url);
  const others = { start: otherLoad(ownPgid), end: null };

  process.stdout.write('seeding… ');
  const t0 = elapsedS();
  const seeds = await seed(base, keys);
  const hotPaths = HOT_FILES.map((f) => {
    const s = seeds.find((x) => x.file === f);
    if (!s) throw new Error(`hot image ${f} was not seeded`);
    return `/img/${s.id}/${HOT_TRANSFORM}`;
  });
  const warmed = await warm(base, hotPaths);
  // The floor answers bodies of the hot variants' sizes, from its cache (warmed the same way).
  const floorPaths = warmed.map((w) => `/floor/${w.bytes}`);
  for (const p of floorPaths) {
    const res = await fetch(floorService.url + p, { signal: AbortSignal.timeout(30_000) });
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`warming the floor ${p}: ${res.status}`);
  }
  const cardless = await cardsMade(base, seeds);
  timings.seedS = round(elapsedS() - t0, 1);
  console.log(
    `${seeds.length} images, ${hotPaths.length} hot variants in ${timings.seedS} s` +
      `${cardless ? ` (${cardless} still without a card)` : ', every card made'}\n`,
  );

  const gens = makeGenerators(seeds, hotPaths, keys, floorPaths);
  const results = [];
  const chosen = SCENARIOS.filter((d) => !opts.only || opts.only.includes(d.name));
  const withSpike = !opts.only || opts.only.includes('spike');
  /** Runs `defs` in order, each fitted into what is left of the budget. */
  const runScenarios = async (defs, spikePending) => {
    for (const [i, def] of defs.entries()) {
      // The hits and the floor run in alternating slices (alternating()), the floor with them.
      if (def.name === 'floor' && results.some((r) => r.name === 'hits')) continue;
      const left = defs.length - i;
      // Fit the rest into the budget: ~1.5 s of overhead per scenario, RESERVE_S at the end.
      const reserve = RESERVE_S + (spikePending ? SPIKE_RESERVE_S : 0);
      const room = (BUDGET_S - reserve - elapsedS() - 1.5 * left) / left;
      const durationS = Math.min(opts.duration, Math.floor(room));
      if (durationS < 3) {
        results.push({ name: def.name, connections: def.connections, skipped: 'no time left' });
        console.log(`${def.name}: skipped (no time left in the budget)`);
        continue;
      }
      const paired = def.name === 'hits' && defs.some((d) => d.name === 'floor');
      const who = paired ? 'hits and floor' : def.name;
      process.stdout.write(
        `${who}: ${def.connections} connections, ${durationS} s${paired ? ` each in ${FLOOR_SLICES} alternating slices` : ''}…\n`,
      );
      const summaries = paired
        ? await alternating(
            ['hits', 'floor'].map((name) => ({
              def: defs.find((d) => d.name === name),
              base: name === 'floor' ? floorService.url : base,
              next: gens[name],
            })),
            durationS,
            FLOOR_SLICES,
          )
        : [await scenario(base, def, durationS, gens[def.name])];
      if (shuttingDown) return;
      for (const s of summaries) {
        results.push(s);
        console.log(
          `  ${s.name}: ${s.requests} requests, ${s.rps} req/s, p50/p95/p99 ${s.latencyMs.p50}/${s.latencyMs.p95}/${s.latencyMs.p99} ms, ` +
            `non-2xx/3xx ${s.non2xx3xx}, socket errors ${s.socketErrors}${notes(s) ? ` (${notes(s)})` : ''}`,
        );
        for (const c of s.checks) if (!c.ok) console.log(`  FAILED: ${c.check}`);
      }
    }
  };
  // The spike runs before the scenarios that upload: each upload enqueues its card, and locally
  // the queue consumer shares workerd's one thread with delivery (in production it has its own
  // isolates), so a backlog of cards would be measured instead of the miss flood.
  const before = chosen.filter((d) => !d.afterSpike);
  await runScenarios(before, withSpike);
  if (shuttingDown) return;

  const vsFloor = hitsAgainstFloor(results);
  if (vsFloor) {
    console.log(
      `hits / floor: throughput ${vsFloor.rpsRatio}x (goal ≥ ${FLOOR_MIN_RPS_RATIO}), p99 ${vsFloor.p99Ratio}x (goal ≤ ${FLOOR_MAX_P99_RATIO}); the load generator's CPU per response ${vsFloor.hits.generatorMs} / ${vsFloor.floor.generatorMs} ms`,
    );
    for (const c of vsFloor.checks) if (!c.ok) console.log(`  FAILED: ${c.check}`);
  }

  if (withSpike)
    console.log(
      `spike: unloaded probe ${SPIKE_BASELINE_S} s, then ${SPIKE_PHASES.join(' → ')} miss connections, ${SPIKE_PHASE_S} s each`,
    );
  const spikeResult = withSpike
    ? await spike(base, hotPaths, gens.misses, ownPgid, {
        base: floorService.url,
        paths: floorPaths,
      })
    : { unloaded: null, phases: [], skipped: true };
  if (shuttingDown) return;
  await runScenarios(
    chosen.filter((d) => d.afterSpike),
    false,
  );
  if (shuttingDown) return;
  await floorService.stop();

  load.end = round(os.loadavg()[0], 2);
  others.end = otherLoad(ownPgid);
  clearTimeout(watchdog);
  if (service) {
    process.stdout.write('\nstopping the service… ');
    const svc = service;
    // The service's own error lines (its log goes with its temporary directory).
    serviceErrors = fs
      .readFileSync(svc.logFile, 'utf8')
      .split('\n')
      .filter((l) => /"level":"error"|\berror\b/i.test(l))
      .slice(-20);
    const left = await svc.stop();
    stopped = { processGroup: svc.pid, leftRunning: left.length };
    console.log(
      left.length
        ? `processes left in group ${svc.pid}: ${left.map((p) => `${p.comm} (${p.pid})`).join(', ')}`
        : `stopped (nothing left in process group ${svc.pid})`,
    );
  }
  const seconds = round(elapsedS(), 1);

  const md = table(results);
  console.log(`\n${md}\n`);
  console.log(`load average (1 min) ${load.start} → ${load.end}; run took ${seconds} s`);

  const spikeMd = spikeResult.unloaded ? spikeTable(spikeResult) : '(spike not run)';
  console.log(`${spikeMd}\n`);
  const failed = [...results, ...(vsFloor ? [vsFloor] : []), ...spikeResult.phases].flatMap((s) =>
    (s.checks ?? []).filter((c) => !c.ok),
  );
  const file = `loadtest-${date}${opts.only ? '-partial' : ''}.json`;
  const out = {
    date,
    seconds,
    timings,
    target: opts.url
      ? { mode: 'url', url: opts.url }
      : {
          mode: 'self-started',
          description:
            'wrangler dev (local mode: workerd with local R2, D1, Queues and Cache API through Miniflare) on the bundle of `wrangler deploy --dry-run`, temporary state, --log-level warn',
          bundleSha256,
          stopped,
        },
    git: gitState(),
    machine: mach,
    loadAverage1m: load,
    otherProcesses: others,
    versions: {
      wrangler: versionOf('wrangler'),
      workerd: versionOf('workerd'),
      miniflare: versionOf('miniflare'),
      autocannon: versionOf('autocannon'),
    },
    settings: {
      durationSRequested: opts.duration,
      vars: opts.vars,
      apiKeys: keys.length,
      clientIps: 'rotating CF-Connecting-IP from 198.18.0.0/15, one per request',
      hot: { transform: HOT_TRANSFORM, files: HOT_FILES },
      misses: `w=N,f=webp, N in ${MIN_W}..min(width, ${MAX_W}) (not 320), each once per image`,
      uploads: { files: UPLOAD_FILES, unique: '16 random bytes appended' },
      mix: MIX,
      latency:
        'per response, from the request write to the last byte (autocannon); percentiles nearest-rank over all responses',
    },
    seeds,
    warmed,
    scenarios: results,
    hitsAgainstFloor: vsFloor,
    serviceErrors,
    spike: {
      phases: SPIKE_PHASES,
      phaseSeconds: SPIKE_PHASE_S,
      baselineSeconds: SPIKE_BASELINE_S,
      probes: `two hit probers (the warmed variants) and one /healthz prober, one request at a time, ${PROBE_GAP_MS} ms apart`,
      ...spikeResult,
    },
    ok: failed.length === 0,
  };
  fs.mkdirSync(path.join(root, 'bench', 'results'), { recursive: true });
  await writeFormatted(path.join(root, 'bench', 'results', file), JSON.stringify(out, null, 2));
  console.log(`results: bench/results/${file}`);

  if (opts.update && !opts.only) {
    const target = opts.url
      ? `a running service at ${opts.url}`
      : "a self-started `wrangler dev` (wrangler's local mode)";
    const phases = [
      timings.startS === undefined ? null : `start-up ${timings.startS} s`,
      `seeding and warming ${timings.seedS} s`,
    ]
      .filter(Boolean)
      .join(', ');
    const others1 = (o) => `${o.workerd} workerd, ${o.vitest} vitest`;
    const text = [
      `Measured ${date} against ${target} on the same machine as the load generator: ${mach.summary}.`,
      `Load average (1 min) ${load.start} → ${load.end}; other processes at start / end: ${others1(others.start)} / ${others1(others.end)}.`,
      `Run took ${seconds} s (${phases}).`,
      `wrangler ${out.versions.wrangler}, workerd ${out.versions.workerd}, autocannon ${out.versions.autocannon}; code ${out.git?.head ?? '?'}${out.git?.modifiedFiles ? ` with ${out.git.modifiedFiles} modified files` : ''}.`,
      `Results: \`bench/results/${file}\`.`,
      '',
      md,
      '',
      vsFloor
        ? `Hits against the floor (a hello-world Worker doing one \`caches.default.match\`, bodies of the same sizes, same wrangler and the same \`[assets]\` router in front, run in slices alternating with the hits): throughput ${vsFloor.rpsRatio}x (goal ≥ ${FLOOR_MIN_RPS_RATIO}), p99 ${vsFloor.p99Ratio}x (goal ≤ ${FLOOR_MAX_P99_RATIO}); ${vsFloor.checks.every((c) => c.ok) ? 'pass' : 'FAIL'}.`
        : 'Hits against the floor: not measured (a scenario was skipped).',
      '',
      `Spike (misses at ${SPIKE_PHASES.join(' → ')} connections, ${SPIKE_PHASE_S} s each, after an unloaded ${SPIKE_BASELINE_S} s probe; hits and /healthz probed one request at a time by two and one probers; after each phase, the control: the floor Worker flooded by as many connections and probed by two probers, what this machine does to any Worker's probes under that flood. Hit check: p99 within 2x of the unloaded p99 or of the floor's probe p99 under the same flood, whichever is larger):`,
      '',
      spikeMd,
    ].join('\n');
    await replaceResults(path.join(root, 'docs', 'performance.md'), 'loadtest', text);
  }
  console.log(`done in ${round(elapsedS(), 1)} s`);
  if (failed.length) {
    console.log(`${failed.length} check(s) failed`);
    process.exitCode = 1;
  }
}

main()
  // Idle keep-alive sockets and timers would hold the process for seconds after the work.
  .then(() => {
    if (!shuttingDown) process.exit(process.exitCode ?? 0);
  })
  .catch(async (err) => {
    if (shuttingDown) return;
    console.error(err instanceof Error ? err.message : err);
    await shutdown(1);
  });
