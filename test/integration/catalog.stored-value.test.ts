// Automatic discounts never apply to stored value: "10 % off everything" must not sell $10 of
// wallet balance for $9. Its own suite, because a global promotion touches every quote.
import { expect, it } from 'vitest';
import { bindLine, createPlan, createPromotion } from '../support/catalog-fixtures.ts';
import { forEachDatabase } from '../support/harness.ts';

forEachDatabase('catalog: discounts and stored value', (get) => {
  it('discounts a plan but not a wallet top-up or a top-up plan under a global automatic promotion', async () => {
    const ctx = get();
    const customer = await ctx.customer();
    const line = await bindLine(ctx, customer.token);
    const plan = await createPlan(ctx, { price: { amount: 1000, currency: 'USD' } });
    const topupPlan = await createPlan(ctx, {
      kind: 'topup', price: { amount: 1000, currency: 'USD' }, validityDays: 0, allowances: { dataMb: 0, voiceMin: 0, sms: 0 }, autoRenewable: false,
    });
    const everything = await createPromotion(ctx, { title: { en: '10% off everything' }, kind: 'percent_off', value: 10 });
    const planQuote = await ctx.post('/api/v1/quotes', { lineId: line.id, planId: plan.id }, { token: customer.token });
    expect(planQuote.json.discounts.map((d: { promotionId: string }) => d.promotionId)).toContain(everything.id);
    const topup = await ctx.post('/api/v1/quotes', { lineId: line.id, amount: { amount: 1000, currency: 'USD' } }, { token: customer.token });
    expect(topup.status, topup.text).toBe(200);
    expect(topup.json.discounts).toEqual([]);
    expect(topup.json.total).toEqual({ amount: 1000, currency: 'USD' });
    const topupPlanQuote = await ctx.post('/api/v1/quotes', { lineId: line.id, planId: topupPlan.id }, { token: customer.token });
    expect(topupPlanQuote.status, topupPlanQuote.text).toBe(200);
    expect(topupPlanQuote.json.total).toEqual({ amount: 1000, currency: 'USD' });
  });
});
