/**
 * Signed delivery URLs: HMAC-SHA256 over the path, with an optional expiry and a key id so keys
 * rotate without breaking old links. See docs/security.md for the URL format.
 *
 * The canonical string (what is signed) is the URL path exactly as the Worker sees it
 * (`new URL(url).pathname`: percent-encoded, dot segments resolved), followed by
 * `?exp=<exp>` when the URL carries an expiry:
 *
 *     /img/AbCdEfGhIjKlMnOp/w=800,f=auto?exp=1767225600
 *
 * The URL then carries `exp` (unix seconds, optional), `kid` (which key) and
 * `sig` = base64url, unpadded, of HMAC-SHA256(key, canonical string): 43 characters.
 * Neither the host nor `kid` nor any other query parameter is signed: the same link works on
 * any hostname, and a changed `kid` selects another key, so the signature fails anyway.
 *
 * This module has no imports and uses only Web Crypto, so `scripts/sign.mjs` loads the very
 * same code in Node.
 */

/** One signing key as configured: `kid` names it in URLs, `key` is the secret (UTF-8). */
export interface SigningKey {
  /** Key id: 1-64 of `A-Z a-z 0-9 . _ -`. */
  kid: string;
  /** The secret, at least {@link MIN_KEY_LENGTH} characters; its UTF-8 bytes are the HMAC key. */
  key: string;
}

/** Imported signing keys by kid; the first one configured signs (see {@link signingKeySet}). */
export interface SigningKeySet {
  /** Verification keys by kid (empty: signing is off). */
  readonly keys: ReadonlyMap<string, CryptoKey>;
  /** The kid that {@link signPath} callers should use for new links (the first listed). */
  readonly primary: string | undefined;
}

/** What a URL presents: the path and the three query parameters (null when absent). */
export interface PresentedSignature {
  /** The URL path as the Worker sees it (`URL.pathname`). */
  path: string;
  exp: string | null;
  kid: string | null;
  sig: string | null;
}

/** Shortest accepted secret, characters (256 bits of base64url is 43). */
export const MIN_KEY_LENGTH = 32;
/** Names of the query parameters the signature uses. */
export const SIGNATURE_PARAMS = ['exp', 'kid', 'sig'] as const;

const KID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;
/** 32 bytes in unpadded base64url: 42 free characters, then one whose 2 low bits are zero. */
const SIG_PATTERN = /^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/;
/** Unix seconds: at most 11 digits (year 5138), no sign, no exponent. */
const EXP_PATTERN = /^[0-9]{1,11}$/;

const encoder = new TextEncoder();
const HMAC = { name: 'HMAC', hash: 'SHA-256' } as const;

/** Unpadded base64url of bytes (RFC 4648 §5). */
export function base64url(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
}

/** Bytes of a canonical unpadded base64url signature, or null (see SIG_PATTERN). */
function decodeSig(sig: string): Uint8Array<ArrayBuffer> | null {
  if (!SIG_PATTERN.test(sig)) return null;
  const bin = atob(sig.replaceAll('-', '+').replaceAll('_', '/') + '=');
  return Uint8Array.from(bin, (ch) => ch.charCodeAt(0));
}

/** The string that is signed for `path` and an optional expiry (see the module comment). */
export function canonicalString(path: string, exp?: string | null): string {
  return exp === null || exp === undefined ? path : `${path}?exp=${exp}`;
}

/** Imports one secret as an HMAC-SHA256 key usable to sign and verify. */
export function importSigningKey(key: string): Promise<CryptoKey> {
  return crypto.subtle.importKey('raw', encoder.encode(key), HMAC, false, ['sign', 'verify']);
}

/**
 * Parses a `SIGNING_KEYS` value: a JSON list of `{ kid, key }`. An empty list (or an empty or
 * absent value) means signing is off.
 * @throws Error when the value is not such a list, a kid is malformed or repeated, or a key is
 *   shorter than {@link MIN_KEY_LENGTH} (a deployment mistake, reported as a 500).
 */
export function parseSigningKeys(raw: string | undefined): SigningKey[] {
  if (raw === undefined || raw.trim() === '') return [];
  const list: unknown = JSON.parse(raw);
  if (!Array.isArray(list)) throw new Error('SIGNING_KEYS must be a JSON list of { kid, key }');
  const seen = new Set<string>();
  return list.map((item: unknown) => {
    const { kid, key } = (item ?? {}) as Record<string, unknown>;
    if (typeof kid !== 'string' || !KID_PATTERN.test(kid))
      throw new Error('SIGNING_KEYS: each kid is 1-64 of A-Z a-z 0-9 . _ -');
    if (seen.has(kid)) throw new Error(`SIGNING_KEYS: kid ${kid} is listed twice`);
    seen.add(kid);
    if (typeof key !== 'string' || key.length < MIN_KEY_LENGTH)
      throw new Error(
        `SIGNING_KEYS: the key of ${kid} needs at least ${MIN_KEY_LENGTH} characters`,
      );
    return { kid, key };
  });
}

let memo: { raw: string | undefined; set: Promise<SigningKeySet> } | undefined;

/**
 * The imported key set for a `SIGNING_KEYS` value, memoised per isolate (per raw value).
 * @throws Error as {@link parseSigningKeys}; a failed import is not memoised.
 */
export function signingKeySet(raw: string | undefined): Promise<SigningKeySet> {
  if (memo && memo.raw === raw) return memo.set;
  const entries = parseSigningKeys(raw);
  const set = Promise.all(entries.map(async (e) => [e.kid, await importSigningKey(e.key)] as const))
    .then((pairs): SigningKeySet => ({ keys: new Map(pairs), primary: entries[0]?.kid }))
    .catch((err: unknown) => {
      memo = undefined;
      throw err;
    });
  memo = { raw, set };
  return set;
}

/**
 * Signs `path` (optionally up to `exp`, unix seconds) and returns the path with its query:
 * `<path>?exp=<exp>&kid=<kid>&sig=<sig>` (no `exp=` when `exp` is absent). The path is first
 * normalised as a URL parser does (percent-encoding, dot segments), because that is the form
 * the Worker verifies; sign exactly the path you will request.
 * @param path an absolute path without query or fragment, e.g. `/img/{id}/w=800`.
 * @param key the signing key (`kid` and secret) to use.
 * @param exp optional expiry, integer unix seconds (the URL works through that second).
 * @throws RangeError for a path that is not absolute or has a query or fragment, an invalid
 *   kid, a short key, or an `exp` that is not an integer 0..99999999999.
 */
export async function signPath(path: string, key: SigningKey, exp?: number): Promise<string> {
  if (!path.startsWith('/') || path.startsWith('//') || /[?#]/.test(path))
    throw new RangeError('signPath: pass an absolute path without query or fragment');
  if (!KID_PATTERN.test(key.kid)) throw new RangeError('signPath: invalid kid');
  if (key.key.length < MIN_KEY_LENGTH) throw new RangeError('signPath: key too short');
  const expText = exp === undefined ? null : String(exp);
  if (expText !== null && (!Number.isSafeInteger(exp) || !EXP_PATTERN.test(expText)))
    throw new RangeError('signPath: exp must be an integer number of unix seconds');
  const normalised = new URL(path, 'http://sign.invalid').pathname;
  const cryptoKey = await importSigningKey(key.key);
  const mac = new Uint8Array(
    await crypto.subtle.sign(HMAC, cryptoKey, encoder.encode(canonicalString(normalised, expText))),
  );
  const query = new URLSearchParams();
  if (expText !== null) query.set('exp', expText);
  query.set('kid', key.kid);
  query.set('sig', base64url(mac));
  return `${normalised}?${query.toString()}`;
}

/**
 * Verifies a presented signature in constant time (`crypto.subtle.verify`). True only when
 * `kid` names a configured key, `sig` is the canonical 43-character base64url encoding of
 * HMAC-SHA256(key, {@link canonicalString}(path, exp)), and `exp`, when present, is decimal
 * unix seconds not before `nowSeconds`. Never throws for any input; callers must answer every
 * `false` the same way, so a response reveals nothing about which part failed.
 * @param nowSeconds current time, unix seconds.
 */
export async function verifySignature(
  set: SigningKeySet,
  presented: PresentedSignature,
  nowSeconds: number,
): Promise<boolean> {
  const { path, exp, kid, sig } = presented;
  if (kid === null || sig === null) return false;
  const key = set.keys.get(kid);
  const mac = decodeSig(sig);
  if (!key || !mac) return false;
  if (exp !== null && !EXP_PATTERN.test(exp)) return false;
  const valid = await crypto.subtle.verify(
    HMAC,
    key,
    mac,
    encoder.encode(canonicalString(path, exp)),
  );
  return valid && (exp === null || Number(exp) >= nowSeconds);
}

/**
 * Reads the signature parameters of a URL. A parameter given more than once makes the whole
 * presentation invalid (returned as `sig: null`), so no parser differential can pick another.
 */
export function presentedSignature(url: URL): PresentedSignature {
  const one = (name: string): string | null | undefined => {
    const all = url.searchParams.getAll(name);
    return all.length > 1 ? undefined : (all[0] ?? null);
  };
  const exp = one('exp');
  const kid = one('kid');
  const sig = one('sig');
  if (exp === undefined || kid === undefined || sig === undefined)
    return { path: url.pathname, exp: null, kid: null, sig: null };
  return { path: url.pathname, exp, kid, sig };
}
