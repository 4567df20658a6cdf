/**
 * The signature gate in front of `/img/*` (mounted in app.ts before the delivery routes, so
 * it runs before the edge-cache lookup and before any storage call).
 *
 * With `SIGNING_KEYS` empty or absent, everything passes. Otherwise:
 * - a URL carrying any of `sig`, `kid`, `exp` must verify (./signature.ts), whatever it asks;
 * - an unsigned URL passes only when it is exactly `/img/{id}/{preset}` for a public preset:
 *   a public built-in (no storage call), or a stored preset marked public. Stored public names
 *   come from one `presets` query per isolate, memoised for {@link PUBLIC_PRESETS_TTL_MS}, so
 *   unsigned traffic costs at most one D1 read per isolate per 10 s, whatever it asks for;
 * - everything else (options, non-public presets, `original`) is a 403 problem, the same
 *   for a missing, malformed, unknown-kid, wrong or expired signature.
 */
import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../env';
import { forbidden } from '../errors';
import { listPresets } from '../storage/presets-db';
import { BUILTIN_PRESETS } from '../transform/presets';
import { isPresetName } from '../transform/spec';
import { presentedSignature, SIGNATURE_PARAMS, signingKeySet, verifySignature } from './signature';

/** How long the list of stored public presets is reused, ms. */
export const PUBLIC_PRESETS_TTL_MS = 10_000;

let publicPresets: { at: number; names: Promise<ReadonlySet<string>> } | undefined;

/** Forgets the memoised stored public presets (tests; after changing presets in-process). */
export function forgetPublicPresets(): void {
  publicPresets = undefined;
}

/** Names of stored presets marked public (memoised per isolate; a failed read is not kept). */
function storedPublicPresets(db: D1Database, nowMs: number): Promise<ReadonlySet<string>> {
  if (publicPresets && nowMs - publicPresets.at < PUBLIC_PRESETS_TTL_MS) return publicPresets.names;
  const names = listPresets(db).then(
    (list) => new Set(list.filter((p) => p.public).map((p) => p.name)),
    (err: unknown) => {
      publicPresets = undefined;
      throw err;
    },
  );
  publicPresets = { at: nowMs, names };
  return names;
}

/** True when `segment` (raw, as in the path) names a public preset. */
async function isPublicPreset(db: D1Database, segment: string): Promise<boolean> {
  if (!isPresetName(segment)) return false;
  const builtin = BUILTIN_PRESETS.get(segment);
  if (builtin) return builtin.public;
  return (await storedPublicPresets(db, Date.now())).has(segment);
}

/** The one answer to every refused URL (it says nothing about what was wrong). */
const refused = () =>
  forbidden('This URL needs a valid signature (see docs/security.md: signed delivery URLs).');

/**
 * Middleware for `/img/*`: enforces signed URLs when signing keys are configured.
 * @throws HttpError 403 for an unsigned non-public URL or a signature that does not verify;
 *   Error (500) when `SIGNING_KEYS` is malformed.
 */
export const requireDeliverySignature: MiddlewareHandler<AppEnv> = async (c, next) => {
  const set = await signingKeySet(c.env.SIGNING_KEYS);
  if (set.keys.size === 0) return next();
  const url = new URL(c.req.url);
  const signed = SIGNATURE_PARAMS.some((p) => url.searchParams.has(p));
  if (signed) {
    const ok = await verifySignature(set, presentedSignature(url), Math.floor(Date.now() / 1000));
    if (!ok) throw refused();
    return next();
  }
  const parts = url.pathname.split('/'); // ['', 'img', id, segment]
  if (parts.length === 4 && parts[3] && (await isPublicPreset(c.env.DB, parts[3]))) return next();
  throw refused();
};
