/**
 * Rate limits through Workers' rate-limiting binding (`[[ratelimits]]` in wrangler.toml):
 *
 * - `WRITE_LIMITER`, keyed `key:<key id>`: every write (any method but GET, HEAD and OPTIONS)
 *   made with an API key, and every post to a one-time upload URL (charged to the key that
 *   issued it). 120 per 60 s per key.
 * - `DELIVERY_LIMITER`, keyed `ip:<CF-Connecting-IP>`: delivery work that the edge cache did
 *   not answer (variant misses after the cache lookup, and originals, which are read from R2).
 *   300 per 60 s per client IP. Requests without `CF-Connecting-IP` (never the case behind
 *   Cloudflare; local tests and tools) are not counted.
 *
 * Over the limit: 429 problem with `Retry-After` (seconds to the end of the current window:
 * the binding's windows are fixed to the wall clock). The binding's counts are per location
 * and approximate (Cloudflare documents them as a tool against abuse, not for accounting).
 * A limiter that fails (throws) lets the request through: availability over strictness.
 */
import { RATE_LIMIT_PERIOD_S } from '../config';
import { HttpError } from '../errors';
import { logEvent } from '../observability/log';

/** The part of the rate-limiting binding we use (a stub in tests may force a deny). */
export interface Limiter {
  limit(options: { key: string }): Promise<{ success: boolean }>;
}

/** Limiter key of an API key's writes. */
export const writeLimitKey = (keyId: string) => `key:${keyId}`;
/** Limiter key of a client IP's uncached deliveries. */
export const deliveryLimitKey = (ip: string) => `ip:${ip}`;

/** Seconds until the current fixed window of `periodS` ends (1..periodS), from unix ms. */
export function retryAfterSeconds(nowMs: number, periodS = RATE_LIMIT_PERIOD_S): number {
  const now = Math.floor(nowMs / 1000);
  return periodS - (now % periodS);
}

/** 429 problem with `Retry-After` (seconds) and `retry_after` in the body. */
export function tooManyRequests(retryAfter: number, detail: string): HttpError {
  return new HttpError(
    429,
    'rate-limited',
    'Too many requests',
    detail,
    { retry_after: retryAfter },
    { 'Retry-After': String(retryAfter) },
  );
}

/**
 * Counts one event for `key` on `limiter`. Absent limiter (binding not configured): no limit.
 * @throws HttpError 429 when the limiter refuses.
 */
export async function enforceLimit(
  limiter: Limiter | undefined,
  key: string,
  detail: string,
  nowMs = Date.now(),
): Promise<void> {
  if (!limiter) return;
  let success = true;
  try {
    ({ success } = await limiter.limit({ key }));
  } catch (err) {
    logEvent('error', `rate limiter failed: ${String(err)}`);
  }
  if (!success) throw tooManyRequests(retryAfterSeconds(nowMs), detail);
}

/** True for methods that change nothing (not counted as writes). */
export const isSafeMethod = (method: string) =>
  method === 'GET' || method === 'HEAD' || method === 'OPTIONS';

/**
 * Counts a write by API key `keyId`.
 * @throws HttpError 429 over the write limit.
 */
export function limitWrite(env: Partial<Pick<Env, 'WRITE_LIMITER'>>, keyId: string) {
  return enforceLimit(
    env.WRITE_LIMITER,
    writeLimitKey(keyId),
    'Too many writes with this API key; retry after the time in Retry-After.',
  );
}

/**
 * Counts an uncached delivery for client `ip` (`CF-Connecting-IP`); nothing when unknown.
 * @throws HttpError 429 over the delivery limit.
 */
export function limitDeliveryMiss(
  env: Partial<Pick<Env, 'DELIVERY_LIMITER'>>,
  ip: string | undefined,
) {
  if (!ip) return Promise.resolve();
  return enforceLimit(
    env.DELIVERY_LIMITER,
    deliveryLimitKey(ip),
    'Too many uncached image requests from this address; retry after the time in Retry-After.',
  );
}
