/**
 * The load test's floor Worker config (scripts/lib/local-service.mjs, floorConfig): the
 * hello-world Worker in the delivery Worker's deployment shape, so that hits/floor compares
 * our code and not the assets router in front of it (docs/performance.md).
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'smol-toml';
import { describe, expect, it } from 'vitest';
import { floorConfig } from '../../scripts/lib/local-service.mjs';

const repo = path.resolve(import.meta.dirname, '..', '..');

type Config = {
  name: string;
  main: string;
  compatibility_date: string;
  compatibility_flags?: string[];
  assets?: Record<string, unknown>;
};

describe('floor config', () => {
  it("takes the delivery Worker's compatibility and [assets] table, with absolute paths", () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'floor-config-test-'));
    const floor = parse(readFileSync(floorConfig(repo, dir), 'utf8')) as unknown as Config;
    const service = parse(
      readFileSync(path.join(repo, 'wrangler.toml'), 'utf8'),
    ) as unknown as Config;
    expect(floor.name).toBe('image-edge-floor');
    expect(floor.main).toBe(path.join(repo, 'scripts', 'lib', 'floor', 'worker.js'));
    expect(floor.compatibility_date).toBe(service.compatibility_date);
    expect(floor.compatibility_flags).toEqual(service.compatibility_flags);
    expect(service.assets).toBeDefined();
    expect(floor.assets).toEqual({
      ...service.assets,
      directory: path.resolve(repo, String(service.assets!.directory)),
    });
  });
});
