/**
 * Bundles TypeScript of a checkout for Node and imports it, for the Node benchmarks and checks
 * (bench/jpeg-scaled-node.mjs, bench/resize-node.mjs): esbuild, with every `.wasm` import
 * turned into `new WebAssembly.Module(bytes)`, as wrangler and vitest-pool-workers do at build
 * time.
 */
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';

/**
 * @param {string} root the checkout: `contents` resolves from it, bare `.wasm` imports from
 *   its node_modules
 * @param {string} contents an ES module (TypeScript), e.g. re-exports of src/ files
 * @param {string} name file name of the bundle, written under this repository's
 *   node_modules/.cache/ (never the other checkout's) and removed once imported
 * @param {(file: string) => string} [wasmFile] maps each resolved `.wasm` path (A/B swaps)
 * @returns {Promise<any>} the imported module
 */
export async function importBundle(root, contents, name, wasmFile = (f) => f) {
  const result = await esbuild.build({
    stdin: { contents, resolveDir: root, loader: 'ts' },
    bundle: true,
    format: 'esm',
    platform: 'node',
    write: false,
    logLevel: 'error',
    plugins: [
      {
        name: 'wasm-module',
        setup(build) {
          build.onResolve({ filter: /\.wasm$/ }, (args) => ({
            path: wasmFile(
              args.path.startsWith('.')
                ? path.resolve(args.resolveDir, args.path)
                : path.join(root, 'node_modules', args.path),
            ),
            namespace: 'wasm-module',
          }));
          build.onLoad({ filter: /.*/, namespace: 'wasm-module' }, (args) => ({
            contents: `import fs from 'node:fs';
export default new WebAssembly.Module(fs.readFileSync(${JSON.stringify(args.path)}));`,
            loader: 'js',
          }));
        },
      },
    ],
  });
  const tmp = path.resolve(import.meta.dirname, '..', '..', 'node_modules', '.cache', name);
  fs.mkdirSync(path.dirname(tmp), { recursive: true });
  fs.writeFileSync(tmp, result.outputFiles[0].text);
  try {
    return await import(pathToFileURL(tmp).href);
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}
