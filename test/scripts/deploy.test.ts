/**
 * `npm run deploy` (scripts/deploy.mjs) against a fake `wrangler` first on PATH
 * (test/scripts/fake-wrangler.mjs): the exact command sequence of a first deploy, a rerun, a
 * staging deploy, a failure in the middle, and the checks that refuse to start. Each test runs
 * in a fresh copy of the project's configs and migrations; nothing reaches the network.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const repo = path.resolve(import.meta.dirname, '..', '..');
const fakeBin = path.join(import.meta.dirname, 'fake-bin');

interface Worker {
  secrets: Record<string, string>;
  deployments: number;
  routes: { pattern: string; custom_domain: boolean }[];
}
interface State {
  loggedIn?: boolean;
  buckets: string[];
  databases: { uuid: string; name: string }[];
  queues: string[];
  workers: Record<string, Worker>;
  migrated: Record<string, string[]>;
}

let root: string;
let logLines = 0;

beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), 'deploy-test-'));
  for (const f of ['wrangler.toml', 'wrangler.consumer.toml', '.dev.vars.example', 'migrations'])
    cpSync(path.join(repo, f), path.join(root, f), { recursive: true });
  writeState({ buckets: [], databases: [], queues: [], workers: {}, migrated: {} });
  writeFileSync(path.join(root, 'calls.log'), '');
  logLines = 0;
});

afterEach(() => {
  // Temp dirs are left to the OS; nothing outside them was written.
});

const state = (): State => JSON.parse(readFileSync(path.join(root, 'state.json'), 'utf8'));
const writeState = (s: State) => writeFileSync(path.join(root, 'state.json'), JSON.stringify(s));

/** Runs the deploy script; returns its exit code, output and the wrangler calls it made. */
function deploy(args: string[] = [], env: Record<string, string> = {}) {
  const base = { ...process.env };
  for (const k of ['CI', 'API_KEYS', 'SIGNING_KEYS', 'WEBHOOK_SECRET', 'DEPLOY_DOMAIN'])
    delete base[k];
  const res = spawnSync(process.execPath, [path.join(repo, 'scripts', 'deploy.mjs'), ...args], {
    cwd: root,
    encoding: 'utf8',
    env: {
      ...base,
      PATH: `${fakeBin}${path.delimiter}${process.env.PATH}`,
      FAKE_WRANGLER_STATE: path.join(root, 'state.json'),
      FAKE_WRANGLER_LOG: path.join(root, 'calls.log'),
      DEPLOY_PLAN: 'paid',
      ...env,
    },
  });
  const lines = readFileSync(path.join(root, 'calls.log'), 'utf8').trim().split('\n');
  const calls = lines
    .slice(logLines)
    .filter(Boolean)
    .map((l) => (JSON.parse(l) as string[]).join(' '))
    .map((c) => c.replaceAll(root, '<root>').replace(/--secrets-file \S+/, '--secrets-file <tmp>'));
  logLines = lines.filter(Boolean).length;
  return { status: res.status, out: res.stdout, err: res.stderr, calls };
}

const GEN = '.deploy.production.wrangler.json';
/** The consumer Worker's generated config (wrangler.consumer.toml). */
const CGEN = '.deploy.production.wrangler.consumer.json';
const dryRun =
  'deploy --dry-run --outdir <root>/.wrangler/deploy/bundle/wrangler --config wrangler.toml';
const dryRunConsumer =
  'deploy --dry-run --outdir <root>/.wrangler/deploy/bundle/wrangler.consumer --config wrangler.consumer.toml';

describe('npm run deploy', () => {
  it('creates every resource, migrates, then deploys with generated keys on a first deploy', () => {
    const r = deploy();
    expect(r.err).not.toContain('Deploy stopped');
    expect(r.status).toBe(0);
    expect(r.calls).toEqual([
      dryRun,
      dryRunConsumer,
      'whoami --json',
      'r2 bucket info image-edge --json',
      'r2 bucket create image-edge',
      'r2 bucket info image-edge-source --json',
      'r2 bucket create image-edge-source',
      'd1 list --json',
      'd1 create image-edge',
      'd1 list --json',
      'queues info image-edge-jobs',
      'queues create image-edge-jobs',
      'queues info image-edge-dlq',
      'queues create image-edge-dlq',
      `d1 migrations apply DB --remote --config ${GEN}`,
      `secret list --name image-edge --config ${GEN}`,
      `secret list --name image-edge-consumer --config ${CGEN}`,
      `deploy --config ${GEN} --secrets-file <tmp>`,
      `deploy --config ${CGEN} --secrets-file <tmp>`,
    ]);
    const s = state();
    expect(s.buckets).toEqual(['image-edge', 'image-edge-source']);
    expect(s.queues).toEqual(['image-edge-jobs', 'image-edge-dlq']);
    expect(s.migrated['uuid-image-edge']).toContain('0001_images.sql');
    // The generated config carries the id; wrangler.toml stays as it was.
    const gen = JSON.parse(readFileSync(path.join(root, GEN), 'utf8'));
    expect(gen.d1_databases[0]).toMatchObject({
      database_name: 'image-edge',
      database_id: 'uuid-image-edge',
    });
    expect(readFileSync(path.join(root, 'wrangler.toml'), 'utf8')).toBe(
      readFileSync(path.join(repo, 'wrangler.toml'), 'utf8'),
    );
    // Strong keys, uploaded with the code; the API key printed exactly once.
    const secrets = s.workers['image-edge']!.secrets;
    expect(Object.keys(secrets).sort()).toEqual(['API_KEYS', 'SIGNING_KEYS', 'WEBHOOK_SECRET']);
    const [admin] = JSON.parse(secrets.API_KEYS!) as { key: string; scopes: string[] }[];
    expect(admin!.key.length).toBeGreaterThanOrEqual(40);
    expect(admin!.scopes).toEqual(['read', 'upload', 'admin']);
    expect(r.out.split(admin!.key).length - 1).toBe(1);
    expect(r.out).toContain(`export API_KEY=${admin!.key}`);
    const [signing] = JSON.parse(secrets.SIGNING_KEYS!) as { kid: string; key: string }[];
    expect(signing!.key.length).toBeGreaterThanOrEqual(32);
    expect(secrets.WEBHOOK_SECRET!.length).toBeGreaterThanOrEqual(32);
    // The bundle report, and the workers.dev warning (no custom domain given).
    expect(r.out).toMatch(/index\.js .* KiB/);
    expect(r.out).toMatch(/budget 4096\.0 KiB gzip: ok/);
    expect(r.err).toContain('Cache API does nothing');
  });

  it('creates nothing and generates no key when run again', () => {
    expect(deploy().status).toBe(0);
    const before = state().workers['image-edge']!.secrets;
    const r = deploy();
    expect(r.status).toBe(0);
    expect(r.calls).toEqual([
      dryRun,
      dryRunConsumer,
      'whoami --json',
      'r2 bucket info image-edge --json',
      'r2 bucket info image-edge-source --json',
      'd1 list --json',
      'queues info image-edge-jobs',
      'queues info image-edge-dlq',
      `d1 migrations apply DB --remote --config ${GEN}`,
      `secret list --name image-edge --config ${GEN}`,
      `secret list --name image-edge-consumer --config ${CGEN}`,
      `deploy --config ${GEN}`,
      `deploy --config ${CGEN}`,
    ]);
    expect(state().workers['image-edge']).toMatchObject({ secrets: before, deployments: 2 });
    expect(r.out).not.toContain('export API_KEY=');
    expect(r.out).toContain('Secret API_KEYS: kept');
  });

  it('deploys a staging copy with its own resources', () => {
    expect(deploy().status).toBe(0);
    const r = deploy(['--env', 'staging', '--domain', 'img-staging.example.com']);
    expect(r.status).toBe(0);
    const gen = '.deploy.staging.wrangler.json';
    expect(r.calls).toEqual([
      dryRun,
      dryRunConsumer,
      'whoami --json',
      'r2 bucket info image-edge-staging --json',
      'r2 bucket create image-edge-staging',
      'r2 bucket info image-edge-source-staging --json',
      'r2 bucket create image-edge-source-staging',
      'd1 list --json',
      'd1 create image-edge-staging',
      'd1 list --json',
      'queues info image-edge-jobs-staging',
      'queues create image-edge-jobs-staging',
      'queues info image-edge-dlq-staging',
      'queues create image-edge-dlq-staging',
      `d1 migrations apply DB --remote --config ${gen}`,
      `secret list --name image-edge-staging --config ${gen}`,
      `secret list --name image-edge-consumer-staging --config .deploy.staging.wrangler.consumer.json`,
      `deploy --config ${gen} --secrets-file <tmp>`,
      `deploy --config .deploy.staging.wrangler.consumer.json --secrets-file <tmp>`,
    ]);
    const config = JSON.parse(readFileSync(path.join(root, gen), 'utf8'));
    expect(config.name).toBe('image-edge-staging');
    const consumer = JSON.parse(
      readFileSync(path.join(root, '.deploy.staging.wrangler.consumer.json'), 'utf8'),
    );
    expect(consumer.queues.consumers[0].dead_letter_queue).toBe('image-edge-dlq-staging');
    expect(config.analytics_engine_datasets[0].dataset).toBe('image_edge_staging');
    expect(config.ratelimits.map((r: { namespace_id: string }) => r.namespace_id)).toEqual(
      JSON.parse(readFileSync(path.join(root, GEN), 'utf8')).ratelimits.map(
        (r: { namespace_id: string }) => String(Number(r.namespace_id) + 1_000_000),
      ),
    );
    const s = state();
    expect(s.workers['image-edge-staging']!.routes).toEqual([
      { pattern: 'img-staging.example.com', custom_domain: true },
    ]);
    // Its own keys; production's untouched.
    expect(s.workers['image-edge-staging']!.secrets.API_KEYS).not.toBe(
      s.workers['image-edge']!.secrets.API_KEYS,
    );
    expect(s.workers['image-edge']!.deployments).toBe(1);
    expect(r.err).not.toContain('Cache API does nothing');
  });

  it('stops with a clear message on a failure in the middle, and a rerun finishes the job', () => {
    const failed = deploy([], { FAKE_WRANGLER_FAIL: 'queues create image-edge-dlq' });
    expect(failed.status).toBe(1);
    expect(failed.err).toContain('Deploy stopped: `wrangler queues create image-edge-dlq` failed');
    expect(failed.err).toContain('Internal error [code: 10000]');
    expect(failed.err).toContain('run the same command again');
    expect(failed.calls.at(-1)).toBe('queues create image-edge-dlq');
    expect(state().workers).toEqual({});

    const r = deploy();
    expect(r.status).toBe(0);
    expect(r.calls).toEqual([
      dryRun,
      dryRunConsumer,
      'whoami --json',
      'r2 bucket info image-edge --json',
      'r2 bucket info image-edge-source --json',
      'd1 list --json',
      'queues info image-edge-jobs',
      'queues info image-edge-dlq',
      'queues create image-edge-dlq',
      `d1 migrations apply DB --remote --config ${GEN}`,
      `secret list --name image-edge --config ${GEN}`,
      `secret list --name image-edge-consumer --config ${CGEN}`,
      `deploy --config ${GEN} --secrets-file <tmp>`,
      `deploy --config ${CGEN} --secrets-file <tmp>`,
    ]);
    expect(r.out).toContain('export API_KEY=');
  });

  it('deploys every Worker config, sharing the resources between them', () => {
    const r = deploy();
    expect(r.status).toBe(0);
    const consumerGen = CGEN;
    expect(r.calls.filter((c) => c.includes('create'))).toEqual([
      'r2 bucket create image-edge',
      'r2 bucket create image-edge-source',
      'd1 create image-edge',
      'queues create image-edge-jobs',
      'queues create image-edge-dlq',
    ]);
    expect(r.calls.filter((c) => c.startsWith('d1 migrations'))).toHaveLength(1);
    expect(r.calls.slice(-4)).toEqual([
      `secret list --name image-edge --config ${GEN}`,
      `secret list --name image-edge-consumer --config ${consumerGen}`,
      `deploy --config ${GEN} --secrets-file <tmp>`,
      `deploy --config ${consumerGen} --secrets-file <tmp>`,
    ]);
    const s = state();
    expect(s.workers['image-edge-consumer']!.secrets).toEqual(s.workers['image-edge']!.secrets);
    expect(s.workers['image-edge-consumer']!.routes).toEqual([]);
  });

  it('refuses to start without the Paid plan, sending nothing', () => {
    const r = deploy([], { DEPLOY_PLAN: '' });
    expect(r.status).toBe(1);
    expect(r.err).toContain('needs the Workers Paid plan');
    expect(r.calls).toEqual([]);
  });

  it.each([
    ['API_KEYS', '["dev-change-me"]', 'example value "dev-change-me"'],
    ['API_KEYS', '["short-key"]', 'shorter than 32'],
    ['SIGNING_KEYS', '[]', 'URL signing would be off'],
    ['WEBHOOK_SECRET', 'dev-webhook-secret-change-me', 'example value'],
  ])('refuses %s=%s given in the environment, sending nothing', (name, value, why) => {
    const r = deploy([], { [name]: value });
    expect(r.status).toBe(1);
    expect(r.err).toContain(`Refusing the secrets given in the environment: ${name}`);
    expect(r.err).toContain(why);
    expect(r.calls).toEqual([]);
  });

  it('uses strong secrets given in the environment instead of generating them', () => {
    const apiKeys = JSON.stringify([{ key: 'k'.repeat(40), owner: 'ci', scopes: ['read'] }]);
    const r = deploy([], { API_KEYS: apiKeys });
    expect(r.status).toBe(0);
    expect(state().workers['image-edge']!.secrets.API_KEYS).toBe(apiKeys);
    expect(r.out).not.toContain('export API_KEY=');
  });

  it('generates no key in CI, where the log is shared', () => {
    const r = deploy([], { CI: 'true' });
    expect(r.status).toBe(1);
    expect(r.err).toContain('CI does not generate keys');
    expect(r.calls.some((c) => c.startsWith('deploy --config'))).toBe(false);
  });

  it.each([
    [['--env', 'qa'], 'Unknown environment "qa"'],
    [['--dommain', 'x'], "Unknown option '--dommain'"],
  ])('refuses %j before sending anything', (args, why) => {
    const r = deploy(args);
    expect(r.status).toBe(1);
    expect(r.err).toContain(`Deploy stopped: ${why}`);
    expect(r.err).not.toMatch(/\n\s+at /); // a message, not a stack
    expect(r.calls).toEqual([]);
  });

  it('asks to log in first', () => {
    writeState({ ...state(), loggedIn: false });
    const r = deploy();
    expect(r.status).toBe(1);
    expect(r.err).toContain('Not logged in: run `npx wrangler login`');
    expect(r.calls).toEqual([dryRun, dryRunConsumer, 'whoami --json']);
  });

  it('leaves no secrets file behind', () => {
    const r = deploy();
    expect(r.status).toBe(0);
    const file = /--secrets-file (\S+)/.exec(
      readFileSync(path.join(root, 'calls.log'), 'utf8').replaceAll('","', ' '),
    )?.[1];
    expect(file).toBeTruthy();
    expect(existsSync(file!)).toBe(false);
  });
});
