/**
 * Named sources (docs/sources.md): configured origins whose objects are transformed in place.
 * Read from the `SOURCES` binding (a JSON list; a secret when it carries credentials) and
 * validated once per isolate. Only configured sources are ever fetched: a request names a
 * source and a path, never a URL.
 *
 *     [{ "name": "web", "type": "http", "base_url": "https://images.example.com/media/",
 *        "prefix": "uploads/", "headers": { "Authorization": "Bearer …" }, "owner": "default",
 *        "ttl_seconds": 3600, "timeout_ms": 10000, "max_bytes": 26214400 },
 *      { "name": "bucket", "type": "r2", "binding": "SOURCE_BUCKET", "owner": "default" }]
 */
import { SOURCE_DEFAULT_TIMEOUT_MS, SOURCE_DEFAULT_TTL_SECONDS } from '../config';
import { isPrivateHost } from '../security/webhook';

/** Fields every source has. */
interface SourceBase {
  /** URL name: lowercase letters, digits and `-`, 1-32 characters. */
  name: string;
  /** Owner of the images made from its objects (the API key owner that sees them). */
  owner: string;
  /** Only keys starting with this are served ('' = every key). */
  prefix: string;
  /** Age after which an object is revalidated with the origin, seconds (default 3600). */
  ttlSeconds: number;
  /** Largest object accepted, bytes (default: `MAX_UPLOAD_BYTES`). */
  maxBytes: number | null;
}

/** An HTTP(S) origin: keys are paths below `baseUrl`. */
export interface HttpSource extends SourceBase {
  type: 'http';
  /** Absolute http(s) URL of a public host, ending in `/`. */
  baseUrl: URL;
  /** Headers sent with every request (credentials, a shared secret). */
  headers: Record<string, string>;
  /** Time limit of one fetch (headers and body), ms (default 10000). */
  timeoutMs: number;
}

/** An R2 bucket bound to the Worker: keys are object keys. */
export interface R2Source extends SourceBase {
  type: 'r2';
  /** Name of the R2 binding in the Worker's configuration. */
  binding: string;
}

/** A configured source. */
export type Source = HttpSource | R2Source;

/** What a source name looks like. */
export const SOURCE_NAME = /^[a-z0-9][a-z0-9-]{0,31}$/;

const KNOWN = new Set([
  'name',
  'type',
  'owner',
  'prefix',
  'ttl_seconds',
  'max_bytes',
  'base_url',
  'headers',
  'timeout_ms',
  'binding',
]);

const fail = (i: number, detail: string): never => {
  throw new Error(`config: SOURCES[${i}]: ${detail}`);
};

function positive(i: number, v: unknown, name: string, fallback: number | null) {
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v <= 0)
    fail(i, `${name} must be a positive integer`);
  return v as number;
}

/** Parses one entry. @throws Error naming the entry and the field. */
function parseSource(i: number, v: unknown): Source {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return fail(i, 'not an object');
  const e = v as Record<string, unknown>;
  const extra = Object.keys(e).find((k) => !KNOWN.has(k));
  if (extra) fail(i, `unknown field ${extra}`);
  if (typeof e.name !== 'string' || !SOURCE_NAME.test(e.name))
    fail(i, 'name must be 1-32 of a-z, 0-9 and -');
  if (typeof e.owner !== 'string' || !e.owner) fail(i, 'owner is required');
  const prefix = e.prefix ?? '';
  if (typeof prefix !== 'string' || prefix.startsWith('/')) fail(i, 'prefix must not start with /');
  const base = {
    name: e.name as string,
    owner: e.owner as string,
    prefix: prefix as string,
    ttlSeconds: positive(i, e.ttl_seconds, 'ttl_seconds', SOURCE_DEFAULT_TTL_SECONDS)!,
    maxBytes: positive(i, e.max_bytes, 'max_bytes', null),
  };
  if (e.type === 'r2') {
    if (typeof e.binding !== 'string' || !/^[A-Z][A-Z0-9_]*$/.test(e.binding))
      fail(i, 'binding must name an R2 binding');
    if (e.base_url !== undefined || e.headers !== undefined || e.timeout_ms !== undefined)
      fail(i, 'base_url, headers and timeout_ms are for http sources');
    return { ...base, type: 'r2', binding: e.binding as string };
  }
  if (e.type !== 'http') return fail(i, 'type must be "http" or "r2"');
  let url: URL | undefined;
  try {
    url = new URL(String(e.base_url));
  } catch {
    fail(i, 'base_url must be an absolute URL');
  }
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:'))
    return fail(i, 'base_url must be http or https');
  if (url.username || url.password) fail(i, 'base_url must not carry credentials (use headers)');
  if (url.search || url.hash || !url.pathname.endsWith('/'))
    fail(i, 'base_url must end in / and carry no query');
  // The webhook code's rule: never loopback, link-local, private or internal names.
  if (isPrivateHost(url.hostname)) fail(i, `base_url names a private address (${url.hostname})`);
  const headers = e.headers ?? {};
  if (
    typeof headers !== 'object' ||
    headers === null ||
    Array.isArray(headers) ||
    Object.values(headers).some((h) => typeof h !== 'string')
  )
    fail(i, 'headers must map names to strings');
  return {
    ...base,
    type: 'http',
    baseUrl: url,
    headers: headers as Record<string, string>,
    timeoutMs: positive(i, e.timeout_ms, 'timeout_ms', SOURCE_DEFAULT_TIMEOUT_MS)!,
  };
}

let cached: { raw: string | undefined; sources: ReadonlyMap<string, Source> } | undefined;

/**
 * The configured sources by name, from the `SOURCES` JSON (absent or empty: none), memoised
 * per isolate.
 * @throws Error (a deployment mistake: 500) when the JSON or an entry is malformed, or two
 *   entries share a name.
 */
export function loadSources(raw: string | undefined): ReadonlyMap<string, Source> {
  if (cached && cached.raw === raw) return cached.sources;
  const sources = new Map<string, Source>();
  if (raw && raw.trim()) {
    let list: unknown;
    try {
      list = JSON.parse(raw);
    } catch {
      throw new Error('config: SOURCES is not JSON');
    }
    if (!Array.isArray(list)) throw new Error('config: SOURCES must be a JSON list');
    list.forEach((v, i) => {
      const s = parseSource(i, v);
      if (sources.has(s.name)) fail(i, `duplicate name ${s.name}`);
      sources.set(s.name, s);
    });
  }
  cached = { raw, sources };
  return sources;
}

/**
 * The source whose `base_url` an absolute URL starts with, and the key below it (the
 * `/cdn-cgi/image/<options>/https://host/path` form of Cloudflare), or null.
 */
export function sourceForUrl(
  sources: ReadonlyMap<string, Source>,
  url: string,
): { source: HttpSource; key: string } | null {
  for (const s of sources.values())
    if (s.type === 'http' && url.startsWith(s.baseUrl.href))
      return { source: s, key: url.slice(s.baseUrl.href.length) };
  return null;
}
