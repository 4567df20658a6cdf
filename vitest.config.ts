/**
 * Test configuration: every test runs inside workerd (vitest-pool-workers) with the
 * bindings from wrangler.toml, the D1 migrations, and a FIXTURES service binding that
 * serves ../shared/images and ../shared/bad-images from Node (test code in workerd has
 * no filesystem).
 */
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-pool-workers';
import { defineConfig } from 'vitest/config';

const shared = path.resolve(import.meta.dirname, '..', 'shared');
/** Small fixtures made for this project (provenance in test/fixtures/README.md). */
const local = path.resolve(import.meta.dirname, 'test', 'fixtures');

/** Lists every file below `dir`, relative to it, sorted. */
async function walk(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(path.join(dir, prefix), { withFileTypes: true })) {
    const rel = path.posix.join(prefix, entry.name);
    if (entry.isDirectory()) out.push(...(await walk(dir, rel)));
    else out.push(rel);
  }
  return out.sort();
}

/**
 * GET http://fixtures/<folder>/            → JSON list of files below ../shared/<folder>
 * GET http://fixtures/<folder>/<file path> → the file's bytes
 * GET http://fixtures/local/<file>          → a file from test/fixtures
 */
async function serveFixture(request: Request): Promise<Response> {
  const { pathname } = new URL(request.url);
  let rel = decodeURIComponent(pathname).replace(/^\/+/, '');
  let root = shared;
  if (rel.startsWith('local/')) [root, rel] = [local, rel.slice('local/'.length)];
  const full = path.resolve(root, rel);
  if (!full.startsWith(root + path.sep))
    return new Response('outside the fixtures', { status: 400 });
  if (rel.endsWith('/')) return Response.json(await walk(full));
  try {
    return new Response(await readFile(full));
  } catch {
    return new Response('not found', { status: 404 });
  }
}

export default defineConfig(async () => {
  const migrations = await readD1Migrations(path.join(import.meta.dirname, 'migrations'));
  return {
    plugins: [
      cloudflareTest({
        main: './src/index.ts',
        wrangler: { configPath: './wrangler.toml' },
        miniflare: {
          bindings: {
            TEST_MIGRATIONS: migrations,
            API_KEYS: JSON.stringify([
              { key: 'test-key-alice', owner: 'alice', scopes: ['read', 'upload', 'admin'] },
              { key: 'test-key-bob', owner: 'bob', scopes: ['read', 'upload'] },
              { key: 'test-key-reader', owner: 'alice', scopes: ['read'] },
            ]),
          },
          serviceBindings: { FIXTURES: serveFixture },
        },
      }),
    ],
    test: {
      setupFiles: ['./test/setup.ts'],
      testTimeout: 60_000,
      // The Worker's structured request logs (one JSON line each) would drown the output.
      onConsoleLog: (log: string) => !log.startsWith('{"kind":'),
      hookTimeout: 60_000,
    },
  };
});
