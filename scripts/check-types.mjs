#!/usr/bin/env node
/**
 * Fails when worker-configuration.d.ts is stale. `wrangler types --check` (4.86) regenerates
 * with secrets read from `.dev.vars`, ignoring `--env-file`, so its answer depended on each
 * developer's local secrets (and always failed in a clean clone). Instead: regenerate the file
 * with the same command `npm run types` uses, compare, and put the committed text back.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';

const file = 'worker-configuration.d.ts';
const before = readFileSync(file, 'utf8');
const run = spawnSync(
  'node_modules/.bin/wrangler',
  ['types', '--include-runtime=false', '--strict-vars=false', '--env-file', '.dev.vars.example'],
  {
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false' },
    encoding: 'utf8',
  },
);
const after = readFileSync(file, 'utf8');
writeFileSync(file, before);
if (run.status !== 0) {
  console.error(run.stdout, run.stderr);
  process.exit(run.status ?? 1);
}
if (after !== before) {
  console.error(`${file} is out of date: run \`npm run types\` and commit the result.`);
  process.exit(1);
}
console.log(`${file} is up to date.`);
