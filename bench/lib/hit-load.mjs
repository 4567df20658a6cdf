/**
 * Cache-hit load against local `wrangler dev` instances, shared by bench/hit-cpu.mjs and
 * bench/floor-ab.mjs: the hot variants a service is warmed with, one slice of autocannon with
 * the CPU time its processes spent, and the results file a run is appended to.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { discardBodies } from '../../scripts/lib/load-client.mjs';
import { cpuMs } from '../../scripts/lib/local-service.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Uploads `kodim01…08.png` of `kodakDir` (16 random bytes appended, so each is a new original)
 * to a running service and requests each one's `w=320,f=webp` variant until it answers
 * `X-Cache: HIT`.
 * @param {{ url: string, keys: string[] }} svc a started service (scripts/lib/local-service.mjs)
 * @returns {Promise<{ paths: string[], sizes: number[], headers: [string, string][] }>} the hot
 *   paths, their body sizes (bytes) and the first hit's response headers
 * @throws Error when an upload is not a 201 or a variant never becomes a hit (2 s)
 */
export async function warmHotVariants(svc, kodakDir) {
  const paths = [];
  const sizes = [];
  let headers = [];
  for (let i = 1; i <= 8; i++) {
    const body = Buffer.concat([
      fs.readFileSync(path.join(kodakDir, `kodim0${i}.png`)),
      randomBytes(16),
    ]);
    const res = await fetch(`${svc.url}/v1/images`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${svc.keys[0]}`, 'Content-Type': 'image/png' },
      body,
    });
    if (res.status !== 201) throw new Error(`upload: ${res.status} ${await res.text()}`);
    const p = `/img/${(await res.json()).id}/w=320,f=webp`;
    let bytes = -1;
    for (let k = 0; k < 20 && bytes < 0; k++) {
      const r = await fetch(svc.url + p);
      const n = (await r.arrayBuffer()).byteLength;
      if (r.headers.get('X-Cache') === 'HIT') {
        bytes = n;
        if (i === 1) headers = [...r.headers];
      } else await sleep(100);
    }
    if (bytes < 0) throw new Error(`${p} never answered X-Cache: HIT`);
    paths.push(p);
    sizes.push(bytes);
  }
  return { paths, sizes, headers };
}

/**
 * One slice of autocannon on `url`, the paths in turn, every request with its own
 * `CF-Connecting-IP` (198.18.0.0/15, as the load test sends) and `headers(i)` for path `i`;
 * response bodies are not decoded (scripts/lib/load-client.mjs) unless `keepBodies`.
 * @param {{ url: string, paths: string[], headers?: (i: number) => Record<string, string>, connections: number, seconds: number, pids: number[], nodePid?: number, keepBodies?: boolean }} o
 *   `pids`: processes whose CPU time is read around the slice (workerd's); `nodePid`: one more
 *   (wrangler's Node process)
 * @returns {Promise<{ rps: number, p99: number, non2xx: number, cpuMs: number[], nodeMs: number, generatorMs: number }>}
 *   2xx answers per second, p99 latency (ms), other answers, and ms of CPU per 2xx answer per
 *   process of `pids`, for `nodePid` (0 without it) and for this process (the load generator,
 *   autocannon)
 */
export async function cpuSlice({
  url,
  paths,
  headers,
  connections,
  seconds,
  pids,
  nodePid,
  keepBodies = false,
}) {
  let n = 0;
  const t0 = pids.map((pid) => cpuMs(pid) ?? 0);
  const n0 = nodePid ? (cpuMs(nodePid) ?? 0) : 0;
  const g0 = process.cpuUsage();
  const result = await new Promise((resolve, reject) =>
    autocannon(
      {
        url,
        connections,
        duration: seconds,
        setupClient: keepBodies ? undefined : discardBodies,
        requests: [
          {
            setupRequest: (req) => {
              const i = n % paths.length;
              const ip = `198.18.${(n >> 8) & 255}.${n++ & 255}`;
              return {
                ...req,
                path: paths[i],
                headers: { 'CF-Connecting-IP': ip, ...headers?.(i) },
              };
            },
          },
        ],
      },
      (err, r) => (err ? reject(err) : resolve(r)),
    ),
  );
  const ok = result['2xx'];
  const g = process.cpuUsage(g0);
  const workerdMs = pids.map((pid, i) => ((cpuMs(pid) ?? 0) - t0[i]) / ok);
  const nodeMs = nodePid ? ((cpuMs(nodePid) ?? 0) - n0) / ok : 0;
  const generatorMs = (g.user + g.system) / 1000 / ok;
  return {
    rps: ok / seconds,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    cpuMs: workerdMs,
    nodeMs,
    generatorMs,
  };
}

/**
 * Appends one run to `bench/results/<stem>-<date>.json` (a JSON array), with the date and the
 * git commit. @returns the file's path relative to `root`
 */
export function appendRun(root, stem, run) {
  const out = path.join(
    root,
    'bench',
    'results',
    `${stem}-${new Date().toISOString().slice(0, 10)}.json`,
  );
  const runs = fs.existsSync(out) ? JSON.parse(fs.readFileSync(out, 'utf8')) : [];
  runs.push({
    date: new Date().toISOString(),
    git: execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root }).toString().trim(),
    ...run,
  });
  fs.writeFileSync(out, `${JSON.stringify(runs, null, 1)}\n`);
  return path.relative(root, out);
}

/**
 * `rev` of the repository at `root` extracted to a temporary directory that can be served
 * (its node_modules linked, the console's built files copied): an arm at another revision.
 * @param {string} root the repository's root directory
 * @param {string} rev a git revision
 * @returns {string} the directory
 */
export function checkout(root, rev) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'image-edge-rev-'));
  execFileSync('sh', ['-c', `git archive "${rev}" | tar -x -C "${dir}"`], { cwd: root });
  fs.symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'));
  fs.cpSync(path.join(root, 'console', 'dist'), path.join(dir, 'console', 'dist'), {
    recursive: true,
  });
  return dir;
}
