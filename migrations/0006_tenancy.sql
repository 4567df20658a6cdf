-- Tenant isolation (issue 11): presets belong to an owner, and a tombstone table that closes
-- the delete-vs-upload race on shared original bytes.

-- Presets keyed by (owner, name): every query is scoped by owner (src/storage/presets-db.ts),
-- and /img/{id}/{preset} resolves only presets of the image's owner.
CREATE TABLE presets_owned (
  owner      TEXT NOT NULL,                -- the API key owner that manages the preset
  name       TEXT NOT NULL,
  options    TEXT NOT NULL,                -- canonical transform string
  public     INTEGER NOT NULL DEFAULT 0,   -- served unsigned, for this owner's images only
  eager      INTEGER NOT NULL DEFAULT 0,   -- generated on this owner's uploads
  created_at INTEGER NOT NULL,             -- unix ms
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (owner, name)
);

-- Existing presets had no owner, so who made each one is unknown. Safe rule (fail closed):
-- every owner the database knows (from images, api_keys, jobs, upload_tokens; `default` when
-- there is none) gets its own copy, so each owner's existing /img/{id}/{name} URLs keep
-- resolving, but the copies are neither public nor eager: no owner ends up with unsigned
-- delivery or upload work it did not ask for. Owners turn the flags back on with
-- PUT /v1/presets/{name} (docs/security.md).
INSERT INTO presets_owned (owner, name, options, public, eager, created_at, updated_at)
SELECT o.owner, p.name, p.options, 0, 0, p.created_at, p.updated_at
FROM presets AS p,
  (SELECT owner FROM images
   UNION SELECT owner FROM api_keys
   UNION SELECT owner FROM jobs
   UNION SELECT owner FROM upload_tokens
   UNION SELECT 'default' WHERE NOT EXISTS (SELECT 1 FROM images)
     AND NOT EXISTS (SELECT 1 FROM api_keys) AND NOT EXISTS (SELECT 1 FROM jobs)
     AND NOT EXISTS (SELECT 1 FROM upload_tokens)) AS o;

DROP TABLE presets;
ALTER TABLE presets_owned RENAME TO presets;
-- Per-owner counts for the limits (public, eager) are read through the primary key's prefix.

-- Originals being deleted (src/images/retire.ts). A deleter inserts the row only while no
-- image row refers to the bytes (one statement, so D1 orders it against every insert), then
-- deletes the R2 objects, then the row. An upload inserts its image row only while there is
-- no such row, and otherwise waits and stores the bytes again: so no image row is ever left
-- without its original. A row older than a lease is finished by the next upload or the sweep.
CREATE TABLE retiring_originals (
  sha256     TEXT PRIMARY KEY,             -- hex; R2 key originals/{sha256}
  started_at INTEGER NOT NULL              -- unix ms
);
CREATE INDEX retiring_originals_started ON retiring_originals (started_at);
