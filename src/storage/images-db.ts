/**
 * D1 queries for the `images` table: the only module with SQL for images.
 */
import type { AvifCoding, ImageFormat } from '../codecs/probe';
import { listNewestFirst, type ListPosition } from './newest-first';

export type { ListPosition };

/** A row of `images`, as the API uses it. Width and height are as displayed. */
export interface ImageRecord {
  id: string;
  owner: string;
  sha256: string;
  format: ImageFormat;
  width: number;
  height: number;
  bytes: number;
  orientation: number;
  hasAlpha: boolean;
  frames: number;
  progressive: boolean;
  cmyk: boolean;
  /**
   * WebP whose decode runs a lossless (VP8L) bitstream: a VP8L image or a losslessly
   * compressed alpha plane; the planner prices its decode separately.
   */
  webpLossless: boolean;
  /**
   * The image itself is VP8L (ProbeResult.webpVp8l; stored as `webp_lossless` 2): decoded in
   * a window of rows. False for a lossless alpha plane, and for rows stored before it was
   * told apart (`webp_lossless` 1: priced as a whole image).
   */
  webpVp8l?: boolean;
  /**
   * Making a variant runs the colour transform: an embedded ICC profile, or an AVIF (stored as
   * `colour_managed` 1/0). Absent for rows stored before it was recorded (charged as true).
   */
  colourManaged?: boolean;
  /**
   * AVIF: the primary item's AV1 coding (ProbeResult.avifCoding; `avif_bit_depth`,
   * `avif_chroma`). Absent for other formats and for rows stored before it was recorded.
   */
  avifCoding?: AvifCoding;
  /** User metadata (a JSON object) or null. */
  metadata: Record<string, unknown> | null;
  /** Unix ms. */
  createdAt: number;
  /** Base64 ThumbHash from the image card (queue consumer); null/absent until computed. */
  thumbhash?: string | null;
  /** Average colour `#rrggbb` from the image card; null/absent until computed. */
  colour?: string | null;
  /** Attention point from the image card (fractions of the upright image); null until computed. */
  focal?: { x: number; y: number } | null;
}

interface ImageRow {
  id: string;
  owner: string;
  sha256: string;
  format: ImageFormat;
  width: number;
  height: number;
  bytes: number;
  orientation: number;
  has_alpha: number;
  frames: number;
  progressive: number;
  cmyk: number;
  webp_lossless: number;
  colour_managed: number | null;
  avif_bit_depth: number | null;
  avif_chroma: string | null;
  metadata: string | null;
  created_at: number;
  thumbhash?: string | null;
  colour?: string | null;
  focal_x?: number | null;
  focal_y?: number | null;
}

const COLUMNS =
  'id, owner, sha256, format, width, height, bytes, orientation, has_alpha, frames, progressive, cmyk, webp_lossless, colour_managed, avif_bit_depth, avif_chroma, metadata, created_at';

const toRecord = (r: ImageRow): ImageRecord => ({
  id: r.id,
  owner: r.owner,
  sha256: r.sha256,
  format: r.format,
  width: r.width,
  height: r.height,
  bytes: r.bytes,
  orientation: r.orientation,
  hasAlpha: r.has_alpha === 1,
  frames: r.frames,
  progressive: r.progressive === 1,
  cmyk: r.cmyk === 1,
  webpLossless: r.webp_lossless >= 1,
  webpVp8l: r.webp_lossless === 2,
  ...(r.colour_managed !== null && { colourManaged: r.colour_managed === 1 }),
  ...(r.avif_bit_depth !== null &&
    r.avif_chroma !== null && {
      avifCoding: { bitDepth: r.avif_bit_depth, chroma: r.avif_chroma } as AvifCoding,
    }),
  metadata: r.metadata === null ? null : (JSON.parse(r.metadata) as Record<string, unknown>),
  createdAt: r.created_at,
  thumbhash: r.thumbhash ?? null,
  colour: r.colour ?? null,
  focal:
    r.focal_x === null || r.focal_x === undefined || r.focal_y === null || r.focal_y === undefined
      ? null
      : { x: r.focal_x, y: r.focal_y },
});

/** Columns read back: the inserted ones plus the image card. */
const SELECTED = `${COLUMNS}, thumbhash, colour, focal_x, focal_y`;

/**
 * Inserts an image row unless the owner already has these bytes, and only while its original
 * is not being deleted (no `retiring_originals` tombstone: src/images/retire.ts).
 * @returns the row now stored for (owner, sha256) and whether this call inserted it; null when
 *   there is none because the bytes are being deleted (store them again after the deletion).
 */
export async function insertImage(
  db: D1Database,
  rec: ImageRecord,
): Promise<{ record: ImageRecord; inserted: boolean } | null> {
  const [insert, select] = await db.batch<ImageRow>([
    db
      .prepare(
        `INSERT INTO images (${COLUMNS}) SELECT ?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18
         WHERE NOT EXISTS (SELECT 1 FROM retiring_originals WHERE sha256 = ?3)
         ON CONFLICT (owner, sha256) DO NOTHING`,
      )
      .bind(
        rec.id,
        rec.owner,
        rec.sha256,
        rec.format,
        rec.width,
        rec.height,
        rec.bytes,
        rec.orientation,
        rec.hasAlpha ? 1 : 0,
        rec.frames,
        rec.progressive ? 1 : 0,
        rec.cmyk ? 1 : 0,
        rec.webpVp8l ? 2 : rec.webpLossless ? 1 : 0,
        rec.colourManaged === undefined ? null : rec.colourManaged ? 1 : 0,
        rec.avifCoding?.bitDepth ?? null,
        rec.avifCoding?.chroma ?? null,
        rec.metadata === null ? null : JSON.stringify(rec.metadata),
        rec.createdAt,
      ),
    db
      .prepare(`SELECT ${SELECTED} FROM images WHERE owner = ? AND sha256 = ?`)
      .bind(rec.owner, rec.sha256),
  ]);
  const row = select?.results[0];
  if (!row) return null;
  return { record: toRecord(row), inserted: (insert?.meta.changes ?? 0) > 0 };
}

/** The image with this id owned by `owner`, or null (another owner's id is null too). */
export async function getImage(
  db: D1Database,
  owner: string,
  id: string,
): Promise<ImageRecord | null> {
  const row = await db
    .prepare(`SELECT ${SELECTED} FROM images WHERE id = ? AND owner = ?`)
    .bind(id, owner)
    .first<ImageRow>();
  return row ? toRecord(row) : null;
}

/** The owner's image with these bytes, or null. */
export async function getImageBySha(
  db: D1Database,
  owner: string,
  sha256: string,
): Promise<ImageRecord | null> {
  const row = await db
    .prepare(`SELECT ${SELECTED} FROM images WHERE owner = ? AND sha256 = ?`)
    .bind(owner, sha256)
    .first<ImageRow>();
  return row ? toRecord(row) : null;
}

/** The image with this id whoever owns it, or null (for public delivery URLs). */
export async function getImageById(db: D1Database, id: string): Promise<ImageRecord | null> {
  const row = await db
    .prepare(`SELECT ${SELECTED} FROM images WHERE id = ?`)
    .bind(id)
    .first<ImageRow>();
  return row ? toRecord(row) : null;
}

/**
 * Lists an owner's images newest first (ties by id descending), starting after `after`
 * (./newest-first.ts).
 */
export function listImages(
  db: D1Database,
  owner: string,
  limit: number,
  after?: ListPosition,
): Promise<{ records: ImageRecord[]; more: boolean }> {
  return listNewestFirst(db, 'images', SELECTED, owner, limit, after, toRecord);
}

/**
 * Deletes an owner's image row.
 * @returns the sha256 it referred to and how many rows still refer to it, or null if absent.
 */
export async function deleteImage(
  db: D1Database,
  owner: string,
  id: string,
): Promise<{ sha256: string; remaining: number } | null> {
  const row = await db
    .prepare('DELETE FROM images WHERE id = ? AND owner = ? RETURNING sha256')
    .bind(id, owner)
    .first<{ sha256: string }>();
  if (!row) return null;
  const count = await db
    .prepare('SELECT COUNT(*) AS n FROM images WHERE sha256 = ?')
    .bind(row.sha256)
    .first<{ n: number }>();
  return { sha256: row.sha256, remaining: count?.n ?? 0 };
}

/** Stores an image's card (idempotent: the same bytes give the same card). */
export async function setImageCard(
  db: D1Database,
  id: string,
  card: { thumbhash: string; colour: string | null; focal: { x: number; y: number } },
): Promise<boolean> {
  const res = await db
    .prepare('UPDATE images SET thumbhash = ?, colour = ?, focal_x = ?, focal_y = ? WHERE id = ?')
    .bind(card.thumbhash, card.colour, card.focal.x, card.focal.y, id)
    .run();
  return res.meta.changes > 0;
}

/** An owner's images created in (`after`, `before`] (unix ms; `after` null = no lower bound). */
export interface CreatedRange {
  after: number | null;
  before: number;
}

/** Counts an owner's images in a creation-time range. */
export async function countImagesCreated(
  db: D1Database,
  owner: string,
  range: CreatedRange,
): Promise<number> {
  const row = await db
    .prepare(
      'SELECT COUNT(*) AS n FROM images WHERE owner = ? AND created_at > ? AND created_at <= ?',
    )
    .bind(owner, range.after ?? -1, range.before)
    .first<{ n: number }>();
  return row?.n ?? 0;
}

/**
 * Pages through an owner's image ids in a creation-time range, oldest first (ties by id),
 * starting after `from`: keyset pagination, so a million images are never held at once.
 */
export async function pageImageIds(
  db: D1Database,
  owner: string,
  range: CreatedRange,
  limit: number,
  from?: ListPosition,
): Promise<{ ids: string[]; last: ListPosition | null; more: boolean }> {
  const { results } = await db
    .prepare(
      `SELECT id, created_at FROM images
       WHERE owner = ?1 AND created_at > ?2 AND created_at <= ?3
         AND (created_at > ?4 OR (created_at = ?4 AND id > ?5))
       ORDER BY created_at, id LIMIT ?6`,
    )
    .bind(owner, range.after ?? -1, range.before, from?.createdAt ?? -1, from?.id ?? '', limit + 1)
    .all<{ id: string; created_at: number }>();
  const page = results.slice(0, limit);
  const tail = page.at(-1);
  return {
    ids: page.map((r) => r.id),
    last: tail ? { createdAt: tail.created_at, id: tail.id } : null,
    more: results.length > limit,
  };
}

/** Which of these hashes at least one image row refers to (any owner). At most 100 hashes. */
export async function referencedShas(
  db: D1Database,
  shas: readonly string[],
): Promise<Set<string>> {
  if (!shas.length) return new Set();
  if (shas.length > 100) throw new RangeError('referencedShas: at most 100 hashes per call');
  const { results } = await db
    .prepare(
      `SELECT DISTINCT sha256 FROM images WHERE sha256 IN (${shas.map(() => '?').join(',')})`,
    )
    .bind(...shas)
    .all<{ sha256: string }>();
  return new Set(results.map((r) => r.sha256));
}

/**
 * Images still without a card (or a card made before the attention point existed: no
 * `focal_x`, migration 0008) that were created before `before` and not re-sent since, with
 * card re-sends left: each gets one more (compare-and-set on the time of the last re-send).
 * @returns their ids, for the reconciler to send `card` messages.
 */
export async function claimMissingCards(
  db: D1Database,
  before: number,
  maxRedrives: number,
  limit: number,
  now: number,
): Promise<string[]> {
  const { results } = await db
    .prepare(
      `UPDATE images SET card_redrives = card_redrives + 1, card_redriven_at = ?2
       WHERE id IN (SELECT id FROM images WHERE focal_x IS NULL AND created_at < ?1
         AND card_redrives < ?3 AND COALESCE(card_redriven_at, 0) < ?1 LIMIT ?4)
       RETURNING id`,
    )
    .bind(before, now, maxRedrives, limit)
    .all<{ id: string }>();
  return results.map((r) => r.id);
}
