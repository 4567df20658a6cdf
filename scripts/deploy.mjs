#!/usr/bin/env node
/**
 * `npm run deploy [-- --env staging] [-- --domain img.example.com] [-- --plan paid]`: from a
 * clone to a running service, idempotently. Checks first (nothing is sent): the Workers Paid
 * plan, a custom domain (else a warning: the Cache API does nothing on workers.dev), the secrets
 * given in the environment, and each Worker's bundle (`wrangler deploy --dry-run`) against the
 * budget. Then, through `wrangler` (the first one on PATH, else node_modules/.bin): creates or
 * reuses by name the R2 bucket, the D1 database, the queues; writes the generated configs with
 * the D1 id; applies the D1 migrations remotely; generates missing secrets (printing the API
 * key once) and deploys every Worker with them (`--secrets-file`, so code and keys go live
 * together). A rerun finds everything and creates nothing. Exit 1 with the failing step named.
 *
 * Environment: DEPLOY_PLAN=paid (as --plan), DEPLOY_DOMAIN (as --domain), API_KEYS,
 * SIGNING_KEYS, WEBHOOK_SECRET (used instead of generated values; checked). With CI set, no key
 * is generated: the first deploy runs on a developer's machine, or CI passes the secrets.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { buildAndMeasure } from './lib/bundle.mjs';
import {
  SECRET_NAMES,
  checkProvidedSecrets,
  exampleSecrets,
  generateSecrets,
} from './lib/deploy-secrets.mjs';
import {
  forEnvironment,
  hasCustomHost,
  readWorkerConfigs,
  sharedResources,
  writeGeneratedConfig,
} from './lib/worker-configs.mjs';

const root = process.cwd();
/** wrangler's own environment: no telemetry; node_modules/.bin after anything on PATH. */
const wranglerEnv = {
  ...process.env,
  WRANGLER_SEND_METRICS: 'false',
  PATH: `${process.env.PATH}${path.delimiter}${path.join(root, 'node_modules', '.bin')}`,
};

/**
 * The command-line options: `{ env, domain, plan }` (defaults from DEPLOY_DOMAIN, DEPLOY_PLAN).
 * @throws DeployError on an unknown option or a missing value
 */
function readOptions() {
  try {
    return parseArgs({
      options: {
        env: { type: 'string', default: 'production' },
        domain: { type: 'string', default: process.env.DEPLOY_DOMAIN || undefined },
        plan: { type: 'string', default: process.env.DEPLOY_PLAN || undefined },
      },
    }).values;
  } catch (err) {
    throw new DeployError(err.message);
  }
}

/** Prints one step's outcome. */
const say = (msg) => console.log(`• ${msg}`);

/** A failure the user can act on: printed without a stack. */
class DeployError extends Error {}

/**
 * Runs `wrangler args`.
 * @param opts.quiet capture output instead of streaming it
 * @param opts.allow a pattern: a failure whose output matches it is returned, not thrown
 * @returns `{ ok, stdout, output }`
 * @throws DeployError on any other failure, with the command and its last lines of output
 */
function wrangler(args, { quiet = true, allow } = {}) {
  const res = spawnSync('wrangler', args, {
    env: wranglerEnv,
    encoding: 'utf8',
    stdio: quiet ? ['ignore', 'pipe', 'pipe'] : ['ignore', 'inherit', 'inherit'],
  });
  const output = `${res.stdout ?? ''}${res.stderr ?? ''}`;
  if (res.status === 0) return { ok: true, stdout: res.stdout ?? '', output };
  if (allow && allow.test(output)) return { ok: false, stdout: res.stdout ?? '', output };
  const why = res.error
    ? res.error.message
    : `exit ${res.status}${output.trim() ? `:\n${output.trim().split('\n').slice(-6).join('\n')}` : ''}`;
  throw new DeployError(`\`wrangler ${args.join(' ')}\` failed (${why})`);
}

/** Parses a wrangler command's JSON output (the banner, if any, comes before it). */
function json(stdout, what) {
  const start = stdout.search(/^[[{]/m);
  try {
    return JSON.parse(stdout.slice(start));
  } catch {
    throw new DeployError(`Could not read ${what} from wrangler's output:\n${stdout.trim()}`);
  }
}

/**
 * Checks that need no account: plan, custom domain, secrets given, bundle.
 * @param targets `[{ file, config }]`, the configs as this environment deploys them
 * @param plan the plan the user confirmed (`paid` is required)
 * @returns the secrets given in the environment, checked
 */
function preflight(targets, plan) {
  if (plan !== 'paid')
    throw new DeployError(
      'image-edge needs the Workers Paid plan: the Free plan allows 10 ms of CPU per request, ' +
        'less than decoding one small photo. Subscribe in the dashboard (Workers & Pages > Plans), ' +
        'then confirm with `npm run deploy -- --plan paid` (or DEPLOY_PLAN=paid).',
    );
  const front = targets[0].config;
  if (hasCustomHost(front))
    say(`Custom domain/route: ${[front.route ?? front.routes].flat().map((r) => r.pattern ?? r)}`);
  else
    console.warn(
      `! WARNING: no custom domain or route for ${front.name}: it will be served on ` +
        '*.workers.dev only, where the Cache API does nothing. Every variant request then reads ' +
        'D1 and R2 and counts against the delivery rate limit (300/min per client), so a gallery ' +
        'page gets 429s. Pass --domain img.example.com (a hostname in a zone on this account). ' +
        '/readyz shows this warning too.',
    );
  const provided = Object.fromEntries(
    SECRET_NAMES.filter((n) => process.env[n]).map((n) => [n, process.env[n]]),
  );
  try {
    checkProvidedSecrets(
      provided,
      exampleSecrets(readFileSync(path.join(root, '.dev.vars.example'), 'utf8')),
    );
  } catch (err) {
    throw new DeployError(`Refusing the secrets given in the environment: ${err.message}`);
  }
  for (const { file } of targets) {
    const outdir = path.join(root, '.wrangler', 'deploy', 'bundle', path.basename(file, '.toml'));
    const { lines, ok } = buildAndMeasure(file, outdir, (args) => wrangler(args));
    console.log(lines.join('\n'));
    if (!ok)
      throw new DeployError(`${file}: the bundle is over its budget (scripts/lib/bundle.mjs)`);
  }
  return provided;
}

/** Creates or reuses the R2 buckets, D1 databases and queues; returns D1 name → id. */
function ensureResources({ buckets, databases, queues }) {
  for (const name of buckets) {
    const info = wrangler(['r2', 'bucket', 'info', name, '--json'], {
      allow: /does not exist|10006/,
    });
    if (info.ok) say(`R2 bucket ${name}: exists`);
    else {
      wrangler(['r2', 'bucket', 'create', name]);
      say(`R2 bucket ${name}: created`);
    }
  }
  const ids = new Map();
  const listDatabases = () =>
    new Map(
      json(wrangler(['d1', 'list', '--json']).stdout, 'the D1 list').map((d) => [d.name, d.uuid]),
    );
  let known = databases.length ? listDatabases() : new Map();
  for (const name of databases) {
    if (known.has(name)) say(`D1 database ${name}: exists`);
    else {
      wrangler(['d1', 'create', name]);
      known = listDatabases();
      if (!known.has(name))
        throw new DeployError(`D1 database ${name} was created but is not listed`);
      say(`D1 database ${name}: created`);
    }
    ids.set(name, known.get(name));
  }
  for (const name of queues) {
    const info = wrangler(['queues', 'info', name], { allow: /does not exist/ });
    if (info.ok) say(`Queue ${name}: exists`);
    else {
      wrangler(['queues', 'create', name]);
      say(`Queue ${name}: created`);
    }
  }
  return ids;
}

/** The secret names a deployed Worker already has ([] for a Worker not deployed yet). */
function secretNames(workerName, configFile) {
  const res = wrangler(['secret', 'list', '--name', workerName, '--config', configFile], {
    allow: /not found|10007/,
  });
  return res.ok ? json(res.stdout, `the secrets of ${workerName}`).map((s) => s.name) : [];
}

/**
 * Decides each Worker's secrets file: values given in the environment, else generated for the
 * names no Worker has yet. A name one Worker has and another lacks cannot be copied (secrets are
 * write-only): that stops the deploy with the command to fix it.
 * @returns `{ perWorker: Map(configFile → values to upload), apiKey }`
 */
function planSecrets(targets, provided) {
  const have = new Map(targets.map((t) => [t.gen, secretNames(t.config.name, t.gen)]));
  const missing = (name) => targets.filter((t) => !have.get(t.gen).includes(name));
  const toGenerate = SECRET_NAMES.filter(
    (n) => !provided[n] && missing(n).length === targets.length,
  );
  for (const n of SECRET_NAMES.filter((n) => !provided[n] && !toGenerate.includes(n))) {
    const lacking = missing(n);
    if (lacking.length)
      throw new DeployError(
        `${n} is set on some Workers but not on ${lacking.map((t) => t.config.name).join(', ')}: ` +
          `set the same value with \`wrangler secret put ${n} --name ${lacking[0].config.name}\` ` +
          `(or pass ${n} in the environment), then run the deploy again.`,
      );
  }
  if (toGenerate.length && process.env.CI)
    throw new DeployError(
      `No ${toGenerate.join(', ')} on the Worker yet, and CI does not generate keys (its log is ` +
        'shared): run the first deploy from your machine, or set them as CI secrets.',
    );
  const { values, apiKey } = generateSecrets(toGenerate);
  const upload = { ...values, ...provided };
  for (const n of SECRET_NAMES)
    say(
      `Secret ${n}: ${provided[n] ? 'from the environment' : toGenerate.includes(n) ? 'generated' : 'kept'}`,
    );
  return { perWorker: new Map(targets.map((t) => [t.gen, upload])), apiKey };
}

/** The whole deployment, step by step (the header says which). */
function main() {
  const opts = readOptions();
  const env = opts.env;
  const targets = readWorkerConfigs(root).map(({ file, config }, i) => ({
    file,
    config: forEnvironment(config, env, i === 0 ? opts.domain : undefined),
  }));
  const provided = preflight(targets, opts.plan);
  const who = wrangler(['whoami', '--json'], { allow: /[^]*/ });
  if (!who.ok || !json(who.stdout, 'the login').loggedIn)
    throw new DeployError(
      'Not logged in: run `npx wrangler login` (or set CLOUDFLARE_API_TOKEN), then deploy again.' +
        (who.ok ? '' : ` (wrangler whoami: ${who.output.trim().split('\n').at(-1)})`),
    );

  const ids = ensureResources(sharedResources(targets.map((t) => t.config)));
  for (const t of targets) t.gen = writeGeneratedConfig(root, t.file, env, t.config, ids);

  const migrated = new Set();
  for (const t of targets)
    for (const d of t.config.d1_databases ?? []) {
      if (migrated.has(d.database_name)) continue;
      migrated.add(d.database_name);
      say(`D1 migrations for ${d.database_name}:`);
      wrangler(['d1', 'migrations', 'apply', d.binding, '--remote', '--config', t.gen], {
        quiet: false,
      });
    }

  const { perWorker, apiKey: generatedKey } = planSecrets(targets, provided);
  let apiKey = generatedKey;
  const dir = mkdtempSync(path.join(tmpdir(), 'image-edge-secrets-'));
  try {
    for (const t of targets) {
      const values = perWorker.get(t.gen);
      const args = ['deploy', '--config', t.gen];
      if (Object.keys(values).length) {
        const file = path.join(dir, `${t.config.name}.json`);
        writeFileSync(file, JSON.stringify(values), { mode: 0o600 });
        args.push('--secrets-file', file);
      }
      say(`Deploying ${t.config.name} (${t.gen})`);
      wrangler(args, { quiet: false });
      if (apiKey && values.API_KEYS?.includes(apiKey)) {
        console.log(
          `\nYour admin API key (shown once, stored only as the API_KEYS secret):\n\n  export API_KEY=${apiKey}\n`,
        );
        apiKey = null;
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  say(`Deployed ${targets.map((t) => t.config.name).join(', ')} (${env}).`);
}

try {
  main();
} catch (err) {
  console.error(`\nDeploy stopped: ${err.message}`);
  if (!(err instanceof DeployError) && process.env.DEBUG) console.error(err.stack);
  console.error('Fix the cause and run the same command again: it resumes where it stopped.');
  process.exit(1);
}
