/**
 * Admission control for inline transforms: the requests one isolate serves at once share the
 * planner's inline memory budget (`inlineBudgetMb`), and at most `admissionMaxTransforms` run
 * at once. Each inline transform holds its estimated MB (src/transform/cost.ts) and a slot
 * while it runs; one that does not fit in what is left now is
 * refused at once (the caller answers `503` with `Retry-After`, or skips an optional inline
 * stand-in), never queued in the isolate, so a miss flood cannot pile up transforms or run
 * the 128 MB isolate out of memory. Cache hits, stored variants and `/healthz` never come here.
 *
 * The counters are per isolate (module state), which is exactly the scope of the memory they
 * guard. Estimates include each codec's fixed memory, which concurrent transforms share, so
 * the sum is on the safe side.
 */

import { DecodeError } from '../codecs/types';
import type { Config } from '../config';
import { busy, unprocessable } from '../errors';

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
}

const stats: AdmissionStats = { heldMb: 0, running: 0, peakMb: 0, peakRunning: 0, refused: 0 };

/** The limits of this config. */
export const admissionLimits = (config: Config): AdmissionLimits => ({
  capacityMb: config.inlineBudgetMb,
  maxRunning: config.admissionMaxTransforms,
});

/** A held share of the budget: call `release()` once the transform is done (idempotent). */
export interface Admission {
  release(): void;
}

/** What one isolate may run at once: MB of the inline budget, and transforms. */
export interface AdmissionLimits {
  capacityMb: number;
  maxRunning: number;
}

/**
 * Takes `estimateMb` (rounded up, at least 1) of the capacity and one running slot, if both
 * are free now.
 * @returns the admission, or null when it does not fit (nothing is held then).
 */
export function tryAdmit(estimateMb: number, limits: AdmissionLimits): Admission | null {
  const mb = Math.max(1, Math.ceil(estimateMb));
  if (stats.heldMb + mb > limits.capacityMb || stats.running >= limits.maxRunning) {
    stats.refused++;
    return null;
  }
  stats.heldMb += mb;
  stats.running++;
  stats.peakMb = Math.max(stats.peakMb, stats.heldMb);
  stats.peakRunning = Math.max(stats.peakRunning, stats.running);
  let held = true;
  return {
    release() {
      if (!held) return;
      held = false;
      stats.heldMb -= mb;
      stats.running--;
    },
  };
}

/**
 * Runs `work` holding `estimateMb` of the capacity and a running slot.
 * @returns `{ admitted: false }` without running it when it does not fit now.
 * @throws whatever `work` throws (the share is released either way).
 */
export async function withAdmission<T>(
  estimateMb: number,
  limits: AdmissionLimits,
  work: () => Promise<T>,
): Promise<{ admitted: true; value: T } | { admitted: false }> {
  const admission = tryAdmit(estimateMb, limits);
  if (!admission) return { admitted: false };
  try {
    return { admitted: true, value: await work() };
  } finally {
    admission.release();
  }
}

/**
 * Runs an inline transform (`work`) under admission control with `config`'s limits, holding
 * `estimateMb` while it runs.
 * @returns what `work` returns.
 * @throws HttpError 503 `busy` with `Retry-After` when it does not fit now; 422 when the
 *   original does not decode; whatever else `work` throws.
 */
export async function admitTransform<T>(
  estimateMb: number,
  config: Config,
  work: () => Promise<T>,
): Promise<T> {
  const run = await withAdmission(estimateMb, admissionLimits(config), async () => {
    try {
      return await work();
    } catch (err) {
      if (err instanceof DecodeError)
        throw unprocessable(`The original could not be decoded: ${err.message}`);
      throw err;
    }
  });
  if (!run.admitted)
    throw busy(
      'Too many transforms are running here right now; retry shortly.',
      config.admissionRetryAfterSeconds,
      { estimate: { memory_mb: Math.round(estimateMb) } },
    );
  return run.value;
}

/** A copy of this isolate's counters (for tests and diagnostics). */
export function admissionStats(): AdmissionStats {
  return { ...stats };
}

/** Resets the peaks and the refusal count to the current state. */
export function resetAdmissionPeaks(): void {
  stats.peakMb = stats.heldMb;
  stats.peakRunning = stats.running;
  stats.refused = 0;
}
