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
 */
import { ADMISSION_HOLD_EXPIRY_MS, ADMISSION_POLL_MS } from '../config';
import { dropCodecs } from '../../wasm/instances';

/** Ms this isolate has spent away in {@link yieldToLoop} calls (other requests' turns). */
let yielded = 0;

/**
 * Gives the thread back to the event loop: resolves in a later macrotask (a 0 ms timer), so
 * requests and I/O that arrived meanwhile run first. The time until it resumes is counted
 * in {@link yieldedMs}.
 */
export async function yieldToLoop(): Promise<void> {
  const from = Date.now();
  await new Promise<void>((resolve) => setTimeout(resolve, 0));
  yielded += Date.now() - from;
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
 * Runs `work` (a transform that yields) alone in this isolate: no other `inLane` work starts
 * before it ends, so codec state held across its yields is never touched by another
 * transform. A request waiting for the lane polls from its own request every
 * ADMISSION_POLL_MS (no promise is settled across requests). A holder older than
 * ADMISSION_HOLD_EXPIRY_MS (a request the runtime cancelled at a yield, whose `finally` never
 * ran) is dropped with every shared codec instance it may have left half-used.
 * @returns what `work` returns.
 * @throws whatever `work` throws (the lane is freed either way).
 */
export async function inLane<T>(work: () => Promise<T>): Promise<T> {
  for (;;) {
    if (holder && Date.now() - holder.since > ADMISSION_HOLD_EXPIRY_MS) {
      holder = null;
      dropCodecs();
    }
    if (!holder) break;
    await new Promise<void>((resolve) => setTimeout(resolve, ADMISSION_POLL_MS));
  }
  const mine = { since: Date.now() };
  holder = mine;
  try {
    return await work();
  } finally {
    if (holder === mine) holder = null;
  }
}
