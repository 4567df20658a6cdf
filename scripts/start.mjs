#!/usr/bin/env node
/**
 * `npm start`: make sure .dev.vars exists (creating a dev API key and printing it), apply the
 * local D1 migrations, then serve on http://127.0.0.1:8787 with local R2, D1 and Queues
 * (wrangler's local mode). Both Workers run in one `wrangler dev`, sharing that local state:
 * delivery (wrangler.toml, the primary, on the port) and the queue consumer
 * (wrangler.consumer.toml). The `local` source's bucket is seeded from ../shared/images
 * (scripts/lib/seed-sources.mjs). `--test-scheduled` lets `curl '127.0.0.1:8787/__scheduled?cron=*%2F5+*+*+*+*'`
 * run the reconciler by hand. Nothing here needs the internet.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { seedSourceBucket } from './lib/seed-sources.mjs';

const env = {
  ...process.env,
  WRANGLER_SEND_METRICS: 'false',
  CLOUDFLARE_CF_FETCH_ENABLED: 'false',
};
const wrangler = 'node_modules/.bin/wrangler';

if (!existsSync('.dev.vars')) {
  const key = `dev-${randomBytes(18).toString('base64url')}`;
  const example = readFileSync('.dev.vars.example', 'utf8');
  writeFileSync(
    '.dev.vars',
    example.replace(/^API_KEYS=.*$/m, `API_KEYS=${JSON.stringify([key])}`),
  );
  console.log(`\nCreated .dev.vars with a local API key:\n\n  export API_KEY=${key}\n`);
} else {
  const line = readFileSync('.dev.vars', 'utf8').match(/^API_KEYS=(.*)$/m);
  if (line) console.log(`\nLocal API keys (.dev.vars): ${line[1]}\n`);
  if (!/^SOURCES=/m.test(readFileSync('.dev.vars', 'utf8')))
    console.log('No SOURCES in .dev.vars: copy its line from .dev.vars.example (docs/sources.md).');
}

const migrate = spawnSync(wrangler, ['d1', 'migrations', 'apply', 'DB', '--local'], {
  env,
  stdio: 'inherit',
});
if (migrate.status !== 0) process.exit(migrate.status ?? 1);

// The `local` source (docs/sources.md): ../shared/images in the local SOURCE_BUCKET.
if (existsSync('../shared/images')) {
  const seeded = await seedSourceBucket('../shared/images');
  if (seeded) console.log(`Seeded the local source bucket with ${seeded} images.`);
}

const dev = spawn(
  wrangler,
  [
    'dev',
    ...['-c', 'wrangler.toml', '-c', 'wrangler.consumer.toml'],
    ...['--ip', '127.0.0.1', '--port', '8787', '--test-scheduled'],
    ...process.argv.slice(2),
  ],
  {
    env,
    stdio: 'inherit',
  },
);
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => dev.kill(sig));
dev.on('exit', (code) => process.exit(code ?? 0));
