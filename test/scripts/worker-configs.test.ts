/**
 * The Worker configs as deployment sees them (scripts/lib/worker-configs.mjs), and the
 * "Deploy to Cloudflare" descriptions in package.json (`cloudflare.bindings`).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SECRET_NAMES } from '../../scripts/lib/deploy-secrets.mjs';
import {
  forEnvironment,
  hasCustomHost,
  readWorkerConfigs,
  sharedResources,
} from '../../scripts/lib/worker-configs.mjs';

const repo = path.resolve(import.meta.dirname, '..', '..');

describe('Worker configs', () => {
  it('hold no placeholder D1 id: deploy resolves ids by name', () => {
    for (const { config } of readWorkerConfigs(repo))
      for (const d of config.d1_databases ?? []) expect(d).not.toHaveProperty('database_id');
  });

  it('give a description in package.json for every binding and secret', () => {
    const pkg = JSON.parse(readFileSync(path.join(repo, 'package.json'), 'utf8'));
    const described = pkg.cloudflare.bindings as Record<string, { description: string }>;
    const names = new Set<string>(SECRET_NAMES);
    for (const { config } of readWorkerConfigs(repo)) {
      for (const key of ['r2_buckets', 'd1_databases', 'analytics_engine_datasets'])
        for (const b of config[key] ?? []) names.add(b.binding);
      for (const p of config.queues?.producers ?? []) names.add(p.binding);
      for (const r of config.ratelimits ?? []) names.add(r.name);
    }
    const example = readFileSync(path.join(repo, '.dev.vars.example'), 'utf8');
    for (const m of example.matchAll(/^([A-Z_]+)=/gm)) names.add(m[1]!);
    expect(names.size).toBeGreaterThanOrEqual(9);
    for (const name of names) expect(described[name]?.description, name).toMatch(/\w{3}/);
  });

  it('derive a staging copy whose every resource differs from production', () => {
    const configs = readWorkerConfigs(repo).map((c) => c.config);
    expect(configs.map((c) => c.name)).toEqual(['image-edge', 'image-edge-consumer']);
    const config = configs[0]!;
    const prod = sharedResources(configs.map((c) => forEnvironment(c, 'production')));
    const staging = sharedResources(configs.map((c) => forEnvironment(c, 'staging')));
    expect(prod.queues).toEqual(['image-edge-jobs', 'image-edge-dlq']);
    for (const key of ['buckets', 'databases', 'queues'] as const) {
      expect(staging[key]).toHaveLength(prod[key].length);
      for (const name of staging[key]) expect(prod[key]).not.toContain(name);
    }
    expect(() => forEnvironment(config, 'qa')).toThrow('Unknown environment "qa"');
  });

  it('keep routes in production only; a domain becomes a custom domain', () => {
    const config = { name: 'w', routes: [{ pattern: 'img.example.com', custom_domain: true }] };
    expect(hasCustomHost(forEnvironment(config, 'production'))).toBe(true);
    expect(hasCustomHost(forEnvironment(config, 'staging'))).toBe(false);
    expect(forEnvironment(config, 'staging', 's.example.com').routes).toEqual([
      { pattern: 's.example.com', custom_domain: true },
    ]);
  });
});
