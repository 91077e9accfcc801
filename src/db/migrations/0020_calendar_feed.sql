-- The private calendar feed (src/modules/calendar): one secret per user, in the feed URL that calendar
-- apps poll without any header. Looked up by its keyed hash (the plain secret is never a key here);
-- kept encrypted too, bound to its user, so GET /me can show the same URL again. Rotating replaces
-- both in place, so the old URL stops working at once (the hash no longer matches any row).
CREATE TABLE calendar_feeds (
  user_id      text PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  secret_hash  text NOT NULL UNIQUE CHECK (secret_hash ~ '^[0-9a-f]{64}$'),
  secret_enc   text NOT NULL,
  created_at   timestamptz NOT NULL,
  rotated_at   timestamptz
);

-- Auto-renewal reads lines through the lines module by (expires_at, id) among lines with auto-renew
-- on (autoRenewLinesExpiringBy): a partial index keeps that sweep off the lines it does not renew.
CREATE INDEX lines_auto_renew_idx ON lines (expires_at, id) WHERE auto_renew_enabled;
