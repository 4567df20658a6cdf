/**
 * What separates a cache hit of the service from the load test's floor Worker, one candidate
 * per arm, in one run (docs/performance.md, "The floor Worker against the service's process").
 * Every arm is its own `wrangler dev`, started side by side: the service (`hits`: eight
 * `w=320,f=webp` variants of Kodak PNGs, warmed until they are hits) and variants of the floor
 * Worker (scripts/lib/floor/, served as the load test serves it: local-service.mjs
 * floorConfig), each answering bodies of the eight hits' sizes from `caches.default`:
 *
 * - `floor`: the load test's floor, as it is (the reference);
 * - `headers`: its cached entries carry the headers our stored variants carry
 *   (src/delivery/serve.ts variantHeaders through storage/edge-cache.ts cachePut: Content-Type,
 *   Content-Length, ETag, Cache-Control, X-Cache), answered as they are;
 * - `answer`: the same entries answered as our hit answers them (src/delivery/serve.ts
 *   answerHit and delivery/hit.ts: one new Response over the cached body and headers,
 *   X-Cache: HIT, nosniff, X-Request-Id);
 * - `bindings`: the floor with the delivery Worker's binding tables from wrangler.toml (R2 ×2,
 *   D1, the Queue producer, [[ratelimits]], Analytics Engine, [vars]);
 * - `nobundle`: the floor served with `no_bundle = true`, as the service's bundle is served;
 * - `bundle`: the floor's fetch appended to the service's own bundle (`wrangler deploy
 *   --dry-run` of wrangler.toml: its modules evaluated, its wasm modules compiled in the
 *   isolate, kept reachable), served like `nobundle`;
 * - `bindings:<kind>`: one kind of the delivery Worker's bindings each (`bindings:ratelimits`,
 *   `bindings:r2_buckets`, …);
 * - views of one more service, whose bundle has a switch in front of its fetch (withFloorRoute,
 *   startLocalService `editBundle`), so they share one process: `svchits` (its hits, through
 *   the switch), `svckey` (the hit's own path and cache key, one `match`, the cached Response
 *   as it is), `svcfloorkey` (the hit's path, the floor's entry of the same size), `svcfloor`
 *   (the floor's path and entry), `svcnamefloor` (the hit's path, the service's key computed,
 *   the floor's entry read), and `svckey+allowed`, `svckey+answer`, `svckey+answer+report`
 *   (svckey plus that step of delivery/hit.ts: the signed-URL rules with the D1 session, the
 *   hit's answer, the request's report); views named `…@{group}` are served by another such
 *   service per group, without the consumer Worker and `--test-scheduled` (startLocalService
 *   `consumer: false`), so that `--together` can compare views;
 * - `svcget:<entry>` views: the hit's path requested, one `match` of a given entry (GET_ENTRIES:
 *   the floor's, ours, or a copy of one with one thing changed: key shape, bytes, headers);
 * - `X~bodies`: arm X again, its response bodies decoded by autocannon as autocannon does by
 *   default (every other arm discards them: scripts/lib/load-client.mjs).
 *
 * Then each other arm is measured against the reference (`--ref`, default `floor`) in pairs of
 * back-to-back slices (which goes first alternates), `--rounds` pairs per arm, `--slice`
 * seconds of autocannon each at `--connections`, every request with its own CF-Connecting-IP
 * as in the load test; the CPU time of each arm's workerd processes and of wrangler's Node
 * process (`utime + stime` from `/proc/<pid>/stat`) and of this process (the load generator)
 * is read around each slice. On a shared machine only slices seconds apart compare: each
 * pair's ratio (req/s, workerd CPU per answer) is the result, and their median per arm.
 *
 *   node bench/floor-ab.mjs [--port 8900] [--rounds 6] [--slice 2] [--connections 8]
 *     [--ref floor] [--together] [--arms hits,floor,headers,answer,bindings,nobundle,bundle]
 *
 * With `--together`, every arm runs at the same time in each round instead (arms in separate
 * processes only): each sees the same background at every moment, and the ratios of workerd
 * CPU per answer compare arms that shared the machine.
 *
 * Ports N, N+1, … one per arm (the views' services after them); results appended to
 * bench/results/floor-ab-<date>.json.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  floorConfig,
  groupMembers,
  startFloorWorker,
  startLocalService,
  stopActive,
} from '../scripts/lib/local-service.mjs';
import { appendRun, cpuSlice, warmHotVariants } from './lib/hit-load.mjs';

const root = path.resolve(import.meta.dirname, '..');
const kodak = path.join(root, '..', 'shared', 'images', 'kodak');
const floorWorker = path.join(root, 'scripts', 'lib', 'floor', 'worker.js');
const { values: opt } = parseArgs({
  options: {
    port: { type: 'string', default: '8900' },
    rounds: { type: 'string', default: '6' },
    slice: { type: 'string', default: '2' },
    connections: { type: 'string', default: '8' },
    arms: { type: 'string', default: 'hits,floor,headers,answer,bindings,nobundle,bundle' },
    ref: { type: 'string', default: 'floor' },
    together: { type: 'boolean', default: false },
  },
});
const SLICE = Number(opt.slice);
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'image-edge-floor-ab-'));

/** The floor Worker's source with its stored entry's headers and its answer replaced. */
function floorSource({ stored = false, answer = false }) {
  let src = fs.readFileSync(floorWorker, 'utf8');
  const put = `headers: { 'Content-Type': 'image/webp', 'Cache-Control': 'public, max-age=31536000' },`;
  const hit = 'if (hit) return hit;';
  if (!src.includes(put) || !src.includes(hit)) throw new Error(`${floorWorker} changed`);
  if (stored)
    src = src.replace(
      put,
      // As variantHeaders + cachePut store a computed variant (no Vary for f=webp).
      `headers: {
        'Content-Type': 'image/webp',
        'Content-Length': m[1],
        ETag: '"' + '0123456789abcdef-' + m[1].padStart(32, '0') + '"',
        'Cache-Control': 'public, max-age=31536000, immutable',
        'X-Cache': 'MISS',
      },`,
    );
  if (answer)
    src = src.replace(
      hit,
      // As answerHit + serveHit answer a hit.
      `if (hit) {
      const res = new Response(hit.body, { headers: hit.headers });
      res.headers.set('X-Cache', 'HIT');
      res.headers.set('X-Content-Type-Options', 'nosniff');
      res.headers.set('X-Request-Id', crypto.randomUUID());
      return res;
    }`,
    );
  return src;
}

/** The delivery Worker's binding tables from wrangler.toml of the given kinds. */
const BINDING_KINDS = [
  'r2_buckets',
  'd1_databases',
  'queues.producers',
  'ratelimits',
  'analytics_engine_datasets',
  'vars',
];
function bindingTables(kinds = BINDING_KINDS) {
  const service = fs.readFileSync(path.join(root, 'wrangler.toml'), 'utf8');
  return service
    .split(/^(?=\[)/m)
    .slice(1)
    .filter((t) => kinds.includes(/^\[\[?([\w.]+)\]/.exec(t)?.[1] ?? ''))
    .map((t) => t.replace(/^migrations_dir\s*=.*\n/m, ''))
    .join('');
}

/** A config writer for startFloorWorker: floorConfig with `main` and extra lines changed. */
function variantConfig({ main = '', extra = '', noBundle = false }) {
  return (dir) => {
    const file = floorConfig(root, dir);
    let toml = fs.readFileSync(file, 'utf8');
    if (main) toml = toml.replace(/^main\s*=.*$/m, `main = ${JSON.stringify(main)}`);
    if (noBundle) toml = toml.replace(/^(main\s*=.*)$/m, '$1\nno_bundle = true');
    fs.writeFileSync(file, `${toml.trimEnd()}\n${extra}`);
    return file;
  };
}

/** The floor's Worker as a statement `const __floor = {…};` to append to a bundle. */
const floorStatement = () => floorSource({}).replace(/^export default \{/m, 'const __floor = {');
const BUNDLE_EXPORT = /export \{\s*(\w+) as default\s*\};/;

/**
 * The service's bundle with a switch in front of its fetch, on the request header
 * `X-Floor-Mode` (absent: the service as it is):
 * - `floor`: `/floor/{bytes}` answered by the floor Worker's code;
 * - `key`: `/img/{id}/{transform}` answered with the service's own cache key (`nameVariant`)
 *   and one `caches.default.match`, the cached Response as it is (the sixth session's
 *   "in-process floor");
 * - `floorkey`: `/img/{id}/{transform}` answered from the floor's entry of `X-Floor-Size`
 *   bytes (`/floor/{bytes}`), the cached Response as it is.
 */
function withFloorRoute(bundle) {
  const name = BUNDLE_EXPORT.exec(bundle)?.[1];
  if (!name) throw new Error('the bundle has no default export to replace');
  if (!/^function nameVariant\(/m.test(bundle)) throw new Error('no nameVariant in the bundle');
  return `${bundle.replace(BUNDLE_EXPORT, '')}
${floorStatement()}
${SEED_SOURCE}
export default {
  ...${name},
  async fetch(request, env, ctx) {
    const mode = request.headers.get('X-Floor-Mode');
    if (mode === null) return ${name}.fetch(request, env, ctx);
    if (mode === 'floor') return __floor.fetch(request);
    const url = new URL(request.url);
    if (mode === 'env') {
      const same = globalThis.__env === env;
      globalThis.__env = env;
      return new Response(same ? 'same' : 'new');
    }
    if (mode === 'get') {
      // The entry stored under the path X-Key, the cached Response as it is.
      const key = new Request(url.origin + request.headers.get('X-Key'));
      return (await caches.default.match(key)) ?? new Response('miss', { status: 500 });
    }
    if (mode === 'seed') return __seed(request, url);
    const [, , id, transform] = url.pathname.split('/');
    if (mode === 'keyof') {
      const named = nameVariant({ origin: url.origin, id, transform, headers: request.headers });
      return new Response(new URL(named.key.url).pathname + new URL(named.key.url).search);
    }
    if (mode === 'namefloor')
      // The service's key computed, the floor's entry read.
      globalThis.__named = nameVariant({
        origin: url.origin,
        id,
        transform,
        accept: request.headers.get('Accept') ?? undefined,
        headers: request.headers,
      });
    if (mode === 'floorkey' || mode === 'namefloor') {
      const key = new Request(url.origin + '/floor/' + request.headers.get('X-Floor-Size'));
      return (await caches.default.match(key)) ?? new Response('miss', { status: 500 });
    }
    // 'key', or steps of serveHit added to it: +allowed, +answer, +report.
    const startedAt = performance.now();
    const headers = request.headers;
    if (mode.includes('+allowed')) {
      const dbEnv = withD1Session(env, requestSessionStart(request));
      if (!(await deliveryAllowed(dbEnv, url, headers.get('CF-Connecting-IP') ?? undefined)))
        return new Response('refused', { status: 500 });
    }
    const accept = headers.get('Accept') ?? undefined;
    const named = nameVariant({ origin: url.origin, id, transform, accept, headers });
    const hit = await caches.default.match(named.key);
    if (!hit) return new Response('miss', { status: 500 });
    if (!mode.includes('+answer')) return hit;
    const res = answerHit(hit, named, headers.get('If-None-Match') ?? undefined);
    const requestId = requestIdOf(request);
    res.headers.set(...NOSNIFF);
    res.headers.set(REQUEST_ID_HEADER, requestId);
    if (mode.includes('+report'))
      reportRequest({
        env,
        hitSampleEvery: loadConfig(env).logHitSampleEvery,
        requestId,
        method: 'GET',
        path: url.pathname,
        route: '/img/:id/:transform',
        res,
        startedAt,
      });
    return res;
  },
};
`;
}

/**
 * `__seed(request, url)`: stores under the path `X-Key` a copy of the entry under `X-From`
 * (both cache-key paths), one property changed at a time: `X-Bytes: zeros` (its body as that
 * many zero bytes) or `same`; `X-Headers: floor` (the floor Worker's two headers) or `same`
 * (its stored headers, less what Miniflare's cache adds on a match: Age, Date,
 * CF-Cache-Status). Answers 204, or 500 when `X-From` is not cached.
 */
const SEED_SOURCE = `async function __seed(request, url) {
  const from = await caches.default.match(new Request(url.origin + request.headers.get('X-From')));
  if (!from) return new Response('no source', { status: 500 });
  const bytes = new Uint8Array(await from.arrayBuffer());
  const body = request.headers.get('X-Bytes') === 'zeros' ? new Uint8Array(bytes.length) : bytes;
  const headers =
    request.headers.get('X-Headers') === 'floor'
      ? new Headers({ 'Content-Type': 'image/webp', 'Cache-Control': 'public, max-age=31536000' })
      : new Headers(from.headers);
  for (const h of ['Age', 'Date', 'CF-Cache-Status']) headers.delete(h);
  await caches.default.put(
    new Request(url.origin + request.headers.get('X-Key')),
    new Response(body, { headers }),
  );
  return new Response(null, { status: 204 });
}`;

/** The service's bundle with the floor's fetch as its default export (the service kept alive). */
function bundleWithFloor() {
  const out = path.join(work, 'bundle');
  execFileSync(
    path.join(root, 'node_modules', '.bin', 'wrangler'),
    ['deploy', '--dry-run', '-c', 'wrangler.toml', '--outdir', out],
    { cwd: root, stdio: 'ignore', env: { ...process.env, WRANGLER_SEND_METRICS: 'false' } },
  );
  const bundle = fs.readFileSync(path.join(out, 'index.js'), 'utf8');
  const name = BUNDLE_EXPORT.exec(bundle)?.[1];
  if (!name) throw new Error('the bundle has no default export to replace');
  const main = path.join(out, 'floor.js');
  fs.writeFileSync(
    main,
    `${bundle.replace(BUNDLE_EXPORT, `globalThis.__service = ${name};`)}\n${floorStatement()}\nexport default __floor;\n`,
  );
  return main;
}

/** Writes a floor source variant to its own directory (no_bundle collects a directory). */
function writeSource(name, variant) {
  const dir = fs.mkdtempSync(path.join(work, `${name}-`));
  const file = path.join(dir, 'worker.js');
  fs.writeFileSync(file, floorSource(variant));
  return file;
}

/** How each floor arm is configured (startFloorWorker options). */
const FLOOR_ARMS = {
  floor: () => ({}),
  headers: () => ({ config: variantConfig({ main: writeSource('headers', { stored: true }) }) }),
  answer: () => ({
    config: variantConfig({ main: writeSource('answer', { stored: true, answer: true }) }),
  }),
  bindings: () => ({ config: variantConfig({ extra: bindingTables() }) }),
  nobundle: () => ({
    config: variantConfig({ main: writeSource('nobundle', {}), noBundle: true }),
  }),
  bundle: () => ({ config: variantConfig({ main: bundleWithFloor(), noBundle: true }) }),
  // One kind of binding each: `bindings:ratelimits` etc.
  ...Object.fromEntries(
    BINDING_KINDS.map((kind) => [
      `bindings:${kind}`,
      () => ({ config: variantConfig({ extra: bindingTables([kind]) }) }),
    ]),
  ),
};

/**
 * The entries of the `svcget:<entry>` views: the hit's path requested, one `match` of the
 * entry's key (mode `get`), the cached Response as it is. By the key's path, given the floor
 * entry's size `n` and the hit's own key path `ours` (`/img/{id}/width%3D320%2Cformat%3Dwebp`):
 * `floor` the floor's entry (as `svcfloorkey`), `ours` our stored variant (as `svckey` without
 * `nameVariant`), and copies that change one thing (SEEDS).
 */
const GET_ENTRIES = {
  floor: (n) => `/floor/${n}`,
  ours: (n, ours) => ours,
  copy: (n) => `/copy/${n}`,
  zeros: (n) => `/copyz/${n}`,
  bytes: (n) => `/copyb/${n}`,
  floorasours: (n, ours) => `${ours}%2Cz`,
};
/**
 * How the copies are stored (mode `seed`): [entry, source entry, X-Bytes, X-Headers].
 * `copy`: our variant, same headers and bytes, under a floor-shaped key, put with a buffered
 * body; `zeros`: our headers over zero bytes; `bytes`: our bytes with the floor's headers;
 * `floorasours`: the floor's entry under a key of our key's shape.
 */
const SEEDS = [
  ['copy', 'ours', 'same', 'same'],
  ['zeros', 'ours', 'zeros', 'same'],
  ['bytes', 'ours', 'same', 'floor'],
  ['floorasours', 'floor', 'same', 'same'],
];

/** The view an arm names (`svckey@solo` → svckey's), or undefined. */
const viewOf = (a) => {
  const view = a.name.replace(/@.*$/, '');
  if (SERVICE_VIEWS[view]) return SERVICE_VIEWS[view];
  const entry = /^svcget:(.+)$/.exec(view)?.[1];
  if (!entry || !GET_ENTRIES[entry]) return undefined;
  return (size, i, ours) => ({ 'X-Floor-Mode': 'get', 'X-Key': GET_ENTRIES[entry](size, ours[i]) });
};
/** The service group of a view arm: '' (the full service) or the name after `@`. */
const groupOf = (a) => /@(.*)$/.exec(a.name)?.[1] ?? '';

/** The views of the instrumented service (withFloorRoute), by arm name. */
const SERVICE_VIEWS = {
  svchits: () => ({}),
  svckey: () => ({ 'X-Floor-Mode': 'key' }),
  'svckey+answer': () => ({ 'X-Floor-Mode': 'key+answer' }),
  'svckey+answer+report': () => ({ 'X-Floor-Mode': 'key+answer+report' }),
  'svckey+allowed': () => ({ 'X-Floor-Mode': 'key+allowed' }),
  svcfloorkey: (size) => ({ 'X-Floor-Mode': 'floorkey', 'X-Floor-Size': String(size) }),
  svcnamefloor: (size) => ({ 'X-Floor-Mode': 'namefloor', 'X-Floor-Size': String(size) }),
  svcfloor: () => ({ 'X-Floor-Mode': 'floor' }),
};

/** Starts the service, warms its eight hot paths; returns their body sizes. */
async function startHits(arm, port, editBundle, consumer = true) {
  arm.svc = await startLocalService({ root, keyCount: 1, port, editBundle, consumer });
  Object.assign(arm, { url: arm.svc.url, pid: arm.svc.pid, stop: arm.svc.stop });
  const hot = await warmHotVariants(arm.svc, kodak);
  console.log('a hit answers', JSON.stringify(hot.headers));
  Object.assign(arm, { paths: hot.paths, sizes: hot.sizes });
  return hot.sizes;
}

/** Starts a floor arm and warms its paths (each size stored, then read back). */
async function startFloor(arm, port, sizes) {
  const floor = await startFloorWorker({ root, port, ...FLOOR_ARMS[arm.name]() });
  Object.assign(arm, { url: floor.url, pid: floor.pid, stop: floor.stop });
  await warmFloor(arm, sizes);
}

/** Stores each of the floor's sizes in the arm's cache, then reads it back. */
async function warmFloor(arm, sizes, headers = {}) {
  arm.paths = sizes.map((n) => `/floor/${n}`);
  for (const p of arm.paths)
    for (let k = 0; k < 2; k++) {
      const r = await fetch(arm.url + p, { headers });
      await r.arrayBuffer();
      if (r.status !== 200) throw new Error(`${arm.name} ${p}: ${r.status}`);
    }
}

/** One slice of autocannon on an arm: req/s, p99 ms and CPU ms per answer per process. */
const slice = (arm) =>
  cpuSlice({
    url: arm.url,
    paths: arm.paths,
    headers: arm.headers && ((i) => arm.headers(arm.sizes?.[i], i, arm.ourKeys)),
    connections: Number(opt.connections),
    seconds: SLICE,
    pids: arm.workerds,
    nodePid: arm.node,
    keepBodies: arm.keepBodies,
  });

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const cpuOf = (s) => s.cpuMs.reduce((a, b) => a + b, 0);

const arms = opt.arms.split(',').map((name) => ({ name, slices: [], pairs: [] }));
// `X~bodies`: arm X's server and requests, its response bodies decoded by autocannon as it does
// by default (cpuSlice keepBodies), to set the load generator's share against X's in pairs.
for (const a of arms) {
  const base = /^(.+)~bodies$/.exec(a.name)?.[1];
  if (base) {
    a.base = arms.find((b) => b.name === base);
    if (!a.base) throw new Error(`${a.name} needs the arm ${base} too`);
  } else if (a.name !== 'hits' && !viewOf(a) && !FLOOR_ARMS[a.name])
    throw new Error(`unknown arm ${a.name}`);
}
const floor = arms.find((a) => a.name === opt.ref);
if (!floor) throw new Error(`the reference arm ${opt.ref} is not among --arms`);
async function stopAll() {
  for (const a of arms) await a.stop?.();
  await stopActive();
  fs.rmSync(work, { recursive: true, force: true });
}
process.on('SIGINT', () => void stopAll().then(() => process.exit(1)));
const load = [fs.readFileSync('/proc/loadavg', 'utf8').split(' ')[0]];
try {
  const base = Number(opt.port);
  const hits = arms.find((a) => a.name === 'hits');
  // Without the service, the floors answer the sizes of an earlier run's eight hits.
  const sizes = hits
    ? await startHits(hits, base + arms.indexOf(hits))
    : [17244, 12532, 11620, 13876, 19036, 15116, 12784, 17232];
  // The views share one instrumented service (its own uploads, hits and floor entries); views
  // named `…@{group}` share another per group, served without the consumer Worker and
  // --test-scheduled.
  const groups = [...new Set(arms.filter(viewOf).map((a) => groupOf(a)))];
  for (const [g, group] of groups.entries()) {
    const views = arms.filter((a) => viewOf(a) && groupOf(a) === group);
    const svc = { name: 'svc' };
    await startHits(svc, base + arms.length + g, withFloorRoute, group === '');
    const hitPaths = svc.paths;
    const probes = [];
    for (let k = 0; k < 3; k++)
      probes.push(await (await fetch(svc.url, { headers: { 'X-Floor-Mode': 'env' } })).text());
    console.log(`env across requests: ${probes.join(', ')}`);
    await warmFloor(svc, svc.sizes, SERVICE_VIEWS.svcfloor());
    // Each hit's own cache-key path, and the copies of SEEDS (each read back once).
    const ourKeys = [];
    for (const p of hitPaths)
      ourKeys.push(
        await (await fetch(svc.url + p, { headers: { 'X-Floor-Mode': 'keyof' } })).text(),
      );
    for (const [i, size] of svc.sizes.entries())
      for (const [entry, from, bytes, hdrs] of SEEDS) {
        const key = GET_ENTRIES[entry](size, ourKeys[i]);
        const r = await fetch(svc.url + hitPaths[i], {
          headers: {
            'X-Floor-Mode': 'seed',
            'X-Key': key,
            'X-From': GET_ENTRIES[from](size, ourKeys[i]),
            'X-Bytes': bytes,
            'X-Headers': hdrs,
          },
        });
        const back = await fetch(svc.url + hitPaths[i], {
          headers: { 'X-Floor-Mode': 'get', 'X-Key': key },
        });
        const got = (await back.arrayBuffer()).byteLength;
        if (r.status !== 204 || back.status !== 200 || got !== size)
          throw new Error(
            `seeding ${entry} ${key}: ${r.status}, read back ${back.status} ${got} B`,
          );
        if (i === 0) console.log(`${entry} (${key}) answers`, JSON.stringify([...back.headers]));
      }
    for (const v of views)
      Object.assign(v, {
        url: svc.url,
        pid: svc.pid,
        stop: v === views[0] ? svc.svc.stop : undefined,
        sizes: svc.sizes,
        headers: viewOf(v),
        paths: v.name.replace(/@.*$/, '') === 'svcfloor' ? svc.paths : hitPaths,
        ourKeys,
      });
  }
  for (const [i, arm] of arms.entries())
    if (arm !== hits && !viewOf(arm) && !arm.base) await startFloor(arm, base + i, sizes);
  for (const arm of arms.filter((a) => a.base)) {
    const { url, pid, paths, sizes: armSizes, headers, ourKeys } = arm.base;
    Object.assign(arm, { url, pid, paths, sizes: armSizes, headers, ourKeys, keepBodies: true });
  }
  for (const arm of arms) {
    const members = groupMembers(arm.pid);
    arm.workerds = members
      .filter((m) => m.comm === 'workerd')
      .map((m) => m.pid)
      .sort((a, b) => a - b);
    // wrangler's own Node process (the group leader): its log handling, not in workerd's CPU.
    arm.node = members.find((m) => m.pid === arm.pid)?.pid;
    console.log(
      `${arm.name}: ${arm.url}, workerd pids ${arm.workerds.join(', ')}, wrangler ${arm.node}`,
    );
  }
  // Each other arm against the floor in pairs of back-to-back slices, the order alternating.
  const others = arms.filter((a) => a !== floor);
  const record = (arm, x, f) => {
    const pair = {
      rps: x.rps / f.rps,
      cpu: cpuOf(x) / cpuOf(f),
      p99: x.p99 / f.p99,
      generatorDeltaMs: x.generatorMs - f.generatorMs,
    };
    arm.pairs.push(pair);
    console.log(
      `${arm.name.padEnd(8)} ${x.rps.toFixed(0).padStart(5)} vs ${opt.ref} ${f.rps.toFixed(0).padStart(5)} req/s (${pair.rps.toFixed(2)}x), workerd CPU ms/answer ${cpuOf(x).toFixed(3)} vs ${cpuOf(f).toFixed(3)} (${pair.cpu.toFixed(2)}x), load generator ${x.generatorMs.toFixed(3)} vs ${f.generatorMs.toFixed(3)}, p99 ${x.p99} vs ${f.p99} ms`,
    );
  };
  if (opt.together) {
    // Every arm at once, each in its own processes: the same background for all, at every moment.
    const pids = arms.flatMap((a) => a.workerds);
    if (new Set(pids).size !== pids.length) throw new Error('--together needs one process per arm');
    for (let round = 0; round < Number(opt.rounds); round++) {
      const got = await Promise.all(arms.map((a) => slice(a)));
      arms.forEach((a, k) => a.slices.push(got[k]));
      console.log(`round ${round}`);
      for (const arm of others) record(arm, got[arms.indexOf(arm)], got[arms.indexOf(floor)]);
    }
  } else
    for (let round = 0; round < Number(opt.rounds); round++)
      for (const [i, arm] of others.entries()) {
        const got = new Map();
        for (const a of (round + i) % 2 ? [arm, floor] : [floor, arm]) {
          const s = await slice(a);
          a.slices.push(s);
          got.set(a, s);
        }
        process.stdout.write(`round ${round} `);
        record(arm, got.get(arm), got.get(floor));
      }
  load.push(fs.readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
  console.log(`load average (1 min) ${load.join(' → ')}`);
  for (const arm of others) {
    // Per process (wrangler's proxy, then the Worker's workerd): ms of CPU per answer over the
    // reference's in the same pair.
    arm.pairs.forEach((p, k) => {
      const ref = floor.slices[opt.together ? k : k * others.length + others.indexOf(arm)];
      p.cpuDeltaMs = arm.slices[k].cpuMs.map((c, j) => c - ref.cpuMs[j]);
    });
    const deltas = arm.slices[0].cpuMs
      .map((_, j) => median(arm.pairs.map((p) => p.cpuDeltaMs[j])).toFixed(3))
      .join(' / ');
    const nodeDelta = median(
      arm.pairs.map((p, k) => {
        const ref = floor.slices[opt.together ? k : k * others.length + others.indexOf(arm)];
        return arm.slices[k].nodeMs - ref.nodeMs;
      }),
    ).toFixed(3);
    const list = (k) => arm.pairs.map((p) => p[k].toFixed(2)).join(' ');
    const med = (k) => median(arm.pairs.map((p) => p[k])).toFixed(2);
    console.log(
      `${arm.name.padEnd(8)} / ${opt.ref}, median of ${arm.pairs.length} pairs: req/s ${med('rps')}x (${list('rps')}); workerd CPU/answer ${med('cpu')}x (${list('cpu')}); p99 ${med('p99')}x; CPU ms/answer over ${opt.ref}, proxy / Worker: ${deltas}, wrangler's Node: ${nodeDelta}, the load generator: ${median(arm.pairs.map((p) => p.generatorDeltaMs)).toFixed(3)}`,
    );
  }
  const out = appendRun(root, 'floor-ab', {
    options: opt,
    loadAverage1m: load,
    arms: arms.map(({ name, workerds, slices, pairs }) => ({ name, workerds, slices, pairs })),
  });
  console.log(`results: ${out}`);
} finally {
  await stopAll();
}
