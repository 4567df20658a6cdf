/**
 * Redaction: secrets never reach a log line or a metric. Applied to every serialised log line
 * (./log.ts) and every metric blob (./metrics.ts), so a secret that slips into an error
 * message or a path is removed too. What counts as a secret here:
 * - one-time upload tokens: the path segment after `/v1/uploads/`, and any free-standing run
 *   of 43 base64url characters (a token's or a signature's shape, 256 bits);
 * - API keys made by `POST /v1/keys` (`ie_` + 43 characters) and any `Bearer` credential
 *   (keys from the `API_KEYS` secret have no fixed shape: they appear only in the
 *   `Authorization` header, which is never logged);
 * - URL signatures: the value of a `sig` query parameter.
 * Image ids (16 characters), key ids (`k_` + 16) and hex hashes (64) are not secrets and stay.
 */

/** What replaces a secret. */
export const REDACTED = '[redacted]';

const RULES: readonly [RegExp, string][] = [
  [/(\/v1\/uploads\/)[^/?#\s"\\]+/g, `$1${REDACTED}`],
  [/([?&;]sig=)[^&#\s"\\]*/gi, `$1${REDACTED}`],
  [/(bearer\s+)[^\s"\\]+/gi, `$1${REDACTED}`],
  [/\bie_[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])/g, `ie_${REDACTED}`],
  [/(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])/g, REDACTED],
];

/** `text` with every secret (see the module comment) replaced by {@link REDACTED}. */
export function redact(text: string): string {
  let out = text;
  for (const [pattern, replacement] of RULES) out = out.replace(pattern, replacement);
  return out;
}
