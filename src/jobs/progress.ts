/** A bulk job's progress (counts, rate, ETA) and its API representation. */
import { isImport } from './imports';
import { countItems, TERMINAL, type JobCounts, type JobRecord } from '../storage/jobs-db';

/** Progress figures of a job, from its item rows. */
export interface JobProgress {
  total: number;
  queued: number;
  running: number;
  succeeded: number;
  failed: number;
  cancelled: number;
  /** Items ended (succeeded, failed or cancelled). */
  done: number;
  /** done / total × 100, one decimal. */
  percent: number;
  /** Items ended per second since the job started. */
  rate_per_second: number | null;
  /** Seconds until every item has ended at the current rate; null when unknown or ended. */
  eta_seconds: number | null;
  /** False while the fan-out is still creating items (`total` is then an estimate). */
  fanout_complete: boolean;
}

/** Computes a job's progress from its counts (pure; `now` in unix ms). */
export function progressOf(job: JobRecord, counts: JobCounts, now: number): JobProgress {
  const total = job.fanoutDone ? counts.items : Math.max(job.estimatedTotal, counts.items);
  const done = counts.succeeded + counts.failed + counts.cancelled;
  const end = job.finishedAt ?? now;
  const seconds = job.startedAt !== null ? Math.max(0.001, (end - job.startedAt) / 1000) : null;
  const rate = seconds !== null && done > 0 ? done / seconds : null;
  const ended = TERMINAL.includes(job.status);
  return {
    total,
    queued: counts.queued,
    running: counts.running,
    succeeded: counts.succeeded,
    failed: counts.failed,
    cancelled: counts.cancelled,
    done,
    percent: total === 0 ? (ended ? 100 : 0) : Math.round((done / total) * 1000) / 10,
    rate_per_second: rate === null ? null : Math.round(rate * 100) / 100,
    eta_seconds: ended || rate === null ? null : Math.ceil(Math.max(0, total - done) / rate),
    fanout_complete: job.fanoutDone,
  };
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** The API representation of a job; URLs are absolute, built from `origin`. */
export async function jobView(db: D1Database, job: JobRecord, origin: string) {
  const counts = await countItems(db, job.id);
  const sel = job.selection;
  return {
    id: job.id,
    status: job.status,
    images: isImport(sel)
      ? null
      : 'ids' in sel
        ? { ids: sel.ids.length }
        : { all: true, created_after: iso(sel.after), created_before: iso(sel.before) },
    import: isImport(sel)
      ? 'paths' in sel
        ? { source: sel.source, paths: sel.paths.length }
        : { source: sel.source, prefix: sel.prefix }
      : null,
    variants: job.variants,
    specs: job.specs,
    progress: progressOf(job, counts, Date.now()),
    error: job.error,
    callback_url: job.callbackUrl,
    webhook: job.callbackUrl
      ? { status: job.webhookStatus, attempts: job.webhookAttempts, error: job.webhookError }
      : null,
    created_at: iso(job.createdAt),
    started_at: iso(job.startedAt),
    finished_at: iso(job.finishedAt),
    urls: {
      self: `${origin}/v1/jobs/${job.id}`,
      items: `${origin}/v1/jobs/${job.id}/items`,
      cancel: `${origin}/v1/jobs/${job.id}/cancel`,
    },
  };
}
