-- The catalog owns whether a quote was used. Until now the quote cleanup read `orders` to keep the
-- quotes an order names; now an order placed on a quote marks it (catalog's markQuoteUsed, in the
-- order's transaction), and the cleanup reads only `quotes`. The first order placed on a quote
-- holds it: a quote may be ordered on again after that order was cancelled, and is kept either way.
ALTER TABLE quotes ADD COLUMN used_at timestamptz;        -- application clock
ALTER TABLE quotes ADD COLUMN used_by_order_id text;
ALTER TABLE quotes ADD CONSTRAINT quotes_used_check CHECK ((used_at IS NULL) = (used_by_order_id IS NULL));

-- Backfill: every quote an order names is used, by its earliest order.
UPDATE quotes q SET used_at = o.created_at, used_by_order_id = o.id
  FROM (SELECT DISTINCT ON (quote_id) quote_id, id, created_at
          FROM orders WHERE quote_id IS NOT NULL
         ORDER BY quote_id, created_at, id) o
 WHERE o.quote_id = q.id;

-- The cleanup's scan: unused quotes by expiry. orders_quote_idx (0008) served only the old cleanup.
DROP INDEX quotes_expires_idx;
CREATE INDEX quotes_unused_expires_idx ON quotes (expires_at) WHERE used_at IS NULL;
DROP INDEX IF EXISTS orders_quote_idx;

DO $$
BEGIN
  IF EXISTS (
    SELECT 1 FROM orders o JOIN quotes q ON q.id = o.quote_id WHERE q.used_at IS NULL
  ) THEN
    RAISE EXCEPTION 'every quote an order names must be marked used';
  END IF;
END $$;
