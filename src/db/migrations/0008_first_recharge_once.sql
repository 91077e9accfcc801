-- A first-recharge promotion is granted at most once per line, whatever the number of orders,
-- quotes or concurrent requests (docs/decisions/0001-pricing-and-promotions.md). The guarantee is
-- the database's: a redemption of a first_recharge_bonus promotion carries its line in
-- `first_recharge_line_id`, and at most one such RESERVED redemption may exist per line. A released
-- one (order cancelled, expired, failed before payment) gives the grant back to the line.
ALTER TABLE promotion_redemptions ADD COLUMN first_recharge_line_id text;
ALTER TABLE promotion_redemptions ADD CONSTRAINT promotion_redemptions_first_recharge_line_check
  CHECK (first_recharge_line_id IS NULL OR first_recharge_line_id = line_id);

-- Backfill. Lines that got the bonus more than once before this guarantee existed (the bug it
-- fixes) keep every redemption as it is — the bonus was credited, the counters stay true — and only
-- the earliest one holds the line's grant. Released ones carry the line too, so that re-reserving
-- one (idempotent per order) is held by the same index.
UPDATE promotion_redemptions r SET first_recharge_line_id = r.line_id
  FROM promotions p
 WHERE p.id = r.promotion_id AND p.kind = 'first_recharge_bonus'
   AND (r.status = 'released' OR (r.promotion_id, r.order_id) IN (
         SELECT DISTINCT ON (x.line_id) x.promotion_id, x.order_id
           FROM promotion_redemptions x JOIN promotions xp ON xp.id = x.promotion_id
          WHERE x.status = 'reserved' AND xp.kind = 'first_recharge_bonus'
          ORDER BY x.line_id, x.created_at, x.order_id, x.promotion_id));

CREATE UNIQUE INDEX promotion_redemptions_first_recharge_key
  ON promotion_redemptions (first_recharge_line_id) WHERE status = 'reserved';

-- The quote cleanup (catalog/jobs.ts) keeps quotes an order names; this finds them without a scan.
CREATE INDEX orders_quote_idx ON orders (quote_id) WHERE quote_id IS NOT NULL;

DO $$
BEGIN
  IF EXISTS (
    SELECT 1 FROM promotion_redemptions r JOIN promotions p ON p.id = r.promotion_id
     WHERE p.kind = 'first_recharge_bonus' AND r.status = 'reserved'
     GROUP BY r.line_id HAVING count(r.first_recharge_line_id) <> 1
  ) THEN
    RAISE EXCEPTION 'a line with first-recharge redemptions must hold exactly one grant';
  END IF;
END $$;
