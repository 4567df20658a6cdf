/**
 * Direct creator uploads: one-time upload URLs carrying a policy. `POST /v1/uploads` (upload
 * scope) validates a policy request, stores the token's SHA-256 with the policy, and returns
 * `upload_url` = `{origin}/v1/uploads/{token}`; a browser then posts the file there with no
 * API key (see routes/uploads.ts and docs/security.md).
 */
import type { ImageFormat } from '../codecs/probe';
import {
  UPLOAD_TOKEN_DEFAULT_EXPIRES_S,
  UPLOAD_TOKEN_MAX_EAGER_PRESETS,
  UPLOAD_TOKEN_MAX_EXPIRES_S,
  UPLOAD_TOKEN_MIN_EXPIRES_S,
  type Config,
} from '../config';
import { badRequest } from '../errors';
import { base64url } from './signature';

/** What a caller may restrict beyond the service limits (direct-upload policies). */
export interface IngestPolicy {
  /** Largest accepted width × height, pixels. */
  maxPixels?: number;
  /** Accepted formats; all when absent. */
  formats?: readonly string[];
  /** Largest accepted file, bytes (checked before probing: 413). */
  maxBytes?: number;
  /**
   * Preset names a direct upload asked to generate eagerly (from its upload token): enqueued
   * after a successful ingest, besides the presets marked `eager` (work/producer.ts).
   */
  eagerPresets?: readonly string[];
}

const FORMATS: readonly ImageFormat[] = ['jpeg', 'png', 'webp', 'avif', 'gif'];

/** What a token allows (stored as JSON in D1, snake_case as in the API). */
export interface UploadPolicy {
  /** Largest accepted file, bytes (≤ the service's MAX_UPLOAD_BYTES). */
  max_bytes: number;
  /** Accepted formats, or null for every accepted format. */
  formats: ImageFormat[] | null;
  /** Largest accepted width × height, pixels (≤ MAX_SOURCE_PIXELS). */
  max_pixels: number;
  /** User metadata given to the image (the uploader cannot change it), or null. */
  metadata: Record<string, unknown> | null;
  /** Preset names to generate after the upload (handed to the queue; see IngestPolicy). */
  eager: string[];
}

/** A validated `POST /v1/uploads` request: the policy and the lifetime in seconds. */
export interface UploadRequest {
  policy: UploadPolicy;
  expiresIn: number;
}

/** What a token looks like: 256 random bits, base64url (43 characters). */
export const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/** A new random token. */
export const newUploadToken = () => base64url(crypto.getRandomValues(new Uint8Array(32)));

const FIELDS = new Set(['max_bytes', 'formats', 'max_pixels', 'metadata', 'eager', 'expires_in']);

/** An integer in `[min, max]` or the default when absent. @throws HttpError 400 naming it. */
function intField(
  body: Record<string, unknown>,
  name: string,
  min: number,
  max: number,
  fallback: number,
): number {
  const v = body[name];
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
    throw badRequest(`${name} must be an integer from ${min} to ${max}.`, { option: name });
  return v;
}

/**
 * Validates a `POST /v1/uploads` body (a JSON object, or nothing for the defaults):
 * `max_bytes` 1..MAX_UPLOAD_BYTES, `formats` a non-empty list of jpeg/png/webp/avif/gif,
 * `max_pixels` 1..MAX_SOURCE_PIXELS, `metadata` a JSON object of at most MAX_METADATA_BYTES,
 * `eager` up to {@link UPLOAD_TOKEN_MAX_EAGER_PRESETS} syntactically valid preset names
 * (existence is the caller's check), `expires_in` {@link UPLOAD_TOKEN_MIN_EXPIRES_S}..
 * {@link UPLOAD_TOKEN_MAX_EXPIRES_S} seconds.
 * @param isPresetName the preset-name syntax check (transform/spec.ts).
 * @throws HttpError 400 naming the offending field (unknown fields too).
 */
export function parseUploadRequest(
  raw: unknown,
  config: Config,
  isPresetName: (name: string) => boolean,
): UploadRequest {
  const body = raw ?? {};
  if (typeof body !== 'object' || Array.isArray(body))
    throw badRequest('The body must be a JSON object (or empty for the defaults).');
  const b = body as Record<string, unknown>;
  for (const name of Object.keys(b))
    if (!FIELDS.has(name)) throw badRequest(`Unknown field ${name}.`, { option: name });

  let formats: ImageFormat[] | null = null;
  if (b.formats !== undefined) {
    const f = b.formats;
    if (
      !Array.isArray(f) ||
      f.length === 0 ||
      !f.every((x): x is ImageFormat => FORMATS.includes(x as ImageFormat))
    )
      throw badRequest(`formats must be a non-empty list drawn from ${FORMATS.join(', ')}.`, {
        option: 'formats',
      });
    formats = FORMATS.filter((x) => f.includes(x));
  }

  let metadata: Record<string, unknown> | null = null;
  if (b.metadata !== undefined && b.metadata !== null) {
    const m = b.metadata;
    if (typeof m !== 'object' || Array.isArray(m))
      throw badRequest('metadata must be a JSON object.', { option: 'metadata' });
    const size = new TextEncoder().encode(JSON.stringify(m)).byteLength;
    if (size > config.maxMetadataBytes)
      throw badRequest(
        `metadata is ${size} bytes; at most ${config.maxMetadataBytes} are accepted.`,
        { option: 'metadata', limit: config.maxMetadataBytes },
      );
    metadata = m as Record<string, unknown>;
  }

  let eager: string[] = [];
  if (b.eager !== undefined) {
    const e = b.eager;
    if (
      !Array.isArray(e) ||
      e.length > UPLOAD_TOKEN_MAX_EAGER_PRESETS ||
      !e.every((x): x is string => typeof x === 'string' && isPresetName(x))
    )
      throw badRequest(
        `eager must be a list of at most ${UPLOAD_TOKEN_MAX_EAGER_PRESETS} preset names.`,
        {
          option: 'eager',
        },
      );
    eager = [...new Set(e)];
  }

  return {
    policy: {
      max_bytes: intField(b, 'max_bytes', 1, config.maxUploadBytes, config.maxUploadBytes),
      formats,
      max_pixels: intField(b, 'max_pixels', 1, config.maxSourcePixels, config.maxSourcePixels),
      metadata,
      eager,
    },
    expiresIn: intField(
      b,
      'expires_in',
      UPLOAD_TOKEN_MIN_EXPIRES_S,
      UPLOAD_TOKEN_MAX_EXPIRES_S,
      UPLOAD_TOKEN_DEFAULT_EXPIRES_S,
    ),
  };
}

/**
 * Reads a stored policy back (written by this module, so trusted in shape).
 * @throws Error when the stored text is not a policy (a server fault).
 */
export function storedPolicy(text: string): UploadPolicy {
  const p = JSON.parse(text) as UploadPolicy;
  if (typeof p.max_bytes !== 'number' || typeof p.max_pixels !== 'number')
    throw new Error('upload_tokens: stored policy is malformed');
  return p;
}

/** The ingest limits a policy imposes (see images/ingest.ts). */
export function ingestPolicy(p: UploadPolicy): IngestPolicy {
  return {
    maxBytes: p.max_bytes,
    maxPixels: p.max_pixels,
    ...(p.formats ? { formats: p.formats } : {}),
    eagerPresets: p.eager,
  };
}
