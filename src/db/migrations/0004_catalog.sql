-- Catalog: plans, promotions, their redemptions and stored quotes. Owned by src/modules/catalog.
-- Money is integer minor units + ISO 4217 currency; texts shown to subscribers are locale → text
-- maps that always hold 'en'.

CREATE TABLE plans (
  id             text PRIMARY KEY CHECK (id ~ '^plan_[A-Za-z0-9_]+$'),
  code           text NOT NULL UNIQUE CHECK (code ~ '^[a-z0-9][a-z0-9._-]{1,63}$'),
  name           jsonb NOT NULL CHECK (jsonb_typeof(name) = 'object' AND name ? 'en'),
  description    jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(description) = 'object'),
  kind           text NOT NULL CHECK (kind IN ('base', 'addon', 'topup', 'bundle')),
  carriers       text[] CHECK (carriers IS NULL OR cardinality(carriers) > 0),    -- NULL: every carrier
  regions        text[] NOT NULL CHECK (cardinality(regions) > 0),               -- ISO 3166 alpha-2 coverage
  -- A bundle's price is computed from its modules on every quote, never stored.
  price_minor    bigint CHECK (price_minor > 0),
  currency       text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  validity_days  integer NOT NULL CHECK (validity_days BETWEEN 0 AND 3650),
  data_mb        integer NOT NULL DEFAULT 0 CHECK (data_mb >= 0),
  voice_min      integer NOT NULL DEFAULT 0 CHECK (voice_min >= 0),
  sms            integer NOT NULL DEFAULT 0 CHECK (sms >= 0),
  auto_renewable boolean NOT NULL DEFAULT false,
  expiry_policy  text NOT NULL DEFAULT 'extend' CHECK (expiry_policy IN ('extend', 'stack', 'reset')),
  active         boolean NOT NULL DEFAULT true,
  is_demo        boolean NOT NULL DEFAULT false,
  -- [{unit, blockSize, blockPriceMinor}] in the plan's currency; only for kind 'bundle'.
  bundle_modules jsonb CHECK (bundle_modules IS NULL OR jsonb_typeof(bundle_modules) = 'array'),
  created_at     timestamptz NOT NULL,
  updated_at     timestamptz NOT NULL,
  CHECK ((kind = 'bundle') = (bundle_modules IS NOT NULL)),
  CHECK ((kind = 'bundle') = (price_minor IS NULL)),
  CHECK (kind = 'topup' OR validity_days >= 1),
  CHECK (kind <> 'topup' OR (data_mb = 0 AND voice_min = 0 AND sms = 0))
);
CREATE INDEX plans_active_idx ON plans (kind, code) WHERE active;

CREATE TABLE promotions (
  id               text PRIMARY KEY CHECK (id ~ '^promo_[A-Za-z0-9_]+$'),
  title            jsonb NOT NULL CHECK (jsonb_typeof(title) = 'object' AND title ? 'en'),
  kind             text NOT NULL CHECK (kind IN ('percent_off', 'amount_off', 'bonus_data_pct', 'bonus_validity_days', 'first_recharge_bonus')),
  -- percent_off: a percent with ≤ 2 decimals; amount_off: minor units; others: whole numbers.
  value            numeric(14, 2) NOT NULL CHECK (value > 0),
  currency         text CHECK (currency ~ '^[A-Z]{3}$'),
  -- Stored trimmed upper-case; unique among ACTIVE promotions (index below), so a code can be
  -- reused once the promotion that carried it is withdrawn.
  coupon_code      text CHECK (coupon_code IS NULL OR coupon_code = upper(btrim(coupon_code))),
  plan_ids         text[] CHECK (plan_ids IS NULL OR cardinality(plan_ids) > 0),   -- NULL: every plan and top-ups
  starts_at        timestamptz,
  ends_at          timestamptz,
  max_redemptions  integer CHECK (max_redemptions > 0),
  per_user_limit   integer CHECK (per_user_limit > 0),
  active           boolean NOT NULL DEFAULT true,
  is_demo          boolean NOT NULL DEFAULT false,
  -- Reserved redemptions; the last line of defence of maxRedemptions under concurrency.
  redemption_count integer NOT NULL DEFAULT 0
    CHECK (redemption_count >= 0 AND (max_redemptions IS NULL OR redemption_count <= max_redemptions)),
  created_at       timestamptz NOT NULL,
  updated_at       timestamptz NOT NULL,
  CHECK ((kind = 'amount_off') = (currency IS NOT NULL)),
  CHECK (kind <> 'percent_off' OR value <= 100),
  CHECK (kind IN ('percent_off') OR value = trunc(value)),
  CHECK (starts_at IS NULL OR ends_at IS NULL OR ends_at > starts_at)
);
CREATE UNIQUE INDEX promotions_active_coupon_key ON promotions (coupon_code) WHERE active AND coupon_code IS NOT NULL;
CREATE INDEX promotions_active_auto_idx ON promotions (id) WHERE active AND coupon_code IS NULL;

-- One row per (promotion, order): reserved when the order is placed, released when it is
-- cancelled, expires or fails before payment. The primary key makes reserving idempotent.
CREATE TABLE promotion_redemptions (
  promotion_id text NOT NULL REFERENCES promotions (id),
  order_id     text NOT NULL,                -- no FK: orders is a later migration
  user_id      text NOT NULL REFERENCES users (id),
  line_id      text NOT NULL REFERENCES lines (id),
  status       text NOT NULL CHECK (status IN ('reserved', 'released')),
  created_at   timestamptz NOT NULL,
  PRIMARY KEY (promotion_id, order_id)
);
CREATE INDEX promotion_redemptions_user_idx ON promotion_redemptions (user_id, promotion_id) WHERE status = 'reserved';
CREATE INDEX promotion_redemptions_order_idx ON promotion_redemptions (order_id);

-- A quote is a promise: an order placed with it before expires_at costs total_minor, priced from
-- plan_snapshot (the plan as quoted) even if the operator changed the plan meanwhile.
CREATE TABLE quotes (
  id                 text PRIMARY KEY CHECK (id ~ '^quote_[A-Za-z0-9_]+$'),
  user_id            text NOT NULL REFERENCES users (id),
  line_id            text NOT NULL REFERENCES lines (id),
  kind               text NOT NULL CHECK (kind IN ('plan', 'topup')),
  plan_id            text REFERENCES plans (id),
  topup_amount_minor bigint CHECK (topup_amount_minor > 0),
  bundle             jsonb,                   -- the subscriber's {dataMb, voiceMin, sms} for a bundle plan
  coupon_code        text,
  currency           text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  subtotal_minor     bigint NOT NULL CHECK (subtotal_minor >= 0),
  discount_minor     bigint NOT NULL CHECK (discount_minor >= 0),
  total_minor        bigint NOT NULL CHECK (total_minor >= 0 AND total_minor = subtotal_minor - discount_minor),
  discounts          jsonb NOT NULL DEFAULT '[]'::jsonb,
  bonuses            jsonb NOT NULL DEFAULT '[]'::jsonb,
  plan_snapshot      jsonb,
  promotion_ids      text[] NOT NULL DEFAULT '{}',
  expires_at         timestamptz NOT NULL,    -- application clock
  created_at         timestamptz NOT NULL,    -- application clock
  CHECK ((plan_id IS NULL) <> (topup_amount_minor IS NULL)),
  CHECK ((plan_id IS NULL) = (plan_snapshot IS NULL)),
  CHECK (expires_at > created_at)
);
CREATE INDEX quotes_user_idx ON quotes (user_id, created_at);
CREATE INDEX quotes_expires_idx ON quotes (expires_at);
