-- The double-entry ledger. Money moves only by journals whose postings sum to zero per currency;
-- an account's balance is the sum of its postings, and is kept on the account row (updated under a
-- row lock in the same transaction) with the running balance stored on each posting.
-- Enforced here, not only in code: a deferred constraint trigger re-checks Σ = 0 at commit, postings
-- and journals are append-only, a posting's currency must be its account's, and accounts that may
-- not go negative (customer wallets) cannot.

CREATE TABLE ledger_accounts (
  id             text PRIMARY KEY,
  code           text NOT NULL UNIQUE,          -- 'wallet:usr_…:USD', 'clearing:sandbox:USD', 'revenue:USD', …
  kind           text NOT NULL CHECK (kind IN ('wallet', 'provider_clearing', 'revenue', 'refunds',
                                               'promotions_expense', 'voucher_liability', 'usage_revenue')),
  owner_id       text REFERENCES users (id),
  currency       text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  allow_negative boolean NOT NULL,
  balance_minor  bigint NOT NULL DEFAULT 0,
  created_at     timestamptz NOT NULL DEFAULT now(),
  UNIQUE (id, currency),
  CHECK (allow_negative OR balance_minor >= 0),
  CHECK (kind <> 'wallet' OR (owner_id IS NOT NULL AND NOT allow_negative))
);
CREATE INDEX ledger_accounts_owner_idx ON ledger_accounts (owner_id) WHERE owner_id IS NOT NULL;

CREATE TABLE ledger_journals (
  id              text PRIMARY KEY,
  idempotency_key text NOT NULL UNIQUE,           -- a cause is posted at most once, ever
  kind            text NOT NULL,                  -- 'order_payment', 'wallet_topup', 'refund', …
  cause_type      text NOT NULL,                  -- 'order', 'refund', 'usage', 'voucher', …
  cause_id        text NOT NULL,
  description     text,
  posted_at       timestamptz NOT NULL,           -- application-clock time
  created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ledger_journals_cause_idx ON ledger_journals (cause_type, cause_id);

CREATE TABLE ledger_postings (
  id                  bigserial PRIMARY KEY,
  journal_id          text NOT NULL REFERENCES ledger_journals (id),
  account_id          text NOT NULL,
  currency            text NOT NULL,
  amount_minor        bigint NOT NULL CHECK (amount_minor <> 0),
  balance_after_minor bigint NOT NULL,
  FOREIGN KEY (account_id, currency) REFERENCES ledger_accounts (id, currency)
);
CREATE INDEX ledger_postings_account_idx ON ledger_postings (account_id, id);
CREATE INDEX ledger_postings_journal_idx ON ledger_postings (journal_id);

CREATE FUNCTION ledger_check_journal_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM ledger_postings WHERE journal_id = NEW.journal_id
              GROUP BY currency HAVING sum(amount_minor) <> 0) THEN
    RAISE EXCEPTION 'ledger journal % does not sum to zero', NEW.journal_id USING ERRCODE = '23514';
  END IF;
  RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER ledger_postings_balanced AFTER INSERT ON ledger_postings
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_check_journal_balanced();

CREATE FUNCTION ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only: post a reversing journal instead', TG_TABLE_NAME USING ERRCODE = '2F003';
END $$;
CREATE TRIGGER ledger_postings_append_only BEFORE UPDATE OR DELETE ON ledger_postings
  FOR EACH ROW EXECUTE FUNCTION ledger_append_only();
CREATE TRIGGER ledger_journals_append_only BEFORE UPDATE OR DELETE ON ledger_journals
  FOR EACH ROW EXECUTE FUNCTION ledger_append_only();
