-- Originals: one row per (owner, content). Width and height are as displayed,
-- after EXIF orientation; the stored (coded) size swaps them for orientation 5-8.
CREATE TABLE images (
  id          TEXT PRIMARY KEY,            -- public id: random, URL-safe, not the hash
  owner       TEXT NOT NULL,
  sha256      TEXT NOT NULL,               -- hex; R2 key originals/{sha256}
  format      TEXT NOT NULL CHECK (format IN ('jpeg', 'png', 'webp', 'avif', 'gif')),
  width       INTEGER NOT NULL,
  height      INTEGER NOT NULL,
  bytes       INTEGER NOT NULL,
  orientation INTEGER NOT NULL DEFAULT 1,
  has_alpha   INTEGER NOT NULL DEFAULT 0,
  frames      INTEGER NOT NULL DEFAULT 1,
  progressive INTEGER NOT NULL DEFAULT 0,
  cmyk        INTEGER NOT NULL DEFAULT 0,
  metadata    TEXT,                        -- user JSON object, at most MAX_METADATA_BYTES
  created_at  INTEGER NOT NULL,            -- unix ms
  UNIQUE (owner, sha256)
);
CREATE INDEX images_owner_created ON images (owner, created_at DESC, id DESC);
CREATE INDEX images_sha256 ON images (sha256);
