// A first-recharge promotion is granted at most once per line: not twice from one quote, not to two
// orders racing on a fresh line; a released order (cancelled, declined) gives it back.
import { describe, expect, it } from 'vitest';
import { PG_UNIQUE_VIOLATION } from '../../src/db/types.ts';
import { createPlan, createPromotion, placeOrder, quote, redemptionCount, subscriberWithLine, type Subscriber } from '../support/catalog-fixtures.ts';
import { forEachDatabase, type TestContext } from '../support/harness.ts';
import { paySandbox } from '../support/orders-fixtures.ts';

const RACERS = 6;

/** A 1 GB plan and a +20 % first-recharge promotion on it only (no demo promotion applies). */
async function firstRechargeOffer(ctx: TestContext): Promise<{ planId: string; promoId: string }> {
  const plan = await createPlan(ctx, { allowances: { dataMb: 1000, voiceMin: 0, sms: 0 } });
  const promo = await createPromotion(ctx, { title: { en: 'First recharge +20%' }, kind: 'first_recharge_bonus', value: 20, planIds: [plan.id] });
  return { planId: plan.id, promoId: promo.id };
}

async function bonusOrders(ctx: TestContext, who: Subscriber): Promise<string[]> {
  const { rows } = await ctx.db.query<{ id: string }>(
    `SELECT id FROM orders WHERE line_id = $1 AND (bonus->>'dataMb')::int > 0 AND status NOT IN ('cancelled', 'expired', 'failed') ORDER BY id`,
    [who.lineId],
  );
  return rows.map((r) => r.id);
}

forEachDatabase('catalog: the first-recharge bonus, once per line', (get) => {
  it(`gives it to exactly one of ${RACERS} concurrent first orders on a fresh line`, async () => {
    const ctx = get();
    const who = await subscriberWithLine(ctx);
    const { planId, promoId } = await firstRechargeOffer(ctx);
    const answers = await Promise.all(Array.from({ length: RACERS }, () => placeOrder(ctx, who, { planId })));
    for (const a of answers) {
      // A racer priced before the winner committed is refused (it was promised a bonus it cannot
      // have: re-quote); one priced after it simply gets no bonus.
      if (a.status !== 201) expect([a.status, a.json.code], a.text).toEqual([409, 'promotion_exhausted']);
    }
    const withBonus = answers.filter((a) => a.status === 201 && a.json.bonus.dataMb > 0);
    expect(withBonus).toHaveLength(1);
    expect(withBonus[0]?.json.bonus.dataMb).toBe(200);
    expect(await bonusOrders(ctx, who)).toEqual([withBonus[0]?.json.id]);
    expect(await redemptionCount(ctx, promoId)).toBe(1);
  });

  it('credits it to one order only when three orders are placed from one quote', async () => {
    const ctx = get();
    const who = await subscriberWithLine(ctx);
    const { planId, promoId } = await firstRechargeOffer(ctx);
    const q = await quote(ctx, who, { planId });
    expect(q.json.bonuses).toEqual([{ promotionId: promoId, title: 'First recharge +20%', dataMb: 200 }]);
    const first = await placeOrder(ctx, who, { planId, quoteId: q.json.id });
    expect(first.status, first.text).toBe(201);
    expect(first.json.bonus.dataMb).toBe(200);
    for (let i = 0; i < 2; i++) {
      const again = await placeOrder(ctx, who, { planId, quoteId: q.json.id });
      expect([again.status, again.json.code], again.text).toEqual([409, 'promotion_exhausted']);
      expect(again.json.detail).toMatch(/new quote/);
    }
    // Priced afresh, the line is no longer on its first recharge: the next order has no bonus.
    const fresh = await quote(ctx, who, { planId });
    expect(fresh.json.bonuses).toEqual([]);
    const plain = await placeOrder(ctx, who, { planId });
    expect(plain.status, plain.text).toBe(201);
    expect(plain.json.bonus.dataMb).toBe(0);
    expect(await bonusOrders(ctx, who)).toEqual([first.json.id]);
    expect(await redemptionCount(ctx, promoId)).toBe(1);
  });

  it('goes back to the line when its holder is cancelled or declined, and is gone once a paid order used it', async () => {
    const ctx = get();
    const who = await subscriberWithLine(ctx);
    const { planId, promoId } = await firstRechargeOffer(ctx);
    const holder = await placeOrder(ctx, who, { planId });
    expect(holder.json.bonus.dataMb).toBe(200);
    expect((await placeOrder(ctx, who, { planId })).json.bonus.dataMb).toBe(0);

    const cancelled = await ctx.post(`/api/v1/orders/${holder.json.id}/cancel`, undefined, { token: who.token });
    expect(cancelled.json.status).toBe('cancelled');
    expect(await redemptionCount(ctx, promoId)).toBe(0);
    expect((await quote(ctx, who, { planId })).json.bonuses.map((b: { promotionId: string }) => b.promotionId)).toEqual([promoId]);

    const declinedHolder = await placeOrder(ctx, who, { planId });
    expect(declinedHolder.json.bonus.dataMb).toBe(200);
    await paySandbox(ctx, declinedHolder.json.payment.id, 'failed');
    expect(await redemptionCount(ctx, promoId)).toBe(0);

    const paid = await placeOrder(ctx, who, { planId });
    expect(paid.json.bonus.dataMb).toBe(200);
    await paySandbox(ctx, paid.json.payment.id);
    expect((await ctx.get(`/api/v1/orders/${paid.json.id}`, { token: who.token })).json.status).toBe('completed');
    const line = await ctx.get(`/api/v1/lines/${who.lineId}`, { token: who.token });
    expect(line.json.balances.dataMb).toBe(1200);
    expect((await quote(ctx, who, { planId })).json.bonuses).toEqual([]);
    expect(await bonusOrders(ctx, who)).toEqual([paid.json.id]);
  });

  it('is held across two first-recharge promotions: the second is refused at reservation', async () => {
    const ctx = get();
    const who = await subscriberWithLine(ctx);
    const a = await firstRechargeOffer(ctx);
    const b = await firstRechargeOffer(ctx);
    const quoteA = await quote(ctx, who, { planId: a.planId });
    const quoteB = await quote(ctx, who, { planId: b.planId });
    expect(quoteB.json.bonuses.map((x: { promotionId: string }) => x.promotionId)).toEqual([b.promoId]);
    expect((await placeOrder(ctx, who, { planId: a.planId, quoteId: quoteA.json.id })).status).toBe(201);
    const second = await placeOrder(ctx, who, { planId: b.planId, quoteId: quoteB.json.id });
    expect([second.status, second.json.code], second.text).toEqual([409, 'promotion_exhausted']);
    expect(await redemptionCount(ctx, b.promoId)).toBe(0);
  });

  it('is enforced by the database: a second reserved first-recharge redemption of a line is refused', async () => {
    const ctx = get();
    const who = await subscriberWithLine(ctx);
    const a = await firstRechargeOffer(ctx);
    const b = await firstRechargeOffer(ctx);
    const insert = (promotionId: string, orderId: string) =>
      ctx.db.query(
        `INSERT INTO promotion_redemptions (promotion_id, order_id, user_id, line_id, status, created_at, first_recharge_line_id)
         VALUES ($1, $2, $3, $4, 'reserved', now(), $4)`,
        [promotionId, orderId, who.userId, who.lineId],
      );
    await insert(a.promoId, 'ord_db_guard_1');
    await expect(insert(b.promoId, 'ord_db_guard_2')).rejects.toMatchObject({ code: PG_UNIQUE_VIOLATION });
    await ctx.db.query(`UPDATE promotion_redemptions SET status = 'released' WHERE order_id = 'ord_db_guard_1'`);
    await insert(b.promoId, 'ord_db_guard_2');
  });

  describe('in the catalog', () => {
    it('lists the promotion on a fresh line, not while an order of the line holds it', async () => {
      const ctx = get();
      const who = await subscriberWithLine(ctx);
      const { planId, promoId } = await firstRechargeOffer(ctx);
      const listed = async (): Promise<string[]> => {
        const r = await ctx.get(`/api/v1/plans?lineId=${who.lineId}`, { token: who.token });
        return r.json.items.find((p: { id: string }) => p.id === planId).promotions.map((p: { id: string }) => p.id);
      };
      expect(await listed()).toEqual([promoId]);
      const holder = await placeOrder(ctx, who, { planId });
      expect(await listed()).toEqual([]);
      await ctx.post(`/api/v1/orders/${holder.json.id}/cancel`, undefined, { token: who.token });
      expect(await listed()).toEqual([promoId]);
    });
  });
});
