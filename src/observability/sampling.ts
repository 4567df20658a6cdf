/**
 * Which requests get a log line (docs/performance.md, "Cache hits at the runtime's limit"):
 * every miss, every error and every other request does; successful edge-cache hits (200 or 304
 * with `X-Cache: HIT`), the bulk of the traffic and the cheapest answers, are head-sampled by
 * a per-isolate counter: one line per `every` hits, carrying `sampled: every` so that counts
 * can be scaled back. The metrics data point (Analytics Engine) is still written for every
 * request, so hit counts stay exact there.
 */

/** Successful hits seen by this isolate since its last hit line. */
let hitsSinceLine = 0;

/**
 * Decides whether this response gets a request log line.
 * @param status the response status
 * @param cache the response's `X-Cache` (`HIT`, `MISS`, or `-` when absent)
 * @param every log one successful hit in this many (1 logs them all)
 * @returns `null` for no line; otherwise how many requests the line stands for (1, or `every`
 *   for a sampled hit).
 */
export function requestLineWeight(status: number, cache: string, every: number): number | null {
  if (cache !== 'HIT' || status >= 400 || every <= 1) return 1;
  hitsSinceLine++;
  if (hitsSinceLine < every) return null;
  hitsSinceLine = 0;
  return every;
}
