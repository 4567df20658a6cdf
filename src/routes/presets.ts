/**
 * `/v1/presets`: named transforms of the API key's owner (admin scope to change, read scope to
 * list). Another owner's presets are never seen, changed or used: a stored preset applies only
 * to its owner's images (docs/security.md). Built-ins are shared and read-only.
 */
import { PRESETS_BODY_MAX_BYTES } from '../config';
import { Hono } from 'hono';
import type { AppEnv } from '../env';
import { badRequest, conflict, notFound } from '../errors';
import { limitBody, readJson } from '../http/body';
import { parseLimit } from '../http/pagination';
import { requireScope } from '../security/auth';
import { countPresets, deletePreset, listPresets, upsertPreset } from '../storage/presets-db';
import { BUILTIN_PRESETS, resolvePreset, type Preset } from '../transform/presets';
import { canonicalTransform, isPresetName, parseTransform } from '../transform/spec';

/** Names that URLs use for other things. */
const RESERVED = new Set(['original', 'placeholder']);

const SHAPE = 'Send JSON: { "options": "w=…,h=…", "public"?: bool, "eager"?: bool }.';

const view = (p: Pick<Preset, 'name' | 'options' | 'public' | 'eager'> & { builtin: boolean }) => ({
  name: p.name,
  options: p.options,
  public: p.public,
  eager: p.eager,
  builtin: p.builtin,
});

/** Validates a preset name from the path or a cursor. @throws HttpError 400 naming `option`. */
function checkName(name: string, option = 'name'): string {
  if (!isPresetName(name) || RESERVED.has(name))
    throw badRequest(
      'A preset name is 1-64 of a-z, 0-9, _ and -, starting with a letter or digit, and not reserved.',
      { option },
    );
  return name;
}

/** Routes under /v1/presets. */
export const presetsRoutes = new Hono<AppEnv>()
  .get('/', requireScope('read'), async (c) => {
    // The built-ins lead the first page; stored presets follow by name, `limit` per page.
    const limit = parseLimit(c.req.query('limit'), 100, 100);
    const cursor = c.req.query('cursor');
    const after = cursor === undefined ? undefined : checkName(cursor, 'cursor');
    const { records, more } = await listPresets(c.env.DB, c.var.principal.owner, limit, after);
    const builtins = after === undefined ? [...BUILTIN_PRESETS.values()].map(view) : [];
    return c.json({
      presets: [...builtins, ...records.map((p) => view({ ...p, builtin: false }))],
      next_cursor: more ? (records.at(-1)?.name ?? null) : null,
    });
  })
  .get('/:name', requireScope('read'), async (c) =>
    c.json(
      view(await resolvePreset(c.env.DB, checkName(c.req.param('name')), c.var.principal.owner)),
    ),
  )
  .put('/:name', requireScope('admin'), limitBody(PRESETS_BODY_MAX_BYTES), async (c) => {
    const name = checkName(c.req.param('name'));
    if (BUILTIN_PRESETS.has(name))
      throw conflict(`${name} is a built-in preset and cannot be redefined.`);
    const body = await readJson(c, SHAPE);
    if (typeof body !== 'object' || body === null || Array.isArray(body))
      throw badRequest(`The body must be a JSON object. ${SHAPE}`);
    const { options, public: isPublic, eager } = body as Record<string, unknown>;
    if (typeof options !== 'string')
      throw badRequest('options must be a transform string.', { option: 'options' });
    if (isPublic !== undefined && typeof isPublic !== 'boolean')
      throw badRequest('public must be a boolean.', { option: 'public' });
    if (eager !== undefined && typeof eager !== 'boolean')
      throw badRequest('eager must be a boolean.', { option: 'eager' });
    const spec = parseTransform(options);
    // A preset is cached under its name: options that depend on the request cannot be in one.
    if (spec.widthAuto || spec.slowConnectionQuality !== undefined || spec.onerror)
      throw badRequest(
        'A preset cannot hold width=auto, slow-connection-quality or onerror: they depend on the request; put them in the URL instead.',
        { option: 'options' },
      );
    const canonical = canonicalTransform(spec);
    const owner = c.var.principal.owner;
    const config = c.var.config;
    const limits = {
      presets: config.maxPresetsPerOwner,
      public: config.maxPublicPresetsPerOwner,
      eager: config.maxEagerPresetsPerOwner,
    };
    const saved = await upsertPreset(
      c.env.DB,
      { owner, name, options: canonical, public: isPublic ?? false, eager: eager ?? false },
      limits,
    );
    if (!saved)
      throw conflict(
        'This would exceed the presets allowed per owner; delete one or clear a flag first.',
        { limit: limits, current: await countPresets(c.env.DB, owner) },
      );
    return c.json(view({ ...saved.record, builtin: false }), saved.created ? 201 : 200);
  })
  .delete('/:name', requireScope('admin'), async (c) => {
    const name = checkName(c.req.param('name'));
    if (BUILTIN_PRESETS.has(name))
      throw conflict(`${name} is a built-in preset and cannot be deleted.`);
    if (!(await deletePreset(c.env.DB, c.var.principal.owner, name)))
      throw notFound(`No preset named ${name}.`);
    return c.body(null, 204);
  });
