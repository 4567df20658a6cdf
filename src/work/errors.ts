/**
 * Failure classes of queue work, from the one taxonomy (errors.ts): a permanent failure (the
 * original is undecodable, the variant too large for anyone, the image gone, the message
 * invalid) is recorded and the message acknowledged at once: retrying cannot help. Anything
 * else (`unavailable`, a plain Error from R2 or the network, a 5xx) is transient and retried
 * with backoff until the dead-letter queue takes it.
 */
import { DomainError, HttpError, type ErrorKind } from '../errors';

const PERMANENT: ReadonlySet<ErrorKind> = new Set(['undecodable', 'too-large', 'gone', 'invalid']);

/** True for errors that retrying cannot fix: a permanent {@link ErrorKind}, or a 4xx. */
export function isPermanent(err: unknown): boolean {
  if (err instanceof DomainError) return PERMANENT.has(err.kind);
  return err instanceof HttpError && err.status >= 400 && err.status < 500;
}

/** A one-line description of an error for item rows and logs. */
export function errorText(err: unknown): string {
  if (err instanceof Error) return err.message || err.name;
  return String(err);
}
