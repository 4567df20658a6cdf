/**
 * Presets: named transforms. Built-ins live here (code-versioned); others are stored in D1
 * and managed through /v1/presets. Both are validated by the same parser as URL options.
 */
import { notFound } from '../errors';
import { getPreset } from '../storage/presets-db';
import { canonicalTransform, parseTransform, type TransformSpec } from './spec';

/** A resolved preset. */
export interface Preset {
  name: string;
  /** Canonical transform string. */
  options: string;
  spec: TransformSpec;
  /** Served without a URL signature when signing is on. */
  public: boolean;
  /** Generated on upload (through the queue). */
  eager: boolean;
  builtin: boolean;
}

const builtin = (
  name: string,
  options: string,
  flags: { public?: boolean; eager?: boolean } = {},
): Preset => {
  const spec = parseTransform(options);
  return {
    name,
    options: canonicalTransform(spec),
    spec,
    public: flags.public ?? true,
    eager: flags.eager ?? false,
    builtin: true,
  };
};

/** Built-in presets, by name. Their names cannot be redefined. */
export const BUILTIN_PRESETS: ReadonlyMap<string, Preset> = new Map(
  [
    builtin('thumbnail', 'w=150,h=150,fit=cover,f=auto', { eager: true }),
    builtin('avatar', 'w=96,h=96,fit=cover,g=auto,f=auto'),
    builtin('small', 'w=320,f=auto'),
    builtin('preview', 'w=800,f=auto'),
    builtin('large', 'w=1600,f=auto', { public: false }),
  ].map((p) => [p.name, p]),
);

/**
 * Resolves a preset name for `owner`: built-ins first (no storage call), then the owner's
 * stored presets (another owner's preset of the same name is not seen).
 * @throws HttpError 404 when the owner has no such preset.
 */
export async function resolvePreset(db: D1Database, name: string, owner: string): Promise<Preset> {
  const b = BUILTIN_PRESETS.get(name);
  if (b) return b;
  const stored = await getPreset(db, owner, name);
  if (!stored) throw notFound(`No preset named ${name}.`);
  return { ...stored, spec: parseTransform(stored.options), builtin: false };
}
