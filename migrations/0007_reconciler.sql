-- The reconciler (src/work/reconcile.ts, a cron every few minutes) re-drives lost work.
-- Numbered 0007 so that a security migration numbered 0006 can land beside it in any order.

-- Messages the queue refused even after quick retries (src/work/producer.ts): the
-- reconciler sends them again and deletes each row once the queue took it.
CREATE TABLE pending_sends (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  body        TEXT NOT NULL,               -- the JobMessage as JSON
  attempts    INTEGER NOT NULL DEFAULT 0,  -- reconciler attempts so far
  last_error  TEXT,
  created_at  INTEGER NOT NULL,            -- unix ms
  next_at     INTEGER NOT NULL             -- unix ms: not before this
);
CREATE INDEX pending_sends_next ON pending_sends (next_at);

-- How often the reconciler re-sent an item's message (bounded; then the item fails).
ALTER TABLE job_items ADD COLUMN redrives INTEGER NOT NULL DEFAULT 0;
-- Open items by last progress, for the reconciler's scan.
CREATE INDEX job_items_open ON job_items (updated_at) WHERE status IN ('queued', 'running');

-- How often the reconciler re-sent a job's fan-out page (bounded; then the job fails).
ALTER TABLE jobs ADD COLUMN redrives INTEGER NOT NULL DEFAULT 0;
CREATE INDEX jobs_open ON jobs (updated_at) WHERE status IN ('queued', 'running');

-- Card messages the reconciler re-sent for an image still without a card (bounded).
ALTER TABLE images ADD COLUMN card_redrives INTEGER NOT NULL DEFAULT 0;
ALTER TABLE images ADD COLUMN card_redriven_at INTEGER;  -- unix ms of the last re-send
CREATE INDEX images_no_card ON images (created_at) WHERE thumbhash IS NULL;
-- A job's latest progress (MAX(updated_at) of its items) in one index seek.
CREATE INDEX job_items_progress ON job_items (job_id, updated_at);
