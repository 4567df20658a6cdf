/**
 * Node-side tests of packages/ (client, loaders, CLI): environment node, against a local
 * service that packages/test/service.ts starts once (wrangler dev, as scripts/loadtest.mjs
 * does) with signing on. `npm run test:packages`; part of `npm test`.
 *
 * CI (.ci/run) adds this run's JSON summary, `<VITEST_SUMMARY without .json>-packages.json`,
 * to the main suite's in its "N passed, N failed" line.
 */
import { defineConfig } from 'vitest/config';

const summary = process.env.VITEST_SUMMARY?.replace(/\.json$/, '-packages.json');

export default defineConfig({
  test: {
    name: 'packages',
    environment: 'node',
    include: ['packages/*/test/**/*.test.ts'],
    globalSetup: ['./packages/test/service.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // One service, and CLI runs that share its rate limits: files one after another.
    fileParallelism: false,
    reporters: summary ? ['default', 'json'] : ['default'],
    ...(summary ? { outputFile: { json: summary } } : {}),
  },
});
