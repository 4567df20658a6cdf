/**
 * API keys: `Authorization: Bearer <key>`, checked against the `API_KEYS` secret, then against
 * the keys stored hashed in D1 (`POST /v1/keys`, see ./api-keys.ts).
 *
 * `API_KEYS` is a JSON list; each entry is `{ key, owner, scopes }` or a plain string
 * (owner `default`, every scope). Keys are compared as SHA-256 digests with
 * `crypto.subtle.timingSafeEqual`, so the comparison time does not depend on the key.
 */
import { sha256, toHex } from '../hash';
import type { MiddlewareHandler } from 'hono';
import { SCOPES, type AppEnv, type Principal, type Scope } from '../env';
import { forbidden, unauthorized } from '../errors';
import { principalForStoredKey } from './api-keys';
import { isSafeMethod, limitWrite } from './rate-limit';

interface KeyEntry extends Principal {
  digest: Uint8Array;
}

const hex16 = (digest: Uint8Array) => toHex(digest.subarray(0, 8));

let cache: { raw: string; entries: Promise<KeyEntry[]> } | undefined;

/**
 * Parses `API_KEYS` once per isolate.
 * @throws Error when the secret is not a JSON list of strings or `{ key, owner, scopes }`.
 */
function keyEntries(raw: string): Promise<KeyEntry[]> {
  if (cache?.raw === raw) return cache.entries;
  const list: unknown = JSON.parse(raw);
  if (!Array.isArray(list)) throw new Error('API_KEYS must be a JSON list');
  const entries = Promise.all(
    list.map(async (item: unknown): Promise<KeyEntry> => {
      if (typeof item === 'string') {
        const digest = await sha256(item);
        return { digest, owner: 'default', scopes: SCOPES, keyId: `secret:${hex16(digest)}` };
      }
      const { key, owner, scopes } = (item ?? {}) as Record<string, unknown>;
      if (typeof key !== 'string' || typeof owner !== 'string' || !Array.isArray(scopes))
        throw new Error('API_KEYS entries need key, owner and scopes');
      const valid = scopes.filter((s): s is Scope => SCOPES.includes(s as Scope));
      const digest = await sha256(key);
      return { digest, owner, scopes: valid, keyId: `secret:${hex16(digest)}` };
    }),
  );
  cache = { raw, entries };
  return entries;
}

/**
 * Finds the principal for a presented key, or `undefined`. Every entry is compared, in
 * constant time per entry, so timing reveals neither which entry matched nor how much.
 */
export async function principalForKey(
  raw: string,
  presented: string,
): Promise<Principal | undefined> {
  const digest = await sha256(presented);
  let found: Principal | undefined;
  for (const entry of await keyEntries(raw)) {
    if (crypto.subtle.timingSafeEqual(entry.digest, digest)) found ??= entry;
  }
  return found && { owner: found.owner, scopes: found.scopes, keyId: found.keyId };
}

/**
 * Middleware: requires a Bearer key with `scope` (from `API_KEYS`, else an unrevoked D1 key);
 * without a scope, any valid key passes.
 * Missing → 401, unknown or revoked key or missing scope → 403. Sets `principal`. Requests
 * other than GET/HEAD/OPTIONS then count against the key's write limit (429 over it).
 */
export function requireScope(scope?: Scope): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const header = c.req.header('Authorization');
    const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!match?.[1]) throw unauthorized();
    const principal =
      (await principalForKey(c.env.API_KEYS ?? '[]', match[1])) ??
      (await principalForStoredKey(c.env.DB, match[1]));
    if (!principal) throw forbidden('The API key is not valid.');
    if (scope && !principal.scopes.includes(scope))
      throw forbidden(`The API key lacks the ${scope} scope.`);
    if (!isSafeMethod(c.req.method)) await limitWrite(c.env, principal.keyId);
    c.set('principal', principal);
    await next();
  };
}
