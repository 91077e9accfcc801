-- Refunds that survive a provider timeout (src/modules/orders/refunds.ts): a provider refund whose
-- answer never arrived stays `pending` and is re-driven with the SAME refund id by a job, so the
-- provider must deduplicate on it — the sandbox too, in its own books below. A refund also keeps a
-- small detail record (the first-recharge bonus taken back with a top-up refund, and any shortfall).

-- The sandbox provider's refund requests, one per simkeep refund id (its idempotency key), like a
-- real provider's refund objects: a repeat of an id answers what the first call did and moves
-- nothing. `rejected` remembers a refusal, so a repeat of a refused id is refused again.
CREATE TABLE sandbox_refunds (
  id           text PRIMARY KEY,                   -- simkeep's refund id (ref_…)
  payment_id   text NOT NULL REFERENCES sandbox_payments (payment_id),
  amount_minor bigint NOT NULL CHECK (amount_minor > 0),
  currency     text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  status       text NOT NULL CHECK (status IN ('succeeded', 'rejected')),
  created_at   timestamptz NOT NULL
);
CREATE INDEX sandbox_refunds_payment_idx ON sandbox_refunds (payment_id);

-- {bonusReversedMinor, bonusShortfallMinor, walletRemainderMinor…}: what a refund did besides moving its amount.
ALTER TABLE refunds ADD COLUMN detail jsonb NOT NULL DEFAULT '{}'::jsonb;

-- Refunds recorded before this migration keep what they moved in sandbox_payments.refunded_minor;
-- their detail is empty. Check: every refund has a detail object.
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM refunds WHERE detail IS NULL OR jsonb_typeof(detail) <> 'object') THEN
    RAISE EXCEPTION 'refunds.detail must be set on every row';
  END IF;
END $$;
