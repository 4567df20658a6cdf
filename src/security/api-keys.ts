/**
 * API keys stored in D1 (created with `POST /v1/keys`), besides those in the `API_KEYS` secret.
 * A key is `ie_` + 43 base64url characters (256 random bits); D1 holds only its SHA-256, so a
 * database dump reveals no usable key. A presented key is hashed and looked up by hash: the
 * lookup compares digests of a secret the caller does not know, so it leaks nothing useful.
 */
import { sha256Hex } from '../hash';
import { base64url } from './signature';
import { findActiveApiKey } from '../storage/api-keys-db';
import { SCOPES, type Principal, type Scope } from '../env';

/** A new random API key (`ie_` + 256 bits, base64url) and a new key id (`k_` + 96 bits). */
export function newApiKey(): { id: string; key: string } {
  const random = (n: number) => base64url(crypto.getRandomValues(new Uint8Array(n)));
  return { id: `k_${random(12)}`, key: `ie_${random(32)}` };
}

/** What a stored key id looks like. */
export const KEY_ID_PATTERN = /^k_[A-Za-z0-9_-]{16}$/;

/** Keeps the known scopes of a stored list, in canonical order. */
export const knownScopes = (scopes: readonly string[]): Scope[] =>
  SCOPES.filter((s) => scopes.includes(s));

/**
 * The principal of a key stored in D1 and not revoked, or undefined. Its `keyId` is the
 * stored key's id.
 */
export async function principalForStoredKey(
  db: D1Database,
  presented: string,
): Promise<Principal | undefined> {
  const rec = await findActiveApiKey(db, await sha256Hex(presented));
  return rec ? { owner: rec.owner, scopes: knownScopes(rec.scopes), keyId: rec.id } : undefined;
}
