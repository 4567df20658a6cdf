/**
 * Calls into our own modules in wasm/ (jpeg_scaled.wasm, libwebp.wasm, lcms.wasm): wasm32
 * C-ABI modules. The codecs share one calling convention (wasm/README.md, "Export ABI"):
 * `<prefix>_alloc(len)` for the input, a decode export that consumes it and returns a pointer
 * to an 11-word u32 header (status, width, height, data pointer, data length, …, message
 * pointer, message length), and `<prefix>_release()` for the output. Other modules use only
 * the instance lifetime ({@link OwnDecoder.use}), which wasm/instances.ts owns: one shared
 * instance per module and isolate, replaced after a trap, dropped above a memory threshold.
 */
import { WasmSlot } from '../../wasm/instances';
import type { RawImage } from './types';

/**
 * Why a decode failed. `malformed`: corrupt or truncated file; `unsupported`: a valid file
 * using a feature the decoder lacks; `too-large`: above the caller's pixel limit;
 * `out-of-memory`: wasm memory could not grow; `trap`: the decoder aborted (a panic) and its
 * instance was discarded; `internal`: should not happen.
 */
export type OwnDecodeErrorCode =
  'malformed' | 'unsupported' | 'too-large' | 'out-of-memory' | 'trap' | 'internal';

/**
 * Takes a decoder's output as a view into its wasm memory: a decode that hands its pixels on
 * without a copy. The view is valid until it returns, or, when it returns a promise (a
 * transform that yields, transform/yield.ts), until that settles; meanwhile nothing may call
 * that module (the caller keeps other transforms off it: yield.ts `inLane`).
 */
export type Lend<R> = (img: RawImage) => R;

/**
 * Runs `done` once `out` is finished with: at once, or, when `out` is a promise (see
 * {@link Lend}), once it settles. Returns `out` (that promise chained to `done`).
 */
export function afterLend<R>(out: R, done: () => void): R {
  if (out instanceof Promise) return out.finally(done) as R;
  done();
  return out;
}

/** The {@link Lend} that copies the pixels out of wasm memory (what a plain decode returns). */
export const copyImage: Lend<RawImage> = (img) => ({ ...img, data: img.data.slice() });

/** What every module exports besides its decode functions. */
export interface OwnModuleExports {
  memory: WebAssembly.Memory;
}

// Header words (u32 each).
const H_STATUS = 0;
const H_WIDTH = 1;
const H_HEIGHT = 2;
const H_DATA_PTR = 3;
const H_DATA_LEN = 4;
const H_MSG_PTR = 9;
const H_MSG_LEN = 10;
const HEADER_WORDS = 11;

/** Status → error code (0 is success; 5, a bad argument, becomes a RangeError). */
const STATUS_CODES: Record<number, OwnDecodeErrorCode> = {
  1: 'malformed',
  2: 'unsupported',
  3: 'too-large',
  4: 'out-of-memory',
  6: 'internal',
};
const S_BAD_ARGUMENT = 5;

/** How to drive one module. */
export interface OwnDecoderOptions<E extends OwnModuleExports> {
  /** The precompiled module (a `.wasm` default import). */
  module: WebAssembly.Module;
  /** Name in messages: `JPEG`, `WebP`. */
  what: string;
  /**
   * Name of its instance in the isolate's memory report (wasm/instances.ts `wasmMemory`):
   * `jpegScaled`, `webpDec`, …; unique. Default `what`.
   */
  name?: string;
  /** `<prefix>_alloc`. */
  alloc(exports: E, len: number): number;
  /** `<prefix>_release`. */
  release(exports: E): void;
  /** Makes the error thrown for a failed decode. */
  error(code: OwnDecodeErrorCode, message: string, options?: { cause?: unknown }): Error;
  /**
   * Wasm memory never shrinks: an instance whose memory is above this many bytes after a
   * call is dropped, so the isolate can reclaim it.
   */
  dropAboveBytes: number;
  /** What the module imports (default none); called once per instance. */
  imports?: () => WebAssembly.Imports;
  /** Run once on each new instance before its first call (e.g. emscripten's `_initialize`). */
  start?: (exports: E) => void;
}

/** WASI errno ENOSYS ("function not implemented"), wasi-libc's `__WASI_ERRNO_NOSYS`. */
export const WASI_ENOSYS = 52;

/**
 * The WASI imports of a clang/wasi-libc module whose stdio stays linked but is never called
 * (an error path's `fprintf`): `fd_close`, `fd_seek` and `fd_write`, each failing with
 * {@link WASI_ENOSYS}. Spread it into a module's `wasi_snapshot_preview1` and add what else
 * that module links.
 */
export function wasiStdioStubs(): Record<'fd_close' | 'fd_seek' | 'fd_write', () => number> {
  const enosys = (): number => WASI_ENOSYS;
  return { fd_close: enosys, fd_seek: enosys, fd_write: enosys };
}

/** JSPI, where the runtime has it (workerd does; Node 20 does not). */
const jspi = WebAssembly as unknown as {
  Suspending?: new (f: () => Promise<void>) => WebAssembly.ImportValue;
  promising?: <A extends number[]>(f: (...args: A) => number) => (...args: A) => Promise<number>;
};

/**
 * A module's pause point (JSPI): `import` is the function a module imports to give the thread
 * back in the middle of a long call (libwebp's encode, the PNG and AVIF modules' rows, the
 * resampler's source rows), a `WebAssembly.Suspending` function that awaits the pause of the
 * call in progress; {@link call} runs an export through `WebAssembly.promising` with that
 * pause. V8 traps a suspending import called outside `promising`, so a module calls its pause
 * import only when the host asked it to for that call (its own argument or setter). Without JSPI
 * (Node 20) `available` is false and the import is a no-op the module is never asked to call.
 */
export class WasmPause {
  private current: (() => Promise<void>) | null = null;
  /** The import to give the module. */
  readonly import: WebAssembly.ImportValue;
  /** True where the runtime has JSPI. */
  static readonly available = jspi.Suspending !== undefined && jspi.promising !== undefined;

  constructor() {
    this.import = jspi.Suspending
      ? new jspi.Suspending(async () => {
          await this.current?.();
        })
      : () => undefined;
  }

  /**
   * Calls the export `fn` with `args` through `WebAssembly.promising`, the module's pause
   * import awaiting `pause` meanwhile. Only when {@link available}.
   * @returns what `fn` returns; rejects with what it throws (a trap: a RuntimeError).
   */
  async call<A extends number[]>(
    fn: (...args: A) => number,
    args: A,
    pause: () => Promise<void>,
  ): Promise<number> {
    this.current = pause;
    try {
      return await jspi.promising!(fn)(...args);
    } finally {
      this.current = null;
    }
  }
}

/**
 * A module's row import (`env.<codec>_write_row(src, y)`): while a call is {@link open}, each
 * row the module writes (RGBA8, `rowBytes` bytes at `src` in its memory) is handed to `write`
 * as a view valid during that call only; outside one, rows are dropped.
 */
export class WasmRowWriter {
  private current: {
    write: (row: Uint8ClampedArray, y: number) => void;
    rowBytes: number;
    memory: WebAssembly.Memory;
  } | null = null;
  /** The import to give the module. */
  readonly import = (src: number, y: number): void => {
    if (!this.current) return;
    const { write, rowBytes, memory } = this.current;
    write(new Uint8ClampedArray(memory.buffer, src >>> 0, rowBytes), y >>> 0);
  };

  /** Hands rows of `rowBytes` bytes from `memory` to `write` until {@link close}. */
  open(
    write: (row: Uint8ClampedArray, y: number) => void,
    rowBytes: number,
    memory: WebAssembly.Memory,
  ): void {
    this.current = { write, rowBytes, memory };
  }

  /** Drops rows again. */
  close(): void {
    this.current = null;
  }
}

/** Header words 0..10 of a successful call (see the module's ABI). */
export type OwnHeader = Uint32Array;

/**
 * One module's instance (a slot of wasm/instances.ts: lazy, one per isolate, replaced after
 * a trap, dropped after a call that left it above `dropAboveBytes`) and the copy-in / call /
 * copy-out sequence around its decode exports.
 */
export class OwnDecoder<E extends OwnModuleExports> {
  private readonly slot: WasmSlot<E>;

  /**
   * @param slot for {@link fresh}: a private slot instead of the module's shared one.
   * @throws Error when another module registered the same `name`.
   */
  constructor(
    private readonly opts: OwnDecoderOptions<E>,
    slot?: WasmSlot<E>,
  ) {
    this.slot =
      slot ??
      new WasmSlot<E>({
        name: opts.name ?? opts.what,
        create: () => {
          // Synchronous instantiation of a precompiled module is allowed in workerd.
          const imports = opts.imports?.() ?? {};
          const wasm = new WebAssembly.Instance(opts.module, imports).exports as unknown as E;
          opts.start?.(wasm);
          return wasm;
        },
        memory: (wasm) => wasm.memory,
        dropAboveBytes: opts.dropAboveBytes,
        // A panic, abort or allocation failure inside the module leaves its state undefined;
        // a status error (a bad file) leaves the instance as good as before.
        poisonedBy: (err) => err instanceof WebAssembly.RuntimeError,
      });
  }

  /** Bytes of wasm memory held by the current instance; 0 when there is none. */
  memoryBytes(): number {
    return this.slot.memoryBytes();
  }

  /** Forgets the current instance; the next call instantiates the module again. */
  drop(): void {
    this.slot.drop();
  }

  /**
   * The same module on an instance of its own (for an animation, whose state lives in the
   * module across awaits): never shared, never dropped for its size; {@link drop} it at the end.
   */
  fresh(): OwnDecoder<E> {
    return new OwnDecoder(this.opts, this.slot.fresh());
  }

  /**
   * Runs `call` on the instance (made first when there is none). A trap inside discards the
   * instance and becomes the options' `trap` error; an instance whose memory grew above
   * `dropAboveBytes` is dropped afterwards.
   */
  use<R>(call: (exports: E) => R): R {
    try {
      return this.slot.use(call);
    } catch (err) {
      if (err instanceof WebAssembly.RuntimeError)
        throw this.opts.error('trap', `${this.opts.what} codec aborted: ${err.message}`, {
          cause: err,
        });
      throw err;
    }
  }

  /**
   * Copies `bytes` into a fresh `<prefix>_alloc` buffer of `wasm` and returns its address.
   * @throws the options' `out-of-memory` error when the allocation fails.
   */
  copyIn(wasm: E, bytes: Uint8Array): number {
    const ptr = this.opts.alloc(wasm, bytes.length) >>> 0; // i32 → unsigned address
    if (ptr === 0) throw this.opts.error('out-of-memory', 'cannot allocate the input');
    new Uint8Array(wasm.memory.buffer, ptr, bytes.length).set(bytes);
    return ptr;
  }

  /**
   * Reads the header at `headerPtr` (views are made after the call: memory may have grown).
   * @returns the 11 header words when the status is 0.
   * @throws RangeError for status 5 (a bad argument), else the options' error for the status.
   */
  header(wasm: E, headerPtr: number): OwnHeader {
    const header = new Uint32Array(wasm.memory.buffer, headerPtr >>> 0, HEADER_WORDS).slice();
    const status = header[H_STATUS] ?? 6;
    if (status === 0) return header;
    const msg = new TextDecoder().decode(
      new Uint8Array(wasm.memory.buffer, header[H_MSG_PTR], header[H_MSG_LEN]),
    );
    if (status === S_BAD_ARGUMENT) throw new RangeError(`${this.opts.what}: ${msg}`);
    throw this.opts.error(STATUS_CODES[status] ?? 'internal', msg);
  }

  /** A copy of the data a successful header points at (the one copy out of wasm memory). */
  static data(wasm: OwnModuleExports, header: OwnHeader): Uint8ClampedArray<ArrayBuffer> {
    return OwnDecoder.view(wasm, header).slice();
  }

  /**
   * A view of the data a successful header points at, inside wasm memory: valid only until
   * the next call into that instance (or its memory grows), so use it before returning.
   */
  static view(wasm: OwnModuleExports, header: OwnHeader): Uint8ClampedArray<ArrayBuffer> {
    return new Uint8ClampedArray(
      wasm.memory.buffer as ArrayBuffer,
      header[H_DATA_PTR],
      header[H_DATA_LEN],
    );
  }

  /**
   * Copies `bytes` into wasm memory, runs one decode export (`call`, which consumes the
   * input buffer and returns the header pointer), copies the output out and releases it.
   * @param limit passed through to `call` (a pixel limit; 0 means the module's own cap).
   * @throws the options' error on a failed decode or a trap (that instance is discarded).
   * @throws RangeError when the module reports a bad argument.
   */
  run(
    bytes: Uint8Array,
    limit: number,
    call: (exports: E, ptr: number, limit: number) => number,
  ): RawImage {
    return this.lend(bytes, limit, call, copyImage);
  }

  /**
   * As {@link run}, but hands the output to `consume` as a view into wasm memory (no copy),
   * then releases it: the view is valid until `consume` returns, or until the promise it
   * returns settles ({@link Lend}); `consume` must not call into this module. Returns what
   * `consume` returns; what it throws propagates (a trap of this module inside its
   * synchronous part discards this instance too).
   */
  lend<R>(
    bytes: Uint8Array,
    limit: number,
    call: (exports: E, ptr: number, limit: number) => number,
    consume: (img: RawImage) => R,
  ): R {
    if (bytes.length === 0) throw this.opts.error('malformed', 'empty input');
    const cap = Number.isFinite(limit) && limit > 0 ? Math.min(Math.floor(limit), 0xffffffff) : 0;
    return this.use((wasm) => {
      // The decode always frees the input buffer.
      const headerPtr = call(wasm, this.copyIn(wasm, bytes), cap);
      let out: R;
      try {
        const header = this.header(wasm, headerPtr);
        const data = OwnDecoder.view(wasm, header);
        out = consume({ data, width: header[H_WIDTH] ?? 0, height: header[H_HEIGHT] ?? 0 });
      } catch (err) {
        this.opts.release(wasm);
        throw err;
      }
      return afterLend(out, () => this.opts.release(wasm));
    });
  }
}
