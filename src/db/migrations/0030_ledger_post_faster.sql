-- ledger_post_journals (0013), faster, with the audit entries folded in: one round trip and four
-- statements per batch instead of two round trips and eight statements, and the foreign keys of
-- ledger_postings checked once per statement instead of once per row. Measured on PostgreSQL 15
-- (backend CPU per one-transfer transaction, one session; README "Benchmarks" has the bench figures):
--   * plan_cache_mode = force_generic_plan on the function. Its statements take array parameters, so
--     PL/pgSQL's plan cache kept planning them afresh for every call (custom plans: the estimate of a
--     generic plan never won); the plans do not depend on the values (unnest of the arguments, index
--     lookups by key), so one generic plan per session is right. This alone was ~30 % of the time.
--     With enable_seqscan = off, also for the call: every row the function (and the triggers and
--     foreign keys it sets off) reads is named by a key, and a generic plan made while a table is
--     small — a new database, the bench's 1,000 accounts — would otherwise scan it whole, and keep
--     that plan for the session as the table grows. (Measured: a seq scan of 1,000 accounts in the
--     lock and in the balance update.) Function scans of the arguments are not affected.
--   * The accounts are locked first (SELECT … ORDER BY code FOR UPDATE, which also returns their
--     balances) and only the missing ones are inserted, then all locked again in code order. Before,
--     every call ran INSERT … ON CONFLICT DO NOTHING for every account, then the lock, then a third
--     read of the accounts for the running balances. The common case — every account exists — is now
--     one statement; first use of an account costs two more.
--   * Postings, balances and the audit entries are written by one statement (data-modifying CTEs), so
--     SPEC's "every money movement is in an append-only audit log" now holds inside the function's
--     own statement: no caller can post a journal and skip its audit entry, and both commit or roll
--     back together with the caller's transaction.
--
-- Also:
--   * The foreign keys of ledger_postings (→ journal; → account with the posting's currency) become
--     one set-based check per statement in the postings trigger below. The function only inserts
--     postings for journals it has just inserted and accounts it holds locked, so for it the per-row
--     RI checks (two SPI lookups per posting, each taking a FOR KEY SHARE lock, ~0.02 ms of backend
--     CPU per posting: ~17 % of a 100-journal batch, ~5 % of a one-transfer call) can never fire; but
--     the tables are reachable by any SQL with the app's role (the tests write around the function
--     on purpose), and without a check a posting on an account that does not exist would pass both
--     chain and Σ = 0 (its chain starts at 0, its journal can still balance) and escape verifyLedger's
--     per-account sums. So the rule stays, checked once per statement over the transition table
--     (an anti-join by primary key) — the TigerBeetle-style "the writer is trusted, the invariant is
--     still verified". What a foreign key gave besides — the referenced row cannot go away or change
--     its key — is kept by triggers that cost the money path nothing: journals already refuse UPDATE,
--     DELETE and TRUNCATE (0002, 0010); accounts now refuse DELETE, TRUNCATE and an UPDATE of id or
--     currency (a column trigger: the function's UPDATE of balance_minor does not fire it). Nothing
--     deletes accounts (a wallet's owner cannot be deleted either: users are referenced). The unique
--     (id, currency) index existed only for that foreign key and goes; verifyLedger also reports a
--     posting whose journal or account is missing.
--   * ledger_accounts gets fillfactor 50: its rows are few and updated on every posting; with room on
--     the page an update is HOT (no new index entries). Measured before: 39 % of balance updates
--     were not HOT, each adding an entry to three indexes. Applies to pages written from now on.
--   * The statement-level checks of 0013 (Σ = 0 per journal and currency; each posting continues its
--     account's chain; an updated account's balance is its last posting's running balance) stay.
--     They read what was written, not what the function computed — the independent check — and
--     fire once for the combined write statement below, after it has written everything. Σ = 0 is
--     now summed over the statement's new postings only (why that is the same rule: at the
--     trigger). The chain keeps reading each account's previous posting: checking the new postings
--     against the account's balance instead would let one statement write a posting off the chain
--     together with a matching balance.
-- The rest of 0013 holds unchanged: the journals insert first with ON CONFLICT (idempotency_key) DO
-- NOTHING (a posted key is a replay: same lines or SQLSTATE LJ409), accounts are locked in code order
-- (one global order for every caller: concurrent journals never deadlock; when an account must be
-- created, the locks already held are in code order too, and a deadlock with another first use is
-- retried by Db.transaction), running balances run per account in journal order, a wallet that would
-- go negative raises LJ402 with the balance before that journal in DETAIL (JSON).
-- Audit: one entry per applied journal (none for a replay), action 'ledger.' || kind, target the
-- journal's cause, at its posted_at, details as the caller built them (the journal id and its lines).
DROP FUNCTION ledger_post_journals(text[], text[], text[], text[], text[], text[], timestamptz[],
  integer[], text[], text[], text[], text[], bigint[], text[]);

CREATE FUNCTION ledger_post_journals(
  j_id text[], j_key text[], j_kind text[], j_cause_type text[], j_cause_id text[], j_description text[], j_posted_at timestamptz[],
  j_audit_details jsonb[],
  l_journal integer[], l_code text[], l_kind text[], l_owner text[], l_currency text[], l_amount bigint[], l_new_account_id text[],
  audit_actor_id text, audit_actor_role text, audit_request_id text
) RETURNS TABLE (out_n integer, out_journal_id text, out_applied boolean)
LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan SET enable_seqscan = off AS $$
DECLARE
  fresh_count integer;
  is_fresh boolean[];
  replayed text;
  missing integer;
  over_code text;
  over_before bigint;
  over_currency text;
  p_journal text[];
  p_account text[];
  p_currency text[];
  p_amount bigint[];
  p_after bigint[];
  u_account text[];
  u_after bigint[];
BEGIN
  WITH ins AS (
    INSERT INTO ledger_journals (id, idempotency_key, kind, cause_type, cause_id, description, posted_at)
    SELECT * FROM unnest(j_id, j_key, j_kind, j_cause_type, j_cause_id, j_description, j_posted_at)
    ON CONFLICT (idempotency_key) DO NOTHING RETURNING id)
  -- is_fresh[n]: journal n was inserted now (an array lookup per line, not a search of the batch).
  SELECT count(ins.id), array_agg(ins.id IS NOT NULL ORDER BY j.n)
    INTO fresh_count, is_fresh
    FROM unnest(j_id) WITH ORDINALITY AS j(id, n) LEFT JOIN ins ON ins.id = j.id;

  IF fresh_count < cardinality(j_id) THEN
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

  IF fresh_count > 0 THEN
    -- Lock the accounts of the new journals in code order and run their balances, in one statement.
    -- `missing` counts the accounts that do not exist yet: they are created, then all locked again.
    FOR attempt IN 1..2 LOOP
      WITH l AS (
        SELECT l.n, l.code, l.amount FROM unnest(l_journal, l_code, l_amount) AS l(n, code, amount) WHERE is_fresh[l.n]),
      locked AS MATERIALIZED (
        SELECT a.id, a.code, a.currency, a.allow_negative, a.balance_minor FROM ledger_accounts a
         WHERE a.code IN (SELECT l.code FROM l) ORDER BY a.code FOR UPDATE),
      run AS (
        SELECT l.n, l.code, a.id, a.currency, a.allow_negative, l.amount,
               a.balance_minor + sum(l.amount) OVER (PARTITION BY a.id ORDER BY l.n) AS after,
               row_number() OVER (PARTITION BY a.id ORDER BY l.n DESC) AS from_last
          FROM l JOIN locked a ON a.code = l.code)
      SELECT (SELECT count(DISTINCT l.code) FROM l) - (SELECT count(*) FROM locked),
             array_agg(j_id[r.n] ORDER BY r.n, r.code), array_agg(r.id ORDER BY r.n, r.code), array_agg(r.currency ORDER BY r.n, r.code),
             array_agg(r.amount ORDER BY r.n, r.code), array_agg(r.after ORDER BY r.n, r.code),
             array_agg(r.id) FILTER (WHERE r.from_last = 1), array_agg(r.after) FILTER (WHERE r.from_last = 1),
             (array_agg(r.code ORDER BY r.n) FILTER (WHERE r.after < 0 AND NOT r.allow_negative))[1],
             (array_agg(r.after - r.amount ORDER BY r.n) FILTER (WHERE r.after < 0 AND NOT r.allow_negative))[1],
             (array_agg(r.currency ORDER BY r.n) FILTER (WHERE r.after < 0 AND NOT r.allow_negative))[1]
        INTO missing, p_journal, p_account, p_currency, p_amount, p_after, u_account, u_after, over_code, over_before, over_currency
        FROM run r;
      EXIT WHEN missing = 0;
      IF attempt = 2 THEN
        RAISE EXCEPTION 'ledger accounts of a journal are missing after they were created' USING ERRCODE = 'XX000';
      END IF;
      INSERT INTO ledger_accounts (id, code, kind, owner_id, currency, allow_negative)
      SELECT DISTINCT ON (l.code) l.acct, l.code, l.kind, l.owner, l.currency, l.kind <> 'wallet'
        FROM unnest(l_journal, l_code, l_kind, l_owner, l_currency, l_new_account_id) AS l(n, code, kind, owner, currency, acct)
       WHERE is_fresh[l.n]
       ORDER BY l.code
      ON CONFLICT (code) DO NOTHING;
    END LOOP;
    IF over_code IS NOT NULL THEN
      RAISE EXCEPTION 'ledger account % would go negative', over_code USING ERRCODE = 'LJ402',
        DETAIL = json_build_object('balanceMinor', over_before, 'currency', over_currency)::text;
    END IF;

    WITH postings AS (
      INSERT INTO ledger_postings (journal_id, account_id, currency, amount_minor, balance_after_minor)
      SELECT * FROM unnest(p_journal, p_account, p_currency, p_amount, p_after)),
    balances AS (
      UPDATE ledger_accounts a SET balance_minor = f.after FROM unnest(u_account, u_after) AS f(account, after) WHERE a.id = f.account)
    INSERT INTO audit_log (at, actor_id, actor_role, action, target_type, target_id, request_id, details)
    SELECT j.posted_at, audit_actor_id, audit_actor_role, 'ledger.' || j.kind, j.cause_type, j.cause_id, audit_request_id, j.details
      FROM unnest(j_posted_at, j_kind, j_cause_type, j_cause_id, j_audit_details) WITH ORDINALITY AS j(posted_at, kind, cause_type, cause_id, details, n)
     WHERE is_fresh[j.n]
     ORDER BY j.n;
  END IF;

  RETURN QUERY
    SELECT j.n::integer, CASE WHEN is_fresh[j.n] THEN j.id ELSE (SELECT lj.id FROM ledger_journals lj WHERE lj.idempotency_key = j.key) END,
           is_fresh[j.n]
      FROM unnest(j_id, j_key) WITH ORDINALITY AS j(id, key, n) ORDER BY j.n;
END $$;

ALTER TABLE ledger_postings DROP CONSTRAINT ledger_postings_journal_id_fkey,
  DROP CONSTRAINT ledger_postings_account_id_currency_fkey;
ALTER TABLE ledger_accounts DROP CONSTRAINT ledger_accounts_id_currency_key;
ALTER TABLE ledger_accounts SET (fillfactor = 50);

CREATE FUNCTION ledger_account_kept() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'ledger accounts are never deleted, emptied or re-keyed: postings name them by id and currency'
    USING ERRCODE = '2F003';
END $$;
CREATE TRIGGER ledger_accounts_no_delete BEFORE DELETE ON ledger_accounts
  FOR EACH ROW EXECUTE FUNCTION ledger_account_kept();
CREATE TRIGGER ledger_accounts_no_truncate BEFORE TRUNCATE ON ledger_accounts
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_account_kept();
CREATE TRIGGER ledger_accounts_keep_key BEFORE UPDATE OF id, currency ON ledger_accounts
  FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id OR OLD.currency IS DISTINCT FROM NEW.currency)
  EXECUTE FUNCTION ledger_account_kept();

-- 0013's postings check, with the references first: every new posting names a journal that exists
-- and an account that exists in the posting's currency (what the two foreign keys checked per row);
-- Σ = 0 from the transition table alone. Measured: this trigger was 30-40 % of the backend time of
-- a 100-journal batch (about 4 ms of 11).
CREATE OR REPLACE FUNCTION ledger_check_new_postings() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE bad text;
BEGIN
  -- One probe by primary key per posting, whatever the planner thinks of the tables' sizes: written
  -- as NOT EXISTS … OR NOT EXISTS, a plan made while the ledger was small hashed ledger_journals
  -- whole and kept doing so for every statement (measured: 4-6 ms per posting at 20,000 journals).
  SELECT n.journal_id || ' on ' || n.account_id || ' in ' || n.currency INTO bad FROM new_postings n
    LEFT JOIN LATERAL (SELECT true AS found FROM ledger_journals j WHERE j.id = n.journal_id LIMIT 1) j ON true
    LEFT JOIN LATERAL (SELECT true AS found FROM ledger_accounts a WHERE a.id = n.account_id AND a.currency = n.currency LIMIT 1) a ON true
   WHERE j.found IS NULL OR a.found IS NULL
   LIMIT 1;
  IF bad IS NOT NULL THEN
    RAISE EXCEPTION 'ledger posting names a journal or an account (in its currency) that does not exist: %', bad
      USING ERRCODE = '23503';
  END IF;
  -- Σ = 0 over the statement's own postings: every statement leaves each journal it touched summing
  -- to zero and postings are never changed or deleted, so a journal's earlier postings already sum
  -- to zero and its total does exactly when the new ones do (0013 re-read all of them by index).
  SELECT n.journal_id INTO bad FROM new_postings n
   GROUP BY n.journal_id, n.currency HAVING sum(n.amount_minor) <> 0 LIMIT 1;
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
