-- Lines: carrier profiles, SIM inventory, subscriber lines, their allowance buckets, the
-- idempotency record of credits and the lifecycle history. Owned by src/modules/lines.

CREATE TABLE carriers (
  code                  text PRIMARY KEY CHECK (code ~ '^[a-z0-9][a-z0-9_-]{0,63}$'),
  name                  text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  country               text NOT NULL CHECK (country ~ '^[A-Z]{2}$'),      -- ISO 3166 alpha-2: the line's region
  currency              text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),     -- ISO 4217: PAYG rates and wallets
  validity_days         integer NOT NULL CHECK (validity_days BETWEEN 1 AND 3650),
  grace_days            integer NOT NULL CHECK (grace_days BETWEEN 0 AND 3650),
  suspend_days          integer NOT NULL CHECK (suspend_days BETWEEN 0 AND 3650),
  keep_alive_rule       text NOT NULL CHECK (keep_alive_rule IN ('recharge', 'activity')),
  keep_alive_every_days integer NOT NULL CHECK (keep_alive_every_days BETWEEN 1 AND 3650),
  topup_grants_validity boolean NOT NULL DEFAULT false,
  payg_rates            jsonb NOT NULL CHECK (jsonb_typeof(payg_rates) = 'object' AND payg_rates ? 'default'),
  created_at            timestamptz NOT NULL DEFAULT now()
);

-- Inventory: one row per physical card or eSIM profile, imported by operators.
CREATE TABLE sims (
  id                  text PRIMARY KEY,
  iccid               text NOT NULL UNIQUE CHECK (iccid ~ '^89[0-9]{17,18}$'),
  imsi                text NOT NULL CHECK (imsi ~ '^[0-9]{6,15}$'),
  msisdn              text CHECK (msisdn ~ '^\+[1-9][0-9]{0,14}$'),       -- NULL: data-only profile
  pin_hash            text NOT NULL,                                     -- HMAC-SHA256, never the PIN
  form                text NOT NULL CHECK (form IN ('esim', 'physical')),
  carrier_code        text NOT NULL REFERENCES carriers (code),
  activation_code_enc text,                                              -- AES-256-GCM `v1:…`; the Matching ID is secret
  status              text NOT NULL DEFAULT 'available' CHECK (status IN ('available', 'bound', 'retired')),
  created_at          timestamptz NOT NULL DEFAULT now(),
  CHECK ((form = 'esim') = (activation_code_enc IS NOT NULL))
);
CREATE INDEX sims_carrier_status_idx ON sims (carrier_code, status);

CREATE TABLE lines (
  id                            text PRIMARY KEY,
  sim_id                        text NOT NULL UNIQUE REFERENCES sims (id),
  user_id                       text NOT NULL REFERENCES users (id),
  iccid                         text NOT NULL,
  msisdn                        text,
  carrier_code                  text NOT NULL REFERENCES carriers (code),
  form                          text NOT NULL CHECK (form IN ('esim', 'physical')),
  nickname                      text CHECK (length(nickname) BETWEEN 1 AND 64),
  status                        text NOT NULL CHECK (status IN ('bound', 'active', 'grace', 'suspended', 'recycled', 'terminated')),
  operator_suspended            boolean NOT NULL DEFAULT false,
  expires_at                    timestamptz,
  last_recharge_at              timestamptz,
  last_activity_at              timestamptz,
  lapsed_at                     timestamptz,
  -- When the next time-driven transition is due (NULL: none can happen without an event); the
  -- lifecycle sweep reads only lines whose moment has come.
  lifecycle_due_at              timestamptz,
  plan_id                       text,                                    -- no FK: the catalog is a later migration
  plan_name                     jsonb,
  auto_renew_enabled            boolean NOT NULL DEFAULT false,
  auto_renew_plan_id            text,
  auto_renew_monthly_cap_minor  bigint CHECK (auto_renew_monthly_cap_minor >= 0),
  auto_renew_cap_currency       text CHECK (auto_renew_cap_currency ~ '^[A-Z]{3}$'),
  flagged                       boolean NOT NULL DEFAULT false,
  created_at                    timestamptz NOT NULL DEFAULT now(),
  updated_at                    timestamptz NOT NULL DEFAULT now(),
  CHECK (NOT operator_suspended OR status IN ('suspended', 'terminated')),
  CHECK (NOT auto_renew_enabled OR auto_renew_plan_id IS NOT NULL),
  CHECK ((auto_renew_monthly_cap_minor IS NULL) = (auto_renew_cap_currency IS NULL))
);
CREATE INDEX lines_user_idx ON lines (user_id, id);
CREATE INDEX lines_status_idx ON lines (status, id);
CREATE INDEX lines_expires_idx ON lines (expires_at) WHERE expires_at IS NOT NULL;
CREATE INDEX lines_lifecycle_due_idx ON lines (lifecycle_due_at) WHERE lifecycle_due_at IS NOT NULL;
CREATE INDEX lines_msisdn_idx ON lines (msisdn) WHERE msisdn IS NOT NULL;
CREATE INDEX lines_iccid_idx ON lines (iccid);

-- Allowances in exact base units: data bytes, voice seconds, SMS messages.
CREATE TABLE buckets (
  id                text PRIMARY KEY,
  line_id           text NOT NULL REFERENCES lines (id),
  unit              text NOT NULL CHECK (unit IN ('data', 'voice', 'sms')),
  total             bigint NOT NULL CHECK (total > 0),
  remaining         bigint NOT NULL CHECK (remaining >= 0 AND remaining <= total),
  expires_at        timestamptz NOT NULL,
  source            text NOT NULL CHECK (source IN ('plan', 'bonus', 'addon')),
  order_id          text,
  expired_remainder bigint NOT NULL DEFAULT 0 CHECK (expired_remainder >= 0 AND expired_remainder <= total),
  created_at        timestamptz NOT NULL DEFAULT now(),
  -- Crediting one order twice is impossible: at most one bucket per order, unit and source.
  UNIQUE (order_id, unit, source)
);
CREATE INDEX buckets_line_expires_idx ON buckets (line_id, expires_at);

-- One row per order (or top-up) credited to a line: the idempotency record of creditPlan and
-- recordRecharge. The primary key is what makes a second credit of the same order a no-op.
CREATE TABLE line_credits (
  order_id   text PRIMARY KEY,
  line_id    text NOT NULL REFERENCES lines (id),
  kind       text NOT NULL CHECK (kind IN ('plan', 'recharge')),
  applied_at timestamptz NOT NULL
);
CREATE INDEX line_credits_line_idx ON line_credits (line_id);

-- Lifecycle history: every status change with its reason and due instant (application clock).
CREATE TABLE line_events (
  id          bigserial PRIMARY KEY,
  line_id     text NOT NULL REFERENCES lines (id),
  at          timestamptz NOT NULL,
  from_status text CHECK (from_status IN ('inventory', 'bound', 'active', 'grace', 'suspended', 'recycled', 'terminated')),
  to_status   text NOT NULL CHECK (to_status IN ('bound', 'active', 'grace', 'suspended', 'recycled', 'terminated')),
  reason      text NOT NULL,
  detail      text
);
CREATE INDEX line_events_line_idx ON line_events (line_id, id);
