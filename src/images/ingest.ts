/**
 * Ingesting an original: probe the header, enforce limits, hash, store in R2, record in D1.
 * Order matters for consistency: the R2 object is written before the D1 row, so a failure
 * at any step leaves no row without its object (an object without a row is harmless and
 * is reclaimed by the orphan sweep; see docs/architecture.md).
 */
import { displaySize, probe, ProbeError, type ProbeResult } from '../codecs/probe';
import { mayConvertColour } from '../codecs/icc';
import { INGEST_STORE_ATTEMPTS, UPLOAD_IN_MEMORY_BYTES, type Config } from '../config';
import {
  badRequest,
  HttpError,
  tooLarge,
  unavailable,
  unprocessable,
  unsupportedMedia,
} from '../errors';
import { sha256Hex } from '../hash';
import { fileBytes, fileHead, type UploadFile } from '../http/upload-body';
import { newImageId } from '../ids';
import { enqueueOnUpload } from '../work/producer';
import { awaitRetirement } from './retire';
import { logEvent } from '../observability/log';
import type { IngestPolicy } from '../security/upload-tokens';
import { getImageBySha, insertImage, type ImageRecord } from '../storage/images-db';
import {
  BodyStreamError,
  deleteStaged,
  promoteStaged,
  putOriginal,
  stageStream,
} from '../storage/originals';

/**
 * Result of an ingest: the stored record, whether it already existed for this owner, and
 * whether the request's metadata differs from the existing record's (it is not applied: a
 * duplicate upload returns the image as stored; docs/architecture.md).
 */
export interface IngestResult {
  record: ImageRecord;
  deduplicated: boolean;
  metadataIgnored: boolean;
}

/** JSON with object keys sorted, so that equal metadata compares equal whatever its order. */
const canonicalJson = (v: unknown): string =>
  JSON.stringify(v, (_k, x: unknown) =>
    x && typeof x === 'object' && !Array.isArray(x)
      ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : x,
  );

/** The result for bytes the owner already had: the stored record, unchanged. */
const duplicate = (
  record: ImageRecord,
  metadata: Record<string, unknown> | null,
): IngestResult => ({
  record,
  deduplicated: true,
  metadataIgnored: metadata !== null && canonicalJson(metadata) !== canonicalJson(record.metadata),
});

/**
 * Probes and checks an upload's header against the limits, without decoding pixels.
 * `bytes` may be only the first bytes of a file of `totalBytes` (a streamed upload).
 * @throws HttpError 413 (over `policy.maxBytes`), 415 (not an accepted format), 422
 *   (malformed header or over a limit, with `limit` and the offending value in the body).
 */
export function checkHeader(
  bytes: Uint8Array,
  config: Config,
  policy: IngestPolicy = {},
  totalBytes = bytes.byteLength,
): ProbeResult {
  if (totalBytes === 0) throw unsupportedMedia('The body is empty: send the image bytes.');
  if (policy.maxBytes !== undefined && totalBytes > policy.maxBytes)
    throw tooLarge(policy.maxBytes);
  let facts: ProbeResult;
  try {
    facts = probe(bytes);
  } catch (err) {
    if (err instanceof ProbeError && err.kind === 'unsupported')
      throw unsupportedMedia(`${err.message} Accepted: JPEG, PNG, WebP, AVIF, GIF.`);
    if (err instanceof ProbeError) throw unprocessable(err.message);
    throw err;
  }
  if (policy.formats && !policy.formats.includes(facts.format))
    throw unsupportedMedia(
      `This upload accepts ${policy.formats.join(', ')}, not ${facts.format}.`,
    );
  const side = Math.max(facts.width, facts.height);
  if (side > config.maxSourceSidePx)
    throw unprocessable(
      `The image is ${facts.width}x${facts.height}; the largest side accepted is ${config.maxSourceSidePx} px.`,
      {
        limit: config.maxSourceSidePx,
        width: facts.width,
        height: facts.height,
      },
    );
  const maxPixels = Math.min(config.maxSourcePixels, policy.maxPixels ?? Infinity);
  const pixels = facts.width * facts.height;
  if (pixels > maxPixels)
    throw unprocessable(`The image has ${pixels} pixels; at most ${maxPixels} are accepted.`, {
      limit: maxPixels,
      pixels,
    });
  return facts;
}

/**
 * {@link checkHeader} for an upload's file. A streamed file is probed from its first bytes,
 * which cannot count the frames of an animation: animated files (GIF, animated WebP, APNG)
 * are accepted up to `UPLOAD_IN_MEMORY_BYTES` only.
 * @throws HttpError as {@link checkHeader}; 413 for a streamed animated file.
 */
export function checkUpload(
  file: UploadFile,
  config: Config,
  policy: IngestPolicy = {},
): ProbeResult {
  const facts = checkHeader(fileHead(file), config, policy, fileBytes(file));
  const animatedWebp =
    facts.format === 'webp' && ((file.kind === 'stream' ? file.head[20] : 0) ?? 0) & 0x02;
  if (file.kind === 'stream' && (facts.format === 'gif' || facts.frames > 1 || animatedWebp))
    throw new HttpError(
      413,
      'payload-too-large',
      'Payload too large',
      `Animated images (GIF, animated WebP or PNG) are accepted up to ${UPLOAD_IN_MEMORY_BYTES} bytes.`,
      { limit: UPLOAD_IN_MEMORY_BYTES },
    );
  return facts;
}

/**
 * Stores an original for `owner`, then enqueues its card and eager presets. Idempotent: the
 * same bytes from the same owner return the existing record with `deduplicated: true` and
 * write nothing (metadata included: `metadataIgnored` says when the request's differed). Bytes
 * whose deletion is in progress are stored again once it has ended (./retire.ts).
 * @throws HttpError from {@link checkHeader}, 503 when the bytes are still being deleted after
 *   a few seconds; storage errors propagate (500) and leave no row.
 */
export async function ingestOriginal(
  env: Pick<Env, 'BUCKET' | 'DB' | 'JOBS'>,
  config: Config,
  owner: string,
  file: UploadFile,
  metadata: Record<string, unknown> | null,
  policy?: IngestPolicy,
): Promise<IngestResult> {
  const facts = checkUpload(file, config, policy);
  if (file.kind === 'bytes') {
    const { bytes } = file;
    const sha256 = await sha256Hex(bytes);
    return record(env, config, owner, facts, sha256, file, metadata, policy, () =>
      putOriginal(env.BUCKET, sha256, bytes, facts.format),
    );
  }
  let staged;
  try {
    staged = await stageStream(env.BUCKET, file.head, file.rest, file.length);
  } catch (err) {
    if (err instanceof BodyStreamError)
      throw badRequest('The body could not be read to its Content-Length; send it again.');
    throw err;
  }
  const { key, sha256 } = staged;
  try {
    return await record(env, config, owner, facts, sha256, file, metadata, policy, () =>
      promoteStaged(env.BUCKET, key, sha256, facts.format),
    );
  } finally {
    await deleteStaged(env.BUCKET, key);
  }
}

/**
 * The rest of {@link ingestOriginal} once the bytes' hash is known: the duplicate check, then
 * `store` (R2) before the D1 row, retried while the same bytes are being deleted.
 */
async function record(
  env: Pick<Env, 'BUCKET' | 'DB' | 'JOBS'>,
  config: Config,
  owner: string,
  facts: ProbeResult,
  sha256: string,
  file: UploadFile,
  metadata: Record<string, unknown> | null,
  policy: IngestPolicy | undefined,
  store: () => Promise<unknown>,
): Promise<IngestResult> {
  const existing = await getImageBySha(env.DB, owner, sha256);
  if (existing) return duplicate(existing, metadata);

  const shown = displaySize(facts);
  const row: ImageRecord = {
    id: newImageId(),
    owner,
    sha256,
    format: facts.format,
    width: shown.width,
    height: shown.height,
    bytes: fileBytes(file),
    orientation: facts.orientation,
    hasAlpha: facts.hasAlpha,
    frames: facts.frames,
    progressive: facts.progressive,
    cmyk: facts.cmyk,
    webpLossless: facts.webpLossless === true,
    webpVp8l: facts.webpVp8l === true,
    colourManaged: mayConvertColour(facts),
    ...(facts.avifCoding && { avifCoding: facts.avifCoding }),
    metadata,
    createdAt: Date.now(),
  };
  let saved: Awaited<ReturnType<typeof insertImage>> = null;
  for (let attempt = 1; !saved; attempt++) {
    await store();
    saved = await insertImage(env.DB, row);
    // Refused: the same bytes are being deleted. Wait for that to end, then store them again.
    if (!saved) {
      if (attempt === INGEST_STORE_ATTEMPTS)
        throw unavailable('The same bytes are being deleted right now; retry the upload.');
      await awaitRetirement(env, sha256);
    }
  }
  const { record, inserted } = saved;
  if (!inserted) return duplicate(record, metadata);
  if (config.queueUploadWork) {
    // The image card and eager presets. The original is stored either way: a queue failure
    // must not fail the upload (its variants are then made on first request).
    try {
      await enqueueOnUpload(env, record, policy?.eagerPresets);
    } catch (err) {
      logEvent('error', 'upload work not queued', { id: record.id, error: String(err) });
    }
  }
  return { record, deduplicated: false, metadataIgnored: false };
}
