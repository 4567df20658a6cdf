/**
 * Import jobs (docs/sources.md, "Import job"): `POST /v1/jobs` with a source and a prefix (an
 * R2 source's listing) or a list of paths ingests each object as an original through the
 * queue, with the bulk jobs' machinery: the same job and item rows (an item is a path, its
 * spec {@link IMPORT_SPEC}), fan-out pages, progress, retries with backoff, the dead-letter
 * queue, the reconciler and Idempotency-Key. Importing is resolving (images/from-source.ts): an
 * object already imported within its source's TTL is not fetched again, and equal bytes are
 * one original.
 */
import { IMPORT_PAGE, MAX_IMPORT_PATHS } from '../config';
import { badRequest, DomainError, notFound } from '../errors';
import type { WorkMessage } from '../work/messages';
import { loadSources, type Source } from '../sources/config';
import { checkPrefix, keyFromSegments } from '../sources/key';
import type { JobRecord } from '../storage/jobs-db';

/** The spec of every import item (an item is a path, not a variant). */
export const IMPORT_SPEC = 'import';

/** Which objects an import job covers. */
export type ImportSelection =
  { source: string; paths: string[] } | { source: string; prefix: string };

/** True for the selection of an import job. */
export const isImport = (sel: object): sel is ImportSelection => 'source' in sel;

/**
 * Validates the import members of a job request of `owner`: `source` (configured and owned by
 * `owner`), and `prefix` (R2 sources) or `paths` (each checked like a URL path and against the
 * source's prefix).
 * @throws HttpError 400 (malformed, both or neither of prefix and paths, a prefix for an http
 *   source), 403 (outside the source's prefix), 404 (no such source for this owner).
 */
export function parseImportSelection(
  sourcesJson: string | undefined,
  b: Record<string, unknown>,
  owner: string,
): ImportSelection {
  const name = b.source;
  const source = typeof name === 'string' ? loadSources(sourcesJson).get(name) : undefined;
  if (!source || source.owner !== owner)
    throw notFound(`No source ${String(name)} is configured for this key.`);
  if ((b.prefix === undefined) === (b.paths === undefined))
    throw badRequest('An import names either a prefix (R2 sources) or a list of paths.', {
      option: 'paths',
    });
  if (b.prefix !== undefined) {
    if (typeof b.prefix !== 'string' || b.prefix.length > 1024)
      throw badRequest('prefix must be a string.', { option: 'prefix' });
    if (source.type !== 'r2')
      throw badRequest(
        `The source ${source.name} is an http origin, which cannot be listed: send paths.`,
        {
          option: 'prefix',
        },
      );
    if (!b.prefix.startsWith(source.prefix)) checkPrefix(source, b.prefix);
    return { source: source.name, prefix: b.prefix };
  }
  if (!Array.isArray(b.paths) || b.paths.length === 0 || b.paths.length > MAX_IMPORT_PATHS)
    throw badRequest(`paths must list 1 to ${MAX_IMPORT_PATHS} paths.`, { option: 'paths' });
  const paths = b.paths.map((p) => {
    if (typeof p !== 'string') throw badRequest('paths must hold strings.', { option: 'paths' });
    const key = keyFromSegments(p.split('/').map(encodeURIComponent));
    checkPrefix(source, key);
    return key;
  });
  return { source: source.name, paths: [...new Set(paths)] };
}

/** The source of an import job. @throws DomainError `gone` when it is no longer configured. */
export function sourceOf(env: Env, job: JobRecord): Source {
  const name = (job.selection as ImportSelection).source;
  const source = loadSources(env.SOURCES).get(name);
  if (!source) throw new DomainError('gone', `the source ${name} is no longer configured`);
  return source;
}

/**
 * One fan-out page of an import job after `cursor`: the next paths (cursor `i:<index>`) or
 * listed keys of an R2 source (cursor `k:<last key>`, R2 lists keys in order), and the cursor
 * of the page after it (null: this is the last).
 * @throws DomainError `gone` or `invalid` when the source is gone or cannot be listed; R2 errors (transient).
 */
export async function importPage(
  env: Env,
  job: JobRecord,
  cursor: string | null,
): Promise<{ ids: string[]; next: string | null }> {
  const sel = job.selection as ImportSelection;
  if ('paths' in sel) {
    const start = cursor === null ? 0 : Number(cursor.slice(2));
    const ids = sel.paths.slice(start, start + IMPORT_PAGE);
    return {
      ids,
      next: start + IMPORT_PAGE < sel.paths.length ? `i:${start + IMPORT_PAGE}` : null,
    };
  }
  const source = sourceOf(env, job);
  if (source.type !== 'r2') throw new DomainError('invalid', 'only R2 sources can be listed');
  const bucket = (env as unknown as Record<string, R2Bucket>)[source.binding]!;
  const page = await bucket.list({
    prefix: sel.prefix,
    limit: IMPORT_PAGE,
    ...(cursor === null ? {} : { startAfter: cursor.slice(2) }),
  });
  const ids = page.objects.map((o) => o.key);
  return { ids, next: page.truncated && ids.length ? `k:${ids.at(-1)}` : null };
}

/** The `import` message of one item. */
export const importMessage = (jobId: string, path: string): WorkMessage => ({
  type: 'import',
  v: 1,
  jobId,
  path,
});
