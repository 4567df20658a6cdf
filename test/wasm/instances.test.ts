/**
 * The isolate's one wasm instance manager (wasm/instances.ts): lazy instantiation once,
 * replacement after a poisoning throw, the memory threshold, private instances for stateful
 * sequences, and the isolate-wide reports. Instances here are plain objects holding a real
 * `WebAssembly.Memory` (the manager needs nothing else); the codec tests drive the real modules.
 */
import { describe, expect, it } from 'vitest';
import { dropCodecs, instantiatedCodecs, WasmSlot, wasmMemory } from '../../wasm/instances.js';

const PAGE = 64 * 1024;

interface Fake {
  id: number;
  memory: WebAssembly.Memory;
}

/** A slot whose instances count how often they were made. */
function counting(name: string, opts: { dropAboveBytes?: number; trapsOnly?: boolean } = {}) {
  let made = 0;
  const slot = new WasmSlot<Fake>({
    name,
    create: () => ({ id: ++made, memory: new WebAssembly.Memory({ initial: 1, maximum: 64 }) }),
    memory: (f) => f.memory,
    dropAboveBytes: opts.dropAboveBytes,
    ...(opts.trapsOnly && { poisonedBy: (e: unknown) => e instanceof WebAssembly.RuntimeError }),
  });
  return { slot, made: () => made };
}

describe('WasmSlot', () => {
  it('instantiates lazily, once, and reports the instance', () => {
    const { slot, made } = counting('test.lazy');
    expect(made()).toBe(0);
    expect(instantiatedCodecs()).not.toContain('test.lazy');
    expect(slot.use((f) => f.id)).toBe(1);
    expect(slot.use((f) => f.id)).toBe(1);
    expect(made()).toBe(1);
    expect(instantiatedCodecs()).toContain('test.lazy');
    expect(wasmMemory()['test.lazy']).toBe(PAGE);
  });

  it('replaces an instance after a throw; keeps it when the rule says the throw is harmless', () => {
    const { slot } = counting('test.poison');
    expect(() => slot.use(() => JSON.parse('{'))).toThrow(SyntaxError);
    expect(slot.memoryBytes()).toBe(0);
    expect(slot.use((f) => f.id)).toBe(2);

    const traps = counting('test.traps', { trapsOnly: true });
    traps.slot.use(() => 0);
    expect(() =>
      traps.slot.use(() => {
        throw new Error('bad file');
      }),
    ).toThrow('bad file');
    expect(traps.slot.use((f) => f.id)).toBe(1); // a status error: same instance
    expect(() =>
      traps.slot.use(() => {
        throw new WebAssembly.RuntimeError('unreachable');
      }),
    ).toThrow(WebAssembly.RuntimeError);
    expect(traps.slot.use((f) => f.id)).toBe(2); // a trap: a new one
  });

  it('drops an instance whose memory grew above the threshold after a call', () => {
    const { slot } = counting('test.threshold', { dropAboveBytes: 4 * PAGE });
    slot.use((f) => f.memory.grow(2)); // 3 pages: kept
    expect(wasmMemory()['test.threshold']).toBe(3 * PAGE);
    expect(slot.use((f) => (f.memory.grow(2), f.id))).toBe(1); // 5 pages: this call is served
    expect(wasmMemory()['test.threshold']).toBeUndefined();
    expect(instantiatedCodecs()).not.toContain('test.threshold');
    expect(slot.use((f) => f.id)).toBe(2);
  });

  it('keeps a call that returns a promise under its rules until it settles', async () => {
    const { slot } = counting('test.yielding', { dropAboveBytes: 4 * PAGE, trapsOnly: true });
    const turn = () => new Promise<void>((r) => setTimeout(r, 0));
    // Grows past the threshold after a yield: dropped once the promise settles, not before.
    const grown = slot.use(async (f) => {
      await turn();
      f.memory.grow(4);
      return f.id;
    });
    expect(wasmMemory()['test.yielding']).toBe(PAGE);
    expect(await grown).toBe(1);
    expect(wasmMemory()['test.yielding']).toBeUndefined();
    // A trap after a yield discards the instance; a status error does not.
    expect(slot.use((f) => f.id)).toBe(2);
    await expect(
      slot.use(async () => {
        await turn();
        throw new Error('bad file');
      }),
    ).rejects.toThrow('bad file');
    expect(slot.use((f) => f.id)).toBe(2);
    await expect(
      slot.use(async () => {
        await turn();
        throw new WebAssembly.RuntimeError('unreachable');
      }),
    ).rejects.toThrow(WebAssembly.RuntimeError);
    expect(slot.use((f) => f.id)).toBe(3);
  });

  it('gives a call that comes while a yielding call holds the shared instance a spare one', async () => {
    const { slot, made } = counting('test.busy');
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const first = slot.use(async (f) => {
      await held;
      return f.id;
    });
    // Busy: each call meanwhile gets a spare instance of its own, not listed in the reports.
    expect(slot.use((f) => f.id)).toBe(2);
    expect(slot.use((f) => f.id)).toBe(3);
    expect(wasmMemory()['test.busy']).toBe(PAGE);
    release();
    expect(await first).toBe(1);
    // Settled: the shared instance again.
    expect(slot.use((f) => f.id)).toBe(1);
    expect(made()).toBe(3);
  });

  it('makes an asynchronous instance once for concurrent calls, and retries a failed one', async () => {
    let made = 0;
    let fail = true;
    const slot = new WasmSlot<Fake>({
      name: 'test.async',
      create: async () => {
        await new Promise((r) => setTimeout(r, 5));
        if (fail) throw new Error('no module');
        return { id: ++made, memory: new WebAssembly.Memory({ initial: 1 }) };
      },
      memory: (f) => f.memory,
    });
    await expect(slot.run((f) => f.id)).rejects.toThrow('no module');
    expect(instantiatedCodecs()).not.toContain('test.async');
    fail = false;
    const ids = await Promise.all([slot.run((f) => f.id), slot.run((f) => f.id)]);
    expect(ids).toEqual([1, 1]);
    expect(made).toBe(1);
    // A synchronous use of an asynchronous slot works once the instance is live ...
    expect(slot.use((f) => f.id)).toBe(1);
    // ... and says why it cannot make one itself.
    slot.drop();
    expect(() => slot.use((f) => f.id)).toThrow(/asynchronously/);
  });

  it('gives a stateful sequence a private instance that the reports do not list', () => {
    const { slot, made } = counting('test.fresh', { dropAboveBytes: 2 * PAGE });
    const shared = slot.use((f) => f.id);
    const own = slot.fresh();
    const id = own.use((f) => (f.memory.grow(4), f.id));
    expect(id).not.toBe(shared);
    expect(own.use((f) => f.id)).toBe(id); // never dropped for its size
    expect(own.memoryBytes()).toBe(5 * PAGE);
    expect(wasmMemory()['test.fresh']).toBe(PAGE); // the shared one only
    own.drop();
    expect(own.memoryBytes()).toBe(0);
    expect(slot.use((f) => f.id)).toBe(shared);
    expect(made()).toBe(2);
  });

  it('refuses a second shared slot of the same name', () => {
    counting('test.twice');
    expect(() => counting('test.twice')).toThrow(/two slots named test.twice/);
  });

  it('dropCodecs forgets every shared instance', () => {
    const { slot } = counting('test.drop');
    slot.use(() => 0);
    expect(instantiatedCodecs()).toContain('test.drop');
    dropCodecs();
    expect(instantiatedCodecs()).toEqual([]);
    expect(wasmMemory()).toEqual({});
    expect(slot.use((f) => f.id)).toBe(2);
  });
});
