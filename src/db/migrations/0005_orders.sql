-- Orders, payments, refunds, vouchers, the sandbox provider's own records and reconciliation
-- reports. Owned by src/modules/orders and src/modules/payments. Money is integer minor units +
-- ISO 4217 currency. The guarantees that keep money safe are constraints here, not only code:
-- one order per (user, Idempotency-Key), one effect per provider event (payment_events PK), never
-- more refunded than captured (payments CHECK), one redemption per voucher (guarded UPDATE + state).

CREATE TABLE orders (
  id                text PRIMARY KEY CHECK (id ~ '^ord_[a-z0-9]+$'),
  user_id           text NOT NULL REFERENCES users (id),
  line_id           text NOT NULL REFERENCES lines (id),
  kind              text NOT NULL CHECK (kind IN ('plan', 'topup')),
  status            text NOT NULL CHECK (status IN ('awaiting_payment', 'paid', 'provisioning', 'completed',
                                                    'failed', 'cancelled', 'refunded', 'expired')),
  plan              jsonb,                         -- the plan as priced (snapshot); NULL for a top-up
  quote_id          text,
  subtotal_minor    bigint NOT NULL CHECK (subtotal_minor >= 0),
  discount_minor    bigint NOT NULL CHECK (discount_minor >= 0),
  total_minor       bigint NOT NULL CHECK (total_minor >= 0),
  currency          text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  discounts         jsonb NOT NULL DEFAULT '[]'::jsonb,
  bonus             jsonb NOT NULL DEFAULT '{}'::jsonb,  -- {dataMb, validityDays, walletCreditMinor}
  promotion_ids     text[] NOT NULL DEFAULT '{}',
  payment_method    text NOT NULL CHECK (payment_method IN ('card', 'paypal', 'alipay', 'wechat_pay', 'wallet', 'voucher')),
  -- NULL once an order failed before reaching the provider: a retry with the key starts afresh.
  idempotency_key   text CHECK (length(idempotency_key) BETWEEN 1 AND 255),
  expires_at        timestamptz NOT NULL,          -- application-clock time; unpaid after this → expired
  created_at        timestamptz NOT NULL,
  updated_at        timestamptz NOT NULL,
  paid_at           timestamptz,
  completed_at      timestamptz,
  CHECK (total_minor = subtotal_minor - discount_minor),
  CHECK ((kind = 'plan') = (plan IS NOT NULL)),
  CHECK (status IN ('awaiting_payment', 'failed', 'cancelled', 'expired') OR paid_at IS NOT NULL),
  CHECK (status <> 'completed' OR completed_at IS NOT NULL)
);
-- A retry after a crash between the order's commit and the stored idempotent response finds it.
CREATE UNIQUE INDEX orders_user_idempotency_key ON orders (user_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX orders_user_idx ON orders (user_id, id DESC);
CREATE INDEX orders_line_idx ON orders (line_id, id DESC);
CREATE INDEX orders_status_idx ON orders (status, id DESC);
CREATE INDEX orders_awaiting_expiry_idx ON orders (expires_at) WHERE status = 'awaiting_payment';

CREATE TABLE order_events (
  id       bigserial PRIMARY KEY,
  order_id text NOT NULL REFERENCES orders (id),
  at       timestamptz NOT NULL,                   -- application-clock time
  status   text NOT NULL,
  detail   text
);
CREATE INDEX order_events_order_idx ON order_events (order_id, id);

CREATE TABLE payments (
  id             text PRIMARY KEY CHECK (id ~ '^pay_[a-z0-9]+$'),
  order_id       text NOT NULL UNIQUE REFERENCES orders (id),
  provider       text NOT NULL CHECK (provider IN ('sandbox', 'stripe', 'alipay', 'wechat_pay', 'paypal', 'wallet', 'voucher')),
  provider_ref   text,
  status         text NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed', 'cancelled', 'refunded', 'partially_refunded')),
  amount_minor   bigint NOT NULL CHECK (amount_minor >= 0),
  currency       text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  -- Reserved when a refund is recorded (pending included), released if the refund fails: the
  -- CHECK is the last line of defence against refunding more than was captured.
  refunded_minor bigint NOT NULL DEFAULT 0 CHECK (refunded_minor >= 0 AND refunded_minor <= amount_minor),
  action         jsonb,                            -- {type, url?, qrData?} once the provider answered
  captured_at    timestamptz,
  created_at     timestamptz NOT NULL,
  updated_at     timestamptz NOT NULL,
  CHECK (status NOT IN ('refunded', 'partially_refunded') OR captured_at IS NOT NULL)
);
CREATE INDEX payments_status_idx ON payments (status, created_at);

-- One row per provider event: written in the same transaction as the event's effect, so a
-- duplicate delivery finds it and changes nothing.
CREATE TABLE payment_events (
  provider    text NOT NULL,
  event_id    text NOT NULL CHECK (length(event_id) BETWEEN 1 AND 255),
  type        text NOT NULL,
  payment_id  text,
  outcome     text NOT NULL,                       -- what it did: captured, failed, duplicate_capture, amount_mismatch, …
  summary     jsonb NOT NULL DEFAULT '{}'::jsonb,  -- amounts and refs only, never credentials or card data
  received_at timestamptz NOT NULL,
  PRIMARY KEY (provider, event_id)
);
CREATE INDEX payment_events_payment_idx ON payment_events (payment_id) WHERE payment_id IS NOT NULL;

CREATE TABLE refunds (
  id                  text PRIMARY KEY CHECK (id ~ '^ref_[a-z0-9]+$'),
  order_id            text NOT NULL REFERENCES orders (id),
  payment_id          text NOT NULL REFERENCES payments (id),
  amount_minor        bigint NOT NULL CHECK (amount_minor > 0),
  currency            text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  destination         text NOT NULL CHECK (destination IN ('provider', 'wallet')),
  status              text NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
  reason              text NOT NULL CHECK (length(reason) BETWEEN 1 AND 500),
  idempotency         text NOT NULL,               -- the operator's key, or the automatic cause
  provider_refund_ref text,
  created_by          text,                        -- NULL: the system (automatic compensation)
  created_at          timestamptz NOT NULL,
  updated_at          timestamptz NOT NULL,
  UNIQUE (order_id, idempotency)
);
CREATE INDEX refunds_payment_idx ON refunds (payment_id);

CREATE TABLE vouchers (
  id                text PRIMARY KEY CHECK (id ~ '^vch_[a-z0-9]+$'),
  code_hash         text NOT NULL UNIQUE,          -- HMAC-SHA256(server key, code); the code is shown once
  amount_minor      bigint NOT NULL CHECK (amount_minor > 0),
  currency          text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  status            text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'redeemed')),
  redeemed_order_id text REFERENCES orders (id),
  redeemed_at       timestamptz,
  created_by        text,
  created_at        timestamptz NOT NULL,
  CHECK ((status = 'redeemed') = (redeemed_order_id IS NOT NULL))
);

-- The sandbox provider's own books, as a real provider's dashboard would show them: what the
-- payer did on the hosted page. Reconciliation compares payments against these rows.
CREATE TABLE sandbox_payments (
  id             text PRIMARY KEY,
  payment_id     text NOT NULL UNIQUE,
  amount_minor   bigint NOT NULL CHECK (amount_minor >= 0),
  currency       text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  description    text NOT NULL,
  return_url     text NOT NULL,
  status         text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'succeeded', 'failed')),
  outcome_event  text,                             -- the event id delivered for the outcome
  refunded_minor bigint NOT NULL DEFAULT 0 CHECK (refunded_minor >= 0 AND refunded_minor <= amount_minor),
  created_at     timestamptz NOT NULL,
  completed_at   timestamptz
);

CREATE TABLE reconciliation_reports (
  id          bigserial PRIMARY KEY,
  ran_at      timestamptz NOT NULL,                -- application-clock time
  checked     integer NOT NULL CHECK (checked >= 0),
  repaired    integer NOT NULL CHECK (repaired >= 0),
  issues      jsonb NOT NULL DEFAULT '[]'::jsonb,  -- [{kind, paymentId?, orderId?, detail}]
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX reconciliation_reports_ran_idx ON reconciliation_reports (ran_at DESC);
