/**
 * The project's Worker configs and what a deployment derives from them: one environment's
 * copy of each config (resource names, D1 ids, custom domain), the resources they share, and
 * the generated, git-ignored configs that `wrangler` deploys. wrangler.toml itself stays free
 * of account-specific ids, so `npm start` and the tests need none.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'smol-toml';

/**
 * Every Worker config of the project, in deploy order (the first one serves HTTP and gets the
 * custom domain). Files that do not exist are skipped.
 */
export const WORKER_CONFIGS = ['wrangler.toml', 'wrangler.consumer.toml'];

/** Environments `npm run deploy -- --env NAME` accepts; production uses the names as written. */
export const ENVIRONMENTS = ['production', 'staging'];

/**
 * Rate-limit namespace ids must be unique per account: a non-production environment adds this
 * times its index in ENVIRONMENTS (staging: 920101 → 1920101), so it never shares a counter.
 */
const NAMESPACE_OFFSET = 1_000_000;

/**
 * Reads the Worker configs that exist below `root`.
 * @returns `[{ file, config }]` with `config` the parsed TOML (plain objects)
 * @throws Error when none exists or one does not parse (the parser's message, with the file)
 * @type {(root: string) => { file: string, config: Record<string, any> }[]}
 */
export function readWorkerConfigs(root) {
  const found = WORKER_CONFIGS.filter((file) => existsSync(path.join(root, file)));
  if (!found.length) throw new Error(`No Worker config found (looked for ${WORKER_CONFIGS})`);
  return found.map((file) => {
    try {
      return { file, config: parse(readFileSync(path.join(root, file), 'utf8')) };
    } catch (err) {
      throw new Error(`${file}: ${err.message}`);
    }
  });
}

/**
 * The name of a resource in environment `env`: as written for production, else with `-env`
 * appended (`_env` for Analytics Engine datasets, whose names take no hyphen).
 */
export function envName(name, env, separator = '-') {
  return env === 'production' ? name : `${name}${separator}${env}`;
}

/**
 * One environment's copy of a parsed config: Worker, bucket, database, queue and dataset names
 * per `envName`, rate-limit namespaces offset, and routes kept only in production (a staging
 * copy must not claim production's hostname); `domain` (a hostname) adds a custom domain.
 * `[env.*]` blocks are dropped: the copy is flat, so wrangler needs no `--env`.
 */
export function forEnvironment(config, env, domain) {
  const index = ENVIRONMENTS.indexOf(env);
  if (index < 0) throw new Error(`Unknown environment "${env}" (one of ${ENVIRONMENTS})`);
  const out = structuredClone(config);
  delete out.env;
  out.name = envName(config.name, env);
  for (const b of out.r2_buckets ?? []) b.bucket_name = envName(b.bucket_name, env);
  for (const d of out.d1_databases ?? []) d.database_name = envName(d.database_name, env);
  for (const p of out.queues?.producers ?? []) p.queue = envName(p.queue, env);
  for (const c of out.queues?.consumers ?? []) {
    c.queue = envName(c.queue, env);
    if (c.dead_letter_queue) c.dead_letter_queue = envName(c.dead_letter_queue, env);
  }
  for (const a of out.analytics_engine_datasets ?? []) a.dataset = envName(a.dataset, env, '_');
  for (const r of out.ratelimits ?? [])
    r.namespace_id = String(Number(r.namespace_id) + index * NAMESPACE_OFFSET);
  if (env !== 'production') {
    delete out.routes;
    delete out.route;
  }
  if (domain) out.routes = [...(out.routes ?? []), { pattern: domain, custom_domain: true }];
  return out;
}

/**
 * The account resources a set of (environment) configs binds, each name once, in a stable
 * order: `{ buckets, databases, queues }` (queues: producers, consumers and dead-letter queues).
 */
export function sharedResources(configs) {
  const buckets = new Set();
  const databases = new Set();
  const queues = new Set();
  for (const c of configs) {
    for (const b of c.r2_buckets ?? []) buckets.add(b.bucket_name);
    for (const d of c.d1_databases ?? []) databases.add(d.database_name);
    for (const p of c.queues?.producers ?? []) queues.add(p.queue);
    for (const q of c.queues?.consumers ?? []) {
      queues.add(q.queue);
      if (q.dead_letter_queue) queues.add(q.dead_letter_queue);
    }
  }
  return { buckets: [...buckets], databases: [...databases], queues: [...queues] };
}

/** Whether a config is reachable on a route or custom domain (not only on workers.dev). */
export function hasCustomHost(config) {
  return Boolean(config.route || config.routes?.length);
}

/**
 * Path (relative to the project root) of the generated config for `file` in `env`. It sits
 * beside wrangler.toml so that every relative path in it (main, migrations_dir, assets) still
 * resolves; `.gitignore` keeps it out of git.
 */
export function generatedConfigPath(file, env) {
  return `.deploy.${env}.${path.basename(file, path.extname(file))}.json`;
}

/**
 * Writes `config` with each D1 binding's `database_id` from `databaseIds` (name → id) as the
 * generated config for `file` in `env`.
 * @returns the path written, relative to `root`
 * @throws Error when a database has no id
 */
export function writeGeneratedConfig(root, file, env, config, databaseIds) {
  const out = structuredClone(config);
  for (const d of out.d1_databases ?? []) {
    const id = databaseIds.get(d.database_name);
    if (!id) throw new Error(`No id for D1 database "${d.database_name}"`);
    d.database_id = id;
  }
  const rel = generatedConfigPath(file, env);
  writeFileSync(
    path.join(root, rel),
    `${JSON.stringify({ $schema: 'node_modules/wrangler/config-schema.json', ...out }, null, 2)}\n`,
  );
  return rel;
}
