/**
 * Admission control for inline transforms: the requests one isolate serves at once share the
 * planner's inline memory budget (`inlineBudgetMb`), and at most `admissionMaxTransforms` run
 * at once. Each inline transform holds its estimated MB (src/transform/cost.ts) and a slot
 * while it runs; one that does not fit in what is left now waits its turn in a short FIFO
 * (at most `admissionMaxWaiting` requests, each for at most `admissionMaxWaitMs`), and past
 * that is refused at once (the caller answers `503` with `Retry-After`, or skips an optional
 * inline stand-in), so a miss flood cannot pile up transforms or run the 128 MB isolate out
 * of memory, while the few misses of one page load are served one after the other. Under a
 * miss flood (a refusal in the last ADMISSION_FLOOD_WINDOW_MS), transforms take at most
 * `admissionFloodSharePercent` of the isolate's one thread: after each, the slot rests in
 * proportion to its time, so the refusals, cache hits and `/healthz` keep the rest. Cache
 * hits, stored variants and `/healthz` never come here.
 *
 * The counters are per isolate (module state), which is exactly the scope of the memory they
 * guard. Estimates include each codec's fixed memory, which concurrent transforms share, so
 * the sum is on the safe side.
 */

import {
  ADMISSION_FLOOD_WINDOW_MS,
  ADMISSION_HOLD_EXPIRY_MS,
  ADMISSION_POLL_MS,
  type Config,
} from '../config';
import { busy, type HttpError } from '../errors';
import { toBackground, yieldedMs, yieldToLoop } from './yield';

/** What the semaphore holds and has held (per isolate). */
export interface AdmissionStats {
  /** MB held by transforms running now, and how many run. */
  heldMb: number;
  running: number;
  /** Highest `heldMb` and `running` seen since the last {@link resetAdmissionPeaks}. */
  peakMb: number;
  peakRunning: number;
  /** Transforms refused since the last reset. */
  refused: number;
  /** Requests waiting for a slot now. */
  waiting: number;
  /** Places in line taken by misses before their storage reads ({@link takeMissPlace}). */
  reserved: number;
  /** Whether a miss flood is on now, and ms until the resting slot may start a transform. */
  flood: boolean;
  restMs: number;
}

const stats: AdmissionStats = {
  heldMb: 0,
  running: 0,
  peakMb: 0,
  peakRunning: 0,
  refused: 0,
  waiting: 0,
  reserved: 0,
  flood: false,
  restMs: 0,
};

/** Shares held now: MB, since when (ms since the epoch), {@link yieldedMs} then. */
const holds = new Set<{ mb: number; since: number; yielded: number }>();
/**
 * Requests waiting for a share, first come first served; each until its deadline (ms since
 * the epoch). A waiter polls from its own request (no promise is settled across requests),
 * and one whose request is gone leaves the line at its deadline.
 */
const line: { until: number }[] = [];
/**
 * Places in line taken at a miss's early check, while it reads D1 and R2 before it knows its
 * estimate and joins the line; each until its deadline (a request cancelled by the runtime may
 * never release it).
 */
const places = new Set<{ until: number }>();

/**
 * Until when (ms since the epoch) this isolate counts as under a miss flood: a refusal
 * happened less than ADMISSION_FLOOD_WINDOW_MS ago.
 */
let floodUntil = 0;
/**
 * Under a flood, when the next transform may start (ms since the epoch): after each one, the
 * slot rests so that transforms take at most `floodSharePercent` of the thread's time.
 */
let nextStartAt = 0;

/** Counts a refusal, which starts (or prolongs) a flood. */
function refused(now: number): void {
  stats.refused++;
  floodUntil = now + ADMISSION_FLOOD_WINDOW_MS;
}

/** Drops expired holds and waiters. */
function prune(now: number): void {
  for (const h of holds)
    if (now - h.since > ADMISSION_HOLD_EXPIRY_MS) {
      holds.delete(h);
      stats.heldMb -= h.mb;
      stats.running--;
    }
  for (let i = line.length - 1; i >= 0; i--) if (line[i]!.until <= now) line.splice(i, 1);
  stats.waiting = line.length;
  for (const p of places) if (p.until <= now) places.delete(p);
  stats.reserved = places.size;
}

/** The limits of this config. */
export const admissionLimits = (config: Config): AdmissionLimits => ({
  capacityMb: config.inlineBudgetMb,
  maxRunning: config.admissionMaxTransforms,
  maxWaiting: config.admissionMaxWaiting,
  maxWaitMs: config.admissionMaxWaitMs,
  floodSharePercent: config.admissionFloodSharePercent,
});

/** A held share of the budget: call `release()` once the transform is done (idempotent). */
export interface Admission {
  release(): void;
}

/**
 * What one isolate may run at once: MB of the inline budget, and transforms; how many
 * requests may wait for them, for how long (ms; no waiting when absent); and, under a miss
 * flood, the largest share of the thread's time transforms may take (percent; 100 or absent:
 * no cap).
 */
export interface AdmissionLimits {
  capacityMb: number;
  maxRunning: number;
  maxWaiting?: number;
  maxWaitMs?: number;
  floodSharePercent?: number;
}

/** Whether every transform slot is taken, or resting after a transform under a flood. */
const slotsBusy = (maxRunning: number, now: number) =>
  stats.running >= maxRunning || now < nextStartAt;

const fits = (mb: number, limits: AdmissionLimits) =>
  stats.heldMb + mb <= limits.capacityMb && !slotsBusy(limits.maxRunning, Date.now());

/** Takes `mb` and a slot (the caller checked that they fit). */
function hold(mb: number, limits: AdmissionLimits): Admission {
  const h = { mb, since: Date.now(), yielded: yieldedMs() };
  holds.add(h);
  stats.heldMb += mb;
  stats.running++;
  stats.peakMb = Math.max(stats.peakMb, stats.heldMb);
  stats.peakRunning = Math.max(stats.peakRunning, stats.running);
  return {
    release() {
      if (!holds.delete(h)) return;
      stats.heldMb -= mb;
      stats.running--;
      const now = Date.now();
      const share = (limits.floodSharePercent ?? 100) / 100;
      // Under a flood the slot rests (1 - share) / share of the time the transform took the
      // thread (its time held, less its yields, when other requests ran: ./yield.ts), so
      // refusals, cache hits and /healthz keep the rest of the isolate's one thread.
      const took = Math.max(0, now - h.since - (yieldedMs() - h.yielded));
      if (share < 1 && now < floodUntil)
        nextStartAt = Math.max(nextStartAt, now + (took * (1 - share)) / share);
    },
  };
}

/**
 * Takes `estimateMb` (rounded up, at least 1) of the capacity and one running slot, if both
 * are free now and nobody waits for them.
 * @returns the admission, or null when it does not fit (nothing is held then).
 */
export function tryAdmit(estimateMb: number, limits: AdmissionLimits): Admission | null {
  const mb = Math.max(1, Math.ceil(estimateMb));
  const now = Date.now();
  prune(now);
  if (line.length || !fits(mb, limits)) {
    refused(now);
    return null;
  }
  return hold(mb, limits);
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Like {@link tryAdmit}, but when the share is not free now and fewer than `maxWaiting`
 * requests wait or hold a place ({@link takeMissPlace}), waits in line for it, at most
 * `maxWaitMs`.
 * @returns the admission, or null when refused (at once, or after the wait).
 */
export async function admitOrWait(
  estimateMb: number,
  limits: AdmissionLimits,
): Promise<Admission | null> {
  const mb = Math.max(1, Math.ceil(estimateMb));
  prune(Date.now());
  if (!line.length && fits(mb, limits)) return hold(mb, limits);
  if (line.length + places.size >= (limits.maxWaiting ?? 0) || mb > limits.capacityMb) {
    refused(Date.now());
    return null;
  }
  // Waiting is not serving: the running transform need not give way to this request.
  toBackground();
  const me = { until: Date.now() + (limits.maxWaitMs ?? 0) };
  line.push(me);
  stats.waiting = line.length;
  try {
    for (;;) {
      await sleep(ADMISSION_POLL_MS);
      prune(Date.now());
      if (!line.includes(me)) {
        refused(Date.now());
        return null;
      }
      if (line[0] === me && fits(mb, limits)) return hold(mb, limits);
    }
  } finally {
    const i = line.indexOf(me);
    if (i >= 0) line.splice(i, 1);
    stats.waiting = line.length;
  }
}

/**
 * Runs `work` holding `estimateMb` of the capacity and a running slot. Once admitted it
 * first yields to the event loop (./yield.ts): a waiter admitted as a transform ends would
 * otherwise start its own in the same turn, before the cache hits and `/healthz` that
 * arrived during the last one. `keepAlive` gets the run (e.g. `ctx.waitUntil`), so a client
 * that goes away does not leave it stopped at a yield, holding its share and the lane.
 * @returns `{ admitted: false }` without running it when it does not fit now.
 * @throws whatever `work` throws (the share is released either way).
 */
export async function withAdmission<T>(
  estimateMb: number,
  limits: AdmissionLimits,
  work: () => Promise<T>,
  keepAlive?: (run: Promise<unknown>) => void,
): Promise<{ admitted: true; value: T } | { admitted: false }> {
  const admission = await admitOrWait(estimateMb, limits);
  if (!admission) return { admitted: false };
  // A transform now: the yields below give way to the requests served in the foreground.
  toBackground();
  const run = (async () => {
    try {
      await yieldToLoop();
      return await work();
    } finally {
      admission.release();
    }
  })();
  keepAlive?.(run.catch(() => undefined));
  return { admitted: true, value: await run };
}

/**
 * Runs an inline transform (`work`) under admission control with `config`'s limits, holding
 * `estimateMb` while it runs; `keepAlive` as for {@link withAdmission}.
 * @returns what `work` returns.
 * @throws HttpError 503 `busy` with `Retry-After` when it does not fit now; whatever `work`
 *   throws (a DecodeError is a 422 by its kind, errors.ts).
 */
export async function admitTransform<T>(
  estimateMb: number,
  config: Config,
  work: () => Promise<T>,
  keepAlive?: (run: Promise<unknown>) => void,
): Promise<T> {
  const run = await withAdmission(estimateMb, admissionLimits(config), work, keepAlive);
  if (!run.admitted) throw busyNow(config, { estimate: { memory_mb: Math.round(estimateMb) } });
  return run.value;
}

/** The 503 `busy` problem with `Retry-After` for a miss refused by admission control. */
const busyNow = (config: Config, extra: Record<string, unknown> = {}) =>
  busy(
    'Too many transforms are running here right now; retry shortly.',
    config.admissionRetryAfterSeconds,
    extra,
  );

/**
 * The refusal of an edge-cache miss while this isolate runs `admissionMaxTransforms` inline
 * transforms and `admissionMaxWaiting` requests already wait for them or hold a place in line
 * (counted as refused), or undefined when the miss may go on. The isolate has one thread:
 * during a miss flood every refused request competes with `/healthz` and the cache hits for
 * it, so a refusal must cost no more than the cache lookup before it; the cache-hit fast path
 * (delivery/hit.ts) answers it right after its lookup. Misses that need no transform (a
 * stored variant, `f=json`) are refused too while it lasts; their clients retry after
 * `Retry-After`.
 * @returns HttpError 503 `busy` with `Retry-After`, or undefined.
 */
export function missRefusal(config: Config): HttpError | undefined {
  const now = Date.now();
  prune(now);
  if (!slotsBusy(config.admissionMaxTransforms, now)) return undefined;
  if (line.length + places.size < config.admissionMaxWaiting) return undefined;
  refused(now);
  return busyNow(config);
}

/** A place in line held by a miss: `release()` it before joining the line, and when done (idempotent). */
export interface MissPlace {
  release(): void;
}

const NO_PLACE: MissPlace = { release() {} };

/**
 * A miss's early check, before any storage call: refused as {@link missRefusal} says; else,
 * while the transform slots are taken, it takes a place in line now, for the D1 and R2 reads
 * that come before its estimate (at most `admissionMaxWaitMs`). Without the place, every miss
 * arriving during those reads (they wait for the isolate's one thread like everything else)
 * would pass the check, read D1 and R2, and be refused only then: a herd of storage reads at
 * each turn of the line, during a miss flood.
 * @returns the place (nothing held when a slot is free).
 * @throws HttpError 503 `busy` with `Retry-After` when the line is full.
 */
export function takeMissPlace(config: Config): MissPlace {
  const refusal = missRefusal(config);
  if (refusal) throw refusal;
  if (!slotsBusy(config.admissionMaxTransforms, Date.now())) return NO_PLACE;
  const place = { until: Date.now() + config.admissionMaxWaitMs };
  places.add(place);
  stats.reserved = places.size;
  return {
    release() {
      places.delete(place);
      stats.reserved = places.size;
    },
  };
}

/** A copy of this isolate's counters (for tests and diagnostics). */
export function admissionStats(): AdmissionStats {
  const now = Date.now();
  return { ...stats, flood: now < floodUntil, restMs: Math.max(0, nextStartAt - now) };
}

/** Resets the peaks and the refusal count to the current state, and ends any flood. */
export function resetAdmissionPeaks(): void {
  stats.peakMb = stats.heldMb;
  stats.peakRunning = stats.running;
  stats.refused = 0;
  floodUntil = 0;
  nextStartAt = 0;
}
