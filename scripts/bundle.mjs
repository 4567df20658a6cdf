#!/usr/bin/env node
/**
 * `npm run bundle` (part of `npm test`): builds every Worker config with
 * `wrangler deploy --dry-run --outdir` (offline: no account, no network; checked in a network
 * namespace without interfaces, `unshare -n node scripts/bundle.mjs`) and prints each
 * module's size against the budget (scripts/lib/bundle.mjs). Exit 1 when a Worker is over it.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { buildAndMeasure } from './lib/bundle.mjs';
import { readWorkerConfigs } from './lib/worker-configs.mjs';

const root = process.cwd();

/**
 * Runs the project's wrangler offline: no telemetry, no Request.cf fetch, no banner (its
 * update check asks the registry). Exits 1 with wrangler's output when it fails.
 */
function wrangler(args) {
  const res = spawnSync(path.join(root, 'node_modules', '.bin', 'wrangler'), args, {
    encoding: 'utf8',
    env: {
      ...process.env,
      WRANGLER_SEND_METRICS: 'false',
      CLOUDFLARE_CF_FETCH_ENABLED: 'false',
      WRANGLER_HIDE_BANNER: 'true',
    },
  });
  if (res.status !== 0) {
    console.error(`wrangler ${args.join(' ')} failed:\n${res.stdout}${res.stderr}`);
    process.exit(1);
  }
}

let ok = true;
for (const { file } of readWorkerConfigs(root)) {
  const outdir = path.join(root, 'dist', 'bundle', path.basename(file, '.toml'));
  const report = buildAndMeasure(file, outdir, wrangler);
  console.log(report.lines.join('\n'));
  ok &&= report.ok;
}
process.exit(ok ? 0 : 1);
