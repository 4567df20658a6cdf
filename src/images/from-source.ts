/**
 * Which image an object of a source is now (docs/sources.md, "Consistency"): the identity of
 * an origin object is its source, path and validators; its bytes are ingested like an upload
 * (header checks before any decode, R2 under their SHA-256, an image row of the source's
 * owner), so two paths with the same bytes share one original and its variants. Within the
 * source's TTL the recorded image is used without asking the origin; after it, a conditional
 * request revalidates: unchanged, the record is touched; changed, the new bytes become a new
 * image and the old one is retired with its variants (the purge machinery of deletes).
 */
import type { Config } from '../config';
import { ingestOriginal } from './ingest';
import { retireOriginal } from './retire';
import { purgeVariantsLater } from '../work/producer';
import { deleteImage, getImageById } from '../storage/images-db';
import {
  countSourceObjectsOfImage,
  getSourceObject,
  putSourceObject,
  touchSourceObject,
  type SourceObject,
} from '../storage/sources-db';
import type { Source } from '../sources/config';
import { fetchObject } from '../sources/fetch';
import { checkPrefix } from '../sources/key';

/** What {@link resolveObject} found. */
export interface Resolved {
  imageId: string;
  /** `cached` (within the TTL), `revalidated` (304), `fetched` (new or changed bytes). */
  via: 'cached' | 'revalidated' | 'fetched';
}

/**
 * The image id of `key` in `source`, fetching or revalidating it when needed; `beforeFetch`
 * runs before any request to the origin (a rate limit), `now` is unix ms.
 * @throws HttpError from the prefix check (403), the fetch (404, 422, 502, 504) and the
 *   upload checks (415, 422); nothing is stored when any of them fails.
 */
export async function resolveObject(
  env: Env,
  config: Config,
  source: Source,
  key: string,
  { now = Date.now(), beforeFetch }: { now?: number; beforeFetch?: () => Promise<void> } = {},
): Promise<Resolved> {
  checkPrefix(source, key);
  const recorded = await getSourceObject(env.DB, source.name, key);
  if (recorded && now - recorded.checkedAt < source.ttlSeconds * 1000)
    return { imageId: recorded.imageId, via: 'cached' };
  // Its image deleted through the API meanwhile: fetched again, unconditionally.
  const held =
    recorded && (await getImageById(env.DB, recorded.imageId)) !== null ? recorded : null;
  const maxBytes = source.maxBytes ?? config.maxUploadBytes;
  await beforeFetch?.();
  const outcome = await fetchObject(env, source, key, maxBytes, held);
  if (outcome.status === 'not-modified' && held) {
    await touchSourceObject(env.DB, source.name, key, held.sha256, now);
    return { imageId: held.imageId, via: 'revalidated' };
  }
  if (outcome.status === 'not-modified') throw new Error('not-modified without a held copy');
  const { object } = outcome;
  const { record } = await ingestOriginal(
    env,
    config,
    source.owner,
    { kind: 'bytes', bytes: object.bytes },
    {
      source: source.name,
      path: key,
    },
  );
  const changed = !held || held.sha256 !== record.sha256;
  await putSourceObject(env.DB, {
    source: source.name,
    path: key,
    imageId: record.id,
    sha256: record.sha256,
    etag: object.etag,
    lastModified: object.lastModified,
    checkedAt: now,
    changedAt: changed ? now : held.changedAt,
  });
  if (held && held.imageId !== record.id) await retireImage(env, source, held);
  return { imageId: record.id, via: 'fetched' };
}

/**
 * Retires the image an object was before it changed, unless another source object still is
 * that image or it was not made by a source (an upload of the same bytes by the same owner).
 * The original goes unless another row refers to its bytes; its variants through the queue.
 */
async function retireImage(env: Env, source: Source, old: SourceObject): Promise<void> {
  if ((await countSourceObjectsOfImage(env.DB, old.imageId)) > 0) return;
  const rec = await getImageById(env.DB, old.imageId);
  if (!rec || rec.metadata?.source === undefined) return;
  const gone = await deleteImage(env.DB, source.owner, old.imageId);
  if (gone?.remaining === 0) {
    await retireOriginal(env, gone.sha256, { variants: false });
    await purgeVariantsLater(env, gone.sha256);
  }
}
