/**
 * `/v1/presets`: named transforms (admin scope to change, read scope to list).
 */
import { Hono } from 'hono';
import type { AppEnv } from '../env';
import { badRequest, conflict, notFound } from '../errors';
import { requireScope } from '../security/auth';
import { deletePreset, listPresets, upsertPreset } from '../storage/presets-db';
import { BUILTIN_PRESETS, resolvePreset, type Preset } from '../transform/presets';
import { canonicalTransform, isPresetName, parseTransform } from '../transform/spec';

/** Names that URLs use for other things. */
const RESERVED = new Set(['original', 'placeholder']);

const view = (p: Pick<Preset, 'name' | 'options' | 'public' | 'eager'> & { builtin: boolean }) => ({
  name: p.name,
  options: p.options,
  public: p.public,
  eager: p.eager,
  builtin: p.builtin,
});

/** Validates a preset name from the path. @throws HttpError 400 naming `name`. */
function checkName(name: string): string {
  if (!isPresetName(name) || RESERVED.has(name))
    throw badRequest(
      'A preset name is 1-64 of a-z, 0-9, _ and -, starting with a letter or digit, and not reserved.',
      {
        option: 'name',
      },
    );
  return name;
}

/** Routes under /v1/presets. */
export const presetsRoutes = new Hono<AppEnv>()
  .get('/', requireScope('read'), async (c) => {
    const stored = await listPresets(c.env.DB);
    return c.json({
      presets: [
        ...[...BUILTIN_PRESETS.values()].map(view),
        ...stored.map((p) => view({ ...p, builtin: false })),
      ],
    });
  })
  .get('/:name', requireScope('read'), async (c) =>
    c.json(view(await resolvePreset(c.env.DB, checkName(c.req.param('name'))))),
  )
  .put('/:name', requireScope('admin'), async (c) => {
    const name = checkName(c.req.param('name'));
    if (BUILTIN_PRESETS.has(name))
      throw conflict(`${name} is a built-in preset and cannot be redefined.`);
    let body: unknown;
    try {
      body = await c.req.json();
    } catch {
      throw badRequest(
        'The body must be JSON: { "options": "w=…,h=…", "public"?: bool, "eager"?: bool }.',
      );
    }
    const { options, public: isPublic, eager } = (body ?? {}) as Record<string, unknown>;
    if (typeof options !== 'string')
      throw badRequest('options must be a transform string.', { option: 'options' });
    if (isPublic !== undefined && typeof isPublic !== 'boolean')
      throw badRequest('public must be a boolean.', { option: 'public' });
    if (eager !== undefined && typeof eager !== 'boolean')
      throw badRequest('eager must be a boolean.', { option: 'eager' });
    const canonical = canonicalTransform(parseTransform(options));
    const { record, created } = await upsertPreset(c.env.DB, {
      name,
      options: canonical,
      public: isPublic ?? false,
      eager: eager ?? false,
    });
    return c.json(view({ ...record, builtin: false }), created ? 201 : 200);
  })
  .delete('/:name', requireScope('admin'), async (c) => {
    const name = checkName(c.req.param('name'));
    if (BUILTIN_PRESETS.has(name))
      throw conflict(`${name} is a built-in preset and cannot be deleted.`);
    if (!(await deletePreset(c.env.DB, name))) throw notFound(`No preset named ${name}.`);
    return c.body(null, 204);
  });
