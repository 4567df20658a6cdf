/**
 * The signature gate in front of `/img/*` (mounted in app.ts before the delivery routes, so
 * it runs before the edge-cache lookup and before any storage call).
 *
 * With `SIGNING_KEYS` empty or absent, everything passes. Otherwise:
 * - a URL carrying any of `sig`, `kid`, `exp` must verify (./signature.ts), whatever it asks;
 * - an unsigned URL passes only when it is exactly `/img/{id}/{preset}` for a public preset
 *   of that image: a public built-in (no storage call), or a stored preset marked public by
 *   the image's owner. Another owner's public preset of the same name opens nothing. Names
 *   marked public by anyone come from one query per isolate, memoised for
 *   {@link PUBLIC_PRESETS_TTL_MS}, so an unsigned URL naming anything else costs no storage
 *   call; for a name in that set, one owner-scoped D1 read per (image, name) and isolate,
 *   memoised for the same time and counted against the client IP's delivery rate limit;
 * - everything else (options, non-public presets, `original`) is a 403 problem, the same
 *   for a missing, malformed, unknown-kid, wrong or expired signature.
 */
import {
  PUBLIC_PRESETS_MAX_ANSWERS,
  PUBLIC_PRESETS_MAX_NAMES,
  PUBLIC_PRESETS_TTL_MS,
} from '../config';
import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../env';
import { forbidden } from '../errors';
import { ID_PATTERN } from '../ids';
import { isPublicPresetOfImage, publicPresetNames } from '../storage/presets-db';
import { BUILTIN_PRESETS } from '../transform/presets';
import { isPresetName } from '../transform/spec';
import { limitDeliveryMiss } from './rate-limit';
import { presentedSignature, SIGNATURE_PARAMS, signingKeySet, verifySignature } from './signature';

type PublicNames = { names: ReadonlySet<string>; complete: boolean };
let publicNames: { at: number; value: Promise<PublicNames> } | undefined;
const answers = new Map<string, { at: number; open: boolean }>();

/** Forgets the memoised public presets (tests; after changing presets in-process). */
export function forgetPublicPresets(): void {
  publicNames = undefined;
  answers.clear();
}

/** Names marked public by any owner (memoised per isolate; a failed read is not kept). */
function storedPublicNames(db: D1Database, nowMs: number): Promise<PublicNames> {
  if (publicNames && nowMs - publicNames.at < PUBLIC_PRESETS_TTL_MS) return publicNames.value;
  const value = publicPresetNames(db, PUBLIC_PRESETS_MAX_NAMES).then(
    (r) => ({ names: new Set(r.names), complete: r.complete }),
    (err: unknown) => {
      publicNames = undefined;
      throw err;
    },
  );
  publicNames = { at: nowMs, value };
  return value;
}

/**
 * True when `segment` (raw, as in the path) names a preset that is public for image `id`.
 * @throws HttpError 429 when the owner-scoped read is over the client's delivery limit.
 */
async function isPublicPreset(
  env: Env,
  id: string,
  segment: string,
  clientIp: string | undefined,
): Promise<boolean> {
  if (!isPresetName(segment) || !ID_PATTERN.test(id)) return false;
  const builtin = BUILTIN_PRESETS.get(segment);
  if (builtin) return builtin.public;
  const now = Date.now();
  const { names, complete } = await storedPublicNames(env.DB, now);
  if (complete && !names.has(segment)) return false;
  const key = `${id}/${segment}`;
  const known = answers.get(key);
  if (known && now - known.at < PUBLIC_PRESETS_TTL_MS) return known.open;
  await limitDeliveryMiss(env, clientIp);
  const open = await isPublicPresetOfImage(env.DB, id, segment);
  answers.delete(key);
  answers.set(key, { at: now, open });
  if (answers.size > PUBLIC_PRESETS_MAX_ANSWERS) answers.delete(answers.keys().next().value!);
  return open;
}

/** The one answer to every refused URL (it says nothing about what was wrong). */
const refused = () =>
  forbidden('This URL needs a valid signature (see docs/security.md: signed delivery URLs).');

/**
 * True when `url` (a `/img/*` or `/cdn-cgi/image/*` URL) may be served: no signing keys are
 * configured, its signature verifies, or it is unsigned and names a public preset of the image
 * (see the module comment). Shared by the middleware and the cache-hit fast path
 * (src/delivery/hit.ts), so a hit honours exactly the same rules.
 * @throws HttpError 429 when the owner-scoped preset read is over the client's delivery limit;
 *   Error (500) when `SIGNING_KEYS` is malformed.
 */
export async function deliveryAllowed(
  env: Env,
  url: URL,
  clientIp: string | undefined,
): Promise<boolean> {
  const set = await signingKeySet(env.SIGNING_KEYS);
  if (set.keys.size === 0) return true;
  if (SIGNATURE_PARAMS.some((p) => url.searchParams.has(p)))
    return verifySignature(set, presentedSignature(url), Math.floor(Date.now() / 1000));
  const parts = url.pathname.split('/'); // ['', 'img', id, segment]
  return (
    parts.length === 4 &&
    !!parts[2] &&
    !!parts[3] &&
    (await isPublicPreset(env, parts[2], parts[3], clientIp))
  );
}

/**
 * Middleware for `/img/*`: enforces signed URLs when signing keys are configured.
 * @throws HttpError 403 for an unsigned non-public URL or a signature that does not verify;
 *   as {@link deliveryAllowed} otherwise.
 */
export const requireDeliverySignature: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (!(await deliveryAllowed(c.env, new URL(c.req.url), c.req.header('CF-Connecting-IP'))))
    throw refused();
  return next();
};
