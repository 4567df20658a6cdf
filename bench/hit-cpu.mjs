/**
 * Workerd CPU per cache hit, A/B in one run (docs/performance.md, "Cache hits: the fast path"):
 * the working tree against a git revision (default `HEAD~1`), each served by its own
 * `wrangler dev` as the load test serves it (scripts/lib/local-service.mjs), side by side. Each service gets the same eight
 * `w=320,f=webp` variants of Kodak PNGs, warmed until they are hits; then the arms take turns,
 * `--rounds` times (the order alternating), `--slice` seconds of autocannon each at
 * `--connections`, while the CPU time of every workerd of the arm (`utime + stime` from
 * `/proc/<pid>/stat`) is read before and after: ms of CPU per 2xx answer, per process (wrangler's
 * proxy first, then the service's own workerd). Times on a shared machine only compare within
 * one run; the ratios are the result.
 *
 *   node bench/hit-cpu.mjs [--rev REV] [--port N] [--rounds 4] [--slice 5] [--connections 8]
 *
 * Ports N and N+1 (default 8841); results to bench/results/hit-cpu-<date>.json (appended runs).
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { groupMembers, startLocalService } from '../scripts/lib/local-service.mjs';
import { appendRun, checkout, cpuSlice, warmHotVariants } from './lib/hit-load.mjs';

const root = path.resolve(import.meta.dirname, '..');
const kodak = path.join(root, '..', 'shared', 'images', 'kodak');
const { values: opt } = parseArgs({
  options: {
    rev: { type: 'string', default: 'HEAD~1' },
    port: { type: 'string', default: '8841' },
    rounds: { type: 'string', default: '4' },
    slice: { type: 'string', default: '5' },
    connections: { type: 'string', default: '8' },
  },
});
const SLICE = Number(opt.slice);

/** Starts an arm's service and warms its eight hot paths; records its new workerd pids. */
async function start(arm, port) {
  arm.svc = await startLocalService({ root: arm.root, keyCount: 1, port });
  arm.paths = (await warmHotVariants(arm.svc, kodak)).paths;
  arm.workerds = groupMembers(arm.svc.pid)
    .filter((m) => m.comm === 'workerd')
    .map((m) => m.pid)
    .sort((a, b) => a - b);
  console.log(`${arm.name}: ${arm.svc.url}, workerd pids ${arm.workerds.join(', ')}`);
}

/** One slice of autocannon on an arm; returns req/s, p99 and CPU ms per answer per workerd. */
const slice = (arm) =>
  cpuSlice({
    url: arm.svc.url,
    paths: arm.paths,
    connections: Number(opt.connections),
    seconds: SLICE,
    pids: arm.workerds,
  });

const arms = [
  { name: `rev ${opt.rev}`, root: checkout(root, opt.rev) },
  { name: 'working tree', root },
];
process.on('SIGINT', () => void stopAll().then(() => process.exit(1)));
async function stopAll() {
  for (const a of arms) await a.svc?.stop();
  for (const a of arms) if (a.root !== root) fs.rmSync(a.root, { recursive: true, force: true });
}
const load = [fs.readFileSync('/proc/loadavg', 'utf8').split(' ')[0]];
try {
  for (const [i, arm] of arms.entries()) await start(arm, Number(opt.port) + i);
  for (const arm of arms) arm.slices = [];
  for (let round = 0; round < Number(opt.rounds); round++) {
    for (const arm of round % 2 ? [...arms].reverse() : arms) {
      const s = await slice(arm);
      arm.slices.push(s);
      console.log(
        `round ${round} ${arm.name}: ${s.rps.toFixed(1)} req/s, p99 ${s.p99} ms, non-2xx ${s.non2xx}, workerd CPU ms/answer ${s.cpuMs.map((c) => c.toFixed(3)).join(' / ')}`,
      );
    }
  }
  load.push(fs.readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
  console.log(`load average (1 min) ${load.join(' → ')}`);
  const out = appendRun(root, 'hit-cpu', {
    options: opt,
    loadAverage1m: load,
    arms: arms.map(({ name, workerds, slices }) => ({ name, workerds, slices })),
  });
  console.log(`results: ${out}`);
} finally {
  await stopAll();
}
