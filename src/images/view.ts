/**
 * The public JSON shape of an image (snake_case, as the HTTP API documents it).
 */
import type { ImageRecord } from '../storage/images-db';

/** The API representation of an image; URLs are absolute, built from `origin`. */
export function imageView(rec: ImageRecord, origin: string) {
  return {
    id: rec.id,
    sha256: rec.sha256,
    format: rec.format,
    width: rec.width,
    height: rec.height,
    bytes: rec.bytes,
    orientation: rec.orientation,
    has_alpha: rec.hasAlpha,
    frames: rec.frames,
    progressive: rec.progressive,
    metadata: rec.metadata ?? {},
    /** Image card (computed once by the queue consumer after upload; null until then). */
    thumbhash: rec.thumbhash ?? null,
    colour: rec.colour ?? null,
    /** Attention point (fractions of the upright image) that `g=auto` crops centre on. */
    focal_point: rec.focal ?? null,
    created_at: new Date(rec.createdAt).toISOString(),
    urls: {
      original: `${origin}/img/${rec.id}/original`,
      info: `${origin}/v1/images/${rec.id}`,
      placeholder: `${origin}/img/${rec.id}/placeholder`,
    },
  };
}

/** {@link imageView}'s return type. */
export type ImageView = ReturnType<typeof imageView>;

/**
 * The answer to an upload: the image, `deduplicated` (the owner already had these bytes: the
 * image is returned as stored, 200 instead of 201) and `metadata_ignored` (true when such a
 * duplicate upload carried metadata other than the stored one, which is kept unchanged).
 */
export function uploadView(
  result: { record: ImageRecord; deduplicated: boolean; metadataIgnored: boolean },
  origin: string,
) {
  return {
    ...imageView(result.record, origin),
    deduplicated: result.deduplicated,
    metadata_ignored: result.metadataIgnored,
  };
}
