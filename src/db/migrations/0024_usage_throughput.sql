-- Usage rating at batch speed (issue 15). Measured on one 10,000-record batch with
-- EXPLAIN (ANALYZE, BUFFERS): the per-row foreign-key triggers cost more than the rows themselves
-- (usage_records.line_id 70–110 ms; usage_draws' two keys 180–250 ms, on top of its own 10,000 rows).

-- What a record drew from each bucket moves into the record itself, in the order it drew them:
-- one row per record instead of one more row (and two key checks) per draw. Positions pair up.
ALTER TABLE usage_records
  ADD COLUMN draw_bucket_ids text[] NOT NULL DEFAULT '{}',
  ADD COLUMN draw_units bigint[] NOT NULL DEFAULT '{}';
UPDATE usage_records r SET draw_bucket_ids = d.ids, draw_units = d.units
  FROM (SELECT record_id, array_agg(bucket_id ORDER BY bucket_id) AS ids, array_agg(units ORDER BY bucket_id) AS units
          FROM usage_draws GROUP BY record_id) d
 WHERE d.record_id = r.id;
ALTER TABLE usage_records
  ALTER COLUMN draw_bucket_ids DROP DEFAULT,
  ALTER COLUMN draw_units DROP DEFAULT,
  ADD CONSTRAINT usage_records_draws_paired CHECK (cardinality(draw_bucket_ids) = cardinality(draw_units)),
  ADD CONSTRAINT usage_records_draws_when_bucket_units CHECK ((bucket_units > 0) = (cardinality(draw_units) > 0));
DROP TABLE usage_draws;

-- The record's line is checked by the rating transaction itself: it finds the line by ICCID or
-- MSISDN and holds its row lock (FOR UPDATE) while it writes the records, and lines are never
-- deleted. The per-row key check only repeated that, at half the cost of the insert.
ALTER TABLE usage_records DROP CONSTRAINT usage_records_line_id_fkey;
