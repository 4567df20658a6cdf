/**
 * Metrics: one Workers Analytics Engine data point per request and per job item, behind a
 * small interface so tests (and local runs, where the binding stores nothing) can observe
 * them. Dataset schema (queried with SQL in docs/architecture.md §Monitoring):
 *
 * request: blobs [kind='request', route, status class, cache status, format],
 *          doubles [status, bytes, decode ms, resize ms, encode ms, total ms], index [route]
 * job item: blobs [kind='job_item', outcome, format], doubles [attempts, ms], index [job id]
 */
import { redact } from './redact';

/** One request's measurements. Times in ms, sizes in bytes. */
export interface RequestPoint {
  route: string;
  status: number;
  cache: string;
  format: string;
  bytes: number;
  decodeMs: number;
  resizeMs: number;
  encodeMs: number;
  totalMs: number;
}

/** One queue job item's outcome. */
export interface JobItemPoint {
  jobId: string;
  outcome: 'succeeded' | 'failed' | 'retried';
  format: string;
  attempts: number;
  ms: number;
}

/** Where metrics go. */
export interface Metrics {
  request(p: RequestPoint): void;
  jobItem(p: JobItemPoint): void;
}

/** The minimal shape of an Analytics Engine dataset binding. */
export interface DataPointWriter {
  writeDataPoint(point: { blobs?: string[]; doubles?: number[]; indexes?: string[] }): void;
}

/** Writes a point with every blob and index redacted (./redact.ts). */
const write = (
  dataset: DataPointWriter | undefined,
  point: { blobs: string[]; doubles: number[]; indexes: string[] },
) =>
  dataset?.writeDataPoint({
    blobs: point.blobs.map(redact),
    doubles: point.doubles,
    indexes: point.indexes.map(redact),
  });

/**
 * Metrics written to an Analytics Engine dataset; a no-op when the binding is absent. Blobs and
 * indexes are redacted (no token, key or signature is ever a metric label).
 */
export function analyticsMetrics(dataset: DataPointWriter | undefined): Metrics {
  return {
    request(p) {
      write(dataset, {
        blobs: ['request', p.route, `${Math.floor(p.status / 100)}xx`, p.cache, p.format],
        doubles: [p.status, p.bytes, p.decodeMs, p.resizeMs, p.encodeMs, p.totalMs],
        indexes: [p.route],
      });
    },
    jobItem(p) {
      write(dataset, {
        blobs: ['job_item', p.outcome, p.format],
        doubles: [p.attempts, p.ms],
        indexes: [p.jobId],
      });
    },
  };
}
