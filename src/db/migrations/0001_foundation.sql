-- Foundation: accounts, tokens, rate-limit counters, the audit log, the job queue (also the outbox),
-- idempotency keys and the sandbox clock.

CREATE TABLE users (
  id            text PRIMARY KEY,
  email         text NOT NULL,
  password_hash text,                       -- NULL: cannot log in (service principals of API tokens)
  name          text,
  locale        text NOT NULL DEFAULT 'en' CHECK (locale IN ('en', 'zh-CN')),
  role          text NOT NULL CHECK (role IN ('customer', 'operator', 'admin', 'carrier')),
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now()
);
-- Emails are unique case-insensitively: the concurrency guarantee of registration rests on this.
CREATE UNIQUE INDEX users_email_key ON users (lower(email));

CREATE TABLE auth_tokens (
  id           text PRIMARY KEY,
  user_id      text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  kind         text NOT NULL CHECK (kind IN ('session', 'api')),
  token_hash   text NOT NULL UNIQUE,        -- sha256 of the secret; the secret itself is never stored
  name         text,
  created_by   text REFERENCES users (id),
  expires_at   timestamptz,                 -- NULL only for API tokens created without an expiry
  revoked_at   timestamptz,
  last_used_at timestamptz,
  created_at   timestamptz NOT NULL DEFAULT now(),
  CHECK (kind = 'api' OR expires_at IS NOT NULL)
);
CREATE INDEX auth_tokens_user_idx ON auth_tokens (user_id);

-- Fixed-window counters shared by every process (login attempts, PIN attempts…).
CREATE TABLE rate_limit_counters (
  key          text PRIMARY KEY,
  window_start timestamptz NOT NULL,
  count        integer NOT NULL CHECK (count >= 0)
);

-- Append-only: every operator action and every money movement.
CREATE TABLE audit_log (
  id          bigserial PRIMARY KEY,
  at          timestamptz NOT NULL DEFAULT now(),
  actor_id    text,                          -- NULL for the system (worker, webhooks)
  actor_role  text,
  action      text NOT NULL,
  target_type text NOT NULL,
  target_id   text NOT NULL,
  request_id  text,
  details     jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX audit_log_actor_idx ON audit_log (actor_id, id);
CREATE INDEX audit_log_target_idx ON audit_log (target_id, id);

CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only' USING ERRCODE = '2F003';
END $$;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();

-- Jobs and outbox: rows written in the same transaction as the state change that causes them,
-- claimed by workers with FOR UPDATE SKIP LOCKED.
CREATE TABLE jobs (
  id           bigserial PRIMARY KEY,
  queue        text NOT NULL,
  payload      jsonb NOT NULL DEFAULT '{}'::jsonb,
  dedupe_key   text UNIQUE,                  -- at most one job per key, ever
  status       text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'running', 'done', 'dead')),
  run_at       timestamptz NOT NULL,         -- in application-clock time (the sandbox clock may run ahead)
  attempts     integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  max_attempts integer NOT NULL DEFAULT 10 CHECK (max_attempts > 0),
  locked_until timestamptz,                  -- wall-clock lease; an expired lease is reclaimed
  last_error   text,
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX jobs_due_idx ON jobs (run_at) WHERE status = 'pending';
CREATE INDEX jobs_running_idx ON jobs (locked_until) WHERE status = 'running';

CREATE TABLE idempotency_keys (
  scope         text NOT NULL,               -- principal + route: one client's key never meets another's
  key           text NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
  request_hash  text NOT NULL,
  status        text NOT NULL CHECK (status IN ('in_progress', 'done')),
  owner_session text,                        -- the process working on it (Db.sessionTag)
  locked_until  timestamptz,                 -- lease: an in-progress key is free again after this, or once its owner died
  response_code integer,
  response_body jsonb,
  created_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (scope, key)
);
CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);

-- The sandbox clock: an offset from wall time shared by every process (sandbox mode only).
CREATE TABLE sandbox_clock (
  id        integer PRIMARY KEY CHECK (id = 1),
  offset_ms bigint NOT NULL DEFAULT 0 CHECK (offset_ms >= 0)
);
INSERT INTO sandbox_clock (id, offset_ms) VALUES (1, 0);
