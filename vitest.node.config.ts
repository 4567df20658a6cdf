/**
 * Node-side tests (test/scripts/, test/wasm/): the deploy, bundle and CI scripts and the checks
 * of the committed WebAssembly modules, run in plain Node, not workerd. `npm run test:unit` runs
 * them after the Worker suite (vitest.config.ts).
 */
import { defineConfig } from 'vitest/config';

/** CI's JSON summary: a second file beside the Worker suite's (.ci/run adds them up). */
const summary = process.env.VITEST_SUMMARY?.replace(/\.json$/, '.node.json');

export default defineConfig({
  test: {
    environment: 'node',
    include: ['test/scripts/**/*.test.ts', 'test/wasm/**/*.test.ts'],
    testTimeout: 60_000,
    reporters: summary ? ['default', 'json'] : ['default'],
    ...(summary ? { outputFile: { json: summary } } : {}),
  },
});
