import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { SYSTEM_ACTOR } from '../../src/modules/audit/service.ts';
import {
  clearingAccount, postJournal, systemAccount, verifyLedger, walletAccount, walletBalance, walletEntries, type AccountRef, type JournalLine,
} from '../../src/modules/ledger/service.ts';
import { forEachDatabase } from '../support/harness.ts';

const now = new Date('2026-11-23T12:00:00Z');

async function newUser(ctx: { db: { query: (sql: string, p: unknown[]) => Promise<unknown> } }, id: string): Promise<string> {
  await ctx.db.query(`INSERT INTO users (id, email, role) VALUES ($1, $2, 'customer') ON CONFLICT DO NOTHING`, [id, `${id}@ledger.test`]);
  return id;
}

forEachDatabase('the ledger', (get) => {
  it('posts a balanced journal once per idempotency key and keeps balance = Σ postings', async () => {
    const ctx = get();
    const user = await newUser(ctx, 'usr_ledger_a');
    const lines: JournalLine[] = [
      { account: walletAccount(user, 'USD'), amountMinor: 500 },
      { account: clearingAccount('sandbox', 'USD'), amountMinor: -500 },
    ];
    const input = { idempotencyKey: 'test:topup:1', kind: 'wallet_topup', cause: { type: 'order', id: 'ord_x' }, postedAt: now, lines };
    const first = await ctx.db.transaction((tx) => postJournal(tx, input, SYSTEM_ACTOR));
    const second = await ctx.db.transaction((tx) => postJournal(tx, input, SYSTEM_ACTOR));
    expect(first.applied).toBe(true);
    expect(second).toEqual({ journalId: first.journalId, applied: false });
    expect((await walletBalance(ctx.db, user, 'USD')).amountMinor).toBe(500);
    const entries = await walletEntries(ctx.db, user, { limit: 10 });
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ reason: 'wallet_topup', causeId: 'ord_x', balanceAfter: { amountMinor: 500, currency: 'USD' } });
    expect(await verifyLedger(ctx.db)).toEqual([]);
  });

  it('refuses an unbalanced journal in code, and the database refuses one written around the code', async () => {
    const ctx = get();
    const user = await newUser(ctx, 'usr_ledger_b');
    await expect(
      ctx.db.transaction((tx) =>
        postJournal(tx, {
          idempotencyKey: 'bad', kind: 'x', cause: { type: 't', id: 'i' }, postedAt: now,
          lines: [{ account: walletAccount(user, 'USD'), amountMinor: 5 }, { account: systemAccount('revenue', 'USD'), amountMinor: -4 }],
        }, SYSTEM_ACTOR),
      ),
    ).rejects.toThrow(/does not balance/);
    await expect(
      ctx.db.transaction(async (tx) => {
        const acct = await tx.query<{ id: string }>(`INSERT INTO ledger_accounts (id, code, kind, currency, allow_negative) VALUES ('acct_raw', 'raw:USD', 'revenue', 'USD', true) RETURNING id`);
        await tx.query(`INSERT INTO ledger_journals (id, idempotency_key, kind, cause_type, cause_id, posted_at) VALUES ('jrn_raw', 'raw', 'x', 't', 'i', now())`);
        await tx.query(`INSERT INTO ledger_postings (journal_id, account_id, currency, amount_minor, balance_after_minor) VALUES ('jrn_raw', $1, 'USD', 7, 7)`, [acct.rows[0]?.id]);
      }),
    ).rejects.toThrow(/does not sum to zero/);
    await expect(ctx.db.query(`UPDATE ledger_postings SET amount_minor = 1`)).rejects.toThrow(/append-only/);
    await expect(ctx.db.query(`DELETE FROM ledger_journals`)).rejects.toThrow(/append-only/);
    await expect(ctx.db.query(`TRUNCATE ledger_postings, ledger_journals`)).rejects.toThrow(/append-only/);
  });

  it('keeps running balances in the database: an account cannot disagree with its postings, even written around the code', async () => {
    const ctx = get();
    const user = await newUser(ctx, 'usr_ledger_chain');
    await ctx.db.transaction((tx) => postJournal(tx, {
      idempotencyKey: 'chain:1', kind: 'wallet_topup', cause: { type: 'order', id: 'ord_chain' }, postedAt: now,
      lines: [{ account: walletAccount(user, 'USD'), amountMinor: 300 }, { account: clearingAccount('sandbox', 'USD'), amountMinor: -300 }],
    }, SYSTEM_ACTOR));
    const wallet = `wallet:${user}:USD`;
    // A balance bumped without a posting is refused at commit, and nothing changed.
    await expect(ctx.db.query(`UPDATE ledger_accounts SET balance_minor = balance_minor + 100 WHERE code = $1`, [wallet]))
      .rejects.toThrow(/postings say 300/);
    // A balanced journal whose postings skip the running balance is refused too.
    await expect(ctx.db.transaction(async (tx) => {
      const ids = await tx.query<{ id: string; code: string }>(`SELECT id, code FROM ledger_accounts WHERE code = ANY($1::text[])`, [[wallet, 'clearing:sandbox:USD']]);
      const id = (code: string): string => ids.rows.find((r) => r.code === code)?.id ?? '';
      await tx.query(`INSERT INTO ledger_journals (id, idempotency_key, kind, cause_type, cause_id, posted_at) VALUES ('jrn_chain', 'chain:raw', 'x', 't', 'i', now())`);
      await tx.query(`INSERT INTO ledger_postings (journal_id, account_id, currency, amount_minor, balance_after_minor) VALUES ('jrn_chain', $1, 'USD', 50, 9999), ('jrn_chain', $2, 'USD', -50, -350)`,
        [id(wallet), id('clearing:sandbox:USD')]);
    })).rejects.toThrow(/breaks its running balance/);
    // An account cannot be born with money.
    await expect(ctx.db.query(`INSERT INTO ledger_accounts (id, code, kind, currency, allow_negative, balance_minor) VALUES ('acct_rich', 'rich:USD', 'revenue', 'USD', true, 1000)`))
      .rejects.toThrow(/starts at zero/);
    expect((await walletBalance(ctx.db, user, 'USD')).amountMinor).toBe(300);
    expect(await verifyLedger(ctx.db)).toEqual([]);
  });

  it('refuses a posting on a journal or account that does not exist, and keeps accounts: no delete, truncate or re-key', async () => {
    const ctx = get();
    await ctx.db.transaction((tx) => postJournal(tx, {
      idempotencyKey: 'refs:1', kind: 'test_transfer', cause: { type: 'test', id: 'refs' }, postedAt: now,
      lines: [{ account: clearingAccount('refs-a', 'USD'), amountMinor: -20 }, { account: clearingAccount('refs-b', 'USD'), amountMinor: 20 }],
    }, SYSTEM_ACTOR));
    const ids = await ctx.db.query<{ id: string; code: string }>(`SELECT id, code FROM ledger_accounts WHERE code LIKE 'clearing:refs-%' ORDER BY code`);
    const [a, b] = ids.rows.map((r) => r.id);
    const rawJournal = (tx: { query: (sql: string, p?: unknown[]) => Promise<unknown> }, id: string): Promise<unknown> =>
      tx.query(`INSERT INTO ledger_journals (id, idempotency_key, kind, cause_type, cause_id, posted_at) VALUES ($1, $1, 'x', 't', 'i', now())`, [id]);
    // Balanced, chained postings — on an account that does not exist.
    await expect(ctx.db.transaction(async (tx) => {
      await rawJournal(tx, 'jrn_refs_ghost');
      await tx.query(`INSERT INTO ledger_postings (journal_id, account_id, currency, amount_minor, balance_after_minor)
                      VALUES ('jrn_refs_ghost', $1, 'USD', -5, -25), ('jrn_refs_ghost', 'acct_ghost', 'USD', 5, 5)`, [a]);
    })).rejects.toThrow(/does not exist/);
    // … on an account that exists in another currency.
    await expect(ctx.db.transaction(async (tx) => {
      await rawJournal(tx, 'jrn_refs_eur');
      await tx.query(`INSERT INTO ledger_postings (journal_id, account_id, currency, amount_minor, balance_after_minor)
                      VALUES ('jrn_refs_eur', $1, 'EUR', -5, -25), ('jrn_refs_eur', $2, 'EUR', 5, 25)`, [a, b]);
    })).rejects.toThrow(/does not exist/);
    // … in a journal that does not exist.
    await expect(ctx.db.query(`INSERT INTO ledger_postings (journal_id, account_id, currency, amount_minor, balance_after_minor)
                               VALUES ('jrn_nowhere', $1, 'USD', -5, -25), ('jrn_nowhere', $2, 'USD', 5, 25)`, [a, b])).rejects.toThrow(/does not exist/);
    // A posting added later to a posted journal (chained correctly) unbalances it.
    const posted = await ctx.db.query<{ id: string }>(`SELECT id FROM ledger_journals WHERE idempotency_key = 'refs:1'`);
    await expect(ctx.db.query(`INSERT INTO ledger_postings (journal_id, account_id, currency, amount_minor, balance_after_minor) VALUES ($1, $2, 'USD', 1, 21)`,
      [posted.rows[0]?.id, b])).rejects.toThrow(/does not sum to zero/);
    await expect(ctx.db.query(`DELETE FROM ledger_accounts WHERE id = $1`, [a])).rejects.toThrow(/never deleted/);
    await expect(ctx.db.query(`TRUNCATE ledger_accounts CASCADE`)).rejects.toThrow(/never deleted|append-only/);
    await expect(ctx.db.query(`UPDATE ledger_accounts SET id = 'acct_renamed' WHERE id = $1`, [a])).rejects.toThrow(/re-keyed/);
    await expect(ctx.db.query(`UPDATE ledger_accounts SET currency = 'EUR' WHERE id = $1`, [a])).rejects.toThrow(/re-keyed/);
    // Written around the triggers too (replication role skips them): verifyLedger still reports it.
    const found = await ctx.db.transaction(async (tx) => {
      await tx.query(`SET LOCAL session_replication_role = replica`);
      await tx.query(`INSERT INTO ledger_postings (journal_id, account_id, currency, amount_minor, balance_after_minor)
                      VALUES ('jrn_nowhere', 'acct_ghost', 'USD', 5, 5), ('jrn_nowhere', 'acct_ghost_2', 'USD', -5, -5)`);
      const violations = await verifyLedger(tx);
      await tx.query(`SET LOCAL session_replication_role = origin`);
      throw Object.assign(new Error('roll back'), { violations });
    }).catch((error: { violations?: unknown }) => error.violations);
    expect(found).toEqual(expect.arrayContaining([
      { kind: 'posting_unattached', id: expect.any(String), detail: 'journal jrn_nowhere, account acct_ghost in USD' },
      { kind: 'posting_unattached', id: expect.any(String), detail: 'journal jrn_nowhere, account acct_ghost_2 in USD' },
    ]));
    expect(found).toHaveLength(2);
    expect(await verifyLedger(ctx.db)).toEqual([]);
  });

  it('never lets a wallet go negative: an overdraft is 402 insufficient_funds and changes nothing', async () => {
    const ctx = get();
    const user = await newUser(ctx, 'usr_ledger_c');
    await expect(
      ctx.db.transaction((tx) =>
        postJournal(tx, {
          idempotencyKey: 'overdraft', kind: 'order_payment', cause: { type: 'order', id: 'ord_y' }, postedAt: now,
          lines: [{ account: walletAccount(user, 'USD'), amountMinor: -1 }, { account: systemAccount('revenue', 'USD'), amountMinor: 1 }],
        }, SYSTEM_ACTOR),
      ),
    ).rejects.toMatchObject({ code: 'insufficient_funds' });
    const journals = await ctx.db.query(`SELECT 1 FROM ledger_journals WHERE idempotency_key = 'overdraft'`);
    expect(journals.rowCount).toBe(0);
  });

  it('keeps every invariant over random sequences of postings (property)', async () => {
    const ctx = get();
    const users = await Promise.all(['p1', 'p2', 'p3'].map((s) => newUser(ctx, `usr_prop_${s}`)));
    let seq = 0;
    const sent = new Map<string, { user: string; currency: string; signed: number; counter: AccountRef }>();
    const step = fc.record({
      user: fc.integer({ min: 0, max: users.length - 1 }),
      kind: fc.constantFrom('topup', 'spend', 'refund_to_wallet', 'replay'),
      amount: fc.integer({ min: 1, max: 5_000 }),
      currency: fc.constantFrom('USD', 'GBP'),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 12 }), async (steps) => {
        for (const s of steps) {
          const key = s.kind === 'replay' && seq > 0 ? `prop:${seq - 1}` : `prop:${seq++}`;
          // A replay carries the lines first sent under its key (other lines are an invariant error).
          const first = sent.get(key);
          const user = first?.user ?? users[s.user] ?? '';
          const currency = first?.currency ?? s.currency;
          const before = (await walletBalance(ctx.db, user, currency)).amountMinor;
          const signed = first?.signed ?? (s.kind === 'spend' ? -s.amount : s.amount);
          const counter = s.kind === 'topup' ? clearingAccount('sandbox', currency) : systemAccount('revenue', currency);
          sent.set(key, first ?? { user, currency, signed, counter });
          let outcome: 'applied' | 'replayed' | 'refused';
          try {
            const r = await ctx.db.transaction((tx) =>
              postJournal(tx, {
                idempotencyKey: key, kind: s.kind, cause: { type: 'test', id: key }, postedAt: now,
                lines: [{ account: walletAccount(user, currency), amountMinor: signed }, { account: first?.counter ?? counter, amountMinor: -signed }],
              }, SYSTEM_ACTOR),
            );
            outcome = r.applied ? 'applied' : 'replayed';
          } catch (error) {
            expect(error).toMatchObject({ code: 'insufficient_funds' });
            outcome = 'refused';
          }
          const after = (await walletBalance(ctx.db, user, currency)).amountMinor;
          if (outcome === 'applied') expect(after).toBe(before + signed);
          else expect(after).toBe(before);
          if (outcome === 'refused') expect(before + signed).toBeLessThan(0);
          expect(after).toBeGreaterThanOrEqual(0);
        }
        expect(await verifyLedger(ctx.db)).toEqual([]);
      }),
      { numRuns: 15 },
    );
  });

  it('serialises concurrent spending on one wallet: exactly the affordable ones succeed', async () => {
    const ctx = get();
    const user = await newUser(ctx, 'usr_ledger_conc');
    await ctx.db.transaction((tx) =>
      postJournal(tx, {
        idempotencyKey: 'conc:fund', kind: 'wallet_topup', cause: { type: 'test', id: 'fund' }, postedAt: now,
        lines: [{ account: walletAccount(user, 'USD'), amountMinor: 2_000 }, { account: clearingAccount('sandbox', 'USD'), amountMinor: -2_000 }],
      }, SYSTEM_ACTOR),
    );
    const results = await Promise.allSettled(
      Array.from({ length: 100 }, (_, i) =>
        ctx.db.transaction((tx) =>
          postJournal(tx, {
            idempotencyKey: `conc:${i}`, kind: 'order_payment', cause: { type: 'test', id: String(i) }, postedAt: now,
            lines: [{ account: walletAccount(user, 'USD'), amountMinor: -100 }, { account: systemAccount('revenue', 'USD'), amountMinor: 100 }],
          }, SYSTEM_ACTOR),
        ),
      ),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(20);
    expect((await walletBalance(ctx.db, user, 'USD')).amountMinor).toBe(0);
    expect(await verifyLedger(ctx.db)).toEqual([]);
  });
});

describe('ledger journal shape', () => {
  it('rejects a journal whose lines cancel out on one account (a phantom transfer)', async () => {
    const wallet = walletAccount('usr_x', 'USD');
    await expect(
      postJournal({ query: async () => ({ rows: [], rowCount: 0 }), exec: async () => undefined }, {
        idempotencyKey: 'self', kind: 'wallet_topup', cause: { type: 'order', id: 'ord_self' }, postedAt: now,
        lines: [{ account: wallet, amountMinor: -500 }, { account: wallet, amountMinor: 500 }],
      }, SYSTEM_ACTOR),
    ).rejects.toThrow(/at least two accounts/);
  });

  it('rejects a journal with one line', async () => {
    await expect(
      postJournal({ query: async () => ({ rows: [], rowCount: 0 }), exec: async () => undefined }, {
        idempotencyKey: 'x', kind: 'x', cause: { type: 'x', id: 'x' }, postedAt: now,
        lines: [{ account: systemAccount('revenue', 'USD'), amountMinor: 0 }],
      }, SYSTEM_ACTOR),
    ).rejects.toThrow();
  });
});
