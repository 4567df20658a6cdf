-- Security (issue 6): API keys stored hashed, and one-time direct-upload tokens.

-- API keys managed with POST/GET/DELETE /v1/keys (admin scope), besides the API_KEYS secret.
-- Only the SHA-256 of a key is stored; the key itself is shown once, at creation.
CREATE TABLE api_keys (
  id          TEXT PRIMARY KEY,            -- public key id ("k_" + 16 base64url chars)
  key_hash    TEXT NOT NULL UNIQUE,        -- lowercase hex SHA-256 of the key's UTF-8 bytes
  owner       TEXT NOT NULL,               -- the owner whose images the key sees
  scopes      TEXT NOT NULL,               -- JSON list drawn from "read", "upload", "admin"
  label       TEXT,                        -- free text for humans, at most 100 characters
  created_at  INTEGER NOT NULL,            -- unix ms
  revoked_at  INTEGER                      -- unix ms; NULL while the key is valid
);
CREATE INDEX api_keys_owner ON api_keys (owner, created_at DESC);

-- One-time upload URLs (POST /v1/uploads). Only the SHA-256 of the token is stored.
-- A token is claimed atomically for one attempt (claimed_at, a 2-minute lease), marked used
-- on success (used_at, image_id), and released on failure, so a bad file does not spend it.
CREATE TABLE upload_tokens (
  token_hash  TEXT PRIMARY KEY,            -- lowercase hex SHA-256 of the token
  owner       TEXT NOT NULL,               -- owner of the image the upload creates
  key_id      TEXT NOT NULL,               -- API key that issued it (rate limits are charged to it)
  policy      TEXT NOT NULL,               -- JSON: max_bytes, formats, max_pixels, metadata, eager
  created_at  INTEGER NOT NULL,            -- unix ms
  expires_at  INTEGER NOT NULL,            -- unix ms
  claimed_at  INTEGER,                     -- unix ms of the attempt in flight, NULL when none
  used_at     INTEGER,                     -- unix ms of the successful upload
  image_id    TEXT                         -- the image it created
);
CREATE INDEX upload_tokens_expires ON upload_tokens (expires_at);
