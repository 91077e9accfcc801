import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { priceForOrder } from '../../src/modules/catalog/service.ts';
import { creditPlan } from '../../src/modules/lines/service.ts';
import { bindLine, createPlan, createPromotion } from '../support/catalog-fixtures.ts';
import { forEachDatabase, type TestContext } from '../support/harness.ts';

const DAY_MS = 86_400_000;

async function appNow(ctx: TestContext): Promise<Date> {
  return new Date((await ctx.get('/api/v1/sandbox/clock')).json.now);
}

async function subscriberWithLine(ctx: TestContext, carrier = 'us-paygo'): Promise<{ token: string; userId: string; lineId: string }> {
  const customer = await ctx.customer();
  const line = await bindLine(ctx, customer.token, carrier);
  return { token: customer.token, userId: customer.user.id, lineId: line.id };
}

/** Gives the line a 30-day plan with 1 GB of data, as a paid order would. */
async function givePlan(ctx: TestContext, lineId: string, now: Date): Promise<void> {
  await ctx.db.transaction((tx) =>
    creditPlan(tx, {
      lineId, orderId: `ord_test_${randomBytes(6).toString('hex')}`, now,
      plan: { id: 'plan_test_existing', name: { en: 'Existing' }, kind: 'base', validityDays: 30, allowances: { dataMb: 1024, voiceMin: 0, sms: 0 }, expiryPolicy: 'extend' },
      bonus: { dataMb: 0, validityDays: 0 },
    }),
  );
}

const days = (from: Date, iso: string): number => Math.round(((Date.parse(iso) - from.getTime()) / DAY_MS) * 1000) / 1000;

forEachDatabase('catalog: quotes', (get) => {
  describe('a plan quote', () => {
    it('shows the breakdown, the total and an expiry 15 minutes ahead', async () => {
      const ctx = get();
      const { token, lineId } = await subscriberWithLine(ctx);
      const plan = await createPlan(ctx, { price: { amount: 1500, currency: 'USD' } });
      const promo = await createPromotion(ctx, { title: { en: '10% off' }, kind: 'percent_off', value: 10, planIds: [plan.id] });
      const now = await appNow(ctx);
      const q = await ctx.post('/api/v1/quotes', { lineId, planId: plan.id, paymentMethod: 'card' }, { token });
      expect(q.status, q.text).toBe(200);
      expect(q.json).toMatchObject({
        id: expect.stringMatching(/^quote_/), subtotal: { amount: 1500, currency: 'USD' },
        discounts: [{ promotionId: promo.id, title: '10% off', amount: { amount: 150, currency: 'USD' } }],
        bonuses: [], total: { amount: 1350, currency: 'USD' }, currency: 'USD',
      });
      const ttlSeconds = (Date.parse(q.json.expiresAt) - now.getTime()) / 1000;
      expect(ttlSeconds).toBeGreaterThan(15 * 60 - 5);
      expect(ttlSeconds).toBeLessThanOrEqual(15 * 60 + 5);
    });

    it('previews a fresh line: expiry in validityDays, one bucket per allowance', async () => {
      const ctx = get();
      const { token, lineId } = await subscriberWithLine(ctx);
      const plan = await createPlan(ctx, { validityDays: 30, allowances: { dataMb: 2048, voiceMin: 100, sms: 50 } });
      const now = await appNow(ctx);
      const q = await ctx.post('/api/v1/quotes', { lineId, planId: plan.id }, { token });
      expect(days(now, q.json.preview.expiresAt)).toBeCloseTo(30, 2);
      expect(q.json.preview.buckets.map((b: { unit: string; quantity: number; source: string }) => [b.unit, b.quantity, b.source]).sort()).toEqual(
        [['data', 2048, 'plan'], ['sms', 50, 'plan'], ['voice', 100, 'plan']],
      );
    });

    it.each([
      ['extend', 60, [[60, 1024], [60, 512]]],
      ['stack', 30, [[30, 1024], [30, 512]]],
      ['reset', 30, [[30, 512]]],
    ] as const)('previews the %s policy on a line that has a plan', async (policy, expiryDays, dataBuckets) => {
      const ctx = get();
      const { token, lineId } = await subscriberWithLine(ctx);
      const now = await appNow(ctx);
      await givePlan(ctx, lineId, now);
      const plan = await createPlan(ctx, { expiryPolicy: policy, validityDays: 30, allowances: { dataMb: 512, voiceMin: 0, sms: 0 } });
      const q = await ctx.post('/api/v1/quotes', { lineId, planId: plan.id }, { token });
      expect(q.status, q.text).toBe(200);
      expect(days(now, q.json.preview.expiresAt)).toBeCloseTo(expiryDays, 1);
      const data = q.json.preview.buckets.filter((b: { unit: string }) => b.unit === 'data');
      expect(data.map((b: { expiresAt: string; quantity: number }) => [Math.round(days(now, b.expiresAt)), b.quantity])).toEqual(dataBuckets);
    });

    it('refuses an add-on for a line without an active plan (422 addon_requires_active_plan)', async () => {
      const ctx = get();
      const { token, lineId } = await subscriberWithLine(ctx);
      const addon = await createPlan(ctx, { kind: 'addon', autoRenewable: false, allowances: { dataMb: 1024, voiceMin: 0, sms: 0 } });
      const r = await ctx.post('/api/v1/quotes', { lineId, planId: addon.id }, { token });
      expect([r.status, r.json.code]).toEqual([422, 'addon_requires_active_plan']);
    });

    it('answers 404 plan_not_found for unknown and inactive plans, 422 for another carrier\'s plan', async () => {
      const ctx = get();
      const { token, lineId } = await subscriberWithLine(ctx);
      const missing = await ctx.post('/api/v1/quotes', { lineId, planId: 'plan_nope' }, { token });
      expect([missing.status, missing.json.code]).toEqual([404, 'plan_not_found']);
      const retired = await createPlan(ctx);
      await ctx.patch(`/api/v1/admin/plans/${retired.id}`, { active: false }, { token: await ctx.adminToken() });
      const inactive = await ctx.post('/api/v1/quotes', { lineId, planId: retired.id }, { token });
      expect([inactive.status, inactive.json.code]).toEqual([404, 'plan_not_found']);
      const ukPlan = await createPlan(ctx, { carriers: ['uk-keep'], regions: ['GB'], price: { amount: 500, currency: 'GBP' } });
      const wrongCarrier = await ctx.post('/api/v1/quotes', { lineId, planId: ukPlan.id }, { token });
      expect([wrongCarrier.status, wrongCarrier.json.code]).toEqual([422, 'plan_not_applicable']);
    });

    it('needs exactly one of planId or amount (400)', async () => {
      const ctx = get();
      const { token, lineId } = await subscriberWithLine(ctx);
      const plan = await createPlan(ctx);
      const both = await ctx.post('/api/v1/quotes', { lineId, planId: plan.id, amount: { amount: 1000, currency: 'USD' } }, { token });
      expect(both.status).toBe(400);
      const neither = await ctx.post('/api/v1/quotes', { lineId }, { token });
      expect(neither.status).toBe(400);
    });
  });

  describe('a quote is a promise', () => {
    it('keeps its price for an order after the operator changes the plan price', async () => {
      const ctx = get();
      const { token, userId, lineId } = await subscriberWithLine(ctx);
      const plan = await createPlan(ctx, { price: { amount: 1000, currency: 'USD' } });
      const q = await ctx.post('/api/v1/quotes', { lineId, planId: plan.id }, { token });
      const raised = await ctx.patch(`/api/v1/admin/plans/${plan.id}`, { price: { amount: 1500, currency: 'USD' }, validityDays: 60 }, { token: await ctx.adminToken() });
      expect(raised.status, raised.text).toBe(200);
      const now = await appNow(ctx);
      const promised = await priceForOrder(ctx.db, now, { userId, lineId, quoteId: q.json.id, planId: plan.id });
      expect(promised).toMatchObject({
        quoteId: q.json.id, lineId, kind: 'plan', total: { amountMinor: 1000, currency: 'USD' },
        plan: { id: plan.id, validityDays: 30, price: { amountMinor: 1000, currency: 'USD' }, expiryPolicy: 'extend' },
        bonus: { dataMb: 0, validityDays: 0, walletCredit: { amountMinor: 0, currency: 'USD' } },
      });
      const fresh = await priceForOrder(ctx.db, now, { userId, lineId, planId: plan.id });
      expect(fresh).toMatchObject({ quoteId: null, total: { amountMinor: 1500 }, plan: { validityDays: 60 } });
    });

    it('expires after 15 minutes (410 quote_expired)', async () => {
      const ctx = get();
      const { token, userId, lineId } = await subscriberWithLine(ctx);
      const plan = await createPlan(ctx);
      const q = await ctx.post('/api/v1/quotes', { lineId, planId: plan.id }, { token });
      await ctx.advance(15 * 60 + 1);
      const now = await appNow(ctx);
      await expect(priceForOrder(ctx.db, now, { userId, lineId, quoteId: q.json.id })).rejects.toMatchObject({ kind: 'gone', code: 'quote_expired' });
    });

    it("answers 404 for another user's quote or line", async () => {
      const ctx = get();
      const owner = await subscriberWithLine(ctx);
      const stranger = await subscriberWithLine(ctx);
      const plan = await createPlan(ctx);
      const q = await ctx.post('/api/v1/quotes', { lineId: owner.lineId, planId: plan.id }, { token: owner.token });
      const now = await appNow(ctx);
      await expect(priceForOrder(ctx.db, now, { userId: stranger.userId, lineId: stranger.lineId, quoteId: q.json.id })).rejects.toMatchObject({
        kind: 'not_found', code: 'quote_not_found',
      });
      const foreignLine = await ctx.post('/api/v1/quotes', { lineId: owner.lineId, planId: plan.id }, { token: stranger.token });
      expect([foreignLine.status, foreignLine.json.code]).toEqual([404, 'line_not_found']);
    });
  });

  describe('top-ups and bundles', () => {
    it('quotes a wallet top-up in the line currency; another currency is 422 currency_mismatch', async () => {
      const ctx = get();
      const { token, lineId } = await subscriberWithLine(ctx);
      const q = await ctx.post('/api/v1/quotes', { lineId, amount: { amount: 2000, currency: 'USD' } }, { token });
      expect(q.status, q.text).toBe(200);
      expect(q.json).toMatchObject({ subtotal: { amount: 2000, currency: 'USD' }, total: { amount: 2000, currency: 'USD' }, discounts: [], currency: 'USD' });
      expect(q.json.preview.buckets).toEqual([]);
      const gbp = await ctx.post('/api/v1/quotes', { lineId, amount: { amount: 2000, currency: 'GBP' } }, { token });
      expect([gbp.status, gbp.json.code]).toEqual([422, 'currency_mismatch']);
      const fraction = await ctx.post('/api/v1/quotes', { lineId, amount: { amount: 10.5, currency: 'USD' } }, { token });
      expect([fraction.status, fraction.json.code]).toEqual([422, 'invalid_amount']);
    });

    it('prices a custom bundle from its modules', async () => {
      const ctx = get();
      const { token, userId, lineId } = await subscriberWithLine(ctx);
      const bundle = await createPlan(ctx, {
        kind: 'bundle', price: undefined, autoRenewable: false, allowances: { dataMb: 0, voiceMin: 0, sms: 0 },
        bundleModules: [
          { unit: 'data', blockSize: 1024, blockPrice: { amount: 400, currency: 'USD' } },
          { unit: 'voice', blockSize: 100, blockPrice: { amount: 200, currency: 'USD' } },
        ],
      });
      const q = await ctx.post('/api/v1/quotes', { lineId, planId: bundle.id, bundle: { dataMb: 2048, voiceMin: 100, sms: 0 } }, { token });
      expect(q.status, q.text).toBe(200);
      expect(q.json.total).toEqual({ amount: 2 * 400 + 200, currency: 'USD' });
      const units = q.json.preview.buckets.map((b: { unit: string; quantity: number }) => [b.unit, b.quantity]).sort();
      expect(units).toEqual([['data', 2048], ['voice', 100]]);
      const promised = await priceForOrder(ctx.db, await appNow(ctx), { userId, lineId, quoteId: q.json.id });
      expect(promised.plan).toMatchObject({ kind: 'bundle', allowances: { dataMb: 2048, voiceMin: 100, sms: 0 }, price: { amountMinor: 1000 } });

      const partial = await ctx.post('/api/v1/quotes', { lineId, planId: bundle.id, bundle: { dataMb: 1000, voiceMin: 0, sms: 0 } }, { token });
      expect([partial.status, partial.json.code]).toEqual([422, 'invalid_bundle']);
      const noSms = await ctx.post('/api/v1/quotes', { lineId, planId: bundle.id, bundle: { dataMb: 0, voiceMin: 0, sms: 100 } }, { token });
      expect([noSms.status, noSms.json.code]).toEqual([422, 'invalid_bundle']);
      const none = await ctx.post('/api/v1/quotes', { lineId, planId: bundle.id }, { token });
      expect([none.status, none.json.code]).toEqual([422, 'bundle_selection_required']);
    });

    it('quotes the demo WELCOME5 coupon on a demo plan', async () => {
      const ctx = get();
      const { token, lineId } = await subscriberWithLine(ctx);
      const q = await ctx.post('/api/v1/quotes', { lineId, planId: 'plan_demo_us_5gb', couponCode: 'welcome5' }, { token });
      expect(q.status, q.text).toBe(200);
      // 1500 − 10 % (150) − $5 (500); and +20 % data on a first recharge.
      expect(q.json.total).toEqual({ amount: 850, currency: 'USD' });
      expect(q.json.bonuses.map((b: { promotionId: string; dataMb: number }) => [b.promotionId, b.dataMb])).toEqual([['promo_demo_first_recharge', 1024]]);
    });
  });
});
