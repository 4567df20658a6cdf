/**
 * An unpic-style provider (the `unpic` family: `@unpic/react`, `/svelte`, `/astro`… take a
 * `transformer`): `generate`, `extract` and `transform` over image-edge delivery URLs.
 *
 *     import { transform } from '@image-edge/client/unpic';
 *     <Image src={imageId} width={800} height={600} transformer={transform}
 *            options={{ baseUrl: 'https://img.example.com' }} />
 */
import { canonicalTransform, DEFAULT_SPEC, parseTransform } from '../../../src/transform/spec';
import { createUrlBuilder, type OutputFormat, type TransformOptions } from './url';
import { imageIdOf } from './source';

/** unpic's operations (width, height, format, quality) plus any image-edge option. */
export type UnpicOperations = Omit<TransformOptions, 'width' | 'height' | 'quality' | 'format'> & {
  width?: number | string;
  height?: number | string;
  quality?: number | string;
  format?: string;
};

/** Provider options: the service's origin (defaults to the origin of an absolute `src`). */
export interface UnpicOptions {
  baseUrl?: string;
}

const num = (v: number | string | undefined) => (v === undefined ? undefined : Number(v));

/** Builds the delivery URL for `src` (an id or a delivery URL) with `operations`. */
export function generate(
  src: string | URL,
  operations: UnpicOperations,
  options?: UnpicOptions,
): string {
  const text = src.toString();
  const baseUrl = options?.baseUrl ?? (/^https?:/.test(text) ? new URL(text).origin : '');
  const { width, height, quality, format, ...rest } = operations;
  const f = format === 'jpg' ? 'jpeg' : format;
  return createUrlBuilder({ baseUrl }).url(imageIdOf(text), {
    format: 'auto',
    ...rest,
    ...(width !== undefined && { width: num(width) }),
    ...(height !== undefined && { height: num(height) }),
    ...(quality !== undefined && { quality: num(quality) }),
    ...(f !== undefined && { format: f as OutputFormat }),
  });
}

/** Reads a delivery URL back into `{ src, operations, options }`; null for other URLs. */
export function extract(
  url: string | URL,
): { src: string; operations: UnpicOperations; options: UnpicOptions } | null {
  const u = new URL(url.toString(), 'http://relative.invalid');
  const match = /^\/img\/([^/]+)\/([^/]+)$/.exec(u.pathname);
  if (!match) return null;
  const [, id, segment] = match as unknown as [string, string, string];
  let spec;
  try {
    spec = parseTransform(segment === 'original' ? '' : decodeURIComponent(segment));
  } catch {
    return null; // a preset name or not ours
  }
  const { gravity: g, background: b, trim, border, ...rest } = spec;
  const operations: UnpicOperations = { ...rest };
  // trim and border are written as their canonical `trim…=` / `border.…=` options.
  const grouped = canonicalTransform({ ...DEFAULT_SPEC, trim, border });
  for (const pair of grouped ? grouped.split(',') : []) {
    const [k, v] = pair.split('=') as [keyof UnpicOperations, string];
    (operations as Record<string, unknown>)[k] =
      /^\d+$/.test(v) && !k.endsWith('color') ? Number(v) : v;
  }
  if (g.kind === 'focal') operations.gravity = { x: g.x, y: g.y };
  else if (g.kind !== 'center') operations.gravity = g.kind;
  if (b) {
    const hex = (n: number) => n.toString(16).padStart(2, '0');
    operations.background = `#${hex(b.r)}${hex(b.g)}${hex(b.b)}${b.a === 255 ? '' : hex(b.a)}`;
  }
  const options = u.origin === 'http://relative.invalid' ? {} : { baseUrl: u.origin };
  return { src: decodeURIComponent(id), operations, options };
}

/**
 * unpic's `transform`: keeps the options already in a delivery URL, applies `operations`
 * over them, and returns the new URL (an id as `src` works too).
 */
export function transform(
  src: string | URL,
  operations: UnpicOperations,
  options?: UnpicOptions,
): string {
  const found = extract(src);
  if (!found) return generate(src, operations, options);
  return generate(
    found.src,
    { ...found.operations, ...operations },
    { ...found.options, ...options },
  );
}
