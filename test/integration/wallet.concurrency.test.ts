import { randomUUID } from 'node:crypto';
import { expect, it } from 'vitest';
import { forEachDatabase } from '../support/harness.ts';
import { buyer, expectLedgerSound, order, plainPlan, topUp, walletOf } from '../support/orders-fixtures.ts';

const CONCURRENT_ORDERS = 100;
const AFFORDABLE = 37;
const PRICE_MINOR = 100;

forEachDatabase('paying from one wallet concurrently', (get) => {
  it(`lets exactly ${AFFORDABLE} of ${CONCURRENT_ORDERS} concurrent wallet orders through; the rest get 402; the wallet never goes negative`, async () => {
    const ctx = get();
    const b = await buyer(ctx);
    await topUp(ctx, b, AFFORDABLE * PRICE_MINOR);
    const plan = await plainPlan(ctx, PRICE_MINOR);
    const answers = await Promise.all(
      Array.from({ length: CONCURRENT_ORDERS }, () => order(ctx, b, { planId: plan.id, paymentMethod: 'wallet' }, randomUUID())),
    );
    const statuses = answers.map((a) => a.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(AFFORDABLE);
    expect(statuses.filter((s) => s === 402)).toHaveLength(CONCURRENT_ORDERS - AFFORDABLE);
    expect(await walletOf(ctx, b)).toBe(0);

    const { rows } = await ctx.db.query<{ balance: number; total: number; min_after: number }>(
      `SELECT a.balance_minor AS balance, sum(p.amount_minor)::bigint AS total, min(p.balance_after_minor)::bigint AS min_after
         FROM ledger_accounts a JOIN ledger_postings p ON p.account_id = a.id
        WHERE a.kind = 'wallet' AND a.owner_id = $1 GROUP BY a.balance_minor`,
      [b.userId],
    );
    expect(rows[0]).toEqual({ balance: 0, total: 0, min_after: 0 });
    const paid = await ctx.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM orders WHERE user_id = $1 AND payment_method = 'wallet'`, [b.userId]);
    expect(paid.rows[0]?.n).toBe(AFFORDABLE);
    await expectLedgerSound(ctx);
  });
});
