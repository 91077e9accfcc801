// The ledger: the only way money moves. Owns ledger_accounts, ledger_journals, ledger_postings.
// Invariants: every journal's postings sum to zero per currency (asserted here, re-checked by the
// database per statement); an account's balance equals the sum of its postings, chained through
// each posting's running balance; a wallet never goes negative (checked under the account's row
// lock, and by a CHECK constraint); a journal's idempotency key is unique, so a cause (an order's
// payment, a refund) posts at most once, and a replay must carry the same lines. The posting
// itself runs in the database (ledger_post_journals, migrations 0013 and 0030), audit entries
// included: one statement and one round trip per batch.
import { pgErrorCode, type Queryable } from '../../db/types.ts';
import { DomainError } from '../../domain/errors.ts';
import { newId } from '../../domain/ids.ts';
import { invariant, InvariantError } from '../../domain/invariant.ts';
import { money, SUPPORTED_CURRENCIES, type Money } from '../../domain/money.ts';
import { auditRequestId, type Actor } from '../audit/service.ts';

export const JOURNAL_LINES_MAX = 20;
export const WALLET_ENTRIES_PAGE_MAX = 500;

export const ACCOUNT_KINDS = ['wallet', 'provider_clearing', 'revenue', 'refunds', 'promotions_expense', 'voucher_liability', 'usage_revenue'] as const;
export type AccountKind = (typeof ACCOUNT_KINDS)[number];

/** Names an account; it is created on first use. */
export interface AccountRef {
  kind: AccountKind;
  currency: string;
  /** The customer, for wallets. */
  ownerId?: string;
  /** The provider, for clearing accounts ('sandbox', 'stripe', …). */
  provider?: string;
}

export const walletAccount = (userId: string, currency: string): AccountRef => ({ kind: 'wallet', currency, ownerId: userId });
export const clearingAccount = (provider: string, currency: string): AccountRef => ({ kind: 'provider_clearing', currency, provider });
export const systemAccount = (kind: Exclude<AccountKind, 'wallet' | 'provider_clearing'>, currency: string): AccountRef => ({ kind, currency });

export function accountCode(ref: AccountRef): string {
  switch (ref.kind) {
    case 'wallet':
      invariant(ref.ownerId, 'a wallet needs an owner');
      return `wallet:${ref.ownerId}:${ref.currency}`;
    case 'provider_clearing':
      invariant(ref.provider, 'a clearing account needs a provider');
      return `clearing:${ref.provider}:${ref.currency}`;
    default:
      return `${ref.kind}:${ref.currency}`;
  }
}

export interface JournalLine {
  account: AccountRef;
  /** Positive raises the account's balance, negative lowers it. */
  amountMinor: number;
}

export interface JournalInput {
  /** Unique per cause, e.g. `order:ord_…:payment`. A second post with the same key changes nothing. */
  idempotencyKey: string;
  kind: string;
  cause: { type: string; id: string };
  description?: string;
  postedAt: Date;
  lines: JournalLine[];
}

export interface PostedJournal {
  journalId: string;
  /** False when the key had been posted before: nothing changed. */
  applied: boolean;
}

function assertBalanced(lines: readonly JournalLine[]): void {
  invariant(lines.length >= 2 && lines.length <= JOURNAL_LINES_MAX, `a journal has 2..${JOURNAL_LINES_MAX} lines`);
  const sums = new Map<string, number>();
  for (const line of lines) {
    invariant(Number.isSafeInteger(line.amountMinor) && line.amountMinor !== 0, 'posting amounts are non-zero integers');
    sums.set(line.account.currency, (sums.get(line.account.currency) ?? 0) + line.amountMinor);
  }
  for (const [currency, total] of sums) invariant(total === 0, `journal does not balance in ${currency}: ${total}`);
  // A journal whose lines cancel out on one account moves nothing yet would look like a payment
  // (e.g. a wallet "paying" a top-up of itself): refuse it rather than record a phantom transfer.
  const net = new Map<string, number>();
  for (const line of lines) net.set(accountCode(line.account), (net.get(accountCode(line.account)) ?? 0) + line.amountMinor);
  invariant([...net.values()].filter((n) => n !== 0).length >= 2, 'a journal moves money between at least two accounts');
}

/**
 * Posts one balanced journal inside the caller's transaction: inserts it (idempotently), locks the
 * accounts in code order (one global order → no deadlocks between concurrent journals), refuses a
 * wallet overdraft with 402 `insufficient_funds`, updates balances and writes the postings with the
 * running balance. Also writes the audit entry for the money movement. A replay of a posted key
 * returns the first post's journal id and changes nothing; with other lines it is an invariant error.
 * Given the Db itself instead of a transaction, the journal is a transaction of its own — the call
 * is one statement, all or nothing, audit entry included — and saves BEGIN and COMMIT; but a
 * deadlock (possible only while two posts create the same accounts) is then the caller's to retry.
 * A caller that owns its transaction and posts last passes `lastStatementOf(tx)` (db/types.ts): the
 * COMMIT goes out with the post, and the accounts it locks are released as soon as it is done.
 */
export async function postJournal(tx: Queryable, input: JournalInput, actor: Actor): Promise<PostedJournal> {
  const [posted] = await postJournals(tx, [input], actor);
  invariant(posted, 'one journal posted');
  return posted;
}

/** Lines netted per account, zero nets dropped: what a journal's postings are. */
function netLines(lines: readonly JournalLine[]): Array<{ code: string; ref: AccountRef; amountMinor: number }> {
  const byCode = new Map<string, { code: string; ref: AccountRef; amountMinor: number }>();
  for (const line of lines) {
    const code = accountCode(line.account);
    const entry = byCode.get(code) ?? { code, ref: line.account, amountMinor: 0 };
    entry.amountMinor += line.amountMinor;
    byCode.set(code, entry);
  }
  return [...byCode.values()].filter((e) => e.amountMinor !== 0);
}

/** SQLSTATEs raised by ledger_post_journals (migrations 0013, 0030). */
const LEDGER_OVERDRAWN = 'LJ402';
const LEDGER_REPLAY_MISMATCH = 'LJ409';

const POST_JOURNALS_SQL = `SELECT out_n, out_journal_id, out_applied FROM ledger_post_journals(
  $1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::timestamptz[], $8::jsonb[],
  $9::integer[], $10::text[], $11::text[], $12::text[], $13::text[], $14::bigint[], $15::text[], $16, $17, $18)`;

/**
 * Posts many journals in one transaction, one statement and one round trip (ledger_post_journals,
 * migration 0030, which also writes the audit entry of every journal it applies) — the same as
 * postJournal for each in order. Accounts of the whole batch are locked together in code order. Keys
 * must be distinct within a batch.
 */
export async function postJournals(tx: Queryable, inputs: readonly JournalInput[], actor: Actor): Promise<PostedJournal[]> {
  if (inputs.length === 0) return [];
  invariant(new Set(inputs.map((j) => j.idempotencyKey)).size === inputs.length, 'a batch posts each idempotency key once');
  const j = { id: [] as string[], key: [] as string[], kind: [] as string[], causeType: [] as string[], causeId: [] as string[],
    description: [] as Array<string | null>, postedAt: [] as Date[], audit: [] as string[] };
  const l = { journal: [] as number[], code: [] as string[], kind: [] as string[], owner: [] as Array<string | null>, currency: [] as string[],
    amount: [] as number[], newAccountId: [] as string[] };
  inputs.forEach((input, i) => {
    assertBalanced(input.lines);
    const journalId = newId('jrn');
    j.id.push(journalId);
    j.key.push(input.idempotencyKey);
    j.kind.push(input.kind);
    j.causeType.push(input.cause.type);
    j.causeId.push(input.cause.id);
    j.description.push(input.description ?? null);
    j.postedAt.push(input.postedAt);
    // The audit entry's details, written by the function only if it applies this journal (not for a replay).
    j.audit.push(JSON.stringify({ journalId, lines: input.lines.map((line) => ({ account: accountCode(line.account), amountMinor: line.amountMinor })) }));
    for (const line of netLines(input.lines)) {
      l.journal.push(i + 1);
      l.code.push(line.code);
      l.kind.push(line.ref.kind);
      l.owner.push(line.ref.ownerId ?? null);
      l.currency.push(line.ref.currency);
      l.amount.push(line.amountMinor);
      l.newAccountId.push(newId('acct'));
    }
  });
  let rows: Array<{ out_n: number; out_journal_id: string | null; out_applied: boolean }>;
  try {
    ({ rows } = await tx.query<{ out_n: number; out_journal_id: string | null; out_applied: boolean }>(POST_JOURNALS_SQL, [
      j.id, j.key, j.kind, j.causeType, j.causeId, j.description, j.postedAt, j.audit,
      l.journal, l.code, l.kind, l.owner, l.currency, l.amount, l.newAccountId, actor.userId, actor.role, auditRequestId(actor),
    ]));
  } catch (error) {
    throw ledgerError(error);
  }
  return inputs.map((_, i) => {
    const row = rows[i];
    invariant(row && row.out_n === i + 1 && row.out_journal_id, 'every journal has an id');
    return { journalId: row.out_journal_id, applied: row.out_applied };
  });
}

/** The function's refusals as the errors callers expect; anything else unchanged. */
function ledgerError(error: unknown): unknown {
  const code = pgErrorCode(error);
  if (code === LEDGER_REPLAY_MISMATCH) return new InvariantError(error instanceof Error ? error.message : 'journal replayed with other lines');
  if (code !== LEDGER_OVERDRAWN) return error;
  const detail = typeof error === 'object' && error !== null && 'detail' in error ? String((error as { detail: unknown }).detail) : '{}';
  const { balanceMinor, currency } = JSON.parse(detail) as { balanceMinor: number; currency: string };
  return new DomainError('payment_required', 'insufficient_funds', 'the wallet balance does not cover this', {
    balance: { amount: balanceMinor, currency },
  });
}

export async function walletBalance(db: Queryable, userId: string, currency: string): Promise<Money> {
  const { rows } = await db.query<{ balance_minor: number }>('SELECT balance_minor FROM ledger_accounts WHERE code = $1', [
    accountCode(walletAccount(userId, currency)),
  ]);
  return money(rows[0]?.balance_minor ?? 0, currency);
}

export interface WalletEntry {
  at: Date;
  amount: Money;
  balanceAfter: Money;
  reason: string;
  causeType: string;
  causeId: string;
}

/** A customer's wallet postings, newest first, across currencies unless one is given. */
export async function walletEntries(db: Queryable, userId: string, options: { currency?: string; limit: number }): Promise<WalletEntry[]> {
  const { rows } = await db.query<{
    posted_at: Date; amount_minor: number; balance_after_minor: number; currency: string; kind: string; cause_type: string; cause_id: string;
  }>(
    `SELECT j.posted_at, p.amount_minor, p.balance_after_minor, p.currency, j.kind, j.cause_type, j.cause_id
       FROM ledger_accounts a
       JOIN ledger_postings p ON p.account_id = a.id
       JOIN ledger_journals j ON j.id = p.journal_id
      WHERE a.kind = 'wallet' AND a.owner_id = $1 AND ($2::text IS NULL OR a.currency = $2)
      ORDER BY p.id DESC LIMIT $3`,
    [userId, options.currency ?? null, Math.min(options.limit, WALLET_ENTRIES_PAGE_MAX)],
  );
  return rows.map((r) => ({
    at: r.posted_at,
    amount: money(r.amount_minor, r.currency),
    balanceAfter: money(r.balance_after_minor, r.currency),
    reason: r.kind,
    causeType: r.cause_type,
    causeId: r.cause_id,
  }));
}

/** The currencies a customer holds a wallet in. */
export async function walletCurrencies(db: Queryable, userId: string): Promise<string[]> {
  const { rows } = await db.query<{ currency: string }>(
    `SELECT currency FROM ledger_accounts WHERE kind = 'wallet' AND owner_id = $1 ORDER BY currency LIMIT $2`,
    [userId, SUPPORTED_CURRENCIES.length],
  );
  return rows.map((r) => r.currency);
}

export interface LedgerViolation {
  kind: 'journal_unbalanced' | 'balance_mismatch' | 'negative_wallet' | 'posting_unattached';
  id: string;
  detail: string;
}

/** Checks every ledger invariant over the whole database (tests, reconciliation, `simkeep ledger verify`). */
export async function verifyLedger(db: Queryable): Promise<LedgerViolation[]> {
  const violations: LedgerViolation[] = [];
  const unbalanced = await db.query<{ journal_id: string; currency: string; total: number }>(
    `SELECT journal_id, currency, sum(amount_minor)::bigint AS total FROM ledger_postings
      GROUP BY journal_id, currency HAVING sum(amount_minor) <> 0`,
  );
  for (const r of unbalanced.rows) violations.push({ kind: 'journal_unbalanced', id: r.journal_id, detail: `${r.currency} ${r.total}` });
  const mismatched = await db.query<{ id: string; balance_minor: number; total: number }>(
    `SELECT a.id, a.balance_minor, COALESCE(sum(p.amount_minor), 0)::bigint AS total
       FROM ledger_accounts a LEFT JOIN ledger_postings p ON p.account_id = a.id
      GROUP BY a.id, a.balance_minor HAVING a.balance_minor <> COALESCE(sum(p.amount_minor), 0)`,
  );
  for (const r of mismatched.rows) violations.push({ kind: 'balance_mismatch', id: r.id, detail: `balance ${r.balance_minor} ≠ Σ ${r.total}` });
  const negative = await db.query<{ id: string; balance_minor: number }>(
    `SELECT id, balance_minor FROM ledger_accounts WHERE kind = 'wallet' AND balance_minor < 0`,
  );
  for (const r of negative.rows) violations.push({ kind: 'negative_wallet', id: r.id, detail: String(r.balance_minor) });
  // What the foreign keys checked until migration 0030 (the postings trigger checks it per statement now).
  const unattached = await db.query<{ id: number; journal_id: string; account_id: string; currency: string }>(
    `SELECT p.id, p.journal_id, p.account_id, p.currency FROM ledger_postings p
      WHERE NOT EXISTS (SELECT 1 FROM ledger_journals j WHERE j.id = p.journal_id)
         OR NOT EXISTS (SELECT 1 FROM ledger_accounts a WHERE a.id = p.account_id AND a.currency = p.currency)`,
  );
  for (const r of unattached.rows) {
    violations.push({ kind: 'posting_unattached', id: String(r.id), detail: `journal ${r.journal_id}, account ${r.account_id} in ${r.currency}` });
  }
  return violations;
}

/** Whether a journal was posted under this idempotency key (a cause already booked). */
export async function isJournalPosted(q: Queryable, idempotencyKey: string): Promise<boolean> {
  const { rowCount } = await q.query('SELECT 1 FROM ledger_journals WHERE idempotency_key = $1', [idempotencyKey]);
  return rowCount > 0;
}

/** The account a posting row names, rebuilt from the ledger's own columns (the code's provider part for clearing). */
function accountRefOfRow(row: { code: string; kind: AccountKind; owner_id: string | null; currency: string }): AccountRef {
  if (row.kind === 'wallet') {
    invariant(row.owner_id, `wallet account ${row.code} has an owner`);
    return walletAccount(row.owner_id, row.currency);
  }
  if (row.kind === 'provider_clearing') return clearingAccount(row.code.split(':')[1] ?? '', row.currency);
  return systemAccount(row.kind, row.currency);
}

export interface ReverseJournalInput {
  /** The key the journal to undo was posted under. */
  journalKey: string;
  /** The reversal's own key: reversing twice changes nothing. */
  reversalKey: string;
  kind: string;
  cause: { type: string; id: string };
  postedAt: Date;
}

/**
 * Undoes a posted journal by posting its mirror image (postings are never changed or deleted).
 * Null when nothing was posted under `journalKey`. A wallet the reversal would overdraw is refused
 * like any other posting (402 insufficient_funds).
 */
export async function reverseJournal(tx: Queryable, input: ReverseJournalInput, actor: Actor): Promise<PostedJournal | null> {
  const { rows } = await tx.query<{ code: string; kind: AccountKind; owner_id: string | null; amount_minor: number; currency: string }>(
    `SELECT a.code, a.kind, a.owner_id, p.amount_minor, p.currency FROM ledger_journals j
       JOIN ledger_postings p ON p.journal_id = j.id JOIN ledger_accounts a ON a.id = p.account_id
      WHERE j.idempotency_key = $1 ORDER BY p.id LIMIT $2`,
    [input.journalKey, JOURNAL_LINES_MAX],
  );
  if (rows.length === 0) return null;
  return postJournal(tx, {
    idempotencyKey: input.reversalKey, kind: input.kind, cause: input.cause, postedAt: input.postedAt,
    lines: rows.map((p) => ({ account: accountRefOfRow(p), amountMinor: -p.amount_minor })),
  }, actor);
}

/**
 * Locks the wallets (in code order, as postJournals does) and returns their balances; a wallet not
 * opened yet holds 0. For callers that decide how much to take before posting (usage rating).
 */
export async function lockWalletBalances(tx: Queryable, wallets: ReadonlyArray<{ userId: string; currency: string }>): Promise<Map<string, number>> {
  const codes = [...new Set(wallets.map((w) => accountCode(walletAccount(w.userId, w.currency))))].sort();
  const balances = new Map<string, number>(codes.map((c) => [c, 0]));
  if (codes.length === 0) return balances;
  const { rows } = await tx.query<{ code: string; balance_minor: number }>(
    'SELECT code, balance_minor FROM ledger_accounts WHERE code = ANY($1::text[]) ORDER BY code FOR UPDATE',
    [codes],
  );
  for (const r of rows) balances.set(r.code, Number(r.balance_minor));
  return balances;
}
