/**
 * A throwaway local instance of the service for scripts/loadtest.mjs and scripts/chaos.mjs:
 * both Workers (delivery, wrangler.toml; queue consumer and crons, wrangler.consumer.toml) in
 * one `wrangler dev`, as `npm start` runs them; wrangler's local mode
 * (workerd with local R2, D1 and Queues through Miniflare) on 127.0.0.1, with its own
 * persistence directory and API keys, so it never touches the developer's `.wrangler/state`
 * or `.dev.vars`.
 *
 * Steps: bundle each Worker once (`wrangler deploy --dry-run --outdir`, the production build
 * path) so edits to src/ during a run neither reload the server nor change the code under
 * test; apply the D1 migrations into the temporary directory; then `wrangler dev --no-bundle`
 * on both bundles with copies of their configs pointing at them (`--test-scheduled`, so
 * `/__scheduled?cron=…` runs the cron handler on loopback), and secrets from an
 * `--env-file` (given one, wrangler does not read `.dev.vars`; a `--var` would be overridden
 * by a `.dev.vars` secret of the same name).
 *
 * wrangler is started in its own process group; `stop()` sends SIGTERM to wrangler's pid,
 * then makes sure nothing of the group (workerd, esbuild) is left. `crash()` sends SIGKILL to
 * the whole group (wrangler and workerd, mid-request); `restart()` starts it again on the same
 * port and state.
 */
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const ENV = {
  ...process.env,
  WRANGLER_SEND_METRICS: 'false',
  CLOUDFLARE_CF_FETCH_ENABLED: 'false',
  NO_COLOR: '1',
  FORCE_COLOR: '0',
};

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Instances being started or running, so an interrupt during start-up still stops them. */
const active = new Set();

/** Stops every instance started here (for signal handlers and watchdogs). */
export async function stopActive() {
  await Promise.all([...active].map((a) => a.stop()));
}

/** Synchronous last resort for a process 'exit' handler: SIGKILL to every instance's group. */
export function killActiveNow() {
  for (const a of active) a.killNow();
}

/** A free TCP port on 127.0.0.1. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = /** @type {net.AddressInfo} */ (srv.address());
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Runs a command to completion with output to `logFile`; rejects on a non-zero exit, a
 * timeout or a signal, with the end of the log in the message.
 */
function run(cmd, args, { cwd, logFile, timeoutMs, onSpawn }) {
  return new Promise((resolve, reject) => {
    const out = fs.openSync(logFile, 'a');
    const child = spawn(cmd, args, { cwd, env: ENV, stdio: ['ignore', out, out] });
    fs.closeSync(out);
    onSpawn?.(child);
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) return resolve(undefined);
      const tail = fs.readFileSync(logFile, 'utf8').split('\n').slice(-15).join('\n');
      reject(new Error(`${path.basename(cmd)} ${args[0]} failed (${signal ?? code}):\n${tail}`));
    });
  });
}

/** True while any process of group `pgid` exists. */
function groupAlive(pgid) {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (err) {
    return /** @type {NodeJS.ErrnoException} */ (err).code === 'EPERM';
  }
}

/**
 * utime + stime of `pid` in ms, from `/proc/<pid>/stat` (clock ticks of 10 ms).
 * @param {number} pid
 * @returns {number | null} null once the process is gone
 */
export function cpuMs(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * 10;
  } catch {
    return null;
  }
}

/** Pids of the processes in group `pgid` (from /proc), with their command names. */
export function groupMembers(pgid) {
  const found = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) === pgid) found.push({ pid: Number(name), comm });
    } catch {
      // the process ended meanwhile
    }
  }
  return found;
}

/**
 * Starts the service. Returns `{ url, keys, pid, logFile, bundleSha256, stop, killNow, tmp }`:
 * `stop()` ends it and removes the temporary directory; `killNow()` is the synchronous last
 * resort for a process 'exit' handler; `crash()` kills it at once and `restart()` starts it
 * again on the same state. `signingKeys` becomes the `SIGNING_KEYS` secret: a list of
 * `{ kid, key }` or its JSON (default none: signing off). `editBundle` rewrites the delivery
 * Worker's bundle (its main module's source) before it is served: a throwaway variant for an
 * A/B run (bench/floor-ab.mjs), never the load test's; so is `consumer: false` (the delivery
 * Worker alone, without the consumer Worker and `--test-scheduled`). `assets: false` serves the
 * delivery Worker without its `[assets]` table (no console): with it, workerd's assets router
 * is the entry, and wrangler dev's `/cdn-cgi/handler/scheduled` answers "exception" instead
 * of running the Worker's cron handler (scripts/chaos.mjs needs that handler).
 * @param {{ root: string, keyCount: number, signingKeys?: string | { kid: string, key: string }[], logLevel?: string, port?: number, vars?: Record<string, string>, editBundle?: (source: string) => string, consumer?: boolean, assets?: boolean }} options
 *   (`logLevel`: wrangler's, default `warn`; `port`: on 127.0.0.1, default a free one; `vars`:
 *   more variables for the env file, overriding wrangler.toml's `[vars]`)
 */
export async function startLocalService({
  root,
  keyCount,
  signingKeys = [],
  logLevel = 'warn',
  port: fixedPort,
  vars = {},
  editBundle,
  consumer = true,
  assets = true,
}) {
  const wrangler = path.join(root, 'node_modules', '.bin', 'wrangler');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'image-edge-loadtest-'));
  const state = path.join(tmp, 'state');
  const build = path.join(tmp, 'build');
  const logFile = path.join(tmp, 'wrangler.log');
  /** @type {import('node:child_process').ChildProcess | undefined} */
  let child;
  let stopped = false;
  /** The build or migration step running now (a short-lived child in our process group). */
  /** @type {import('node:child_process').ChildProcess | undefined} */
  let step;
  const onSpawn = (c) => {
    step = c;
  };

  const cleanupDir = () => fs.rmSync(tmp, { recursive: true, force: true });

  /** Stops the service; resolves with whatever of its process group is still running. */
  async function stop() {
    if (stopped) return [];
    stopped = true;
    active.delete(handle);
    if (step && step.exitCode === null && step.signalCode === null) step.kill('SIGTERM');
    if (child?.pid) {
      const pgid = child.pid;
      const exited =
        child.exitCode !== null || child.signalCode !== null
          ? Promise.resolve()
          : new Promise((r) => child?.once('exit', r));
      try {
        process.kill(child.pid, 'SIGTERM');
      } catch {
        // already gone
      }
      await Promise.race([exited, sleep(8000)]);
      // Whatever wrangler left behind (workerd, esbuild) is still in its process group.
      for (let i = 0; i < 20 && groupAlive(pgid); i++) await sleep(100);
      if (groupAlive(pgid)) {
        console.warn(
          `wrangler left ${groupMembers(pgid)
            .map((p) => `${p.comm} (${p.pid})`)
            .join(', ')}: SIGTERM to its process group`,
        );
        process.kill(-pgid, 'SIGTERM');
        for (let i = 0; i < 30 && groupAlive(pgid); i++) await sleep(100);
        if (groupAlive(pgid)) process.kill(-pgid, 'SIGKILL');
        for (let i = 0; i < 20 && groupAlive(pgid); i++) await sleep(100);
      }
      cleanupDir();
      return groupMembers(pgid);
    }
    cleanupDir();
    return [];
  }

  /** Last resort from a process 'exit' handler: synchronous. */
  function killNow() {
    if (child?.pid && groupAlive(child.pid)) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    try {
      cleanupDir();
    } catch {
      // best effort
    }
  }

  let port = 0;
  /** @type {string[]} */
  let configs = [];
  let envFile = '';
  let url = '';

  /** Starts wrangler dev (both configs) and waits for /healthz. */
  async function launch() {
    child = spawnWranglerDev(
      wrangler,
      [
        ...configs.flatMap((c) => ['-c', c]),
        '--no-bundle',
        '--ip',
        '127.0.0.1',
        '--port',
        String(port),
        '--persist-to',
        state,
        '--env-file',
        envFile,
        ...(consumer ? ['--test-scheduled'] : []),
        '--show-interactive-dev-session=false',
        // wrangler's default inspector port, 9229, is taken by any other wrangler dev running.
        '--inspector-port',
        String(await freePort()),
        // Request log lines cost the shared CPU; warnings and errors still reach the log.
        '--log-level',
        logLevel,
      ],
      { root, tmp, logFile },
    );
    url = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) {
        const tail = fs.readFileSync(logFile, 'utf8').split('\n').slice(-15).join('\n');
        throw new Error(`wrangler dev exited (${child.signalCode ?? child.exitCode}):\n${tail}`);
      }
      try {
        const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2000) });
        // wrangler may reload the Workers once more when the second one has registered
        // ("Your worker restarted mid-request"): ready when /healthz answers twice, 2 s apart.
        if (res.ok) {
          await sleep(2000);
          const again = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2000) });
          if (again.ok) break;
        }
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error('wrangler dev did not answer /healthz in 60 s');
      await sleep(250);
    }
  }

  /** SIGKILL to wrangler's whole process group (workerd included); waits until it is gone. */
  async function crash() {
    if (!child?.pid) return;
    const pgid = child.pid;
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // gone
    }
    for (let i = 0; i < 50 && groupAlive(pgid); i++) await sleep(100);
  }

  const handle = { stop, killNow };
  active.add(handle);
  try {
    // 1. Bundle each Worker once, as `wrangler deploy` would.
    configs = [];
    let bundleSha256 = '';
    for (const [name, dir] of [
      ['wrangler.toml', build],
      ...(consumer ? [['wrangler.consumer.toml', path.join(build, 'consumer')]] : []),
    ]) {
      await run(wrangler, ['deploy', '--dry-run', '-c', name, '--outdir', dir], {
        cwd: root,
        logFile,
        timeoutMs: 60_000,
        onSpawn,
      });
      const main = fs.readdirSync(dir).find((f) => f.endsWith('.js'));
      if (!main) throw new Error(`no bundle in ${dir}`);
      if (!bundleSha256 && editBundle) {
        const file = path.join(dir, main);
        fs.writeFileSync(file, editBundle(fs.readFileSync(file, 'utf8')));
      }
      const bundle = fs.readFileSync(path.join(dir, main));
      if (!bundleSha256) bundleSha256 = createHash('sha256').update(bundle).digest('hex');
      const source = fs.readFileSync(path.join(root, name), 'utf8');
      const toml = assets ? source : source.replace(/^\[assets\]\n(?:(?!\[).*\n?)*/m, '');
      if (!/^main\s*=.*$/m.test(toml)) throw new Error(`${name} has no main = line`);
      const config = path.join(dir, `${name}.copy.toml`);
      // The copy lives in the temporary directory: the console's assets directory (relative to
      // the config) becomes absolute.
      fs.writeFileSync(
        config,
        toml
          .replace(/^main\s*=.*$/m, `main = "${main}"`)
          .replace(
            /^(directory\s*=\s*)"([^"]*)"/m,
            (_, key, dir) => `${key}${JSON.stringify(path.resolve(root, dir))}`,
          ),
      );
      configs.push(config);
    }

    // 2. Migrations into the temporary state (the project's config and migrations_dir).
    await run(wrangler, ['d1', 'migrations', 'apply', 'DB', '--local', '--persist-to', state], {
      cwd: root,
      logFile,
      timeoutMs: 60_000,
      onSpawn,
    });

    // 3. Secrets for this run only.
    const keys = Array.from(
      { length: keyCount },
      () => `loadtest-${randomBytes(18).toString('base64url')}`,
    );
    envFile = path.join(tmp, 'loadtest.env');
    fs.writeFileSync(
      envFile,
      [
        `API_KEYS=${JSON.stringify(keys)}`,
        `SIGNING_KEYS=${typeof signingKeys === 'string' ? signingKeys : JSON.stringify(signingKeys)}`,
        `WEBHOOK_SECRET=${randomBytes(24).toString('base64url')}`,
        ...Object.entries(vars).map(([k, v]) => `${k}=${v}`),
        '',
      ].join('\n'),
    );

    // 4. wrangler dev on both bundles, in its own process group.
    port = fixedPort ?? (await freePort());
    await launch();
    return {
      url,
      keys,
      get pid() {
        return child?.pid;
      },
      logFile,
      bundleSha256,
      stop,
      killNow,
      crash,
      restart: launch,
      tmp,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/**
 * Spawns `wrangler dev` (`args` after `dev`) in its own process group, output appended to
 * `logFile`, with a private dev registry under `tmp`: wrangler dev sessions share
 * ~/.config/.wrangler/registry by default, and another session of a Worker with the same name
 * (a developer's `npm start`, another run) would reload this one mid-request or take its
 * messages.
 * @param {string} wrangler @param {string[]} args
 * @param {{ root: string, tmp: string, logFile: string }} where
 */
function spawnWranglerDev(wrangler, args, { root, tmp, logFile }) {
  const out = fs.openSync(logFile, 'a');
  const child = spawn(wrangler, ['dev', ...args], {
    cwd: root,
    env: { ...ENV, WRANGLER_REGISTRY_PATH: path.join(tmp, 'registry') },
    stdio: ['ignore', out, out],
    detached: true,
  });
  fs.closeSync(out);
  return child;
}

/**
 * The floor Worker's config, written to `dir`: scripts/lib/floor/wrangler.toml with the
 * delivery Worker's deployment shape from the project's wrangler.toml, namely its
 * `compatibility_date`, `compatibility_flags` and its `[assets]` table (the console's assets
 * directory made absolute, the same `run_worker_first`). With `[assets]`, workerd routes every
 * request through the assets RPC proxy and router Workers before the user Worker, as Cloudflare
 * does in production; measured in local mode that costs a hello-world Worker about 0.35 ms of
 * workerd CPU per request, more than our whole hit path adds (docs/performance.md). The floor
 * pays it too, so the ratio measures our code, not the router in front of it.
 * @param {string} root the repository @param {string} dir where the config goes
 * @returns {string} the config's path
 * @throws Error when wrangler.toml has no compatibility_date
 */
export function floorConfig(root, dir) {
  const service = fs.readFileSync(path.join(root, 'wrangler.toml'), 'utf8');
  const floorDir = path.join(root, 'scripts', 'lib', 'floor');
  const base = fs.readFileSync(path.join(floorDir, 'wrangler.toml'), 'utf8');
  const line = (key) => new RegExp(`^${key}\\s*=.*$`, 'm').exec(service)?.[0];
  const date = line('compatibility_date');
  if (!date) throw new Error('wrangler.toml has no compatibility_date');
  // The [assets] table: its header up to the next table header.
  const assets = /^\[assets\]\n(?:(?!\[).*\n?)*/m
    .exec(service)?.[0]
    ?.replace(
      /^(directory\s*=\s*)"([^"]*)"/m,
      (_, key, d) => `${key}${JSON.stringify(path.resolve(root, d))}`,
    );
  const toml = [
    base
      .replace(/^main\s*=.*$/m, `main = ${JSON.stringify(path.join(floorDir, 'worker.js'))}`)
      .replace(/^compatibility_date\s*=.*$/m, date)
      .trimEnd(),
    line('compatibility_flags') ?? '',
    assets ? `\n${assets.trimEnd()}` : '',
    '',
  ].join('\n');
  const file = path.join(dir, 'wrangler.toml');
  fs.writeFileSync(file, toml);
  return file;
}

/**
 * Starts the load test's floor Worker (scripts/lib/floor/: one `caches.default.match` per
 * request, in the delivery Worker's deployment shape: {@link floorConfig}) with the same
 * wrangler and flags as the service, on `port`, in its own process group. Returns
 * `{ url, pid, stop }` (`pid`: wrangler's, the group's id); `stop()` ends the group.
 * `config` writes another config into the given temporary directory and returns its path (the
 * A/B variants of bench/floor-ab.mjs); by default {@link floorConfig}.
 * @param {{ root: string, port?: number, logLevel?: string, config?: (dir: string) => string }} options
 */
export async function startFloorWorker({
  root,
  port,
  logLevel = 'warn',
  config = (dir) => floorConfig(root, dir),
}) {
  const wrangler = path.join(root, 'node_modules', '.bin', 'wrangler');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'image-edge-floor-'));
  const logFile = path.join(tmp, 'wrangler.log');
  const listen = port ?? (await freePort());
  const child = spawnWranglerDev(
    wrangler,
    [
      '-c',
      config(tmp),
      '--ip',
      '127.0.0.1',
      '--port',
      String(listen),
      '--persist-to',
      path.join(tmp, 'state'),
      '--show-interactive-dev-session=false',
      '--inspector-port',
      String(await freePort()),
      '--log-level',
      logLevel,
    ],
    { root, tmp, logFile },
  );
  const pgid = /** @type {number} */ (child.pid);
  let stopped = false;
  const handle = {
    async stop() {
      if (stopped) return;
      stopped = true;
      active.delete(handle);
      try {
        process.kill(-pgid, 'SIGTERM');
      } catch {
        // gone
      }
      for (let i = 0; i < 50 && groupAlive(pgid); i++) await sleep(100);
      if (groupAlive(pgid)) process.kill(-pgid, 'SIGKILL');
      fs.rmSync(tmp, { recursive: true, force: true });
    },
    killNow() {
      if (groupAlive(pgid)) process.kill(-pgid, 'SIGKILL');
    },
  };
  active.add(handle);
  const url = `http://127.0.0.1:${listen}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      await handle.stop();
      throw new Error(`floor wrangler dev exited (${child.signalCode ?? child.exitCode})`);
    }
    try {
      if ((await fetch(`${url}/floor/1`, { signal: AbortSignal.timeout(2000) })).ok)
        return { url, pid: pgid, stop: handle.stop };
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await handle.stop();
      throw new Error('the floor Worker did not answer in 60 s');
    }
    await sleep(250);
  }
}
