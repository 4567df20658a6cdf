/**
 * A stand-in for `wrangler` in the deploy tests (nothing reaches the network): records its
 * arguments as one JSON line in $FAKE_WRANGLER_LOG and answers like wrangler 4.86 from the
 * account state in $FAKE_WRANGLER_STATE (JSON: buckets, databases, queues, workers,
 * loggedIn). A call whose arguments start with $FAKE_WRANGLER_FAIL fails as an API error does.
 */
import fs from 'node:fs';
import path from 'node:path';

const args = process.argv.slice(2);
const statePath = process.env.FAKE_WRANGLER_STATE;
fs.appendFileSync(process.env.FAKE_WRANGLER_LOG, `${JSON.stringify(args)}\n`);
const state = JSON.parse(fs.readFileSync(statePath, 'utf8'));
const save = () => fs.writeFileSync(statePath, JSON.stringify(state, null, 2));
const out = (s) => process.stdout.write(`${s}\n`);
const fail = (msg, code = 1) => {
  process.stderr.write(`✘ [ERROR] ${msg}\n`);
  process.exit(code);
};
const flag = (name) => {
  const i = args.indexOf(name);
  return i < 0 ? undefined : args[i + 1];
};
/** The command words, up to the first flag (`d1 migrations apply DB`). */
const cmd = args
  .slice(0, (args.findIndex((a) => a.startsWith('-')) + 1 || args.length + 1) - 1)
  .join(' ');
const readConfig = () => JSON.parse(fs.readFileSync(flag('--config'), 'utf8'));

if (process.env.FAKE_WRANGLER_FAIL && args.join(' ').startsWith(process.env.FAKE_WRANGLER_FAIL))
  fail('A request to the Cloudflare API (/accounts/x) failed.\n  Internal error [code: 10000]');

if (args[0] === 'deploy' && args.includes('--dry-run')) {
  const dir = flag('--outdir');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'index.js'), 'export default {};\n'.repeat(100));
  fs.writeFileSync(path.join(dir, 'abc-codec.wasm'), Buffer.alloc(2048, 7));
  fs.writeFileSync(path.join(dir, 'index.js.map'), '{}');
  out('--dry-run: exiting now.');
} else if (cmd.startsWith('whoami')) {
  if (state.loggedIn === false) {
    out(JSON.stringify({ loggedIn: false }));
    process.exit(1);
  }
  out(JSON.stringify({ loggedIn: true, email: 'me@example.com', accounts: [{ id: 'acc' }] }));
} else if (cmd.startsWith('r2 bucket info')) {
  if (!state.buckets.includes(args[3]))
    fail(
      'A request to the Cloudflare API failed.\n  The specified bucket does not exist. [code: 10006]',
    );
  out(JSON.stringify({ name: args[3] }));
} else if (cmd.startsWith('r2 bucket create')) {
  state.buckets.push(args[3]);
  out(`Created bucket '${args[3]}'`);
} else if (cmd.startsWith('d1 list')) {
  out(JSON.stringify(state.databases));
} else if (cmd.startsWith('d1 create')) {
  state.databases.push({ uuid: `uuid-${args[2]}`, name: args[2] });
  out(`Successfully created DB '${args[2]}'`);
} else if (cmd.startsWith('queues info')) {
  if (!state.queues.includes(args[2]))
    fail(`Queue "${args[2]}" does not exist. To create it, run: wrangler queues create ${args[2]}`);
  out(`Queue Name: ${args[2]}`);
} else if (cmd.startsWith('queues create')) {
  state.queues.push(args[2]);
  out(`Created queue ${args[2]}.`);
} else if (cmd.startsWith('d1 migrations apply')) {
  const db = readConfig().d1_databases.find((d) => d.binding === args[3]);
  if (!state.databases.some((d) => d.uuid === db?.database_id))
    fail(`Found a database with name or binding ${args[3]} but it is missing a database_id`);
  const files = fs.readdirSync(path.join(path.dirname(flag('--config')), db.migrations_dir));
  const todo = files.filter((f) => !(state.migrated[db.database_id] ?? []).includes(f));
  state.migrated[db.database_id] = files;
  out(todo.length ? `Applied ${todo.join(', ')}` : '✅ No migrations to apply!');
} else if (cmd.startsWith('secret list')) {
  const worker = state.workers[flag('--name')];
  if (!worker)
    fail(
      `Worker "${flag('--name')}" not found.\nIf this is a new Worker, run \`wrangler deploy\` first to create it.`,
    );
  out(JSON.stringify(Object.keys(worker.secrets).map((name) => ({ name, type: 'secret_text' }))));
} else if (args[0] === 'deploy') {
  const config = readConfig();
  for (const q of [...(config.queues?.producers ?? []), ...(config.queues?.consumers ?? [])])
    if (!state.queues.includes(q.queue)) fail(`Queue "${q.queue}" does not exist.`);
  for (const b of config.r2_buckets ?? [])
    if (!state.buckets.includes(b.bucket_name)) fail(`R2 bucket ${b.bucket_name} does not exist`);
  const worker = (state.workers[config.name] ??= { secrets: {}, deployments: 0, routes: [] });
  const file = flag('--secrets-file');
  if (file) Object.assign(worker.secrets, JSON.parse(fs.readFileSync(file, 'utf8')));
  worker.deployments += 1;
  worker.routes = config.routes ?? [];
  out(`Uploaded ${config.name}\nDeployed ${config.name} triggers`);
} else {
  fail(`fake wrangler: unknown command ${args.join(' ')}`, 2);
}
save();
