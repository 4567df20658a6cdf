/**
 * CPU per refused miss, A/B in one run (docs/performance.md, "The spike: CPU per answer by
 * process"): arms served side by side, each its own `wrangler dev` as the load test serves it
 * (scripts/lib/local-service.mjs), whose delivery bundle is edited so that admission control
 * refuses every miss at its early check (a throwaway build: no transform ever runs, every miss
 * is a `503 busy`). The arms take turns, `--rounds` times (the order alternating), `--slice`
 * seconds of autocannon each at `--connections` per kind (`miss`: `GET /img/{random id}/w=N,f=webp`,
 * every one a cache miss; `healthz`), while the CPU time of the service's workerd, wrangler's
 * proxy workerd and wrangler's Node process (`utime + stime` from `/proc/<pid>/stat`) and of
 * this process is read before and after: ms of CPU per answer, per process.
 *
 *   node bench/refusal-cpu.mjs [--arms refuse@d1a2598,refuse,refuse-nolog] [--port 8943]
 *     [--rounds 3] [--slice 4] [--connections 50] [--kinds miss,healthz]
 *
 * An arm is `edit` or `edit@rev` (the edit applied to that git revision's bundle): `refuse`
 * (every miss refused), `refuse-nolog` (and the 503's request log line not written).
 * Ports N, N+1, … one per arm; results appended to bench/results/refusal-cpu-<date>.json.
 */
import autocannon from 'autocannon';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  cpuMs,
  groupMembers,
  killActiveNow,
  startLocalService,
  stopActive,
} from '../scripts/lib/local-service.mjs';
import { appendRun, checkout } from './lib/hit-load.mjs';

const root = path.resolve(import.meta.dirname, '..');
const { values: opt } = parseArgs({
  options: {
    arms: { type: 'string', default: 'refuse@HEAD~1,refuse,refuse-nolog' },
    port: { type: 'string', default: '8943' },
    rounds: { type: 'string', default: '3' },
    slice: { type: 'string', default: '4' },
    connections: { type: 'string', default: '50' },
    kinds: { type: 'string', default: 'miss,healthz' },
  },
});

/** Start time of `pid` (clock ticks since boot). */
function startedAt(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
}

/** `source` with `pattern` replaced. @throws Error when the bundle no longer has it */
function edit(source, pattern, replacement) {
  if (!pattern.test(source)) throw new Error(`the bundle has no ${pattern}`);
  return source.replace(pattern, replacement);
}

/** Admission control's early check refusing every miss (the "slot free / line not full" exits gone). */
const refuseAll = (s) =>
  edit(
    s,
    / {2}if \(stats\.running < config\.admissionMaxTransforms\) return( void 0)?;\n {2}if \(line\.length( \+ places\.size)? < config\.admissionMaxWaiting\) return( void 0)?;\n/,
    '',
  );

const EDITS = {
  refuse: refuseAll,
  'refuse-nolog': (s) =>
    edit(
      refuseAll(s),
      /^ {2}console\.log\(redact\(JSON\.stringify\(\{ kind, \.\.\.fields \}\)\)\);$/m,
      '  if (fields.status !== 503) console.log(redact(JSON.stringify({ kind, ...fields })));',
    ),
};

/** Starts an arm. */
async function start(name, port) {
  const [editName, rev] = name.split('@');
  const editBundle = EDITS[editName];
  if (!editBundle) throw new Error(`unknown arm ${name} (edits: ${Object.keys(EDITS)})`);
  const svc = await startLocalService({
    root: rev ? checkout(root, rev) : root,
    keyCount: 1,
    port,
    editBundle,
  });
  console.log(`${name}: ${svc.url}`);
  return { name, svc };
}

/**
 * An arm's processes now (looked up before every slice: wrangler may restart its workerds):
 * the service workerd (it compiled the wasm, so it has spent more CPU than the proxy),
 * wrangler's proxy workerd, and wrangler's Node process (the second node; the first is its
 * launcher).
 * @throws Error when the group does not hold two workerds
 */
function pidsOf(arm) {
  const members = groupMembers(arm.svc.pid);
  const of = (comm) =>
    members
      .filter((m) => m.comm === comm)
      .map((m) => m.pid)
      .sort((a, b) => startedAt(a) - startedAt(b));
  const workerds = of('workerd').sort((a, b) => (cpuMs(b) ?? 0) - (cpuMs(a) ?? 0));
  if (workerds.length !== 2) throw new Error(`${arm.name}: ${JSON.stringify(members)}`);
  return { workerd: workerds[0], proxy: workerds[1], wrangler: of('node')[1] };
}

let n = 0;
/** One slice of `kind` on an arm: answers/s, latency, statuses, CPU ms per answer per process. */
async function slice(arm, kind) {
  const pids = pidsOf(arm);
  const before = Object.fromEntries(Object.entries(pids).map(([k, p]) => [k, cpuMs(p) ?? 0]));
  const own = process.cpuUsage();
  const seconds = Number(opt.slice);
  const r = await new Promise((resolve, reject) =>
    autocannon(
      {
        url: arm.svc.url,
        connections: Number(opt.connections),
        duration: seconds,
        requests: [
          {
            setupRequest: (req) => {
              const i = n++;
              return {
                ...req,
                path:
                  kind === 'healthz'
                    ? '/healthz'
                    : `/img/AAAAAAAAAAAAAAA${i % 10}/w=${100 + (i % 600)},f=webp`,
                headers: { 'CF-Connecting-IP': `198.18.${(i >> 8) & 255}.${i & 255}` },
              };
            },
          },
        ],
      },
      (err, result) => (err ? reject(err) : resolve(result)),
    ),
  );
  const used = process.cpuUsage(own);
  const answers = Math.max(1, r['2xx'] + r.non2xx);
  const cpu = Object.fromEntries(
    Object.entries(pids).map(([k, p]) => [
      k,
      +(((cpuMs(p) ?? 0) - before[k]) / answers).toFixed(3),
    ]),
  );
  cpu.loadgen = +((used.user + used.system) / 1000 / answers).toFixed(3);
  return {
    rps: +(answers / seconds).toFixed(1),
    p50: r.latency.p50,
    p99: r.latency.p99,
    ok: r['2xx'],
    non2xx: r.non2xx,
    errors: r.errors,
    pids,
    cpuMsPerAnswer: cpu,
  };
}

process.on('SIGINT', () => void stopActive().then(() => process.exit(1)));
// An error must not leave a service running on the port (the next run would measure it).
process.on('exit', () => killActiveNow());
const arms = [];
const slices = [];
const load = [fs.readFileSync('/proc/loadavg', 'utf8').split(' ')[0]];
try {
  for (const [i, name] of opt.arms.split(',').entries())
    arms.push(await start(name, Number(opt.port) + i));
  for (let round = 0; round < Number(opt.rounds); round++)
    for (const arm of round % 2 ? [...arms].reverse() : arms)
      for (const kind of opt.kinds.split(',')) {
        const s = { round, arm: arm.name, kind, ...(await slice(arm, kind)) };
        slices.push(s);
        console.log(
          `round ${round} ${arm.name} ${kind}: ${s.rps} answers/s, p50/p99 ${s.p50}/${s.p99} ms, 2xx ${s.ok}, other ${s.non2xx}, errors ${s.errors}; CPU ms per answer ${JSON.stringify(s.cpuMsPerAnswer)}`,
        );
      }
} finally {
  await stopActive();
}
load.push(fs.readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
const file = appendRun(root, 'refusal-cpu', {
  connections: Number(opt.connections),
  sliceSeconds: Number(opt.slice),
  loadAverage1m: load,
  arms: arms.map((a) => a.name),
  slices,
});
console.log(`results: ${file}`);
process.exit(0);
