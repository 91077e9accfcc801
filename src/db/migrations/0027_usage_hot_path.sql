-- Usage rating at PostgreSQL speed (issue 15, second pass). Measured per 10,000-record batch over
-- 1,000 lines with EXPLAIN (ANALYZE, BUFFERS) on PostgreSQL 15: after a few batches the bucket draws
-- (3,000 rows) cost more than the 10,000 records' insert, and the insert's time went to its indexes.

-- 1. Bucket draws become HOT updates. A draw changes only `remaining`, but the expiry sweep's partial
-- index filtered on it (`WHERE remaining > 0`), and a column in an index predicate rules out HOT:
-- every draw wrote a new entry into all four of the table's indexes, and the primary key's unique
-- check then walked one dead version per earlier batch. The predicate now reads a stored generated
-- flag: a draw that leaves something in the bucket does not change it, so the row is updated in
-- place on its page (the half-empty pages of fillfactor 50 leave room; the table is a few rows per
-- line). The sweep selects on the flag: the same buckets as `remaining > 0`.
ALTER TABLE buckets SET (fillfactor = 50);
DROP INDEX buckets_unsettled_expiry_idx;
ALTER TABLE buckets ADD COLUMN unsettled boolean GENERATED ALWAYS AS (remaining > 0) STORED;
CREATE INDEX buckets_unsettled_expiry_idx ON buckets (expires_at) WHERE unsettled;

-- 2. The records' insert keeps only the index that makes an id a duplicate forever. No query reads
-- usage_records by line (the chart reads usage_hourly; the lines' flag marks unfunded usage), so
-- the two line indexes were written on every insert for no reader; a future reader adds the index
-- it needs. The key compares bytes (COLLATE "C"): an id is matched, never sorted for people, and
-- the database's default C.UTF-8 compared it through strcoll on every step down the tree.
DROP INDEX usage_records_line_idx;
DROP INDEX usage_records_unfunded_idx;
ALTER TABLE usage_records ALTER COLUMN id TYPE text COLLATE "C";

-- 3. The hourly rollup's current-hour rows are updated by every batch; none of its columns but the
-- key is indexed, so with room on the page those updates are HOT too.
ALTER TABLE usage_hourly SET (fillfactor = 70);

DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM buckets WHERE unsettled <> (remaining > 0)) THEN
    RAISE EXCEPTION 'buckets.unsettled disagrees with remaining';
  END IF;
  IF (SELECT collname FROM pg_attribute a JOIN pg_collation c ON c.oid = a.attcollation
       WHERE a.attrelid = 'usage_records'::regclass AND a.attname = 'id') <> 'C' THEN
    RAISE EXCEPTION 'usage_records.id does not compare bytes';
  END IF;
END $$;
