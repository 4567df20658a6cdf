/**
 * `/v1/keys`: API keys stored in D1 (admin scope). An admin key manages the keys of its own
 * owner only; keys for a new owner come from the `API_KEYS` secret or the `wrangler d1 execute`
 * recipe in docs/security.md.
 *
 * - `POST /v1/keys` `{ scopes: ["read"|"upload"|"admin", …], label?: string }` → 201 with the
 *   key, shown this once (only its SHA-256 is stored).
 * - `GET /v1/keys` → the owner's keys (id, scopes, label, created_at, revoked_at), no secrets.
 * - `DELETE /v1/keys/{id}` → 204; the key stops working at once (revoked, kept for the record).
 */
import { KEY_LABEL_MAX_CHARS, KEYS_BODY_MAX_BYTES } from '../config';
import { Hono } from 'hono';
import { SCOPES, type AppEnv, type Scope } from '../env';
import { badRequest, notFound } from '../errors';
import { limitBody, readJson } from '../http/body';
import { sha256Hex } from '../hash';
import { KEY_ID_PATTERN, newApiKey } from '../security/api-keys';
import { requireScope } from '../security/auth';
import { insertApiKey, listApiKeys, revokeApiKey, type ApiKeyRecord } from '../storage/api-keys-db';

const view = (k: ApiKeyRecord) => ({
  id: k.id,
  owner: k.owner,
  scopes: k.scopes,
  label: k.label,
  created_at: new Date(k.createdAt).toISOString(),
  revoked_at: k.revokedAt === null ? null : new Date(k.revokedAt).toISOString(),
});

/** Validates a create request. @throws HttpError 400 naming the field. */
function parseCreate(raw: unknown): { scopes: Scope[]; label: string | null } {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw badRequest('The body must be JSON: { "scopes": ["read", …], "label"?: "…" }.');
  const { scopes, label, ...rest } = raw as Record<string, unknown>;
  const unknown = Object.keys(rest)[0];
  if (unknown !== undefined) throw badRequest(`Unknown field ${unknown}.`, { option: unknown });
  if (
    !Array.isArray(scopes) ||
    scopes.length === 0 ||
    !scopes.every((s) => SCOPES.includes(s as Scope))
  )
    throw badRequest('scopes must be a non-empty list drawn from read, upload, admin.', {
      option: 'scopes',
    });
  if (
    label !== undefined &&
    label !== null &&
    (typeof label !== 'string' || label.length > KEY_LABEL_MAX_CHARS)
  )
    throw badRequest(`label must be a string of at most ${KEY_LABEL_MAX_CHARS} characters.`, {
      option: 'label',
    });
  return {
    scopes: SCOPES.filter((s) => scopes.includes(s)),
    label: typeof label === 'string' ? label : null,
  };
}

/** Routes under /v1/keys. */
export const keysRoutes = new Hono<AppEnv>()
  .use(requireScope('admin'))
  .post('/', limitBody(KEYS_BODY_MAX_BYTES), async (c) => {
    const body = await readJson(c, 'Send JSON: { "scopes": ["read", …], "label"?: "…" }.');
    const { scopes, label } = parseCreate(body);
    const { id, key } = newApiKey();
    const rec: ApiKeyRecord = {
      id,
      owner: c.var.principal.owner,
      scopes,
      label,
      createdAt: Date.now(),
      revokedAt: null,
    };
    await insertApiKey(c.env.DB, { ...rec, keyHash: await sha256Hex(key) });
    return c.json({ ...view(rec), key }, 201, { 'Cache-Control': 'no-store' });
  })
  .get('/', async (c) =>
    c.json({ keys: (await listApiKeys(c.env.DB, c.var.principal.owner)).map(view) }),
  )
  .delete('/:id', async (c) => {
    const id = c.req.param('id');
    const done =
      KEY_ID_PATTERN.test(id) &&
      (await revokeApiKey(c.env.DB, c.var.principal.owner, id, Date.now()));
    if (!done) throw notFound(`No key ${id}.`);
    return c.body(null, 204);
  });
