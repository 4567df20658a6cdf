/**
 * The benchmark's cases (`node bench/run.mjs --list`) against docs/performance.md: every case
 * id a reproduce command there names (`--cases a,b`) is one the bench still has, so each
 * published figure can be measured again; ids are unique. Lists the cases only, times nothing.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const repo = path.resolve(import.meta.dirname, '..', '..');

/** Case ids in run order, from `--list` (`id (quick): title`). */
const listed = execFileSync(process.execPath, ['bench/run.mjs', '--list'], {
  cwd: repo,
  encoding: 'utf8',
})
  .trim()
  .split('\n')
  .map((line) => line.slice(0, line.indexOf(':')).replace(/ \(quick\)$/, ''));

describe('bench cases', () => {
  it('has unique ids', () => {
    expect(listed.length).toBeGreaterThan(40);
    expect(new Set(listed).size).toBe(listed.length);
  });

  it('has every case docs/performance.md names in a --cases command', () => {
    const doc = readFileSync(path.join(repo, 'docs', 'performance.md'), 'utf8');
    const named = [...doc.matchAll(/--cases\s+([\w.,-]+)/g)].flatMap((m) =>
      (m[1] ?? '').split(',').filter(Boolean),
    );
    expect(named.length).toBeGreaterThan(0);
    expect(named.filter((id) => !listed.includes(id))).toEqual([]);
  });
});
