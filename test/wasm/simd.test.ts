/**
 * Build check (issue 14): every WebAssembly module the Worker imports is decoded with wabt
 * (wabt.js, the WebAssembly Binary Toolkit) and its SIMD instructions are counted, so a rebuild
 * of one of our modules that loses `-msimd128` / `+simd128` fails here. The table documents the
 * current state of every module, third-party ones included (wasm/README.md, "SIMD").
 */
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import wabtInit from 'wabt';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '..', '..');

/** Whether a module is meant to hold SIMD code (`simd`) or is known not to (`none`). */
type Expected = 'simd' | 'none';

/**
 * Every `.wasm` file imported by src/ or wasm/, as written in its import, with the SIMD
 * state it is meant to have. Paths starting with `@` live under node_modules/.
 */
const MODULES: Record<string, { expected: Expected; why: string }> = {
  'wasm/jpeg_scaled.wasm': { expected: 'simd', why: 'ours: RUSTFLAGS +simd128 (wasm/build.sh)' },
  'wasm/png_scaled.wasm': { expected: 'simd', why: 'ours: RUSTFLAGS +simd128 (wasm/build.sh)' },
  'wasm/resize.wasm': { expected: 'simd', why: 'ours: RUSTFLAGS +simd128 (wasm/build.sh)' },
  'wasm/libwebp.wasm': {
    expected: 'simd',
    why: 'ours: -msimd128 -msse4.1 (wasm/libwebp/build.sh)',
  },
  'wasm/lcms.wasm': { expected: 'simd', why: 'ours: -msimd128 (wasm/lcms/build.sh)' },
  'wasm/avif.wasm': { expected: 'simd', why: 'ours: -msimd128 (wasm/avif/build.sh)' },
  'wasm/jpeg_turbo.wasm': { expected: 'simd', why: 'ours: -msimd128 (wasm/jpeg-turbo/build.sh)' },
  'wasm/jpeg_turbo_enc.wasm': {
    expected: 'simd',
    why: 'ours: -msimd128 (wasm/jpeg-turbo/build.sh)',
  },
  'wasm/avif_enc.wasm': {
    expected: 'none',
    why: "ours: -O3 without -msimd128, no faster with it (aom's generic C; wasm/avif-enc/build.sh)",
  },
  '@jsquash/jpeg/codec/enc/mozjpeg_enc.wasm': { expected: 'none', why: 'upstream build' },
  '@jsquash/png/codec/pkg/squoosh_png_bg.wasm': { expected: 'none', why: 'upstream build' },
};

/**
 * One SIMD instruction per line of wabt's text format: every opcode of the simd128 proposal
 * (0xFD prefix) is spelled `v128.*` or `<lane shape>.*` (i8x16, i16x8, i32x4, i64x2, f32x4,
 * f64x2); `v128` as a local or parameter type is not an instruction and does not count.
 */
const SIMD_INSTRUCTION = /^\s*(?:v128|[if](?:8x16|16x8|32x4|64x2))\.\S+/gm;

/** Lists files below `dir` (relative paths) whose name ends in `.ts`. */
async function tsFiles(dir: string): Promise<string[]> {
  const entries = await readdir(path.join(root, dir), { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => path.relative(root, path.join(e.parentPath, e.name)));
}

/** `.wasm` imports of src/ and wasm/, normalised to the keys of MODULES. */
async function importedModules(): Promise<string[]> {
  const found = new Set<string>();
  for (const file of [...(await tsFiles('src')), ...(await tsFiles('wasm'))]) {
    const text = await readFile(path.join(root, file), 'utf8');
    for (const [, spec] of text.matchAll(/from '([^']+\.wasm)'/g)) {
      if (!spec) continue;
      found.add(
        spec.startsWith('.')
          ? path.relative(root, path.resolve(root, path.dirname(file), spec))
          : spec,
      );
    }
  }
  return [...found].sort();
}

/** Number of SIMD instructions in a module's code section (decoded and validated by wabt). */
async function countSimd(wabt: Awaited<ReturnType<typeof wabtInit>>, file: string) {
  const full = path.join(root, file.startsWith('@') ? path.join('node_modules', file) : file);
  const module = wabt.readWasm(await readFile(full), { readDebugNames: false, simd: true });
  try {
    module.validate();
    return (
      module.toText({ foldExprs: false, inlineExport: false }).match(SIMD_INSTRUCTION)?.length ?? 0
    );
  } finally {
    module.destroy();
  }
}

describe('SIMD in the WebAssembly modules', () => {
  it('lists every .wasm file the Worker imports', async () => {
    expect(await importedModules()).toEqual(Object.keys(MODULES).sort());
  });

  it('counts SIMD instructions only where an instruction is one', async () => {
    const wabt = await wabtInit();
    // A module with one v128 local and an i32 constant whose immediate is 0xFD (253).
    const wat = wabt.parseWat(
      'probe.wat',
      '(module (func (local v128) (drop (i32.const 253)))' +
        ' (func (result v128) (i32x4.splat (i32.const 1))))',
      { simd: true },
    );
    const { buffer } = wat.toBinary({});
    wat.destroy();
    const module = wabt.readWasm(buffer, { readDebugNames: false, simd: true });
    const text = module.toText({});
    module.destroy();
    expect(text.match(SIMD_INSTRUCTION)).toHaveLength(1);
  });

  it('has SIMD exactly where it is meant to', async () => {
    const wabt = await wabtInit();
    const rows: string[] = [];
    const actual: Record<string, Expected> = {};
    const expected: Record<string, Expected> = {};
    for (const [file, { expected: want, why }] of Object.entries(MODULES)) {
      const count = await countSimd(wabt, file);
      actual[file] = count > 0 ? 'simd' : 'none';
      expected[file] = want;
      rows.push(`${file}: ${count} SIMD instructions (expected ${want}: ${why})`);
    }
    console.log(rows.join('\n'));
    expect(actual).toEqual(expected);
  });
});
