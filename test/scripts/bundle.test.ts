/** The bundle budget report (scripts/lib/bundle.mjs) on a made-up dry-run output. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { budgetReport, measureBundle } from '../../scripts/lib/bundle.mjs';

function outdir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'bundle-test-'));
  writeFileSync(path.join(dir, 'index.js'), 'x'.repeat(5000));
  writeFileSync(
    path.join(dir, 'codec.wasm'),
    Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 7919) % 251)),
  );
  writeFileSync(path.join(dir, 'index.js.map'), 'y'.repeat(90000));
  writeFileSync(path.join(dir, 'README.md'), 'not uploaded');
  return dir;
}

describe('bundle budget', () => {
  it('measures each uploaded module, raw and gzip, largest gzip first', () => {
    const b = measureBundle(outdir());
    expect(b.modules.map((m) => m.name)).toEqual(['codec.wasm', 'index.js']);
    expect(b.modules.map((m) => m.bytes)).toEqual([3000, 5000]);
    expect(b.bytes).toBe(8000);
    expect(b.gzipBytes).toBe(b.modules[0]!.gzipBytes + b.modules[1]!.gzipBytes);
    expect(b.modules[1]!.gzipBytes).toBeLessThan(100); // 5000 equal bytes compress well
  });

  it('fails a bundle over its budget and prints every module', () => {
    const b = measureBundle(outdir());
    const over = budgetReport('wrangler.toml', b, b.gzipBytes - 1);
    expect(over.ok).toBe(false);
    expect(over.lines.at(-1)).toContain('OVER BUDGET');
    expect(over.lines.join('\n')).toMatch(/codec\.wasm[\s\S]*index\.js[\s\S]*total/);
    expect(budgetReport('wrangler.toml', b, b.gzipBytes).ok).toBe(true);
  });
});
