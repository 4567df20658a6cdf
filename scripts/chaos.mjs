#!/usr/bin/env node
/**
 * `npm run chaos`: a bounded fault test (at most 5 minutes, loopback only) of the local
 * service, both Workers in one `wrangler dev` (lib/local-service.mjs: temporary state and
 * keys, never the developer's `.wrangler/state` or `.dev.vars`).
 *
 * 1. Seeds SEEDS images and starts a bulk job over them (SPECS variants each, with an
 *    Idempotency-Key); the uploads queue their cards and eager presets as usual.
 * 2. Once a quarter of the job is done, UPLOADS concurrent uploads start; once a third of
 *    them have answered (or 8 s after they started), the whole
 *    wrangler/workerd process group is killed with SIGKILL (in-flight requests, queue
 *    batches and the local queue's messages die with it), then restarted on the same state.
 * 3. The job's request is replayed with its Idempotency-Key (it must answer the same job),
 *    then the reconciler runs through wrangler dev's `/cdn-cgi/handler/scheduled` (the
 *    service without its console assets: with `[assets]` that route answers "exception")
 *    with a `time` past the reconciler's windows, instead of waiting 10 minutes, until the
 *    job ends.
 * 4. Checks: the job ends with exact counts (items = images × specs, each item ended once);
 *    every upload answered 201 has its row; every image row has its original (GET
 *    /img/:id/original, bytes hashing to its sha256) and its card; no duplicate rows (D1
 *    read with `wrangler d1 execute --local`); every stored variant (`variants` rows, ready)
 *    is served from storage and decodes (sharp) to its recorded size.
 *
 * Results: bench/results/chaos-<YYYY-MM-DD>.json and the table between the `chaos:results`
 * markers in docs/performance.md (`--no-update`: leave the page alone). Exit status 1 when a
 * check failed.
 */
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { replaceResults } from '../bench/lib/docs.mjs';
import { machine } from '../bench/lib/report.mjs';
import { killActiveNow, startLocalService, stopActive } from './lib/local-service.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const imagesDir = path.resolve(root, '..', 'shared', 'images');

/** Everything, start-up and shutdown included, must fit in this (seconds). */
const BUDGET_S = 300;
/** The job: these seeds × these specs. */
const SEED_FILES = [
  ...[1, 2, 3, 4].map((n) => `kodak/kodim0${n}.png`),
  ...[1, 2, 3].map((n) => `exif/Landscape_${n}.jpg`),
  'small/Giunchedi_Filippo_January_2015_01.jpg',
];
const SPECS = ['w=160,f=webp', 'w=240,f=jpeg', 'w=120,h=120,fit=cover,f=png'];
/** Concurrent uploads during the crash. */
const UPLOAD_FILES = Array.from({ length: 8 }, (_, i) => `exif/Landscape_${i + 1}.jpg`);
const RECONCILER_CRON = '*/5 * * * *';
const MINUTE = 60_000;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
/** Seeding uploads re-sent after wrangler dev's proxy answered DEV_PROXY_RESTART. */
let devProxyRetries = 0;
const elapsedS = () => process.uptime();

const { values: args } = parseArgs({
  options: {
    uploads: { type: 'string', default: '24' },
    'no-update': { type: 'boolean', default: false },
  },
});
const UPLOADS = Number(args.uploads);
if (!Number.isInteger(UPLOADS) || UPLOADS < 1 || UPLOADS > 100)
  throw new Error('--uploads must be 1..100');

// ---------------------------------------------------------------------------------------------
// Shutdown: the service is stopped on success, errors, Ctrl-C and the budget watchdog.

let stopping = false;
async function shutdown(code, why) {
  if (stopping) return;
  stopping = true;
  if (why) console.error(why);
  await stopActive();
  process.exit(code);
}
process.on('SIGINT', () => void shutdown(130, 'interrupted (SIGINT)'));
process.on('SIGTERM', () => void shutdown(143, 'terminated (SIGTERM)'));
process.on('exit', () => killActiveNow());
setTimeout(() => void shutdown(1, `budget of ${BUDGET_S} s exceeded`), BUDGET_S * 1000).unref();

// ---------------------------------------------------------------------------------------------

/** The image bytes with random bytes appended after its end (EOI / IEND): a new original. */
const uniqueBody = (file) =>
  Buffer.concat([fs.readFileSync(path.join(imagesDir, file)), randomBytes(16)]);
const contentType = (file) => (/\.png$/i.test(file) ? 'image/png' : 'image/jpeg');

/** fetch with a timeout; a JSON body when asked. */
async function http(url, { key, method = 'GET', body, headers = {}, timeoutMs = 30_000 } = {}) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fetch(url, {
        method,
        body,
        headers: { ...(key ? { Authorization: `Bearer ${key}` } : {}), ...headers },
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      // A GET is retried once on a socket error (a kept-alive connection closed under it).
      if (method !== 'GET' || attempt > 1) throw err;
      await sleep(500);
    }
  }
}

/**
 * wrangler dev's proxy answers this 503 (`Retry-After: 0`) when a POST was in flight while it
 * switched to a reloaded workerd; the service never saw the request's end. Locally it
 * happens while a long queue batch blocks workerd's thread (docs/performance.md, chaos).
 */
const DEV_PROXY_RESTART = /^Your worker restarted mid-request/;

async function uploadFile(base, key, file, { retryDevProxy = false } = {}) {
  const body = uniqueBody(file);
  let res;
  let text;
  for (let attempt = 1; ; attempt++) {
    res = await http(`${base}/v1/images`, {
      key,
      method: 'POST',
      body,
      headers: { 'Content-Type': contentType(file) },
    });
    text = await res.text();
    if (!(retryDevProxy && res.status === 503 && DEV_PROXY_RESTART.test(text) && attempt < 3))
      break;
    devProxyRetries++;
  }
  if (!res.headers.get('Content-Type')?.includes('json'))
    return { status: res.status, error: text.slice(0, 200) };
  const json = JSON.parse(text);
  return { status: res.status, id: json.id, sha256: json.sha256 };
}

async function postJob(base, key, ids, idem) {
  const res = await http(`${base}/v1/jobs`, {
    key,
    method: 'POST',
    body: JSON.stringify({ images: ids, variants: SPECS }),
    headers: { 'Content-Type': 'application/json', 'Idempotency-Key': idem },
  });
  return { status: res.status, job: await res.json() };
}

const getJob = async (base, key, id) => (await http(`${base}/v1/jobs/${id}`, { key })).json();

/** Runs the reconciler once at `time` (unix ms) through wrangler dev's test endpoint. */
async function runReconciler(base, time) {
  const q = new URLSearchParams({ cron: RECONCILER_CRON, time: String(time) });
  const res = await http(`${base}/cdn-cgi/handler/scheduled?${q}`, { timeoutMs: 60_000 });
  if (!res.ok) throw new Error(`scheduled handler: ${res.status} ${await res.text()}`);
}

/** Rows from the local D1 (the service's temporary state). */
function d1(state, sql) {
  const out = execFileSync(
    path.join(root, 'node_modules', '.bin', 'wrangler'),
    ['d1', 'execute', 'DB', '--local', '--persist-to', state, '--json', '--command', sql],
    {
      cwd: root,
      env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false' },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  return JSON.parse(out)[0].results;
}

/** Every image of the owner, through the API (pages of 100). */
async function listImages(base, key) {
  const all = [];
  let cursor = null;
  do {
    const q = new URLSearchParams({ limit: '100', ...(cursor ? { cursor } : {}) });
    const page = await (await http(`${base}/v1/images?${q}`, { key })).json();
    all.push(...page.images);
    cursor = page.next_cursor;
  } while (cursor);
  return all;
}

const ACCEPT = {
  avif: 'image/avif',
  webp: 'image/webp',
  jpeg: 'image/jpeg',
  png: 'image/png',
};

// ---------------------------------------------------------------------------------------------

const load0 = os.loadavg()[0];
const t0 = Date.now();
console.log(`chaos: starting the local service (both Workers)…`);
const svc = await startLocalService({ root, keyCount: 4, assets: false });
const base = svc.url;
const key = svc.keys[0];
const state = path.join(svc.tmp, 'state');
const checks = [];
const check = (name, ok, detail) => {
  checks.push({ name, ok, detail });
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${name}${detail ? `: ${detail}` : ''}`);
};

try {
  // 1. Seeds and the job.
  const seeds = [];
  for (const file of SEED_FILES) {
    const r = await uploadFile(base, key, file, { retryDevProxy: true });
    if (r.status !== 201) throw new Error(`seeding ${file}: ${r.status} ${r.error ?? ''}`);
    seeds.push(r);
  }
  const idem = `chaos-${randomBytes(6).toString('hex')}`;
  const created = await postJob(
    base,
    key,
    seeds.map((s) => s.id),
    idem,
  );
  if (created.status !== 201) throw new Error(`job: ${created.status}`);
  const jobId = created.job.id;
  const total = SEED_FILES.length * SPECS.length;

  // The consumer Worker starts on the job; the fault comes once a quarter of it is done.
  for (let i = 0; i < 120; i++) {
    const j = await getJob(base, key, jobId);
    if (j.progress.done >= total / 4) break;
    await sleep(250);
  }

  // 2. Concurrent uploads; SIGKILL once a third of them have answered.
  const uploads = Array.from({ length: UPLOADS }, (_, i) => ({
    file: UPLOAD_FILES[i % UPLOAD_FILES.length],
    outcome: 'pending',
  }));
  let answered = 0;
  const inFlight = uploads.map(async (u) => {
    try {
      const r = await uploadFile(base, svc.keys[1 + (answered % 3)], u.file);
      Object.assign(u, { outcome: String(r.status), id: r.id, sha256: r.sha256, error: r.error });
    } catch (err) {
      u.outcome = 'connection lost';
      u.error = String(err.cause?.code ?? err.message);
    } finally {
      answered++;
    }
  });
  // (or 8 s after they started: locally a queue batch can hold every answer back at once)
  const started = Date.now();
  while (answered < Math.ceil(UPLOADS / 3) && Date.now() - started < 8000) await sleep(5);
  const answeredAtKill = answered;
  const tKill = Date.now();
  await svc.crash();
  await Promise.all(inFlight);
  console.log(`killed -9 after ${answeredAtKill}/${UPLOADS} uploads answered`);
  await svc.restart();
  const tUp = Date.now();
  console.log(`restarted in ${((tUp - tKill) / 1000).toFixed(1)} s`);

  // 3. Replay, then the reconciler until the job ends (time moves a window ahead each run).
  const replay = await postJob(
    base,
    key,
    seeds.map((s) => s.id),
    idem,
  );
  check(
    'replayed Idempotency-Key answers the same job',
    replay.status === 200 && replay.job.id === jobId,
    `${replay.status} ${replay.job.id}`,
  );
  let runs = 0;
  let job = await getJob(base, key, jobId);
  const tEnd = Date.now() + 150_000;
  while (Date.now() < tEnd && elapsedS() < BUDGET_S - 60) {
    job = await getJob(base, key, jobId);
    const images = await listImages(base, key);
    const cardless = images.filter((i) => !i.thumbhash).length;
    if (['succeeded', 'failed', 'cancelled'].includes(job.status) && cardless === 0) break;
    runs++;
    await runReconciler(base, Date.now() + runs * 11 * MINUTE);
    await sleep(5000);
  }
  const tDone = Date.now();

  // 4. Checks.
  const p = job.progress;
  check(
    'job ended with exact counts',
    ['succeeded', 'failed'].includes(job.status) &&
      p.total === total &&
      p.succeeded + p.failed === total &&
      p.done === total &&
      p.queued === 0 &&
      p.running === 0,
    `${job.status}, ${p.succeeded} succeeded + ${p.failed} failed of ${p.total} (expected ${total})`,
  );
  const images = await listImages(base, key);
  const ok201 = uploads.filter((u) => u.outcome === '201');
  const byId = new Map(images.map((i) => [i.id, i]));
  const lostRows = ok201.filter((u) => !byId.has(u.id));
  check('every 201 upload has its row', lostRows.length === 0, `${ok201.length} answered 201`);
  let missingObjects = 0;
  for (const img of images) {
    const res = await http(`${base}/img/${img.id}/original`);
    const bytes = Buffer.from(await res.arrayBuffer());
    if (res.status !== 200 || createHash('sha256').update(bytes).digest('hex') !== img.sha256)
      missingObjects++;
  }
  check(
    'no row lacks its original',
    missingObjects === 0,
    `${images.length} rows, ${missingObjects} without`,
  );
  const cardless = images.filter((i) => !i.thumbhash).length;
  check('every image has its card', cardless === 0, `${cardless} without`);
  // D1 directly (after the HTTP checks): duplicates, re-drives, waiting sends, variants.
  const items = d1(
    state,
    `SELECT status, COUNT(*) AS n, SUM(redrives) AS redrives FROM job_items WHERE job_id = '${jobId}' GROUP BY status`,
  );
  const redriven = items.reduce((s, r) => s + (r.redrives ?? 0), 0);
  const jobDoneAtKill = d1(
    state,
    `SELECT COUNT(*) AS n FROM job_items WHERE job_id = '${jobId}' AND finished_at < ${tKill}`,
  )[0].n;
  const dupImages = d1(
    state,
    'SELECT COUNT(*) AS n FROM (SELECT owner, sha256 FROM images GROUP BY 1, 2 HAVING COUNT(*) > 1)',
  )[0].n;
  const dupItems = d1(
    state,
    'SELECT COUNT(*) AS n FROM (SELECT job_id, image_id, spec FROM job_items GROUP BY 1, 2, 3 HAVING COUNT(*) > 1)',
  )[0].n;
  check(
    'no duplicate rows',
    dupImages === 0 && dupItems === 0,
    `${dupImages} images, ${dupItems} items`,
  );
  const pendingSends = d1(state, 'SELECT COUNT(*) AS n FROM pending_sends')[0].n;

  const variants = d1(
    state,
    `SELECT image_id, spec, format, width, height FROM variants WHERE state = 'ready'`,
  );
  let undecodable = 0;
  for (const v of variants) {
    const res = await http(`${base}/img/${v.image_id}/${v.spec}`, {
      headers: { Accept: ACCEPT[v.format] },
    });
    const bytes = Buffer.from(await res.arrayBuffer());
    let meta = null;
    try {
      meta = await sharp(bytes).metadata();
    } catch {
      // counted below
    }
    const format = meta?.format === 'heif' ? 'avif' : meta?.format;
    if (
      res.status !== 200 ||
      !['r2', null].includes(res.headers.get('X-Variant-Source')) ||
      format !== v.format ||
      meta.width !== v.width ||
      meta.height !== v.height
    ) {
      undecodable++;
      console.log(`  variant ${v.image_id}/${v.spec} (${v.format}): ${res.status} ${format}`);
    }
  }
  check(
    'every stored variant decodes to its recorded size',
    variants.length > 0 && undecodable === 0,
    `${variants.length} variants, ${undecodable} bad`,
  );

  const ok = checks.every((c) => c.ok);
  const figures = {
    date: new Date().toISOString().slice(0, 10),
    machine: machine().summary,
    loadAverage1m: [Number(load0.toFixed(2)), Number(os.loadavg()[0].toFixed(2))],
    seeds: SEED_FILES.length,
    specs: SPECS.length,
    jobItems: total,
    jobDoneAtKill,
    uploads: {
      started: UPLOADS,
      answeredBeforeKill: answeredAtKill,
      ok201: ok201.length,
      connectionLost: uploads.filter((u) => u.outcome === 'connection lost').length,
      other: uploads.filter((u) => !['201', 'connection lost'].includes(u.outcome)).length,
    },
    restartSeconds: Number(((tUp - tKill) / 1000).toFixed(1)),
    reconcilerRuns: runs,
    itemsRedriven: redriven,
    recoverySeconds: Number(((tDone - tUp) / 1000).toFixed(1)),
    job: { status: job.status, succeeded: p.succeeded, failed: p.failed, total: p.total },
    imageRows: images.length,
    rowsWithoutOriginal: missingObjects,
    imagesWithoutCard: cardless,
    duplicateRows: dupImages + dupItems,
    pendingSendsLeft: pendingSends,
    variantsChecked: variants.length,
    variantsBad: undecodable,
    seedRetriesAfterDevProxyRestart: devProxyRetries,
    totalSeconds: Number(((Date.now() - t0) / 1000).toFixed(1)),
    checks,
  };
  const out = path.join(root, 'bench', 'results', `chaos-${figures.date}.json`);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, `${JSON.stringify(figures, null, 2)}\n`);
  console.log(`wrote ${path.relative(root, out)}`);
  if (!args['no-update'])
    await replaceResults(path.join(root, 'docs', 'performance.md'), 'chaos', report(figures));
  await shutdown(ok ? 0 : 1, ok ? undefined : 'chaos: a check failed');
} catch (err) {
  console.error(err);
  console.error(fs.readFileSync(svc.logFile, 'utf8').split('\n').slice(-30).join('\n'));
  await shutdown(1);
}

/** The Markdown written into docs/performance.md. */
function report(f) {
  const u = f.uploads;
  return [
    `Measured ${f.date} with \`npm run chaos\` (both Workers in one \`wrangler dev\`, local mode) on ${f.machine}; load average (1 min) ${f.loadAverage1m[0]} → ${f.loadAverage1m[1]}.`,
    '',
    '| | |',
    '|---|---|',
    `| bulk job | ${f.seeds} images × ${f.specs} specs = ${f.jobItems} items; ${f.jobDoneAtKill ?? '?'} done at the kill |`,
    `| uploads during the kill | ${u.started} started, ${u.answeredBeforeKill} answered before SIGKILL; ${u.ok201} × 201, ${u.connectionLost} connections lost, ${u.other} other |`,
    `| restart (kill → /healthz answers) | ${f.restartSeconds} s |`,
    `| reconciler runs until the job ended | ${f.reconcilerRuns} (items re-driven: ${f.itemsRedriven}) in ${f.recoverySeconds} s |`,
    `| job | ${f.job.status}: ${f.job.succeeded} succeeded + ${f.job.failed} failed of ${f.job.total} |`,
    `| image rows / without original / without card | ${f.imageRows} / ${f.rowsWithoutOriginal} / ${f.imagesWithoutCard} |`,
    `| duplicate rows | ${f.duplicateRows} |`,
    `| stored variants decoded (sharp) / bad | ${f.variantsChecked} / ${f.variantsBad} |`,
    `| sends still waiting in pending_sends | ${f.pendingSendsLeft} |`,
    `| seeding uploads re-sent after wrangler dev's "restarted mid-request" 503 | ${f.seedRetriesAfterDevProxyRestart} |`,
    `| whole run | ${f.totalSeconds} s |`,
  ].join('\n');
}
