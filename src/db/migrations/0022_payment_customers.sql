-- The provider's own customer record for a user (a Stripe Customer): a saved card belongs to one,
-- and off-session charges name it. One per user and provider, reused by every later "save a card".
CREATE TABLE payment_customers (
  user_id       text NOT NULL REFERENCES users(id),
  provider      text NOT NULL CHECK (provider IN ('sandbox', 'stripe')),
  customer_ref  text NOT NULL,
  created_at    timestamptz NOT NULL,
  PRIMARY KEY (user_id, provider)
);
