/**
 * Reading the service's answers: problem documents (RFC 9457), Server-Timing, where a
 * variant came from, upload outcomes, job progress. Pure: unit-tested in console/test.
 */

/** An RFC 9457 problem document as the service sends it. */
export interface Problem {
  type?: string;
  title: string;
  status: number;
  detail?: string;
  [extension: string]: unknown;
}

/** An API failure carrying its problem document. */
export class ApiError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail ? `${problem.title}: ${problem.detail}` : problem.title);
    this.name = 'ApiError';
  }
}

/**
 * The problem in a failed response's body text; a non-JSON body (a proxy's error page, a
 * network failure) becomes a problem with the HTTP status and reason.
 */
export function parseProblem(status: number, statusText: string, body: string): Problem {
  try {
    const p = JSON.parse(body) as Partial<Problem>;
    if (p && typeof p === 'object' && typeof p.title === 'string')
      return { ...p, title: p.title, status: typeof p.status === 'number' ? p.status : status };
  } catch {
    // not JSON
  }
  return {
    title: statusText || (status === 0 ? 'Network error' : `HTTP ${status}`),
    status,
    ...(body && body.length < 300 && !body.trimStart().startsWith('<') ? { detail: body } : {}),
  };
}

/** One `Server-Timing` metric: name, duration in ms, description. */
export interface TimingMetric {
  name: string;
  dur?: number;
  desc?: string;
}

/** Parses a `Server-Timing` header (W3C Server Timing), e.g. `decode;dur=12.5, encode;dur=30`. */
export function parseServerTiming(header: string | null): TimingMetric[] {
  if (!header) return [];
  const out: TimingMetric[] = [];
  for (const entry of header.split(',')) {
    const [name, ...params] = entry.split(';').map((s) => s.trim());
    if (!name) continue;
    const metric: TimingMetric = { name };
    for (const p of params) {
      const eq = p.indexOf('=');
      if (eq < 0) continue;
      const key = p.slice(0, eq).trim().toLowerCase();
      const value = p
        .slice(eq + 1)
        .trim()
        .replace(/^"(.*)"$/, '$1');
      if (key === 'dur' && Number.isFinite(Number(value))) metric.dur = Number(value);
      else if (key === 'desc') metric.desc = value;
    }
    out.push(metric);
  }
  return out;
}

/** Where a variant came from, from `X-Cache` and `X-Variant-Source`. */
export type VariantSource = 'edge cache' | 'R2' | 'made now' | 'stand-in' | 'unknown';

/** Reads where a variant response came from. */
export function variantSource(xCache: string | null, xSource: string | null): VariantSource {
  if (xCache?.toUpperCase() === 'HIT') return 'edge cache';
  if (xSource === 'r2') return 'R2';
  if (xSource === 'computed') return 'made now';
  if (xSource === 'stand-in') return 'stand-in';
  return 'unknown';
}

/** Bytes as a short human size: `999 B`, `12.3 KB`, `4.56 MB` (powers of 1000). */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n) || n < 0) return '–';
  if (n < 1000) return `${n} B`;
  const units = ['KB', 'MB', 'GB'];
  let v = n;
  let i = -1;
  do {
    v /= 1000;
    i++;
  } while (v >= 1000 && i < units.length - 1);
  return `${v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}

/** Seconds as `45 s`, `3 min 20 s`, `1 h 5 min`; null → `–`. */
export function formatDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '–';
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

/** What happened to one uploaded file, for its row in the upload list. */
export type UploadOutcome =
  | { kind: 'created'; id: string; message: string }
  | { kind: 'duplicate'; id: string; message: string }
  | { kind: 'refused'; message: string };

/**
 * Reads the answer to a direct upload (`POST /v1/uploads/{token}`): 201 a new image, 200 the
 * owner already had these bytes, anything else a refusal with the problem's title and detail.
 */
export function uploadOutcome(status: number, statusText: string, body: string): UploadOutcome {
  if (status === 201 || status === 200) {
    const img = JSON.parse(body) as { id: string; format: string; width: number; height: number };
    const facts = `${img.width}×${img.height} ${img.format}`;
    return status === 201
      ? { kind: 'created', id: img.id, message: `Uploaded: ${facts}` }
      : { kind: 'duplicate', id: img.id, message: `Already uploaded (same bytes): ${facts}` };
  }
  const p = parseProblem(status, statusText, body);
  return { kind: 'refused', message: p.detail ? `${p.title}: ${p.detail}` : p.title };
}

/** Job statuses after which nothing changes. */
export const TERMINAL_JOB_STATUSES = ['succeeded', 'failed', 'cancelled'];

/** True when a job of this status will not change any more. */
export const jobEnded = (status: string) => TERMINAL_JOB_STATUSES.includes(status);

/** Merges a next page into a list, keeping order and dropping ids already present. */
export function appendPage<T extends { id: string }>(list: readonly T[], page: readonly T[]): T[] {
  const seen = new Set(list.map((x) => x.id));
  return [...list, ...page.filter((x) => !seen.has(x.id))];
}

/**
 * Splits the variants field of the job form (one preset name or option string per line or
 * comma-free line) into a clean list, without blanks or repeats.
 */
export function parseVariantLines(text: string): string[] {
  return [
    ...new Set(
      text
        .split('\n')
        .map((s) => s.trim())
        .filter(Boolean),
    ),
  ];
}
