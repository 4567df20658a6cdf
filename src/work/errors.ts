/**
 * Failure classes of queue work. A permanent failure (the image is gone or undecodable, the
 * variant is too large for anyone, the message names something invalid) is recorded and the
 * message acknowledged at once: retrying cannot help. Anything else is transient and retried
 * with backoff until the dead-letter queue takes it.
 */
import { DecodeError } from '../codecs/types';
import { HttpError } from '../errors';

/** Work that can never succeed; the message is acknowledged, its item failed. */
export class PermanentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PermanentError';
  }
}

/** True for errors that retrying cannot fix (a decode failure or a 4xx included). */
export function isPermanent(err: unknown): boolean {
  return (
    err instanceof PermanentError ||
    err instanceof DecodeError ||
    (err instanceof HttpError && err.status >= 400 && err.status < 500)
  );
}

/** A one-line description of an error for item rows and logs. */
export function errorText(err: unknown): string {
  if (err instanceof Error) return err.message || err.name;
  return String(err);
}
