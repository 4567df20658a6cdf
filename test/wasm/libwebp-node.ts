/**
 * wasm/libwebp.wasm in plain Node (no workerd), for the tests that read its bytes and its
 * memory directly: a fresh instance per encode (its memory is that encode's high-water mark),
 * the module's result header, and its banded lossy encode.
 */
import fs from 'node:fs';
import { expect } from 'vitest';

/** The module's exports these tests call. */
export interface Libwebp {
  memory: WebAssembly.Memory;
  _initialize(): void;
  webp_alloc(len: number): number;
  webp_release(): void;
  webp_band_begin(w: number, h: number, q: number, m: number, f: number, rows: number): number;
  webp_band_put(y0: number, rows: number): number;
  webp_band_finish(): number;
  webp_decode(...args: number[]): number;
}

const module = new WebAssembly.Module(
  fs.readFileSync(new URL('../../wasm/libwebp.wasm', import.meta.url)),
);

/** A fresh instance (its memory is this encode's high-water mark). */
export function instance(): Libwebp {
  const ok = () => 0;
  const e = new WebAssembly.Instance(module, {
    env: { emscripten_notify_memory_growth: () => undefined, webp_yield: () => undefined },
    wasi_snapshot_preview1: { fd_close: ok, fd_write: ok, fd_seek: ok },
  }).exports as unknown as Libwebp;
  e._initialize();
  return e;
}

/** The 11-word result header at `ptr` (see wasm/libwebp/glue.c). */
export const header = (e: Libwebp, ptr: number) => new Uint32Array(e.memory.buffer, ptr >>> 0, 11);

/**
 * Banded lossy encode of RGBA8 `px` (`w` x `h`) at `quality` and `method`, 32 rows a band (the
 * ABI of src/codecs/webp.ts encodeWebpRows); asserts every step succeeds.
 * @returns the .webp file (a copy).
 */
export function encodeBanded(
  e: Libwebp,
  px: Uint8Array,
  w: number,
  h: number,
  quality: number,
  method: number,
): Uint8Array {
  let hd = header(e, e.webp_band_begin(w, h, quality, method, 0, 32));
  expect(hd[0]).toBe(0);
  const buf = hd[3]!;
  for (let y = 0; y < h; y += 32) {
    const rows = Math.min(32, h - y);
    new Uint8Array(e.memory.buffer, buf, rows * w * 4).set(
      px.subarray(y * w * 4, (y + rows) * w * 4),
    );
    expect(header(e, e.webp_band_put(y, rows))[0]).toBe(0);
  }
  hd = header(e, e.webp_band_finish());
  expect(hd[0]).toBe(0);
  const out = new Uint8Array(e.memory.buffer, hd[3], hd[4]).slice();
  e.webp_release();
  return out;
}
