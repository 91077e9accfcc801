-- Saved payment methods (API.md) and auto-renewal (SPEC.md step 7).
-- Only provider tokens are stored: a card number never reaches simkeep (the provider's page takes it).
CREATE TABLE saved_payment_methods (
  id            text PRIMARY KEY,
  user_id       text NOT NULL REFERENCES users(id),
  provider      text NOT NULL CHECK (provider IN ('sandbox', 'stripe')),
  provider_ref  text NOT NULL,
  brand         text,
  last4         text CHECK (last4 ~ '^[0-9]{4}$'),
  expires_at    timestamptz,
  is_default    boolean NOT NULL DEFAULT false,
  created_at    timestamptz NOT NULL,
  UNIQUE (provider, provider_ref)
);
-- One default per user, enforced by the database.
CREATE UNIQUE INDEX saved_payment_methods_one_default ON saved_payment_methods (user_id) WHERE is_default;
CREATE INDEX saved_payment_methods_user_idx ON saved_payment_methods (user_id, created_at);

-- A "save a card" session opened on the provider's page; completed once (guarded UPDATE).
CREATE TABLE payment_method_setups (
  id                 text PRIMARY KEY,
  user_id            text NOT NULL REFERENCES users(id),
  provider           text NOT NULL CHECK (provider IN ('sandbox', 'stripe')),
  provider_ref       text,
  status             text NOT NULL CHECK (status IN ('open', 'completed', 'cancelled')),
  saved_method_id    text REFERENCES saved_payment_methods(id) ON DELETE SET NULL,
  created_at         timestamptz NOT NULL
);

-- One row per (line, period): the period is the expiry the renewal extends. The UNIQUE constraint
-- is what makes "at most one renewal per line and period" hold across clock jumps and workers.
CREATE TABLE renewals (
  id             text PRIMARY KEY,
  line_id        text NOT NULL REFERENCES lines(id),
  user_id        text NOT NULL REFERENCES users(id),
  period_end     timestamptz NOT NULL,
  plan_id        text NOT NULL,
  amount_minor   bigint NOT NULL CHECK (amount_minor >= 0),
  currency       text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  status         text NOT NULL CHECK (status IN ('scheduled', 'charging', 'succeeded', 'pending', 'pay_link', 'capped', 'failed', 'cancelled')),
  path           text CHECK (path IN ('wallet', 'saved_method', 'pay_link')),
  order_id       text,
  noticed_at     timestamptz NOT NULL,
  charge_at      timestamptz NOT NULL,
  detail         text,
  created_at     timestamptz NOT NULL,
  updated_at     timestamptz NOT NULL,
  UNIQUE (line_id, period_end)
);
CREATE INDEX renewals_due_idx ON renewals (charge_at) WHERE status = 'scheduled';
CREATE INDEX renewals_line_month_idx ON renewals (line_id, charge_at);
