-- SIM inventory: an IMSI identifies one subscription and an MSISDN one phone number, so two cards
-- in stock can share neither (a second card with the same number would let two subscribers own
-- one line). Data-only profiles have no MSISDN (NULL) and are exempt.
--
-- A database that already holds duplicates must not be "fixed" silently (which card keeps the
-- number is an operator's decision): the block below stops the migration with the count and an
-- example, before the unique indexes would fail with a less helpful message.
DO $$
DECLARE
  dup_imsi   bigint;
  dup_msisdn bigint;
  example    text;
BEGIN
  SELECT count(*) INTO dup_imsi FROM (SELECT imsi FROM sims GROUP BY imsi HAVING count(*) > 1) d;
  IF dup_imsi > 0 THEN
    SELECT imsi INTO example FROM sims GROUP BY imsi HAVING count(*) > 1 ORDER BY imsi LIMIT 1;
    RAISE EXCEPTION '0007: % IMSI value(s) appear on more than one SIM (e.g. %); retire or correct the duplicates, then migrate again', dup_imsi, example;
  END IF;
  SELECT count(*) INTO dup_msisdn FROM (SELECT msisdn FROM sims WHERE msisdn IS NOT NULL GROUP BY msisdn HAVING count(*) > 1) d;
  IF dup_msisdn > 0 THEN
    SELECT msisdn INTO example FROM sims WHERE msisdn IS NOT NULL GROUP BY msisdn HAVING count(*) > 1 ORDER BY msisdn LIMIT 1;
    RAISE EXCEPTION '0007: % MSISDN value(s) appear on more than one SIM (e.g. %); retire or correct the duplicates, then migrate again', dup_msisdn, example;
  END IF;
END
$$;

CREATE UNIQUE INDEX sims_imsi_key ON sims (imsi);
CREATE UNIQUE INDEX sims_msisdn_key ON sims (msisdn) WHERE msisdn IS NOT NULL;

-- What must now hold: both indexes exist and are unique.
DO $$
BEGIN
  IF (SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
       WHERE c.relname IN ('sims_imsi_key', 'sims_msisdn_key') AND i.indisunique AND i.indisvalid) <> 2 THEN
    RAISE EXCEPTION '0007: the unique indexes on sims (imsi) and sims (msisdn) are missing';
  END IF;
END
$$;
