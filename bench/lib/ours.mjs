/**
 * Our side of the benchmark: builds bench/worker.js with wrangler (the production bundler,
 * `wrangler deploy --dry-run`), then runs the bundle in workerd through Miniflare, one fresh
 * workerd process per case so every case starts with empty wasm memories and an idle RSS.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Miniflare } from 'miniflare';

const run = promisify(execFile);
const MB = 1024 * 1024;

/**
 * Bundles the bench Worker like `wrangler deploy` would; returns the output directory.
 * @param {string} root repository root
 */
export async function buildWorker(root) {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'image-edge-bench-'));
  const wrangler = path.join(root, 'node_modules', '.bin', 'wrangler');
  const args = ['deploy', '--dry-run', '--config', 'wrangler.bench.toml', '--outdir', outdir];
  await run(wrangler, args, {
    cwd: root,
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false' },
    maxBuffer: 16 * MB,
  });
  return outdir;
}

/**
 * Compatibility settings of wrangler.bench.toml (tiny parser: two keys).
 * @param {string} root
 */
function compat(root) {
  const toml = fs.readFileSync(path.join(root, 'wrangler.bench.toml'), 'utf8');
  const date = /^compatibility_date\s*=\s*"([^"]+)"/m.exec(toml)?.[1] ?? '2026-05-01';
  const flags = /^compatibility_flags\s*=\s*\[([^\]]*)\]/m.exec(toml)?.[1] ?? '';
  return {
    compatibilityDate: date,
    compatibilityFlags: [...flags.matchAll(/"([^"]+)"/g)].map((m) => m[1] ?? ''),
  };
}

/** @param {number} pid */
function parentOf(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "pid (comm) state ppid ...": comm may contain spaces, so split after the last ')'.
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return -1;
  }
}

/** The workerd processes descended from this Node process. */
function workerdPids() {
  /** @type {number[]} */
  const found = [];
  for (const name of fs.readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid)) continue;
    let comm = '';
    try {
      comm = fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
    } catch {
      continue;
    }
    if (comm !== 'workerd') continue;
    for (let p = parentOf(pid), hops = 0; p > 1 && hops < 8; p = parentOf(p), hops++) {
      if (p === process.pid) {
        found.push(pid);
        break;
      }
    }
  }
  return found;
}

/**
 * VmRSS and VmHWM of a process, MiB.
 * @param {number} pid
 */
export function procMemory(pid) {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  /** @param {string} key */
  const kb = (key) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rssMB: kb('VmRSS') / 1024, hwmMB: kb('VmHWM') / 1024 };
}

/**
 * Resets the peak RSS (VmHWM) of a process to its current RSS.
 * @param {number} pid
 */
export function resetPeak(pid) {
  fs.writeFileSync(`/proc/${pid}/clear_refs`, '5');
}

/** A running bench Worker in its own workerd process. */
export class BenchWorker {
  /** @param {Miniflare} mf @param {number} pid */
  constructor(mf, pid) {
    this.mf = mf;
    this.pid = pid;
  }

  /**
   * Starts the bundle in `outdir` in a new workerd.
   * @param {string} root @param {string} outdir
   */
  static async start(root, outdir) {
    const before = new Set(workerdPids());
    const mf = new Miniflare({
      modules: true,
      scriptPath: path.join(outdir, 'worker.js'),
      modulesRoot: outdir,
      modulesRules: [{ type: 'CompiledWasm', include: ['**/*.wasm'] }],
      // BENCH_PORT: a fixed port for workerd's entry socket (default: any free port).
      ...(process.env.BENCH_PORT ? { port: Number(process.env.BENCH_PORT) } : {}),
      ...compat(root),
    });
    await mf.ready;
    const pid = workerdPids().find((p) => !before.has(p));
    if (!pid) throw new Error('cannot find the workerd process Miniflare started');
    const worker = new BenchWorker(mf, pid);
    await worker.fetch('/noop'); // first request instantiates the isolate
    return worker;
  }

  /**
   * @param {string} pathAndQuery
   * @param {{ method?: string, body?: Uint8Array }} [init]
   */
  async fetch(pathAndQuery, init = {}) {
    const res = await this.mf.dispatchFetch(`http://bench${pathAndQuery}`, {
      method: init.method ?? (init.body ? 'PUT' : 'GET'),
      body: init.body,
    });
    const body = new Uint8Array(await res.arrayBuffer());
    if (!res.ok)
      throw new Error(`${pathAndQuery}: ${res.status} ${new TextDecoder().decode(body)}`);
    return { headers: res.headers, body };
  }

  /** @param {string} pathAndQuery */
  async json(pathAndQuery) {
    const { body } = await this.fetch(pathAndQuery);
    return JSON.parse(new TextDecoder().decode(body));
  }

  /**
   * Stores an input in the worker (raw RGBA when `raw` is given).
   * @param {string} key @param {Uint8Array} bytes @param {{ width: number, height: number }} [raw]
   */
  async put(key, bytes, raw) {
    const size = raw ? `&w=${raw.width}&h=${raw.height}` : '';
    await this.fetch(`/input?key=${encodeURIComponent(key)}${size}`, { body: bytes });
  }

  /**
   * One timed request. `ms` is measured inside workerd; `wallMs` from Node (includes the
   * loopback round trip and the response body).
   * @param {Record<string, string | number>} params
   */
  async run(params) {
    const qs = new URLSearchParams(
      Object.entries(params).map(([k, v]) => [k, String(v)]),
    ).toString();
    const t0 = performance.now();
    const { headers, body } = await this.fetch(`/run?${qs}`, { method: 'POST' });
    const wallMs = performance.now() - t0;
    const timings = headers.get('x-timings');
    const plan = headers.get('x-plan');
    return {
      ms: Number(headers.get('x-ms')),
      wallMs,
      width: Number(headers.get('x-width') ?? 0),
      height: Number(headers.get('x-height') ?? 0),
      /** @type {Record<string, number>} */
      wasm: JSON.parse(headers.get('x-wasm') ?? '{}'),
      /** @type {Record<string, number> | undefined} */
      timings: timings ? JSON.parse(timings) : undefined,
      /** @type {{ placement: string, decode: Record<string, unknown>, jpegRows: boolean } | undefined} the pipeline's shape */
      plan: plan ? JSON.parse(plan) : undefined,
      body,
    };
  }

  memory() {
    return procMemory(this.pid);
  }

  resetPeak() {
    resetPeak(this.pid);
  }

  async stop() {
    await this.mf.dispose();
  }
}
