/**
 * Global setup of the packages' tests: builds the packages (the CLI tests run the real
 * `image-edge` bin) and starts a local service the way scripts/loadtest.mjs does
 * (scripts/lib/local-service.mjs: wrangler dev on a free port, its own state and secrets),
 * with `SIGNING_KEYS` set so signed URLs made by the client are checked by the Worker.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { startLocalService } from '../../scripts/lib/local-service.mjs';

/** What the tests get through `inject('service')`. */
export interface ServiceInfo {
  url: string;
  /** API keys with every scope (owner `default`). */
  keys: string[];
  /** The service's `SIGNING_KEYS`. */
  signingKeys: { kid: string; key: string }[];
}

declare module 'vitest' {
  export interface ProvidedContext {
    service: ServiceInfo;
  }
}

const root = path.resolve(import.meta.dirname, '..', '..');

export default async function setup(project: TestProject) {
  for (const pkg of ['client', 'cli'])
    execFileSync(process.execPath, [path.join(root, 'packages', 'build.mjs'), pkg], {
      stdio: 'inherit',
    });
  const signingKeys = [
    { kid: 'k1', key: randomBytes(32).toString('base64url') },
    { kid: 'k0', key: randomBytes(32).toString('base64url') },
  ];
  const service = (await startLocalService({
    root,
    keyCount: 2,
    signingKeys: JSON.stringify(signingKeys),
  })) as { url: string; keys: string[]; stop: () => Promise<unknown> };
  project.provide('service', { url: service.url, keys: service.keys, signingKeys });
  return async () => {
    await service.stop();
  };
}
