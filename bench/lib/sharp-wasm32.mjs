/**
 * sharp on libvips compiled to WebAssembly (`@img/sharp-wasm32`), for the benchmark's third
 * column: the same library as the native column, with wasm SIMD instead of x86 SIMD, which
 * is the honest limit of what a Worker could run (docs/performance.md).
 *
 * It is a second copy of sharp, installed in bench/sharp-wasm32/ by the root `prepare` script
 * (`npm install --cpu=wasm32`, since npm skips a wasm32-only package on x64 otherwise). sharp's
 * loader tries the native `@img/sharp-linux-x64` before `@img/sharp-wasm32`, and Node would
 * find the repository's native one walking up from bench/; while this copy loads, requests for
 * a native `@img/sharp-*` binary from inside bench/sharp-wasm32/ are answered "not found".
 */
import Module, { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const prefix = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'sharp-wasm32');

/**
 * Loads the wasm32 sharp, with one libvips thread and its cache off (as the native column).
 * @returns {import('sharp') | null} null when bench/sharp-wasm32 is not installed
 * @throws Error when the copy loads a native binary after all
 */
export function loadSharpWasm32() {
  if (!fs.existsSync(path.join(prefix, 'node_modules', '@img', 'sharp-wasm32'))) return null;
  const M = /** @type {any} */ (Module);
  const resolve = M._resolveFilename;
  M._resolveFilename = function (
    /** @type {string} */ request,
    /** @type {any} */ parent,
    ...rest
  ) {
    if (
      /^@img\/sharp-(?!wasm32)/.test(request) &&
      String(parent?.filename ?? '').startsWith(prefix + path.sep)
    )
      throw Object.assign(new Error(`hidden from the wasm32 copy: ${request}`), {
        code: 'MODULE_NOT_FOUND',
      });
    return resolve.call(this, request, parent, ...rest);
  };
  try {
    const sharp = createRequire(path.join(prefix, 'package.json'))('sharp');
    if (!sharp.versions?.vips) throw new Error('sharp-wasm32: no libvips version');
    const binding = Object.keys(createRequire(import.meta.url).cache ?? {}).find((f) =>
      f.includes(`${path.sep}sharp-wasm32${path.sep}node_modules${path.sep}@img${path.sep}sharp-`),
    );
    if (!binding?.includes('@img/sharp-wasm32'))
      throw new Error(
        `sharp-wasm32 loaded ${binding ?? 'no binding'} instead of @img/sharp-wasm32`,
      );
    sharp.concurrency(1);
    sharp.cache(false);
    return sharp;
  } finally {
    M._resolveFilename = resolve;
  }
}
