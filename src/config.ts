/**
 * Limits and settings, read from `[vars]` (wrangler.toml) and secrets, validated once per
 * isolate. The only module that reads limit names from `env`.
 */

/** Validated limits. Units are in the names. */
export interface Config {
  /** Largest accepted upload body, bytes (default 25 MiB). */
  maxUploadBytes: number;
  /** Largest accepted width or height of an original, pixels (default 8192). */
  maxSidePx: number;
  /** Largest accepted width × height of an original, pixels (default 24 MP). */
  maxSourcePixels: number;
  /** Largest accepted user metadata, bytes of JSON (default 1 KiB). */
  maxMetadataBytes: number;
  /**
   * Inline ceiling: the largest source, in pixels, that a request decodes at full size
   * (default 6 MP; set from the memory table in docs/performance.md).
   */
  maxInlinePixels: number;
}

/** The vars this module reads (all strings, as wrangler passes them). */
type ConfigVars = Partial<
  Record<
    | 'MAX_UPLOAD_BYTES'
    | 'MAX_SIDE_PX'
    | 'MAX_SOURCE_PIXELS'
    | 'MAX_METADATA_BYTES'
    | 'MAX_INLINE_PIXELS',
    string
  >
>;

/** Parses a positive integer var; throws (a deploy-time mistake, so a 500) when invalid. */
function positiveInt(vars: ConfigVars, name: keyof ConfigVars, fallback: number): number {
  const raw = vars[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n <= 0)
    throw new Error(`config: ${name} must be a positive integer, got ${raw}`);
  return n;
}

let cached: { vars: ConfigVars; config: Config } | undefined;

/**
 * Returns the validated config for these bindings, memoised per isolate (the env object is
 * stable across requests in production; tests with a different env get a fresh parse).
 * @throws Error when a var is not a positive integer.
 */
export function loadConfig(vars: ConfigVars): Config {
  if (cached?.vars === vars) return cached.config;
  const config: Config = {
    maxUploadBytes: positiveInt(vars, 'MAX_UPLOAD_BYTES', 25 * 1024 * 1024),
    maxSidePx: positiveInt(vars, 'MAX_SIDE_PX', 8192),
    maxSourcePixels: positiveInt(vars, 'MAX_SOURCE_PIXELS', 24_000_000),
    maxMetadataBytes: positiveInt(vars, 'MAX_METADATA_BYTES', 1024),
    maxInlinePixels: positiveInt(vars, 'MAX_INLINE_PIXELS', 6_000_000),
  };
  cached = { vars, config };
  return config;
}
