/**
 * `POST /v1/signatures` (read scope): signs a delivery URL of one of the owner's images with
 * the primary signing key, so a client (the console) can show and hand out `/img` URLs when
 * signing is on. Body `{ "path": "/img/{id}/{transform}", "expires_in"?: seconds }` (60 to
 * 604800, default 3600) → `{ url, expires_at }`. 409 when signing is off; 404 for an image the
 * key's owner does not have. The transform itself is checked when the URL is used.
 */
import {
  SIGNATURE_DEFAULT_EXPIRES_S,
  SIGNATURE_MAX_EXPIRES_S,
  SIGNATURE_MIN_EXPIRES_S,
  SIGNATURES_BODY_MAX_BYTES,
} from '../config';
import { Hono } from 'hono';
import type { AppEnv } from '../env';
import { badRequest, conflict, notFound } from '../errors';
import { limitBody, readJson } from '../http/body';
import { requireScope } from '../security/auth';
import { parseSigningKeys, signPath } from '../security/signature';
import { getImage } from '../storage/images-db';

/** `/img/{id}/{segment}`: one path segment after the id, no query. */
const DELIVERY_PATH = /^\/img\/([A-Za-z0-9_-]{16})\/([^/?#]{1,1024})$/;

/** Routes under /v1/signatures. */
export const signaturesRoutes = new Hono<AppEnv>().post(
  '/',
  requireScope('read'),
  limitBody(SIGNATURES_BODY_MAX_BYTES),
  async (c) => {
    const key = parseSigningKeys(c.env.SIGNING_KEYS)[0];
    if (!key) throw conflict('Signing is off: /img URLs need no signature.');
    const body = await readJson(
      c,
      'The body must be JSON: { "path": "/img/{id}/{transform}", "expires_in"?: seconds }.',
    );
    const { path, expires_in: expiresIn = SIGNATURE_DEFAULT_EXPIRES_S } = (body ?? {}) as Record<
      string,
      unknown
    >;
    const match = typeof path === 'string' ? DELIVERY_PATH.exec(path) : null;
    if (!match)
      throw badRequest('path must be /img/{id}/{transform or preset or original}.', {
        option: 'path',
      });
    if (
      typeof expiresIn !== 'number' ||
      !Number.isInteger(expiresIn) ||
      expiresIn < SIGNATURE_MIN_EXPIRES_S ||
      expiresIn > SIGNATURE_MAX_EXPIRES_S
    )
      throw badRequest(
        `expires_in must be an integer from ${SIGNATURE_MIN_EXPIRES_S} to ${SIGNATURE_MAX_EXPIRES_S}.`,
        {
          option: 'expires_in',
        },
      );
    const id = match[1]!;
    if (!(await getImage(c.env.DB, c.var.principal.owner, id))) throw notFound(`No image ${id}.`);
    const exp = Math.floor(Date.now() / 1000) + expiresIn;
    const signed = await signPath(path as string, key, exp);
    return c.json(
      {
        url: new URL(signed, c.req.url).href,
        expires_at: new Date(exp * 1000).toISOString(),
      },
      200,
      { 'Cache-Control': 'no-store' },
    );
  },
);
