/**
 * Structured logs: one JSON line per request (cache hits sampled, ./sampling.ts) and per queue message (Workers Logs indexes
 * JSON fields when `[observability]` is enabled in wrangler.toml), and events (warnings and
 * errors). Every line goes through ./redact.ts before it is written: no token, API key or
 * signature reaches the logs (docs/security.md).
 */
import { redact } from './redact';

/** Fields of a request log line. Times in ms, sizes in bytes. */
export interface RequestLog {
  requestId: string;
  method: string;
  route: string;
  path: string;
  status: number;
  cache: string;
  format: string;
  bytes: number;
  imageId?: string;
  decodeMs: number;
  resizeMs: number;
  encodeMs: number;
  totalMs: number;
  /** Set on a sampled cache-hit line: the number of hits it stands for (./sampling.ts). */
  sampled?: number;
}

/** Fields of a queue message log line. */
export interface QueueLog {
  messageId: string;
  type: string;
  outcome: 'ack' | 'retry' | 'failed' | 'dead-letter';
  attempts: number;
  jobId?: string;
  imageId?: string;
  error?: string;
  totalMs: number;
}

/**
 * Fields of the cron's log line: the cron, its duration, and what the run reports (the
 * sweep's `checked`/`deleted`/`finished`, the reconciler's counts).
 */
export interface CronLog {
  cron: string;
  totalMs: number;
  [report: string]: string | number | boolean;
}

/**
 * Stage durations of one transform, ms (0 in production Workers, whose clocks stop during CPU
 * work). Kept as data for the request log line; `Server-Timing` is formatted from it.
 */
export interface StageTimings {
  decode: number;
  resize: number;
  encode: number;
}

/** `Server-Timing` (W3C Server Timing) for stage durations: `decode;dur=1.2, …`. */
export const serverTiming = (t: StageTimings) =>
  `decode;dur=${t.decode.toFixed(1)}, resize;dur=${t.resize.toFixed(1)}, encode;dur=${t.encode.toFixed(1)}`;

/** Writes one JSON log line (redacted). */
export function logLine(
  kind: 'request' | 'queue' | 'cron',
  fields: RequestLog | QueueLog | CronLog,
): void {
  console.log(redact(JSON.stringify({ kind, ...fields })));
}

/**
 * Writes one event line `{ level, message, ...fields }` (redacted) to `console.warn` or
 * `console.error`. `fields` must be JSON-serialisable; errors are best passed as `String(err)`.
 */
export function logEvent(
  level: 'warn' | 'error',
  message: string,
  fields: Record<string, unknown> = {},
): void {
  const line = redact(JSON.stringify({ level, message, ...fields }));
  if (level === 'warn') console.warn(line);
  else console.error(line);
}
