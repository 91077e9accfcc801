-- The running balances are the database's to guarantee too, not only postJournal's: a posting's
-- balance_after_minor continues its account's chain (previous posting's + its amount), an account's
-- balance_minor is always its last posting's balance_after_minor (checked at commit, since
-- postJournal updates the account before it inserts the postings), a new account starts at zero,
-- and the append-only tables cannot be emptied with TRUNCATE. So an UPDATE of ledger_accounts
-- written around the code cannot make a wallet disagree with its entries.

-- Check first: the chain must already hold on existing data (there is no way to repair it here).
DO $$
DECLARE broken bigint;
BEGIN
  SELECT count(*) INTO broken FROM (
    SELECT balance_after_minor - amount_minor
             <> COALESCE(lag(balance_after_minor) OVER (PARTITION BY account_id ORDER BY id), 0) AS off
      FROM ledger_postings) p WHERE off;
  IF broken > 0 THEN RAISE EXCEPTION 'migration 0010: % ledger postings break their running balance', broken; END IF;
  SELECT count(*) INTO broken FROM ledger_accounts a
   WHERE a.balance_minor <> COALESCE((SELECT p.balance_after_minor FROM ledger_postings p
                                       WHERE p.account_id = a.id ORDER BY p.id DESC LIMIT 1), 0);
  IF broken > 0 THEN RAISE EXCEPTION 'migration 0010: % ledger accounts disagree with their last posting', broken; END IF;
END $$;

CREATE FUNCTION ledger_check_running_balance() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE previous bigint;
BEGIN
  -- Postings of one account are inserted under its row lock, so "the last one" is well defined.
  SELECT balance_after_minor INTO previous FROM ledger_postings
   WHERE account_id = NEW.account_id ORDER BY id DESC LIMIT 1;
  IF NEW.balance_after_minor <> COALESCE(previous, 0) + NEW.amount_minor THEN
    RAISE EXCEPTION 'ledger posting on % breaks its running balance: % + % <> %',
      NEW.account_id, COALESCE(previous, 0), NEW.amount_minor, NEW.balance_after_minor USING ERRCODE = '23514';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER ledger_postings_running_balance BEFORE INSERT ON ledger_postings
  FOR EACH ROW EXECUTE FUNCTION ledger_check_running_balance();

CREATE FUNCTION ledger_check_account_balance() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE stored bigint; last_after bigint;
BEGIN
  SELECT balance_minor INTO stored FROM ledger_accounts WHERE id = NEW.id;
  SELECT balance_after_minor INTO last_after FROM ledger_postings
   WHERE account_id = NEW.id ORDER BY id DESC LIMIT 1;
  IF stored <> COALESCE(last_after, 0) THEN
    RAISE EXCEPTION 'ledger account % holds % but its postings say %', NEW.id, stored, COALESCE(last_after, 0)
      USING ERRCODE = '23514';
  END IF;
  RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER ledger_accounts_balance_matches AFTER UPDATE OF balance_minor ON ledger_accounts
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_check_account_balance();

CREATE FUNCTION ledger_account_starts_at_zero() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.balance_minor <> 0 THEN
    RAISE EXCEPTION 'a ledger account starts at zero; money arrives only by a journal' USING ERRCODE = '23514';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER ledger_accounts_start_at_zero BEFORE INSERT ON ledger_accounts
  FOR EACH ROW EXECUTE FUNCTION ledger_account_starts_at_zero();

CREATE TRIGGER ledger_postings_no_truncate BEFORE TRUNCATE ON ledger_postings
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_append_only();
CREATE TRIGGER ledger_journals_no_truncate BEFORE TRUNCATE ON ledger_journals
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_append_only();
