/**
 * Queue messages: small, typed, versioned JSON (`{ type, v, … }`) that name work, never carry
 * image bytes. Every consumer effect keyed by a message is idempotent, so a message delivered
 * twice does its work once.
 *
 * - `variant`: make one variant (one format) or, without `format`, every format its spec can
 *   resolve to; with `jobId`, it is the job item (jobId, imageId, spec).
 * - `card`: compute an image's card (ThumbHash and average colour).
 * - `fanout`: create one page of a job's items and enqueue them, then the next page.
 * - `purge`: delete the variants of an original nobody refers to any more.
 * - `webhook`: POST a finished job's summary to its callback URL.
 * - `import`: ingest one object of an import job's source (jobs/imports.ts).
 *
 * Every message may carry `bookmark`: the D1 session bookmark of the write that enqueued it, so
 * its consumer never reads older than its trigger (src/storage/d1-session.ts).
 */
import type { EncodeFormat } from '../codecs/types';
import { parseBookmark } from '../storage/d1-session';

/** What every message may carry besides its work. */
export interface MessageEnvelope {
  /** D1 session bookmark of the write that enqueued the message (read at least that fresh). */
  bookmark?: string;
}

/** Make a variant. `spec` is a canonical transform string. */
export interface VariantMessage extends MessageEnvelope {
  type: 'variant';
  v: 1;
  imageId: string;
  spec: string;
  /** One format only (an offloaded request); absent = every format `spec` resolves to. */
  format?: EncodeFormat;
  /** The bulk job this item belongs to. */
  jobId?: string;
}

/** Compute the image card. */
export interface CardMessage extends MessageEnvelope {
  type: 'card';
  v: 1;
  imageId: string;
}

/** Create and enqueue one page of a job's items; `cursor` null = the first page. */
export interface FanoutMessage extends MessageEnvelope {
  type: 'fanout';
  v: 1;
  jobId: string;
  cursor: string | null;
}

/** Delete the variants of an original (when no image row refers to it any more). */
export interface PurgeMessage extends MessageEnvelope {
  type: 'purge';
  v: 1;
  sha256: string;
}

/** Deliver a finished job's webhook. */
export interface WebhookMessage extends MessageEnvelope {
  type: 'webhook';
  v: 1;
  jobId: string;
}

/** Ingest one object (`path`, an object key) of an import job's source: the job item. */
export interface ImportMessage extends MessageEnvelope {
  type: 'import';
  v: 1;
  jobId: string;
  path: string;
}

/**
 * Every work message the queue (`JOBS` binding) carries: variant, card, purge, webhook,
 * fan-out, import.
 */
export type WorkMessage =
  VariantMessage | CardMessage | FanoutMessage | PurgeMessage | WebhookMessage | ImportMessage;

const FORMATS: ReadonlySet<string> = new Set(['jpeg', 'png', 'webp', 'avif']);
const ID = /^[A-Za-z0-9_-]{1,64}$/;
const SHA = /^[0-9a-f]{64}$/;

const isString = (v: unknown, max = 1024): v is string => typeof v === 'string' && v.length <= max;

/**
 * Validates a message body from the queue.
 * @returns the typed message, or null for anything malformed or of an unknown type or version
 *   (the consumer acknowledges and logs those: retrying cannot fix them). A malformed bookmark
 *   is dropped (the consumer then reads at the primary).
 */
export function parseMessage(body: unknown): WorkMessage | null {
  const work = parseWork(body);
  if (!work) return null;
  const bookmark = parseBookmark((body as Record<string, unknown>).bookmark);
  return bookmark ? { ...work, bookmark } : work;
}

/** The work a message names, without its envelope. */
function parseWork(body: unknown): WorkMessage | null {
  if (typeof body !== 'object' || body === null) return null;
  const m = body as Record<string, unknown>;
  if (m.v !== 1) return null;
  switch (m.type) {
    case 'variant':
      if (!isString(m.imageId) || !ID.test(m.imageId) || !isString(m.spec, 512)) return null;
      if (m.format !== undefined && !(typeof m.format === 'string' && FORMATS.has(m.format)))
        return null;
      if (m.jobId !== undefined && !(isString(m.jobId) && ID.test(m.jobId))) return null;
      return {
        type: 'variant',
        v: 1,
        imageId: m.imageId,
        spec: m.spec,
        ...(m.format !== undefined && { format: m.format as EncodeFormat }),
        ...(m.jobId !== undefined && { jobId: m.jobId as string }),
      };
    case 'card':
      return isString(m.imageId) && ID.test(m.imageId)
        ? { type: 'card', v: 1, imageId: m.imageId }
        : null;
    case 'fanout':
      if (!isString(m.jobId) || !ID.test(m.jobId)) return null;
      if (m.cursor !== null && !isString(m.cursor)) return null;
      return { type: 'fanout', v: 1, jobId: m.jobId, cursor: m.cursor };
    case 'purge':
      return isString(m.sha256) && SHA.test(m.sha256)
        ? { type: 'purge', v: 1, sha256: m.sha256 }
        : null;
    case 'webhook':
      return isString(m.jobId) && ID.test(m.jobId)
        ? { type: 'webhook', v: 1, jobId: m.jobId }
        : null;
    case 'import':
      return isString(m.jobId) && ID.test(m.jobId) && isString(m.path) && m.path !== ''
        ? { type: 'import', v: 1, jobId: m.jobId, path: m.path }
        : null;
    default:
      return null;
  }
}

/** A short label for logs: type and the identity it names. */
export function describeMessage(m: WorkMessage): string {
  switch (m.type) {
    case 'variant':
      return `variant ${m.imageId}/${m.spec}${m.format ? ` (${m.format})` : ''}${m.jobId ? ` job ${m.jobId}` : ''}`;
    case 'card':
      return `card ${m.imageId}`;
    case 'fanout':
      return `fanout job ${m.jobId} at ${m.cursor ?? 'start'}`;
    case 'purge':
      return `purge ${m.sha256.slice(0, 16)}`;
    case 'webhook':
      return `webhook job ${m.jobId}`;
    case 'import':
      return `import ${m.path} job ${m.jobId}`;
  }
}
