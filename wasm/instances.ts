/**
 * The one owner of WebAssembly instance lifecycles in an isolate, for every module: the
 * @jsquash codecs (bound in ./index.ts) and our own modules (driven through
 * src/codecs/own-wasm.ts). Module-specific glue (wasm-bindgen return slots, emscripten
 * runtimes, our header/alloc/release ABI) stays with each module, on top of a {@link WasmSlot}.
 *
 * The rules, the same for every module:
 * - An instance is made lazily, on first use, once per isolate, and kept (a failed
 *   instantiation is forgotten, so the next use tries again).
 * - A call that throws what {@link SlotOptions.poisonedBy} names (by default anything: a wasm
 *   trap, an emscripten `abort()`/`exit()`, a wasm-bindgen `unwrap_throw`) discards the
 *   instance it ran on; the next call gets a new one. A throw through wasm frames skips the
 *   module's destructors, so its state and memory cannot be trusted again.
 * - Wasm memory grows and never shrinks: an instance left above
 *   {@link SlotOptions.dropAboveBytes} after a call is dropped, so the isolate can reclaim it.
 * - Stateful calls that span awaits (animations) take a {@link WasmSlot.fresh} instance of
 *   their own, never the shared one; except a call that returns a promise on the shared one
 *   (a transform that yields, in src/transform/yield.ts's lane), which stays under these
 *   rules until its promise settles. Meanwhile the shared instance is busy: its state is that
 *   call's (a half-fed encoder, a suspended JSPI stack), so a call that comes from outside the
 *   lane (a placeholder's PNG, a card) gets a spare instance, made for it and dropped after.
 * - {@link wasmMemory}, {@link instantiatedCodecs} and {@link dropCodecs} see every shared
 *   instance (bench, tests: a cache hit never instantiates a codec).
 *
 * Instantiation is always `new WebAssembly.Instance` on a precompiled module (a `.wasm`
 * default import): workerd refuses to compile wasm bytes at run time.
 */

/** How one module's instances are made and kept. */
export interface SlotOptions<T> {
  /**
   * Name in {@link wasmMemory} and {@link instantiatedCodecs} (`jpegDec`, `jpegScaled`, …);
   * unique among the shared slots.
   */
  name: string;
  /**
   * Makes a new instance: synchronously (our modules) or as a promise (emscripten runtimes,
   * which start asynchronously; use {@link WasmSlot.run} for those).
   */
  create: () => T | Promise<T>;
  /** The instance's linear memory. */
  memory: (instance: T) => WebAssembly.Memory;
  /** Drop the instance after a call that left its memory above this many bytes (default never). */
  dropAboveBytes?: number;
  /** Whether `thrown` (from a call) leaves the instance unusable (default: anything thrown). */
  poisonedBy?: (thrown: unknown) => boolean;
}

/** The shared slots of this isolate, by name. */
const shared = new Map<string, WasmSlot<unknown>>();

/**
 * One module's instance: made lazily, replaced after a poisoning throw, dropped above a
 * memory threshold (see the module comment).
 */
export class WasmSlot<T> {
  private live: T | null = null;
  private pending: Promise<T> | null = null;
  /** The shared instance while a call on it that returned a promise has not settled. */
  private busy: T | null = null;

  /**
   * @param register false for a private instance ({@link fresh}), which the isolate-wide
   *   reports do not list.
   * @throws Error when a shared slot of that name exists already (a programming error).
   */
  constructor(
    private readonly opts: SlotOptions<T>,
    register = true,
  ) {
    if (!register) return;
    if (shared.has(opts.name)) throw new Error(`wasm: two slots named ${opts.name}`);
    shared.set(opts.name, this as WasmSlot<unknown>);
  }

  /** The slot's name. */
  get name(): string {
    return this.opts.name;
  }

  /**
   * The instance, made first when there is none.
   * @throws Error when instantiation fails (a deployment problem, not bad input); the failure
   *   is forgotten, so the next call tries again.
   */
  ready(): Promise<T> {
    if (this.pending) return this.pending;
    const promise = Promise.resolve()
      .then(() => this.opts.create())
      .then(
        (instance) => {
          if (this.pending === promise) this.live = instance;
          return instance;
        },
        (err: unknown) => {
          if (this.pending === promise) this.pending = null;
          throw err;
        },
      );
    this.pending = promise;
    return promise;
  }

  /**
   * Runs `call` on the instance, made synchronously first when there is none (a promise
   * `call` returns stays under the slot's rules until it settles: {@link apply}).
   * @throws Error when `create` is asynchronous and no instance is live (use {@link run}).
   * @throws whatever `call` throws, after applying the slot's rules.
   */
  use<R>(call: (instance: T) => R): R {
    if (this.live !== null && this.busy === this.live) return this.spare(call);
    let instance = this.live;
    if (instance === null) {
      const made = this.opts.create();
      if (made instanceof Promise)
        throw new Error(`wasm ${this.name}: instantiates asynchronously`);
      instance = made;
      this.live = instance;
      this.pending = Promise.resolve(instance);
    }
    return this.apply(instance, call);
  }

  /** As {@link use}, for slots whose instances are made asynchronously. */
  async run<R>(call: (instance: T) => R): Promise<R> {
    let instance = await this.ready();
    // Another request may have discarded this instance while we waited: take the new one.
    if (this.live !== instance) instance = await this.ready();
    if (this.busy === instance) return this.spare(call);
    return this.apply(instance, call);
  }

  /**
   * Runs `call` on a spare instance (the shared one is busy: see the module comment), made
   * for it and dropped after: not listed in the reports.
   * @throws Error when `create` is asynchronous and fails; whatever `call` throws.
   */
  private async spareAsync<R>(call: (instance: T) => R): Promise<R> {
    return call(await this.opts.create());
  }

  /** As {@link spareAsync}, for a synchronous `create` (see {@link use}). */
  private spare<R>(call: (instance: T) => R): R {
    const made = this.opts.create();
    if (made instanceof Promise) return this.spareAsync(call) as R;
    return call(made);
  }

  /**
   * Runs `call` on `instance` under the slot's rules. A `call` that returns a promise (a
   * stateful sequence that yields in between, src/transform/yield.ts) is under them until
   * that promise settles: a poisoning rejection discards the instance, and its size is
   * checked then.
   */
  private apply<R>(instance: T, call: (instance: T) => R): R {
    const poisoned = (thrown: unknown) => {
      if (this.opts.poisonedBy?.(thrown) ?? true) this.discard(instance);
    };
    const trim = () => {
      const limit = this.opts.dropAboveBytes ?? Infinity;
      if (this.live === instance && this.opts.memory(instance).buffer.byteLength > limit)
        this.discard(instance);
    };
    let out: R;
    try {
      out = call(instance);
    } catch (thrown) {
      poisoned(thrown);
      trim();
      throw thrown;
    }
    if (!(out instanceof Promise)) {
      trim();
      return out;
    }
    if (this.live === instance) this.busy = instance;
    const settled = () => {
      if (this.busy === instance) this.busy = null;
    };
    return out.then(
      (value: unknown) => {
        settled();
        trim();
        return value;
      },
      (thrown: unknown) => {
        settled();
        poisoned(thrown);
        trim();
        throw thrown;
      },
    ) as R;
  }

  /** Forgets `instance` if it is still this slot's; the next call makes a new one. */
  private discard(instance: T): void {
    if (this.live !== instance) return;
    this.live = null;
    this.pending = null;
  }

  /** Forgets the instance (made or being made); the next call makes a new one. */
  drop(): void {
    this.live = null;
    this.pending = null;
    this.busy = null;
  }

  /** True while an instance exists or is being made. */
  instantiated(): boolean {
    return this.pending !== null || this.live !== null;
  }

  /** Bytes of linear memory of the live instance (its high-water mark); 0 when there is none. */
  memoryBytes(): number {
    return this.live === null ? 0 : this.opts.memory(this.live).buffer.byteLength;
  }

  /**
   * A private slot of the same module, for a stateful sequence of calls (an animation): not
   * shared, not listed in the reports, never dropped for its size; the caller drops it at
   * the end.
   */
  fresh(): WasmSlot<T> {
    return new WasmSlot({ ...this.opts, dropAboveBytes: Infinity }, false);
  }
}

/**
 * Linear-memory bytes of each live shared instance, by slot name (absent: never used,
 * discarded or dropped). Memory only grows, so this is each instance's high-water mark.
 */
export function wasmMemory(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const slot of shared.values()) {
    const bytes = slot.memoryBytes();
    if (bytes > 0) out[slot.name] = bytes;
  }
  return out;
}

/**
 * Names of the shared slots holding an instance (made, or being made), sorted. Empty in a
 * fresh isolate and after {@link dropCodecs}. For tests (a cache hit must never instantiate one).
 */
export function instantiatedCodecs(): string[] {
  return [...shared.values()]
    .filter((s) => s.instantiated())
    .map((s) => s.name)
    .sort();
}

/**
 * Forgets every shared instance, as a fresh isolate has none; the next use of each module
 * instantiates it again. For tests.
 */
export function dropCodecs(): void {
  for (const slot of shared.values()) slot.drop();
}
