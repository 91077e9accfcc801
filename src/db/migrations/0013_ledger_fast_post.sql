-- postJournal in one round trip: ledger_post_journals posts a batch of balanced journals (one or
-- many) in the caller's transaction. What src/modules/ledger/service.ts did statement by statement
-- now runs here, set-based:
--   1. insert the journals, ON CONFLICT (idempotency_key) DO NOTHING — a posted key is a replay;
--   2. a replay must carry the lines first posted under its key, else SQLSTATE LJ409 (a bug upstream);
--   3. create missing accounts, then lock every account of the new journals in code order (one global
--      order for every caller, as before: concurrent journals never deadlock);
--   4. running balances per account, in journal order; a wallet that would go negative → SQLSTATE
--      LJ402, with the balance before that journal in DETAIL (JSON);
--   5. insert the postings (journal order, then code order), then set each account's balance to its
--      last running balance.
-- The lines arrive netted per (journal, account), non-zero, each journal balanced: the service
-- checks that before calling, and the triggers of 0002 and 0010 still check it here.
-- Returns one row per journal in input order: its id (the first post's id for a replay) and whether
-- this call applied it.
CREATE FUNCTION ledger_post_journals(
  j_id text[], j_key text[], j_kind text[], j_cause_type text[], j_cause_id text[], j_description text[], j_posted_at timestamptz[],
  l_journal integer[], l_code text[], l_kind text[], l_owner text[], l_currency text[], l_amount bigint[], l_new_account_id text[]
) RETURNS TABLE (out_n integer, out_journal_id text, out_applied boolean) LANGUAGE plpgsql AS $$
DECLARE
  fresh text[];
  is_fresh boolean[];
  replayed text;
  over_code text;
  over_before bigint;
  over_currency text;
  p_journal text[];
  p_account text[];
  p_currency text[];
  p_amount bigint[];
  p_after bigint[];
BEGIN
  WITH ins AS (
    INSERT INTO ledger_journals (id, idempotency_key, kind, cause_type, cause_id, description, posted_at)
    SELECT * FROM unnest(j_id, j_key, j_kind, j_cause_type, j_cause_id, j_description, j_posted_at)
    ON CONFLICT (idempotency_key) DO NOTHING RETURNING id)
  -- is_fresh[n]: journal n was inserted now (an array lookup per line, not a search of the batch).
  SELECT coalesce(array_agg(ins.id) FILTER (WHERE ins.id IS NOT NULL), '{}'), array_agg(ins.id IS NOT NULL ORDER BY j.n)
    INTO fresh, is_fresh
    FROM unnest(j_id) WITH ORDINALITY AS j(id, n) LEFT JOIN ins ON ins.id = j.id;

  IF cardinality(fresh) < cardinality(j_id) THEN
    SELECT j.key INTO replayed
      FROM unnest(j_id, j_key) WITH ORDINALITY AS j(id, key, n)
     WHERE NOT is_fresh[j.n] AND EXISTS (
       (SELECT l.code, l.amount FROM unnest(l_journal, l_code, l_amount) AS l(n, code, amount) WHERE l.n = j.n
        EXCEPT
        SELECT a.code, p.amount_minor FROM ledger_journals lj
          JOIN ledger_postings p ON p.journal_id = lj.id JOIN ledger_accounts a ON a.id = p.account_id
         WHERE lj.idempotency_key = j.key)
       UNION ALL
       (SELECT a.code, p.amount_minor FROM ledger_journals lj
          JOIN ledger_postings p ON p.journal_id = lj.id JOIN ledger_accounts a ON a.id = p.account_id
         WHERE lj.idempotency_key = j.key
        EXCEPT
        SELECT l.code, l.amount FROM unnest(l_journal, l_code, l_amount) AS l(n, code, amount) WHERE l.n = j.n))
     LIMIT 1;
    IF replayed IS NOT NULL THEN
      RAISE EXCEPTION 'ledger journal % was posted before with other lines', replayed USING ERRCODE = 'LJ409';
    END IF;
  END IF;

  IF cardinality(fresh) > 0 THEN
    INSERT INTO ledger_accounts (id, code, kind, owner_id, currency, allow_negative)
    SELECT DISTINCT ON (l.code) l.acct, l.code, l.kind, l.owner, l.currency, l.kind <> 'wallet'
      FROM unnest(l_journal, l_code, l_kind, l_owner, l_currency, l_new_account_id) AS l(n, code, kind, owner, currency, acct)
     WHERE is_fresh[l.n]
     ORDER BY l.code
    ON CONFLICT (code) DO NOTHING;

    PERFORM 1 FROM ledger_accounts
      WHERE code IN (SELECT l.code FROM unnest(l_journal, l_code) AS l(n, code) WHERE is_fresh[l.n])
      ORDER BY code FOR UPDATE;

    WITH l AS (
      SELECT l.n, l.code, l.amount FROM unnest(l_journal, l_code, l_amount) AS l(n, code, amount) WHERE is_fresh[l.n]),
    run AS (
      SELECT l.n, l.code, a.id, a.currency, a.allow_negative, l.amount,
             a.balance_minor + sum(l.amount) OVER (PARTITION BY a.id ORDER BY l.n) AS after
        FROM l JOIN ledger_accounts a ON a.code = l.code)
    SELECT array_agg(j_id[r.n] ORDER BY r.n, r.code), array_agg(r.id ORDER BY r.n, r.code), array_agg(r.currency ORDER BY r.n, r.code),
           array_agg(r.amount ORDER BY r.n, r.code), array_agg(r.after ORDER BY r.n, r.code),
           (array_agg(r.code ORDER BY r.n) FILTER (WHERE r.after < 0 AND NOT r.allow_negative))[1],
           (array_agg(r.after - r.amount ORDER BY r.n) FILTER (WHERE r.after < 0 AND NOT r.allow_negative))[1],
           (array_agg(r.currency ORDER BY r.n) FILTER (WHERE r.after < 0 AND NOT r.allow_negative))[1]
      INTO p_journal, p_account, p_currency, p_amount, p_after, over_code, over_before, over_currency
      FROM run r;
    IF over_code IS NOT NULL THEN
      RAISE EXCEPTION 'ledger account % would go negative', over_code USING ERRCODE = 'LJ402',
        DETAIL = json_build_object('balanceMinor', over_before, 'currency', over_currency)::text;
    END IF;

    INSERT INTO ledger_postings (journal_id, account_id, currency, amount_minor, balance_after_minor)
    SELECT * FROM unnest(p_journal, p_account, p_currency, p_amount, p_after);

    UPDATE ledger_accounts a SET balance_minor = f.after
      FROM (SELECT DISTINCT ON (u.account) u.account, u.after
              FROM unnest(p_account, p_after) WITH ORDINALITY AS u(account, after, i) ORDER BY u.account, u.i DESC) f
     WHERE a.id = f.account;
  END IF;

  RETURN QUERY
    SELECT j.n::integer, CASE WHEN is_fresh[j.n] THEN j.id ELSE (SELECT lj.id FROM ledger_journals lj WHERE lj.idempotency_key = j.key) END,
           is_fresh[j.n]
      FROM unnest(j_id, j_key) WITH ORDINALITY AS j(id, key, n) ORDER BY j.n;
END $$;

-- The invariants of 0002 and 0010, checked once per statement instead of once per row: a batch of
-- a hundred journals ran three queries per posting (running balance before insert, Σ = 0 and the
-- account's balance at commit). Postings and balances are written only by ledger_post_journals,
-- which inserts every posting of a journal in one statement and then updates the accounts in the
-- next, so each check can run when its statement ends — stricter than at commit, never weaker:
--   * Σ = 0 per journal and currency, over every journal the statement touched;
--   * each new posting continues its account's chain (the previous posting's balance + its amount);
--   * an updated account's balance is its last posting's running balance.
DROP TRIGGER ledger_postings_balanced ON ledger_postings;
DROP TRIGGER ledger_postings_running_balance ON ledger_postings;
DROP TRIGGER ledger_accounts_balance_matches ON ledger_accounts;
DROP FUNCTION ledger_check_journal_balanced();
DROP FUNCTION ledger_check_running_balance();
DROP FUNCTION ledger_check_account_balance();

CREATE FUNCTION ledger_check_new_postings() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE bad text;
BEGIN
  SELECT p.journal_id INTO bad FROM ledger_postings p
   WHERE p.journal_id IN (SELECT DISTINCT n.journal_id FROM new_postings n)
   GROUP BY p.journal_id, p.currency HAVING sum(p.amount_minor) <> 0 LIMIT 1;
  IF bad IS NOT NULL THEN
    RAISE EXCEPTION 'ledger journal % does not sum to zero', bad USING ERRCODE = '23514';
  END IF;
  -- Postings of one account are inserted under its row lock, so "the one before" is well defined.
  SELECT n.account_id INTO bad FROM (
    SELECT n.id, n.account_id, n.amount_minor, n.balance_after_minor,
           lag(n.balance_after_minor) OVER w AS previous_in_statement, row_number() OVER w AS nth
      FROM new_postings n WINDOW w AS (PARTITION BY n.account_id ORDER BY n.id)) n
   WHERE n.balance_after_minor <> n.amount_minor + COALESCE(CASE WHEN n.nth = 1 THEN
           (SELECT p.balance_after_minor FROM ledger_postings p WHERE p.account_id = n.account_id AND p.id < n.id ORDER BY p.id DESC LIMIT 1)
           ELSE n.previous_in_statement END, 0)
   LIMIT 1;
  IF bad IS NOT NULL THEN
    RAISE EXCEPTION 'ledger posting on % breaks its running balance', bad USING ERRCODE = '23514';
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER ledger_postings_checked AFTER INSERT ON ledger_postings
  REFERENCING NEW TABLE AS new_postings FOR EACH STATEMENT EXECUTE FUNCTION ledger_check_new_postings();

CREATE FUNCTION ledger_check_account_balances() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE bad text; stored bigint; last_after bigint;
BEGIN
  SELECT c.id, c.balance_minor, c.last_after INTO bad, stored, last_after FROM (
    SELECT a.id, a.balance_minor, COALESCE((SELECT p.balance_after_minor FROM ledger_postings p
                                             WHERE p.account_id = a.id ORDER BY p.id DESC LIMIT 1), 0) AS last_after
      FROM new_accounts a) c
   WHERE c.balance_minor <> c.last_after LIMIT 1;
  IF bad IS NOT NULL THEN
    RAISE EXCEPTION 'ledger account % holds % but its postings say %', bad, stored, last_after USING ERRCODE = '23514';
  END IF;
  RETURN NULL;
END $$;
-- A column list (UPDATE OF balance_minor) cannot go with a transition table: every update is checked.
CREATE TRIGGER ledger_accounts_balance_checked AFTER UPDATE ON ledger_accounts
  REFERENCING NEW TABLE AS new_accounts FOR EACH STATEMENT EXECUTE FUNCTION ledger_check_account_balances();
