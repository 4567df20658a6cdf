/**
 * Bulk jobs: `POST /v1/jobs` request validation (images × variants, `callback_url`) and the
 * `Idempotency-Key`. Route handlers (routes/jobs.ts) stay thin; the job's lifecycle is in
 * ./lifecycle.ts, its progress in ./progress.ts, the fan-out over the queue in work/fan-out.ts.
 */
import { MAX_IDEMPOTENCY_KEY, MAX_JOB_IDS, MAX_JOB_VARIANTS } from '../config';
import type { Config } from '../config';
import { badRequest, HttpError } from '../errors';
import { sha256Hex } from '../hash';
import { ID_PATTERN } from '../ids';
import { checkCallbackUrl } from '../security/webhook';
import { IMPORT_SPEC, parseImportSelection, type ImportSelection } from './imports';
import { resolvePreset } from '../transform/presets';
import { canonicalTransform, isPresetName, parseTransform } from '../transform/spec';
import { resolveHints } from '../transform/hints';

/** A validated job request. */
export interface JobRequest {
  selection: { ids: string[] } | { all: true; after: number | null } | ImportSelection;
  /** As requested, in order. */
  variants: string[];
  /** Canonical transforms, deduplicated, in order. */
  specs: string[];
  callbackUrl: string | null;
}

/** One rejected variant in a 400 problem body. */
interface VariantError {
  index: number;
  variant: unknown;
  detail: string;
}

const KEYS = new Set(['images', 'variants', 'callback_url']);
/** The members of an import job request (./imports.ts). */
const IMPORT_KEYS = new Set(['source', 'prefix', 'paths', 'callback_url']);

/** Parses `created_after`: an ISO 8601 date-time or unix ms. @throws HttpError 400. */
function parseInstant(v: unknown): number {
  const ms = typeof v === 'number' ? v : typeof v === 'string' ? Date.parse(v) : NaN;
  if (!Number.isSafeInteger(ms) || ms < 0)
    throw badRequest('images.created_after must be an ISO 8601 date-time or unix milliseconds.', {
      option: 'images.created_after',
    });
  return ms;
}

/**
 * Validates a job request body of `owner`. Every variant is checked (preset names against
 * built-in presets and the owner's stored ones, options with the URL parser), and all bad ones are reported together.
 * @throws HttpError 400 (`errors` lists each bad variant with its index and reason).
 */
export async function parseJobRequest(
  db: D1Database,
  config: Config,
  secret: string | undefined,
  body: unknown,
  owner: string,
  sourcesJson?: string,
): Promise<JobRequest> {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw badRequest(
      'The body must be a JSON object: { "images": [ids] | { "all": true }, "variants": [...] }.',
    );
  const b = body as Record<string, unknown>;
  const imports = b.source !== undefined;
  const unknown = Object.keys(b).filter((k) => !(imports ? IMPORT_KEYS : KEYS).has(k));
  if (unknown.length)
    throw badRequest(`Unknown member ${JSON.stringify(unknown[0])}.`, { option: unknown[0] });
  if (imports)
    return {
      selection: parseImportSelection(sourcesJson, b, owner),
      variants: [],
      specs: [IMPORT_SPEC],
      callbackUrl: parseCallbackUrl(b.callback_url, config, secret),
    };

  let selection: JobRequest['selection'];
  if (Array.isArray(b.images)) {
    if (b.images.length === 0 || b.images.length > MAX_JOB_IDS)
      throw badRequest(`images must list 1 to ${MAX_JOB_IDS} ids, or be { "all": true }.`, {
        option: 'images',
      });
    const bad = b.images.filter((id) => typeof id !== 'string' || !ID_PATTERN.test(id));
    if (bad.length)
      throw badRequest(`images holds ${bad.length} malformed id(s).`, {
        option: 'images',
        ids: bad.slice(0, 10),
      });
    selection = { ids: [...new Set(b.images as string[])] };
  } else if (typeof b.images === 'object' && b.images !== null) {
    const sel = b.images as Record<string, unknown>;
    const extra = Object.keys(sel).filter((k) => k !== 'all' && k !== 'created_after');
    if (sel.all !== true || extra.length)
      throw badRequest('images must be a list of ids or { "all": true, "created_after"?: date }.', {
        option: 'images',
      });
    selection = {
      all: true,
      after: sel.created_after === undefined ? null : parseInstant(sel.created_after),
    };
  } else {
    throw badRequest('images is required: a list of ids or { "all": true }.', { option: 'images' });
  }

  if (!Array.isArray(b.variants) || b.variants.length === 0 || b.variants.length > MAX_JOB_VARIANTS)
    throw badRequest(
      `variants must list 1 to ${MAX_JOB_VARIANTS} preset names or transform strings.`,
      { option: 'variants' },
    );
  const errors: VariantError[] = [];
  const specs: string[] = [];
  for (const [index, variant] of b.variants.entries()) {
    try {
      if (typeof variant !== 'string') throw badRequest('must be a string');
      const spec = isPresetName(variant)
        ? (await resolvePreset(db, variant, owner)).spec
        : parseTransform(variant);
      if (spec.format === 'json')
        throw badRequest('format=json describes an image; it is not a variant');
      // No client hints in a job: `width=auto` is the widest auto width; `onerror` is moot.
      specs.push(canonicalTransform({ ...resolveHints(spec, undefined).spec, onerror: undefined }));
    } catch (err) {
      if (!(err instanceof HttpError)) throw err;
      errors.push({ index, variant, detail: err.detail ?? err.title });
    }
  }
  if (errors.length)
    throw badRequest(`${errors.length} of ${b.variants.length} variants are not valid.`, {
      option: 'variants',
      errors,
    });

  return {
    selection,
    variants: b.variants as string[],
    specs: [...new Set(specs)],
    callbackUrl: parseCallbackUrl(b.callback_url, config, secret),
  };
}

/** Validates a request's `callback_url` (absent or null: none). @throws HttpError 400. */
function parseCallbackUrl(raw: unknown, config: Config, secret: string | undefined): string | null {
  if (raw === undefined || raw === null) return null;
  if (typeof raw !== 'string')
    throw badRequest('callback_url must be a string.', { option: 'callback_url' });
  const url = checkCallbackUrl(raw, config).toString();
  if (!secret)
    throw badRequest('Webhooks are not enabled here (no WEBHOOK_SECRET is set).', {
      option: 'callback_url',
    });
  return url;
}

/** Hash of the normalised request: equal requests hash equal, whatever their JSON spacing. */
export async function requestHash(req: JobRequest): Promise<string> {
  const normal = JSON.stringify([req.selection, req.variants, req.callbackUrl]);
  return sha256Hex(new TextEncoder().encode(normal));
}

/**
 * Validates an `Idempotency-Key` header value.
 * @throws HttpError 400 naming `Idempotency-Key` when empty, too long or not printable ASCII.
 */
export function checkIdempotencyKey(raw: string | undefined): string | null {
  if (raw === undefined) return null;
  if (raw.length === 0 || raw.length > MAX_IDEMPOTENCY_KEY || !/^[\x21-\x7e]+$/.test(raw))
    throw badRequest(
      `Idempotency-Key must be 1-${MAX_IDEMPOTENCY_KEY} printable ASCII characters without spaces.`,
      { option: 'Idempotency-Key' },
    );
  return raw;
}
