-- Queues: image cards, variant bookkeeping for offloaded transforms, bulk jobs.

-- The image card, computed once by the queue consumer (null until then).
ALTER TABLE images ADD COLUMN thumbhash TEXT;   -- base64 ThumbHash (at most 25 bytes decoded)
ALTER TABLE images ADD COLUMN colour TEXT;      -- '#rrggbb': alpha-weighted average colour

-- Variants offloaded to the queue, per R2 object (variants/{sha256}/{spec_hash}.{ext}).
-- A `pending` row stops a second enqueue of the same variant; the consumer turns it `ready`
-- (or `failed` with the error). Inline-computed variants need no row.
CREATE TABLE variants (
  sha256     TEXT NOT NULL,
  spec_hash  TEXT NOT NULL,                -- storage/variants.ts specHash(spec, format)
  image_id   TEXT NOT NULL,                -- the image that asked (its facts drive the work)
  spec       TEXT NOT NULL,                -- canonical transform
  format     TEXT NOT NULL CHECK (format IN ('jpeg', 'png', 'webp', 'avif')),
  state      TEXT NOT NULL CHECK (state IN ('pending', 'ready', 'failed')),
  width      INTEGER,
  height     INTEGER,
  bytes      INTEGER,
  permanent  INTEGER NOT NULL DEFAULT 0,   -- failed for good (undecodable, too large)
  error      TEXT,
  created_at INTEGER NOT NULL,             -- unix ms
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (sha256, spec_hash)
);

-- Bulk jobs: (images × variants) fanned out over the queue.
CREATE TABLE jobs (
  id              TEXT PRIMARY KEY,
  owner           TEXT NOT NULL,
  status          TEXT NOT NULL
                  CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
  selection       TEXT NOT NULL,           -- JSON {"ids":[…]} or {"all":true,"after":ms|null,"before":ms}
  specs           TEXT NOT NULL,           -- JSON list of canonical transforms (deduplicated)
  variants        TEXT NOT NULL,           -- JSON list as requested (preset names or options)
  callback_url    TEXT,
  idempotency_key TEXT,
  request_hash    TEXT NOT NULL,           -- sha256 of the normalised request body
  cursor          TEXT,                    -- fan-out position; null before the first page
  fanout_done     INTEGER NOT NULL DEFAULT 0,
  estimated_total INTEGER NOT NULL,        -- images × specs when the job was created
  error           TEXT,
  webhook_status  TEXT CHECK (webhook_status IN ('pending', 'delivered', 'failed')),
  webhook_attempts INTEGER NOT NULL DEFAULT 0,
  webhook_error   TEXT,
  created_at      INTEGER NOT NULL,        -- unix ms
  started_at      INTEGER,
  finished_at     INTEGER,
  updated_at      INTEGER NOT NULL,
  UNIQUE (owner, idempotency_key)
);
CREATE INDEX jobs_owner_created ON jobs (owner, created_at DESC, id DESC);

-- One row per (job, image, spec). Counts are always derived from these rows.
CREATE TABLE job_items (
  job_id      TEXT NOT NULL,
  image_id    TEXT NOT NULL,
  spec        TEXT NOT NULL,               -- canonical transform
  status      TEXT NOT NULL
              CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
  attempts    INTEGER NOT NULL DEFAULT 0,
  last_error  TEXT,
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL,
  finished_at INTEGER,
  UNIQUE (job_id, image_id, spec)
);
CREATE INDEX job_items_status ON job_items (job_id, status);
