/**
 * The bundle budget: what `wrangler deploy --dry-run --outdir DIR` writes, measured per module
 * (raw and gzip bytes), against a budget well inside the Workers Paid limit.
 */
import { readFileSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

/**
 * Budget for one Worker's upload, gzip bytes (all modules together). The Workers Paid plan
 * limit is 10 MB after compression (developers.cloudflare.com/workers/platform/limits, "Worker
 * size"); 4 MiB keeps room for startup time (1 s limit) and for the next codec.
 */
export const BUNDLE_BUDGET_GZIP_BYTES = 4 * 1024 * 1024;

/** Files of the dry-run output that are not uploaded as modules. */
const NOT_UPLOADED = /(\.map|README\.md)$/;

/**
 * The modules in a dry-run output directory, largest (gzip) first.
 * @returns `{ modules: [{ name, bytes, gzipBytes }], bytes, gzipBytes }`
 * @throws Error when the directory holds no module
 */
export function measureBundle(outdir) {
  const modules = readdirSync(outdir, { withFileTypes: true })
    .filter((e) => e.isFile() && !NOT_UPLOADED.test(e.name))
    .map((e) => {
      const data = readFileSync(path.join(outdir, e.name));
      return { name: e.name, bytes: data.length, gzipBytes: gzipSync(data, { level: 9 }).length };
    })
    .sort((a, b) => b.gzipBytes - a.gzipBytes);
  if (!modules.length) throw new Error(`The dry-run build in ${outdir} holds no module`);
  const sum = (key) => modules.reduce((n, m) => n + m[key], 0);
  return { modules, bytes: sum('bytes'), gzipBytes: sum('gzipBytes') };
}

/** KiB with one decimal, for the report. */
const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;

/**
 * The per-module report of a measured bundle against the budget, one line each, and whether
 * it fits: `{ lines, ok }`.
 */
export function budgetReport(label, bundle, budget = BUNDLE_BUDGET_GZIP_BYTES) {
  const width = Math.max(...bundle.modules.map((m) => m.name.length), 5);
  const lines = [`${label}: bundle per module (raw / gzip)`];
  for (const m of bundle.modules)
    lines.push(
      `  ${m.name.padEnd(width)}  ${kib(m.bytes).padStart(12)}  ${kib(m.gzipBytes).padStart(12)}`,
    );
  const ok = bundle.gzipBytes <= budget;
  lines.push(
    `  ${'total'.padEnd(width)}  ${kib(bundle.bytes).padStart(12)}  ${kib(bundle.gzipBytes).padStart(12)}` +
      `  budget ${kib(budget)} gzip: ${ok ? 'ok' : 'OVER BUDGET'} (${((100 * bundle.gzipBytes) / budget).toFixed(0)} %)`,
  );
  return { lines, ok };
}

/**
 * Builds one Worker config as wrangler would upload it (`wrangler deploy --dry-run --outdir`,
 * no account needed) and measures it against the budget.
 * @param run runs wrangler with the given arguments; throws when it fails
 * @returns the budget report (`{ lines, ok }`)
 */
export function buildAndMeasure(file, outdir, run) {
  rmSync(outdir, { recursive: true, force: true });
  run(['deploy', '--dry-run', '--outdir', outdir, '--config', file]);
  return budgetReport(file, measureBundle(outdir));
}
