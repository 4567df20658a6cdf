#!/usr/bin/env node
/**
 * `npm run bundle` (part of `npm test`): builds every Worker config with
 * `wrangler deploy --dry-run --outdir` (offline: no account, no network; checked in a network
 * namespace without interfaces, `unshare -n node scripts/bundle.mjs`) and prints each
 * module's size against the budget (scripts/lib/bundle.mjs). Exit 1 when a Worker is over it.
 */
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { budgetReport, measureBundle } from './lib/bundle.mjs';
import { readWorkerConfigs } from './lib/worker-configs.mjs';

const root = process.cwd();
let ok = true;
for (const { file } of readWorkerConfigs(root)) {
  const outdir = path.join(root, 'dist', 'bundle', path.basename(file, '.toml'));
  rmSync(outdir, { recursive: true, force: true });
  const res = spawnSync(
    path.join(root, 'node_modules', '.bin', 'wrangler'),
    ['deploy', '--dry-run', '--outdir', outdir, '--config', file],
    {
      encoding: 'utf8',
      // No telemetry, no Request.cf fetch, and no banner (its update check asks the registry).
      env: {
        ...process.env,
        WRANGLER_SEND_METRICS: 'false',
        CLOUDFLARE_CF_FETCH_ENABLED: 'false',
        WRANGLER_HIDE_BANNER: 'true',
      },
    },
  );
  if (res.status !== 0) {
    console.error(`${file}: wrangler deploy --dry-run failed:\n${res.stdout}${res.stderr}`);
    process.exit(1);
  }
  const report = budgetReport(file, measureBundle(outdir));
  console.log(report.lines.join('\n'));
  ok &&= report.ok;
}
process.exit(ok ? 0 : 1);
