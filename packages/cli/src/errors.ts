/**
 * Exit codes scripts can rely on (documented in docs/client.md), and the error that carries
 * one.
 */
import { ImageEdgeError } from '@image-edge/client';

/** Process exit codes. */
export const EXIT = {
  /** Everything asked for was done. */
  ok: 0,
  /** Done, but some items failed: files not uploaded, a watched job ended failed or cancelled. */
  partial: 1,
  /** Bad command line (unknown command or option, missing argument). */
  usage: 2,
  /** Missing or invalid configuration (URL, API key, signing keys, config file). */
  config: 3,
  /** The service refused or failed a request (an HTTP 4xx/5xx problem). */
  refused: 4,
  /** The service could not be reached. */
  unreachable: 5,
  /** Interrupted (SIGINT); an upload run keeps its state and resumes next time. */
  interrupted: 130,
} as const;

/** A failure with a message for the user and an exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** The exit code and message for any error a command throws. */
export function describeError(err: unknown): { code: number; message: string } {
  if (err instanceof CliError) return { code: err.exitCode, message: err.message };
  if (err instanceof ImageEdgeError) {
    const p = err.problem;
    return {
      code: EXIT.refused,
      message: `${err.status} ${p.title ?? ''}: ${p.detail ?? ''}`.replace(/\s+:/, ':').trim(),
    };
  }
  if (err instanceof TypeError && /fetch failed|network/i.test(err.message)) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    return {
      code: EXIT.unreachable,
      message: `Cannot reach the service: ${cause?.code ?? cause?.message ?? err.message}`,
    };
  }
  if (err instanceof RangeError) return { code: EXIT.usage, message: err.message };
  return { code: EXIT.refused, message: err instanceof Error ? err.message : String(err) };
}
