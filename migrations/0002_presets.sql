-- Named transforms managed with PUT/GET/DELETE /v1/presets/:name (admin scope).
-- `options` holds the canonical transform string (validated by the same parser as URLs).
CREATE TABLE presets (
  name       TEXT PRIMARY KEY,
  options    TEXT NOT NULL,
  public     INTEGER NOT NULL DEFAULT 0,   -- served without a URL signature (security issue)
  eager      INTEGER NOT NULL DEFAULT 0,   -- generated on upload through the queue
  created_at INTEGER NOT NULL,             -- unix ms
  updated_at INTEGER NOT NULL
);
