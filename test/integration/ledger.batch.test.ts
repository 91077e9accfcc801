import { expect, it } from 'vitest';
import fc from 'fast-check';
import { SYSTEM_ACTOR } from '../../src/modules/audit/service.ts';
import { InvariantError } from '../../src/domain/invariant.ts';
import {
  clearingAccount, postJournal, postJournals, systemAccount, verifyLedger, walletAccount, walletBalance, type JournalInput,
} from '../../src/modules/ledger/service.ts';
import { forEachDatabase } from '../support/harness.ts';

const now = new Date('2026-11-23T12:00:00Z');

const transfer = (key: string, from: string, to: string, amountMinor: number): JournalInput => ({
  idempotencyKey: key, kind: 'test_transfer', cause: { type: 'test', id: key }, postedAt: now,
  lines: [{ account: clearingAccount(from, 'USD'), amountMinor: -amountMinor }, { account: clearingAccount(to, 'USD'), amountMinor }],
});

/** A customer (created if missing) and a usage journal that moves `amountMinor` from their wallet to usage revenue. */
async function customerSpending(db: { query: (sql: string, p: unknown[]) => Promise<unknown> }, user: string): Promise<(key: string, amountMinor: number) => JournalInput> {
  await db.query(`INSERT INTO users (id, email, role) VALUES ($1, $2, 'customer') ON CONFLICT DO NOTHING`, [user, `${user}@ledger.test`]);
  return (key, amountMinor) => ({
    idempotencyKey: key, kind: 'usage', cause: { type: 'usage', id: key }, postedAt: now,
    lines: [{ account: walletAccount(user, 'USD'), amountMinor: -amountMinor }, { account: systemAccount('usage_revenue', 'USD'), amountMinor }],
  });
}

/** Each account's postings in order: (amount, running balance) — what must match between two runs. */
async function chains(db: { query: <R>(sql: string, p: unknown[]) => Promise<{ rows: R[] }> }, prefix: string): Promise<Record<string, string>> {
  const { rows } = await db.query<{ code: string; chain: string }>(
    `SELECT a.code, string_agg(p.amount_minor || '→' || p.balance_after_minor, ' ' ORDER BY p.id) AS chain
       FROM ledger_accounts a JOIN ledger_postings p ON p.account_id = a.id WHERE a.code LIKE $1 GROUP BY a.code`,
    [`clearing:${prefix}%`],
  );
  return Object.fromEntries(rows.map((r) => [r.code.replace(`clearing:${prefix}`, ''), r.chain]));
}

forEachDatabase('the ledger, batched and replayed', (get) => {
  it('a replay with the same key and lines returns the first journal id; with other lines it is an invariant error', async () => {
    const ctx = get();
    const first = await ctx.db.transaction((tx) => postJournal(tx, transfer('replay:1', 'r-a', 'r-b', 40), SYSTEM_ACTOR));
    expect(first.applied).toBe(true);
    expect(first.journalId).toMatch(/^jrn_/);
    // The same lines in another order and split differently net to the same postings: a replay.
    const same: JournalInput = { ...transfer('replay:1', 'r-a', 'r-b', 40), lines: [
      { account: clearingAccount('r-b', 'USD'), amountMinor: 30 }, { account: clearingAccount('r-a', 'USD'), amountMinor: -40 },
      { account: clearingAccount('r-b', 'USD'), amountMinor: 10 },
    ] };
    expect(await ctx.db.transaction((tx) => postJournal(tx, same, SYSTEM_ACTOR))).toEqual({ journalId: first.journalId, applied: false });
    await expect(ctx.db.transaction((tx) => postJournal(tx, transfer('replay:1', 'r-a', 'r-b', 41), SYSTEM_ACTOR))).rejects.toBeInstanceOf(InvariantError);
    await expect(ctx.db.transaction((tx) => postJournal(tx, transfer('replay:1', 'r-a', 'r-c', 40), SYSTEM_ACTOR))).rejects.toThrow(/other lines/);
    const { rows } = await ctx.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ledger_journals WHERE idempotency_key = 'replay:1'`);
    expect(rows[0]?.n).toBe(1);
    expect(await verifyLedger(ctx.db)).toEqual([]);
  });

  it('refuses a whole batch when one journal would overdraw a wallet, and posts nothing of it', async () => {
    const ctx = get();
    const user = 'usr_batch_over';
    const spend = await customerSpending(ctx.db, user);
    await ctx.db.transaction((tx) => postJournal(tx, { idempotencyKey: 'batch-over:fund', kind: 'wallet_topup', cause: { type: 'test', id: 'f' }, postedAt: now,
      lines: [{ account: walletAccount(user, 'USD'), amountMinor: 100 }, { account: clearingAccount('sandbox', 'USD'), amountMinor: -100 }] }, SYSTEM_ACTOR));
    await expect(ctx.db.transaction((tx) => postJournals(tx, [spend('bo:1', 60), spend('bo:2', 30), spend('bo:3', 20)], SYSTEM_ACTOR)))
      .rejects.toMatchObject({ code: 'insufficient_funds', extra: { balance: { amount: 10, currency: 'USD' } } });
    expect((await walletBalance(ctx.db, user, 'USD')).amountMinor).toBe(100);
    const posted = await ctx.db.transaction((tx) => postJournals(tx, [spend('bo:1', 60), spend('bo:2', 30)], SYSTEM_ACTOR));
    expect(posted.map((p) => p.applied)).toEqual([true, true]);
    expect((await walletBalance(ctx.db, user, 'USD')).amountMinor).toBe(10);
    const audited = await ctx.db.query(`SELECT 1 FROM audit_log WHERE target_id IN ('bo:1', 'bo:2', 'bo:3')`);
    expect(audited.rowCount).toBe(2);
    expect(await verifyLedger(ctx.db)).toEqual([]);
  });

  it('writes one audit entry per applied journal in the posting statement itself: none for a replay, none when the transaction rolls back', async () => {
    const ctx = get();
    const actor = { userId: null, role: 'system', requestId: 'req-audit-1' };
    const [posted] = await ctx.db.transaction((tx) => postJournals(tx, [transfer('audit:1', 'au-a', 'au-b', 25)], actor));
    await ctx.db.transaction((tx) => postJournal(tx, transfer('audit:1', 'au-a', 'au-b', 25), actor));
    const entries = await ctx.db.query<{ action: string; target_type: string; target_id: string; actor_role: string; request_id: string; at: Date; details: unknown }>(
      `SELECT action, target_type, target_id, actor_role, request_id, at, details FROM audit_log WHERE target_id = 'audit:1'`,
    );
    expect(entries.rows).toEqual([{
      action: 'ledger.test_transfer', target_type: 'test', target_id: 'audit:1', actor_role: 'system', request_id: 'req-audit-1', at: now,
      details: { journalId: posted?.journalId, lines: [{ account: 'clearing:au-a:USD', amountMinor: -25 }, { account: 'clearing:au-b:USD', amountMinor: 25 }] },
    }]);
    // The caller's transaction fails after the post: the journal and its audit entry go together.
    await expect(ctx.db.transaction(async (tx) => {
      await postJournal(tx, transfer('audit:2', 'au-a', 'au-b', 5), actor);
      throw new Error('caller fails later');
    })).rejects.toThrow(/caller fails later/);
    const after = await ctx.db.query(`SELECT 1 FROM audit_log WHERE target_id = 'audit:2' UNION ALL SELECT 1 FROM ledger_journals WHERE idempotency_key = 'audit:2'`);
    expect(after.rowCount).toBe(0);
  });

  it('creates the accounts a batch names for the first time beside ones that exist, also when two transactions open the same account at once', async () => {
    const ctx = get();
    await ctx.db.transaction((tx) => postJournal(tx, transfer('open:0', 'op-old-a', 'op-old-b', 10), SYSTEM_ACTOR));
    const posted = await ctx.db.transaction((tx) => postJournals(tx, [
      transfer('open:1', 'op-old-a', 'op-new-1', 3), transfer('open:2', 'op-new-2', 'op-old-b', 4), transfer('open:3', 'op-new-1', 'op-new-2', 2),
    ], SYSTEM_ACTOR));
    expect(posted.map((p) => p.applied)).toEqual([true, true, true]);
    expect(await chains(ctx.db, 'op-')).toEqual({
      'old-a:USD': '-10→-10 -3→-13', 'old-b:USD': '10→10 4→14', 'new-1:USD': '3→3 -2→1', 'new-2:USD': '-4→-4 2→-2',
    });
    // Both open 'op-race-x' (and the other's first account); one waits for the other, neither fails.
    const raced = await Promise.all([
      ctx.db.transaction((tx) => postJournals(tx, [transfer('race:1', 'op-race-x', 'op-race-y', 7), transfer('race:2', 'op-old-a', 'op-race-x', 1)], SYSTEM_ACTOR)),
      ctx.db.transaction((tx) => postJournals(tx, [transfer('race:3', 'op-race-z', 'op-race-x', 5)], SYSTEM_ACTOR)),
    ]);
    expect(raced.flat().map((p) => p.applied)).toEqual([true, true, true]);
    const balances = await ctx.db.query<{ code: string; balance_minor: number }>(
      `SELECT code, balance_minor FROM ledger_accounts WHERE code LIKE 'clearing:op-race-%' ORDER BY code`);
    expect(balances.rows).toEqual([
      { code: 'clearing:op-race-x:USD', balance_minor: -7 + 1 + 5 }, { code: 'clearing:op-race-y:USD', balance_minor: 7 },
      { code: 'clearing:op-race-z:USD', balance_minor: -5 },
    ]);
    expect(await verifyLedger(ctx.db)).toEqual([]);
  });

  it('posted alone, without a transaction, a journal is still all or nothing (one statement)', async () => {
    const ctx = get();
    const user = 'usr_alone';
    const spend = await customerSpending(ctx.db, user);
    await postJournal(ctx.db, { idempotencyKey: 'alone:fund', kind: 'wallet_topup', cause: { type: 'test', id: 'alone' }, postedAt: now,
      lines: [{ account: walletAccount(user, 'USD'), amountMinor: 50 }, { account: clearingAccount('sandbox', 'USD'), amountMinor: -50 }] }, SYSTEM_ACTOR);
    expect((await postJournal(ctx.db, spend('alone:1', 30), SYSTEM_ACTOR)).applied).toBe(true);
    await expect(postJournal(ctx.db, spend('alone:2', 30), SYSTEM_ACTOR)).rejects.toMatchObject({ code: 'insufficient_funds' });
    const left = await ctx.db.query(`SELECT 1 FROM ledger_journals WHERE idempotency_key = 'alone:2' UNION ALL SELECT 1 FROM audit_log WHERE target_id = 'alone:2'`);
    expect(left.rowCount).toBe(0);
    expect((await walletBalance(ctx.db, user, 'USD')).amountMinor).toBe(20);
    expect(await verifyLedger(ctx.db)).toEqual([]);
  });

  it('a batch posts exactly what the same journals posted one by one would (property)', async () => {
    const ctx = get();
    let run = 0;
    const journal = fc.record({ from: fc.integer({ min: 0, max: 4 }), hop: fc.integer({ min: 1, max: 4 }), amount: fc.integer({ min: 1, max: 1_000 }), replayOf: fc.option(fc.nat(), { nil: undefined }) });
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(journal, { minLength: 1, maxLength: 8 }), { minLength: 1, maxLength: 4 }), async (batches) => {
        run++;
        const inputs = (prefix: string): JournalInput[][] => {
          const sent: JournalInput[] = [];
          return batches.map((batch) => {
            const keys = new Set<string>();
            return batch.flatMap((j) => {
              const earlier = j.replayOf === undefined || sent.length === 0 ? undefined : sent[j.replayOf % sent.length];
              const input = earlier ?? transfer(`${prefix}:${sent.length}`, `${prefix}-${j.from}`, `${prefix}-${(j.from + j.hop) % 5}`, j.amount);
              if (keys.has(input.idempotencyKey)) return [];
              keys.add(input.idempotencyKey);
              if (!earlier) sent.push(input);
              return [input];
            });
          });
        };
        const batched = `pb${run}`;
        const single = `ps${run}`;
        const batchedResults = [];
        for (const batch of inputs(batched)) batchedResults.push(...(await ctx.db.transaction((tx) => postJournals(tx, batch, SYSTEM_ACTOR))));
        const singleResults = [];
        for (const batch of inputs(single)) {
          for (const input of batch) singleResults.push(await ctx.db.transaction((tx) => postJournal(tx, input, SYSTEM_ACTOR)));
        }
        expect(batchedResults.map((r) => r.applied)).toEqual(singleResults.map((r) => r.applied));
        expect(batchedResults.every((r) => r.journalId.startsWith('jrn_'))).toBe(true);
        expect(await chains(ctx.db, batched)).toEqual(await chains(ctx.db, single));
      }),
      { numRuns: 10 },
    );
    expect(await verifyLedger(ctx.db)).toEqual([]);
  });
});
