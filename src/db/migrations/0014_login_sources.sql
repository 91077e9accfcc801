-- The client addresses each account has logged in from (src/modules/accounts/service.ts). Failed
-- logins are limited per (account, address) and, for addresses the account has never logged in
-- from, by a paced per-account ceiling: an address listed here is the owner's own and is never held
-- back by what strangers try. One row per (account, address), refreshed by each success.
CREATE TABLE login_sources (
  user_id         text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  ip              text NOT NULL CHECK (length(ip) BETWEEN 1 AND 255),
  last_success_at timestamptz NOT NULL,
  PRIMARY KEY (user_id, ip)
);
CREATE INDEX login_sources_last_success_idx ON login_sources (last_success_at);
