/**
 * Node-side tests of the web console (console/test): the logic of its components, and the
 * browser test (console/test/browser.test.ts: Debian's chromium through playwright-core
 * against the service started by scripts/lib/local-service.mjs). Separate from
 * vitest.config.ts, whose tests run inside workerd.
 *
 * With VITEST_SUMMARY set (CI), the JSON summary goes beside it as `<name>.console.json`;
 * .ci/run adds up every `.ci/vitest-summary*.json`.
 */
import { defineConfig } from 'vitest/config';

const summary = process.env.VITEST_SUMMARY;

export default defineConfig({
  test: {
    name: 'console',
    include: ['console/test/**/*.test.ts'],
    environment: 'node',
    // The browser test starts wrangler and waits for queue work: minutes, not seconds.
    testTimeout: 240_000,
    hookTimeout: 240_000,
    expect: { poll: { timeout: 30_000 } },
    reporters: summary ? ['default', 'json'] : ['default'],
    ...(summary ? { outputFile: { json: summary.replace(/\.json$/, '.console.json') } } : {}),
  },
});
