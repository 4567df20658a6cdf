/**
 * The GitHub Actions workflow (.github/workflows/deploy.yml) cannot run here: its syntax and
 * the steps it promises are checked instead (parsed with the `yaml` library).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';

const file = path.resolve(import.meta.dirname, '..', '..', '.github', 'workflows', 'deploy.yml');

interface Step {
  uses?: string;
  run?: string;
  with?: Record<string, string>;
  env?: Record<string, string>;
}
interface Job {
  if?: string;
  needs?: string;
  'runs-on': string;
  steps: Step[];
}

const doc = parseDocument(readFileSync(file, 'utf8'), { uniqueKeys: true });
const workflow = doc.toJS() as { on: Record<string, unknown>; jobs: Record<string, Job> };

describe('.github/workflows/deploy.yml', () => {
  it('is valid YAML with no duplicate keys', () => {
    expect(doc.errors).toEqual([]);
    expect(doc.warnings).toEqual([]);
  });

  it('tests on every push and pull request', () => {
    expect(Object.keys(workflow.on).sort()).toEqual(['pull_request', 'push']);
    const test = workflow.jobs.test!;
    expect(test['runs-on']).toBe('ubuntu-latest');
    expect(test.steps.map((s) => s.run).filter(Boolean)).toEqual([
      'npm ci --no-audit --no-fund',
      'npm test',
    ]);
  });

  it('deploys with cloudflare/wrangler-action only on a version tag, after the tests', () => {
    expect(workflow.on.push).toEqual({ branches: ['main'], tags: ['v*'] });
    const deploy = workflow.jobs.deploy!;
    expect(deploy.needs).toBe('test');
    expect(deploy.if).toBe("startsWith(github.ref, 'refs/tags/v')");
    const action = deploy.steps.find((s) => s.uses?.startsWith('cloudflare/wrangler-action@'))!;
    expect(action.uses).toBe('cloudflare/wrangler-action@v3');
    expect(action.with).toMatchObject({
      apiToken: '${{ secrets.CLOUDFLARE_API_TOKEN }}',
      accountId: '${{ secrets.CLOUDFLARE_ACCOUNT_ID }}',
      preCommands: 'npm run deploy',
    });
    // The pinned wrangler, and the plan confirmation the deploy script asks for.
    const pkg = JSON.parse(readFileSync(path.join(file, '..', '..', '..', 'package.json'), 'utf8'));
    expect(action.with!.wranglerVersion).toBe(pkg.devDependencies.wrangler);
    expect(action.env).toMatchObject({ DEPLOY_PLAN: 'paid' });
  });

  it('names every secret it reads in the README', () => {
    const readme = readFileSync(path.join(file, '..', '..', '..', 'README.md'), 'utf8');
    const names = [...readFileSync(file, 'utf8').matchAll(/\$\{\{ (?:secrets|vars)\.(\w+) \}\}/g)];
    expect(names.length).toBeGreaterThan(0);
    for (const [, name] of names) expect(readme).toContain(`\`${name}\``);
  });
});
