-- Origin sources (src/sources/, docs/sources.md): which image an object of a configured
-- source currently is. Identity = source + path + the origin's validators; the bytes live in
-- R2 under their SHA-256 like an upload (so equal bytes share variants), and `image_id` is
-- the image row made from them. After the source's TTL (`checked_at`) the object is
-- revalidated with a conditional request; a changed object gets a new image and the old one
-- is retired with its variants.
CREATE TABLE source_objects (
  source        TEXT NOT NULL,
  path          TEXT NOT NULL,
  image_id      TEXT NOT NULL,
  sha256        TEXT NOT NULL,
  etag          TEXT,                      -- the origin's ETag, as sent
  last_modified TEXT,                      -- the origin's Last-Modified, as sent
  checked_at    INTEGER NOT NULL,          -- unix ms of the last fetch or revalidation
  changed_at    INTEGER NOT NULL,          -- unix ms when these bytes were first seen here
  PRIMARY KEY (source, path)
);
CREATE INDEX source_objects_image ON source_objects (image_id);
