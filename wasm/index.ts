/**
 * The one place that imports third-party WebAssembly (the @jsquash codecs; see README.md in
 * this folder for versions and licences).
 *
 * - Every `.wasm` file is a default import, which the bundler (wrangler, or the vitest pool)
 *   turns into a precompiled `WebAssembly.Module`: workerd refuses to compile wasm bytes at
 *   run time, so nothing here ever calls `WebAssembly.compile`.
 * - Each codec lives in a slot of ./instances.ts, the isolate's one instance manager: made
 *   lazily, once per isolate; an instance whose call threw (emscripten `abort()`/`exit()`, a
 *   wasm trap, a wasm-bindgen `unwrap_throw`) is discarded and the next call gets a fresh one:
 *   an aborted emscripten runtime refuses further calls, and a throw through wasm frames skips
 *   Rust/C++ destructors, leaking the shadow stack and every buffer the call had allocated
 *   (measured: a truncated 2048x1536 PNG leaks 12.5 MiB of wasm memory per attempt).
 *
 * The emscripten codec (mozjpeg's encoder) is created through the packages' own glue
 * factories (`*.js` next to each `.wasm`). The wasm-bindgen codec (png) is bound here instead
 * of through its glue, because that glue keeps one instance per JS module, forever, and so
 * cannot replace a broken instance.
 */
import mozjpegEncWasm from '@jsquash/jpeg/codec/enc/mozjpeg_enc.wasm';
import mozjpegEncFactory from '@jsquash/jpeg/codec/enc/mozjpeg_enc.js';
import pngWasm from '@jsquash/png/codec/pkg/squoosh_png_bg.wasm';
import type { EncodeOptions as MozJpegEncodeOptions } from '@jsquash/jpeg/meta.js';

export type { MozJpegEncodeOptions };

import { WasmSlot } from './instances';
import type { RawImage } from './pixels';

export type { RawImage };

/** mozjpeg encoder (embind): RGBA in, alpha ignored; returns a fresh JPEG byte array. */
export interface MozJpegEncApi {
  encode(
    data: BufferSource,
    width: number,
    height: number,
    options: MozJpegEncodeOptions,
  ): Uint8Array;
}
/** squoosh PNG codec (Rust `png` 0.17.10 crate), bound by {@link instantiatePng}. */
export interface PngApi {
  /**
   * First image (the IDAT image: the first frame of an APNG), expanded and 16-bit stripped to
   * RGBA8. @throws Error (`unwrap_throw` failed) on malformed input.
   */
  decode(data: Uint8Array): RawImage;
}
interface Apis {
  jpegEnc: MozJpegEncApi;
  pngCodec: PngApi;
}

/** Names of the codec instances this module manages. */
export type CodecName = keyof Apis;

/** One live instance of a codec. */
export interface Codec<A> {
  readonly name: CodecName;
  /** The codec's functions. Calls are synchronous; use {@link withCodec} to make them. */
  readonly api: A;
  /** The instance's linear memory (it grows and never shrinks). */
  readonly memory: WebAssembly.Memory;
  /** Lines the C code printed (libjpeg warnings and errors, emscripten aborts), oldest first. */
  readonly log: string[];
}

/** A codec call threw; the instance it ran on has been discarded. */
export class CodecCallError extends Error {
  constructor(
    readonly codec: CodecName,
    /** What the codec threw (an Error, a `WebAssembly.RuntimeError`, emscripten's ExitStatus). */
    readonly thrown: unknown,
    /** What the codec printed during the call. */
    readonly log: string[],
  ) {
    super(`${codec}: ${describe(thrown, log)}`);
    this.name = 'CodecCallError';
  }
}

/** Message of anything thrown, with the codec's last printed line when it adds information. */
function describe(thrown: unknown, log: string[]): string {
  const message =
    thrown instanceof Error
      ? thrown.message
      : typeof thrown === 'object' && thrown !== null && 'message' in thrown
        ? String(thrown.message)
        : String(thrown);
  const last = log.at(-1);
  return last && !message.includes(last) ? `${last} (${message})` : message;
}

const LOG_LINES = 16;

// ---------------------------------------------------------------------------------------------
// Emscripten codecs

interface EmscriptenOpts {
  noInitialRun: boolean;
  instantiateWasm: (
    imports: WebAssembly.Imports,
    done: (instance: WebAssembly.Instance) => void,
  ) => WebAssembly.Exports;
  print: (line: string) => void;
  printErr: (line: string) => void;
}
type EmscriptenFactory = (opts: EmscriptenOpts) => Promise<unknown>;

/**
 * workerd has no `ImageData`; the embind decoders construct one. The jsquash glue installs the
 * same stand-in when it detects Workers; installing it here does not depend on that detection.
 */
function ensureImageData(): void {
  const g = globalThis as { ImageData?: unknown };
  g.ImageData ??= class ImageData {
    constructor(
      readonly data: Uint8ClampedArray,
      readonly width: number,
      readonly height: number,
    ) {}
  };
}

/** The exported linear memory of an instance. */
function memoryOf(instance: WebAssembly.Instance, name: CodecName): WebAssembly.Memory {
  for (const value of Object.values(instance.exports)) {
    if (value instanceof WebAssembly.Memory) return value;
  }
  throw new Error(`${name}: the module exports no memory`);
}

/** A fresh emscripten runtime on the precompiled `module`, with its output captured. */
async function instantiateEmscripten<A>(
  name: CodecName,
  factory: unknown,
  module: WebAssembly.Module,
): Promise<Codec<A>> {
  ensureImageData();
  const log: string[] = [];
  const capture = (line: string): void => {
    log.push(line);
    if (log.length > LOG_LINES) log.shift();
  };
  let memory: WebAssembly.Memory | undefined;
  const api = await (factory as EmscriptenFactory)({
    noInitialRun: true,
    instantiateWasm(imports, done) {
      const instance = new WebAssembly.Instance(module, imports);
      memory = memoryOf(instance, name);
      done(instance);
      return instance.exports;
    },
    print: capture,
    printErr: capture,
  });
  if (!memory) throw new Error(`${name}: emscripten did not instantiate the module`);
  return { name, api: api as A, memory, log };
}

// ---------------------------------------------------------------------------------------------
// wasm-bindgen codecs, bound by hand (same ABI as the packages' glue, one instance per call of
// these functions). The ABI is that of the exact wasm files pinned in package.json; the codec
// tests fail if an upgrade changes it.

interface BindgenExports {
  memory: WebAssembly.Memory;
  __wbindgen_malloc(size: number, align: number): number;
  __wbindgen_free(ptr: number, size: number, align: number): void;
}

/** Copies `data` into fresh wasm memory; returns its pointer. */
function passBytes(x: BindgenExports, data: Uint8Array | Uint8ClampedArray): number {
  const ptr = x.__wbindgen_malloc(data.length, 1) >>> 0;
  new Uint8Array(x.memory.buffer, ptr, data.length).set(data);
  return ptr;
}

/**
 * Builds the `wbg` import object for `module` from `handlers`, keyed by import name or, for
 * hashed names (`__wbg_buffer_a448f833075b71ba`), by the prefix ending in `_`.
 * @throws Error when the module needs an import we do not provide (a package upgrade).
 */
function bindgenImports(
  name: CodecName,
  module: WebAssembly.Module,
  handlers: Record<string, (...args: number[]) => unknown>,
): WebAssembly.Imports {
  const wbg: Record<string, (...args: number[]) => unknown> = {};
  for (const imp of WebAssembly.Module.imports(module)) {
    const key = Object.keys(handlers).find((k) =>
      k.endsWith('_') ? imp.name.startsWith(k) : imp.name === k,
    );
    if (imp.module !== 'wbg' || !key) throw new Error(`${name}: unknown import ${imp.name}`);
    wbg[imp.name] = handlers[key]!;
  }
  return { wbg };
}

interface PngExports extends BindgenExports {
  decode(ptr: number, len: number): number;
}

/** A fresh instance of squoosh_png_bg.wasm with its own JS object table. */
function instantiatePng(): Codec<PngApi> {
  // wasm-bindgen's object table: slots below 132 are reserved (undefined, null, true, false).
  const heap: unknown[] = new Array(128).fill(undefined);
  heap.push(undefined, null, true, false);
  let next = heap.length;
  const add = (value: unknown): number => {
    if (next === heap.length) heap.push(heap.length + 1);
    const idx = next;
    next = heap[idx] as number;
    heap[idx] = value;
    return idx;
  };
  const take = (idx: number): unknown => {
    const value = heap[idx];
    if (idx >= 132) {
      heap[idx] = next;
      next = idx;
    }
    return value;
  };
  const utf8 = new TextDecoder();
  const bound: { exports?: PngExports } = {};
  const ex = (): PngExports => bound.exports!;
  const imports = bindgenImports('pngCodec', pngWasm, {
    __wbindgen_memory: () => add(ex().memory),
    __wbg_buffer_: (idx) => add((heap[idx] as WebAssembly.Memory).buffer),
    __wbg_newwithbyteoffsetandlength_: (buf, offset, len) =>
      add(new Uint16Array(heap[buf] as ArrayBuffer, offset >>> 0, len >>> 0)),
    __wbindgen_object_drop_ref: (idx) => void take(idx),
    __wbg_newwithownedu8clampedarrayandsh_: (ptr, len, width, height) => {
      const data = new Uint8ClampedArray(ex().memory.buffer, ptr >>> 0, len >>> 0).slice();
      ex().__wbindgen_free(ptr, len, 1);
      return add({ data, width: width >>> 0, height: height >>> 0 });
    },
    __wbindgen_throw: (ptr, len) => {
      throw new Error(utf8.decode(new Uint8Array(ex().memory.buffer, ptr >>> 0, len >>> 0)));
    },
  });
  const e = new WebAssembly.Instance(pngWasm, imports).exports as unknown as PngExports;
  bound.exports = e;
  const api: PngApi = {
    decode(data) {
      const ptr = passBytes(e, data);
      return take(e.decode(ptr, data.length)) as RawImage;
    },
  };
  return { name: 'pngCodec', api, memory: e.memory, log: [] };
}

// ---------------------------------------------------------------------------------------------
// Instances: one shared slot per codec (./instances.ts owns their lifecycle)

/** The slot of each codec: made on first use, replaced after any throw from a call. */
const slots: { [K in CodecName]: WasmSlot<Codec<Apis[K]>> } = {
  jpegEnc: slot('jpegEnc', () =>
    instantiateEmscripten('jpegEnc', mozjpegEncFactory, mozjpegEncWasm),
  ),
  pngCodec: slot('pngCodec', instantiatePng),
};

function slot<A>(name: CodecName, create: () => Codec<A> | Promise<Codec<A>>): WasmSlot<Codec<A>> {
  return new WasmSlot({ name, create, memory: (codec) => codec.memory });
}

/**
 * Runs the synchronous `call` on the live instance of `name` (made on first use). If `call`
 * throws, the instance is discarded and a {@link CodecCallError} carrying what was thrown and
 * printed is thrown. Instantiation errors propagate unchanged (they are not the input's fault).
 */
export function withCodec<K extends CodecName, R>(name: K, call: (api: Apis[K]) => R): Promise<R> {
  const codecSlot = slots[name] as WasmSlot<Codec<Apis[K]>>;
  return codecSlot.run((codec) => {
    codec.log.length = 0;
    try {
      return call(codec.api);
    } catch (thrown) {
      throw new CodecCallError(name, thrown, [...codec.log]);
    }
  });
}
