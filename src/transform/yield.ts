/**
 * Cooperative transforms: an isolate has one thread, and a transform's `await`s are
 * microtasks, so without a real yield a whole transform (decode, resize, encode: wasm calls
 * that never give the thread back) runs as one block, and a cache hit or `/healthz` arriving
 * meanwhile waits for all of it (docs/performance.md, "The spike"). The pipeline gives the
 * thread back between its stages ({@link yieldToLoop}: after decoding, between groups of
 * output rows, before encoding), so requests queued meanwhile are served between them.
 *
 * A yield holds codec state across it (a decoder's output lent in place, libwebp's
 * half-fed picture), so transforms must not interleave in one isolate: each runs in the
 * {@link inLane} lane, one at a time. Slices are cut by work (stages, rows), never by the
 * clock: in workerd the clock does not advance during execution.
 *
 * A yield alone lets a waiting request in for one turn only: a cache hit takes several turns
 * (the request, the cache lookup, the answer), and the transform would take a slice between
 * each. So requests are served in the foreground ({@link inForeground}, the Worker's entry)
 * until they become a transform or a wait for one ({@link toBackground}), and a transform's
 * yield also waits while a foreground request is being served (at most FOREGROUND_MAX_WAIT_MS
 * per yield, and only for requests younger than FOREGROUND_MAX_AGE_MS): a hit waits for at
 * most the slice in progress, not for one slice per turn.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import {
  ADMISSION_HOLD_EXPIRY_MS,
  ADMISSION_POLL_MS,
  FOREGROUND_MAX_AGE_MS,
  FOREGROUND_MAX_WAIT_MS,
} from '../config';
import { dropCodecs } from '../../wasm/instances';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Ms this isolate has spent away in {@link yieldToLoop} calls (other requests' turns). */
let yielded = 0;

/**
 * Gives the thread back to the event loop: resolves in a later macrotask (a 0 ms timer), so
 * requests and I/O that arrived meanwhile run first, and then not while a request is served
 * in the foreground ({@link inForeground}; at most FOREGROUND_MAX_WAIT_MS in all). The time
 * until it resumes is counted in {@link yieldedMs}.
 */
export async function yieldToLoop(): Promise<void> {
  const from = Date.now();
  await sleep(0);
  while (servingForeground() && Date.now() - from < FOREGROUND_MAX_WAIT_MS) await sleep(1);
  yielded += Date.now() - from;
}

/** A request served in the foreground: since when (ms since the epoch). */
interface ForegroundMark {
  since: number;
}

/** Requests of this isolate in the foreground now. */
const foreground = new Set<ForegroundMark>();
/** The foreground mark of the request whose code runs now. */
const currentMark = new AsyncLocalStorage<ForegroundMark>();

/** True while a request younger than FOREGROUND_MAX_AGE_MS is in the foreground. */
function servingForeground(): boolean {
  const now = Date.now();
  for (const mark of foreground) if (now - mark.since < FOREGROUND_MAX_AGE_MS) return true;
  return false;
}

/**
 * Serves a request (`serve`, the Worker's fetch) in the foreground: until it settles or calls
 * {@link toBackground}, the transforms of this isolate give way to it at their yields.
 * @returns what `serve` returns.
 * @throws whatever `serve` throws.
 */
export function inForeground<T>(serve: () => Promise<T>): Promise<T> {
  const mark: ForegroundMark = { since: Date.now() };
  foreground.add(mark);
  return currentMark.run(mark, async () => {
    try {
      return await serve();
    } finally {
      foreground.delete(mark);
    }
  });
}

/**
 * Takes the request whose code runs now out of the foreground (a transform, or a wait for
 * one): transforms no longer give way to it. A no-op outside {@link inForeground}.
 */
export function toBackground(): void {
  const mark = currentMark.getStore();
  if (mark) foreground.delete(mark);
}

/**
 * Ms spent in {@link yieldToLoop} by this isolate so far: a transform's time in its yields
 * is the difference at its end and start (admission.ts leaves it out of the time the
 * transform took the thread).
 */
export const yieldedMs = (): number => yielded;

/** The lane's holder: since when (ms since the epoch); null when free. */
let holder: { since: number } | null = null;

/**
 * Runs `work` (a transform that yields) alone in this isolate, its request out of the
 * foreground ({@link toBackground}): no other `inLane` work starts before it ends, so codec
 * state held across its yields is never touched by another transform. A request waiting for the lane polls from its own request every
 * ADMISSION_POLL_MS (no promise is settled across requests). A holder older than
 * ADMISSION_HOLD_EXPIRY_MS (a request the runtime cancelled at a yield, whose `finally` never
 * ran) is dropped with every shared codec instance it may have left half-used.
 * @returns what `work` returns.
 * @throws whatever `work` throws (the lane is freed either way).
 */
export async function inLane<T>(work: () => Promise<T>): Promise<T> {
  toBackground();
  for (;;) {
    if (holder && Date.now() - holder.since > ADMISSION_HOLD_EXPIRY_MS) {
      holder = null;
      dropCodecs();
    }
    if (!holder) break;
    await sleep(ADMISSION_POLL_MS);
  }
  const mine = { since: Date.now() };
  holder = mine;
  try {
    return await work();
  } finally {
    if (holder === mine) holder = null;
  }
}
