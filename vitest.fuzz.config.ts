/**
 * `npm run fuzz`: the fuzz targets of test/security/fuzz.test.ts with many cases each
 * (FUZZ_RUNS, default 100,000), on the same pool and bindings as vitest.config.ts.
 */
import { defineConfig, mergeConfig } from 'vitest/config';
import base from './vitest.config.js';

const runs = Number(process.env.FUZZ_RUNS ?? 100_000);
if (!Number.isSafeInteger(runs) || runs < 1)
  throw new Error('FUZZ_RUNS must be a positive integer');

export default defineConfig(async (env) =>
  mergeConfig(await base(env), {
    define: { __FUZZ_RUNS__: JSON.stringify(runs) },
    test: { include: ['test/security/fuzz.test.ts'], testTimeout: 3_600_000 },
  }),
);
