#!/usr/bin/env node
/**
 * Builds a package for publishing and for the workspace bin: `node packages/build.mjs client`
 * or `cli` (each package's `npm run build`). esbuild bundles the sources (the client inlines
 * the Worker's option table, parser and signing code from src/, so both sides share one
 * copy); tsc writes the client's type declarations.
 */
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';

const here = import.meta.dirname;
const root = path.resolve(here, '..');
const which = process.argv[2];

if (which === 'client') {
  const dir = path.join(here, 'client');
  rmSync(path.join(dir, 'dist'), { recursive: true, force: true });
  await build({
    entryPoints: ['index', 'next', 'astro', 'unpic'].map((n) => path.join(dir, 'src', `${n}.ts`)),
    outdir: path.join(dir, 'dist'),
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    logLevel: 'warning',
  });
  execFileSync(
    process.execPath,
    [
      path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'),
      '-p',
      path.join(dir, 'tsconfig.json'),
      '--noEmit',
      'false',
      '--declaration',
      '--emitDeclarationOnly',
      '--rootDir',
      root,
      '--outDir',
      path.join(dir, 'dist', 'types'),
    ],
    { stdio: 'inherit' },
  );
} else if (which === 'cli') {
  const dir = path.join(here, 'cli');
  rmSync(path.join(dir, 'dist'), { recursive: true, force: true });
  await build({
    entryPoints: [path.join(dir, 'src', 'main.ts')],
    outfile: path.join(dir, 'dist', 'main.js'),
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    // Third-party packages stay dependencies; the client is bundled from source.
    external: ['commander', 'cli-progress', 'cli-table3'],
    tsconfig: path.join(dir, 'tsconfig.json'),
    logLevel: 'warning',
  });
} else {
  console.error('usage: node packages/build.mjs client|cli');
  process.exit(2);
}
