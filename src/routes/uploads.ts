/**
 * `/v1/uploads`: direct creator uploads.
 *
 * - `POST /v1/uploads` (upload scope; JSON policy, see security/upload-tokens.ts) → 201
 *   `{ upload_url, expires_at, policy }`.
 * - `POST /v1/uploads/{token}` (no API key; CORS open, the token is the credential): the file,
 *   raw or `multipart/form-data` with a `file` field → 201 (or 200 when the owner already had
 *   these bytes) with the image, as `POST /v1/images` answers.
 *
 * A token is spent only by a successful upload. The file is checked against the policy and the
 * service limits (413/415/422) before the token is claimed, so a bad file leaves the token
 * usable; the claim is one conditional UPDATE, so of two concurrent uploads at most one wins
 * (the other gets the same 403 as an unknown, expired or used token).
 */
import { MAX_POLICY_BYTES, MULTIPART_SLACK, UPLOAD_TOKEN_RETENTION_MS } from '../config';
import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { cors } from 'hono/cors';
import { BOOKMARK_HEADER } from '../http/consistency';
import type { AppVariables } from '../env';
import { badRequest, forbidden, HttpError } from '../errors';
import { limitBody, readJson } from '../http/body';
import { checkUpload, ingestOriginal } from '../images/ingest';
import { readUploadBody } from '../http/upload-body';
import { uploadView } from '../images/view';
import { logEvent } from '../observability/log';
import { sha256Hex } from '../hash';
import { requireScope } from '../security/auth';
import { limitWrite } from '../security/rate-limit';
import {
  ingestPolicy,
  newUploadToken,
  parseUploadRequest,
  storedPolicy,
  TOKEN_PATTERN,
  type UploadPolicy,
} from '../security/upload-tokens';
import {
  claimUploadToken,
  completeUploadToken,
  deleteExpiredUploadTokens,
  getUploadToken,
  insertUploadToken,
  releaseUploadToken,
} from '../storage/upload-tokens-db';
import { resolvePreset } from '../transform/presets';
import { isPresetName } from '../transform/spec';

/** A token looked up for an upload. */
interface TokenInContext {
  hash: string;
  owner: string;
  policy: UploadPolicy;
}

/** The hono environment of these routes: the app's, plus the looked-up token. */
type UploadsEnv = {
  Bindings: Env;
  Variables: AppVariables & { uploadToken: TokenInContext };
};

/** The one answer to an unusable upload URL (unknown, expired, used, or in use). */
const refused = () =>
  forbidden('This upload URL is not valid: it is unknown, expired or already used.');

/** Looks up the token of the path (403 unless usable now) and charges its issuer's writes. */
const loadToken: MiddlewareHandler<UploadsEnv> = async (c, next) => {
  const token = c.req.param('token') ?? '';
  if (!TOKEN_PATTERN.test(token)) throw refused();
  const hash = await sha256Hex(token);
  const row = await getUploadToken(c.env.DB, hash);
  if (!row || row.usedAt !== null || row.expiresAt <= Date.now()) throw refused();
  await limitWrite(c.env, row.keyId);
  c.set('uploadToken', { hash, owner: row.owner, policy: storedPolicy(row.policy) });
  await next();
};

/** Streams the body under the policy's byte limit (plus multipart framing): 413 over it. */
const fileLimit = (c: Context<UploadsEnv>) =>
  Math.min(c.var.uploadToken.policy.max_bytes, c.var.config.maxUploadBytes);
const policyLimit = limitBody<UploadsEnv>((c) => fileLimit(c) + MULTIPART_SLACK, fileLimit);

/** Routes under /v1/uploads. */
export const uploadsRoutes = new Hono<UploadsEnv>()
  .post('/', requireScope('upload'), limitBody(MAX_POLICY_BYTES), async (c) => {
    const body = await readJson(c, 'Send a JSON object (or nothing, for the defaults).', {
      optional: true,
    });
    const { policy, expiresIn } = parseUploadRequest(body, c.var.config, isPresetName);
    for (const name of policy.eager) {
      try {
        await resolvePreset(c.env.DB, name, c.var.principal.owner);
      } catch (err) {
        if (err instanceof HttpError && err.status === 404)
          throw badRequest(`eager names ${name}, which is not a preset.`, { option: 'eager' });
        throw err;
      }
    }
    const token = newUploadToken();
    const now = Date.now();
    const expiresAt = now + expiresIn * 1000;
    await insertUploadToken(c.env.DB, {
      tokenHash: await sha256Hex(token),
      owner: c.var.principal.owner,
      keyId: c.var.principal.keyId,
      policy: JSON.stringify(policy),
      createdAt: now,
      expiresAt,
    });
    c.executionCtx.waitUntil(
      deleteExpiredUploadTokens(c.env.DB, now - UPLOAD_TOKEN_RETENTION_MS).catch(() => undefined),
    );
    const origin = new URL(c.req.url).origin;
    return c.json(
      {
        upload_url: `${origin}/v1/uploads/${token}`,
        expires_at: new Date(expiresAt).toISOString(),
        policy,
      },
      201,
    );
  })
  .use(
    '/:token',
    cors({
      origin: '*',
      allowMethods: ['POST'],
      allowHeaders: ['Content-Type'],
      // The browser may pass the bookmark on to read its upload back (src/http/consistency.ts).
      exposeHeaders: [BOOKMARK_HEADER],
      maxAge: 600,
    }),
  )
  .post('/:token', loadToken, policyLimit, async (c) => {
    const { hash, owner, policy } = c.var.uploadToken;
    const config = c.var.config;
    const { file, metadata } = await readUploadBody(c.req.raw);
    if (metadata !== null)
      throw badRequest("metadata is set by the upload URL's policy; send only the file.", {
        option: 'metadata',
      });
    const limits = ingestPolicy(policy);
    checkUpload(file, config, limits); // 413/415/422 before the token is claimed

    const claimedAt = Date.now();
    if (!(await claimUploadToken(c.env.DB, hash, claimedAt))) throw refused();
    let result;
    try {
      result = await ingestOriginal(c.env, config, owner, file, policy.metadata, limits);
    } catch (err) {
      await releaseUploadToken(c.env.DB, hash, claimedAt).catch(() => undefined);
      throw err;
    }
    const { record } = result;
    if (!(await completeUploadToken(c.env.DB, hash, claimedAt, Date.now(), record.id)))
      logEvent('warn', 'upload token claim lost during ingest');
    const view = uploadView(result, new URL(c.req.url).origin);
    if (view.deduplicated) return c.json(view, 200);
    return c.json(view, 201, { Location: view.urls.info });
  });
