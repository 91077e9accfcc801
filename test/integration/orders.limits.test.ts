// Issue 13's order findings: a user cannot open unpaid orders without limit, and a discount coupon
// on a wallet top-up is refused (the wallet would otherwise be credited the discounted total).
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { UNPAID_ORDERS_PER_USER_MAX } from '../../src/modules/orders/service.ts';
import { createPromotion, redemptionCount, uniqueCoupon } from '../support/catalog-fixtures.ts';
import { forEachDatabase } from '../support/harness.ts';
import { buyer, expectLedgerSound, order, paySandbox, plainPlan, walletOf } from '../support/orders-fixtures.ts';

async function ordersOf(ctx: { db: { query: <R>(sql: string, p: unknown[]) => Promise<{ rows: R[] }> } }, userId: string): Promise<number> {
  return (await ctx.db.query<{ n: number }>('SELECT count(*)::int AS n FROM orders WHERE user_id = $1', [userId])).rows[0]?.n ?? 0;
}

forEachDatabase('limits on orders', (get) => {
  describe('unpaid orders per user', () => {
    it(`refuses the order after ${UNPAID_ORDERS_PER_USER_MAX} unpaid ones with 429 and Retry-After, creating nothing; a replayed key is still answered`, async () => {
      const ctx = get();
      const b = await buyer(ctx);
      const plan = await plainPlan(ctx, 300);
      const keys: string[] = [];
      for (let i = 0; i < UNPAID_ORDERS_PER_USER_MAX; i++) {
        keys.push(randomUUID());
        const r = await order(ctx, b, { planId: plan.id, paymentMethod: 'card' }, keys[i]);
        expect(r.status, r.text).toBe(201);
      }
      const refused = await order(ctx, b, { planId: plan.id, paymentMethod: 'card' });
      expect(refused.status, refused.text).toBe(429);
      expect(refused.json.code).toBe('too_many_unpaid_orders');
      expect(String(refused.headers['content-type'])).toContain('application/problem+json');
      const retryAfter = Number(refused.headers['retry-after']);
      expect(retryAfter).toBeGreaterThan(0);
      expect(retryAfter).toBeLessThanOrEqual(30 * 60);
      expect(await ordersOf(ctx, b.userId)).toBe(UNPAID_ORDERS_PER_USER_MAX);

      const replay = await order(ctx, b, { planId: plan.id, paymentMethod: 'card' }, keys[0]);
      expect(replay.status, replay.text).toBe(201);
      expect(await ordersOf(ctx, b.userId)).toBe(UNPAID_ORDERS_PER_USER_MAX);

      // Another customer is not affected, and paying one order makes room again.
      const other = await buyer(ctx);
      expect((await order(ctx, other, { planId: plan.id, paymentMethod: 'card' })).status).toBe(201);
      await paySandbox(ctx, replay.json.payment.id);
      const after = await order(ctx, b, { planId: plan.id, paymentMethod: 'card' });
      expect(after.status, after.text).toBe(201);
    });

    it('holds the limit for a parallel burst, and counts no order past its payment window', async () => {
      const ctx = get();
      const b = await buyer(ctx);
      const plan = await plainPlan(ctx, 300);
      const burst = await Promise.all(Array.from({ length: UNPAID_ORDERS_PER_USER_MAX + 4 }, () => order(ctx, b, { planId: plan.id, paymentMethod: 'card' })));
      const statuses = burst.map((r) => r.status).sort();
      expect(statuses.filter((s) => s === 201)).toHaveLength(UNPAID_ORDERS_PER_USER_MAX);
      expect(statuses.filter((s) => s === 429)).toHaveLength(4);
      await ctx.advance(31 * 60);
      expect((await order(ctx, b, { planId: plan.id, paymentMethod: 'card' })).status).toBe(201);
    });

    it('never limits orders paid at once (wallet)', async () => {
      const ctx = get();
      const b = await buyer(ctx);
      const plan = await plainPlan(ctx, 100);
      const topup = await order(ctx, b, { topupAmount: { amount: 1_000, currency: 'USD' }, paymentMethod: 'card' });
      await paySandbox(ctx, topup.json.payment.id);
      for (let i = 0; i < UNPAID_ORDERS_PER_USER_MAX; i++) expect((await order(ctx, b, { planId: plan.id, paymentMethod: 'card' })).status).toBe(201);
      const wallet = await order(ctx, b, { planId: plan.id, paymentMethod: 'wallet' });
      expect(wallet.status, wallet.text).toBe(201);
    });
  });

  describe('a coupon on a wallet top-up', () => {
    it('is refused with 422 coupon_not_applicable, on the quote and the order, and nothing is used up or created', async () => {
      const ctx = get();
      const b = await buyer(ctx);
      const code = uniqueCoupon('TOPUP');
      const promotion = await createPromotion(ctx, { title: { en: '5 off' }, kind: 'amount_off', value: 500, currency: 'USD', couponCode: code, maxRedemptions: 10 });
      const body = { topupAmount: { amount: 2_000, currency: 'USD' }, couponCode: code, paymentMethod: 'card' };
      const quoted = await ctx.post('/api/v1/quotes', { lineId: b.lineId, amount: body.topupAmount, couponCode: code }, { token: b.token });
      expect(quoted.status, quoted.text).toBe(422);
      expect(quoted.json.code).toBe('coupon_not_applicable');
      const refused = await order(ctx, b, body);
      expect(refused.status, refused.text).toBe(422);
      expect(refused.json.code).toBe('coupon_not_applicable');
      expect(await ordersOf(ctx, b.userId)).toBe(0);
      expect(await redemptionCount(ctx, promotion.id)).toBe(0);

      // The same top-up without the coupon credits its face value.
      const plain = await order(ctx, b, { topupAmount: body.topupAmount, paymentMethod: 'card' });
      expect(plain.status, plain.text).toBe(201);
      await paySandbox(ctx, plain.json.payment.id);
      expect(await walletOf(ctx, b)).toBe(2_000);
      await expectLedgerSound(ctx);
    });
  });
});
