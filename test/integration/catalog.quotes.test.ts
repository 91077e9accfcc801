import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { creditPlan } from '../../src/modules/lines/service.ts';
import { createPlan, createPromotion, placeOrder, subscriberWithLine } from '../support/catalog-fixtures.ts';
import { forEachDatabase, type TestContext } from '../support/harness.ts';
import { paySandbox } from '../support/orders-fixtures.ts';

const DAY_MS = 86_400_000;

async function appNow(ctx: TestContext): Promise<Date> {
  return new Date((await ctx.get('/api/v1/sandbox/clock')).json.now);
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

    it('refuses a plan whose regions miss the line\'s region (422 plan_not_applicable), on quotes and orders', async () => {
      const ctx = get();
      const who = await subscriberWithLine(ctx);
      const france = await createPlan(ctx, { carriers: ['us-paygo'], regions: ['FR'] });
      const listed = (await ctx.get(`/api/v1/plans?lineId=${who.lineId}`, { token: who.token })).json.items.map((p: { id: string }) => p.id);
      expect(listed).not.toContain(france.id);
      const q = await ctx.post('/api/v1/quotes', { lineId: who.lineId, planId: france.id }, { token: who.token });
      expect([q.status, q.json.code], q.text).toEqual([422, 'plan_not_applicable']);
      const o = await placeOrder(ctx, who, { planId: france.id });
      expect([o.status, o.json.code], o.text).toEqual([422, 'plan_not_applicable']);
      const { rows } = await ctx.db.query<{ n: number }>('SELECT count(*)::int AS n FROM orders WHERE line_id = $1', [who.lineId]);
      expect(rows[0]?.n).toBe(0);
      const covering = await createPlan(ctx, { carriers: null, regions: ['FR', 'US'] });
      expect((await ctx.post('/api/v1/quotes', { lineId: who.lineId, planId: covering.id }, { token: who.token })).status).toBe(200);
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
    it('keeps its price and plan for an order after the operator changes the plan price', async () => {
      const ctx = get();
      const who = await subscriberWithLine(ctx);
      const plan = await createPlan(ctx, { price: { amount: 1000, currency: 'USD' } });
      const q = await ctx.post('/api/v1/quotes', { lineId: who.lineId, planId: plan.id }, { token: who.token });
      const raised = await ctx.patch(`/api/v1/admin/plans/${plan.id}`, { price: { amount: 1500, currency: 'USD' }, validityDays: 60 }, { token: await ctx.adminToken() });
      expect(raised.status, raised.text).toBe(200);
      const promised = await placeOrder(ctx, who, { planId: plan.id, quoteId: q.json.id });
      expect(promised.status, promised.text).toBe(201);
      expect(promised.json).toMatchObject({
        lineId: who.lineId, kind: 'plan', subtotal: { amount: 1000, currency: 'USD' }, total: { amount: 1000, currency: 'USD' },
        plan: { id: plan.id, validityDays: 30 }, bonus: { dataMb: 0, validityDays: 0, walletCredit: { amount: 0, currency: 'USD' } },
      });
      const { rows } = await ctx.db.query<{ quote_id: string; plan: { expiryPolicy: string; price: unknown } }>('SELECT quote_id, plan FROM orders WHERE id = $1', [promised.json.id]);
      expect(rows[0]).toMatchObject({ quote_id: q.json.id, plan: { expiryPolicy: 'extend', price: { amountMinor: 1000, currency: 'USD' } } });
      const fresh = await placeOrder(ctx, who, { planId: plan.id });
      expect(fresh.json).toMatchObject({ total: { amount: 1500 }, plan: { validityDays: 60 } });
    });

    it('is honoured after the operator deactivates the plan, which no fresh order can buy', async () => {
      const ctx = get();
      const who = await subscriberWithLine(ctx);
      const plan = await createPlan(ctx, { price: { amount: 800, currency: 'USD' } });
      const q = await ctx.post('/api/v1/quotes', { lineId: who.lineId, planId: plan.id }, { token: who.token });
      const off = await ctx.patch(`/api/v1/admin/plans/${plan.id}`, { active: false }, { token: await ctx.adminToken() });
      expect(off.json.active).toBe(false);
      const fresh = await placeOrder(ctx, who, { planId: plan.id });
      expect([fresh.status, fresh.json.code]).toEqual([404, 'plan_not_found']);
      const promised = await placeOrder(ctx, who, { quoteId: q.json.id });
      expect(promised.status, promised.text).toBe(201);
      expect(promised.json).toMatchObject({ total: { amount: 800, currency: 'USD' }, plan: { id: plan.id } });
      await paySandbox(ctx, promised.json.payment.id);
      expect((await ctx.get(`/api/v1/orders/${promised.json.id}`, { token: who.token })).json.status).toBe('completed');
    });

    it('expires after 15 minutes: POST /orders with it answers 410 quote_expired', async () => {
      const ctx = get();
      const who = await subscriberWithLine(ctx);
      const plan = await createPlan(ctx);
      const q = await ctx.post('/api/v1/quotes', { lineId: who.lineId, planId: plan.id }, { token: who.token });
      await ctx.advance(15 * 60 - 5);
      const inTime = await placeOrder(ctx, who, { quoteId: q.json.id });
      expect(inTime.status, inTime.text).toBe(201);
      await ctx.advance(6);
      const late = await placeOrder(ctx, who, { quoteId: q.json.id });
      expect([late.status, late.json.code], late.text).toEqual([410, 'quote_expired']);
      const { rows } = await ctx.db.query<{ n: number }>('SELECT count(*)::int AS n FROM orders WHERE line_id = $1', [who.lineId]);
      expect(rows[0]?.n).toBe(1);
    });

    it("answers 404 for another user's quote or line", async () => {
      const ctx = get();
      const owner = await subscriberWithLine(ctx);
      const stranger = await subscriberWithLine(ctx);
      const plan = await createPlan(ctx);
      const q = await ctx.post('/api/v1/quotes', { lineId: owner.lineId, planId: plan.id }, { token: owner.token });
      const stolen = await placeOrder(ctx, stranger, { quoteId: q.json.id });
      expect([stolen.status, stolen.json.code]).toEqual([404, 'quote_not_found']);
      const onOwnersLine = await placeOrder(ctx, { ...stranger, lineId: owner.lineId }, { quoteId: q.json.id });
      expect([onOwnersLine.status, onOwnersLine.json.code]).toEqual([404, 'line_not_found']);
      const foreignLine = await ctx.post('/api/v1/quotes', { lineId: owner.lineId, planId: plan.id }, { token: stranger.token });
      expect([foreignLine.status, foreignLine.json.code]).toEqual([404, 'line_not_found']);
    });

    it('refuses an order whose purchase differs from its quote (422 quote_mismatch, by field)', async () => {
      const ctx = get();
      const who = await subscriberWithLine(ctx);
      const plan = await createPlan(ctx);
      const other = await createPlan(ctx);
      const q = await ctx.post('/api/v1/quotes', { lineId: who.lineId, planId: plan.id }, { token: who.token });
      const wrongPlan = await placeOrder(ctx, who, { planId: other.id, quoteId: q.json.id });
      expect(wrongPlan.status).toBe(422);
      expect(wrongPlan.json).toMatchObject({ code: 'quote_mismatch', errors: [{ path: 'planId' }] });
      const withBundle = await placeOrder(ctx, who, { planId: plan.id, quoteId: q.json.id, bundle: { dataMb: 1024, voiceMin: 0, sms: 0 } });
      expect(withBundle.json).toMatchObject({ code: 'quote_mismatch', errors: [{ path: 'bundle' }] });
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

    it.each([
      ['a fraction of a minor unit', { amount: 10.5, currency: 'USD' }, 'amount'],
      ['zero', { amount: 0, currency: 'USD' }, 'amount'],
      ['a negative amount', { amount: -500, currency: 'USD' }, 'amount'],
      ['more than a plan may cost', { amount: 100_000_001, currency: 'USD' }, 'amount'],
      ['an unknown currency', { amount: 500, currency: 'XXX' }, 'currency'],
      ['a lower-case currency', { amount: 500, currency: 'usd' }, 'currency'],
    ])('answers a top-up of %s with 422 invalid_amount on /quotes and on /orders alike', async (_what, amount, field) => {
      const ctx = get();
      const who = await subscriberWithLine(ctx);
      const q = await ctx.post('/api/v1/quotes', { lineId: who.lineId, amount }, { token: who.token });
      expect([q.status, q.json.code], q.text).toEqual([422, 'invalid_amount']);
      expect(q.json.errors.map((e: { path: string }) => e.path)).toEqual([`amount.${field}`]);
      const o = await placeOrder(ctx, who, { topupAmount: amount });
      expect([o.status, o.json.code], o.text).toEqual([422, 'invalid_amount']);
      expect(o.json.errors.map((e: { path: string }) => e.path)).toEqual([`topupAmount.${field}`]);
    });

    const bundleModules = [
      { unit: 'data', blockSize: 1024, blockPrice: { amount: 400, currency: 'USD' } },
      { unit: 'voice', blockSize: 100, blockPrice: { amount: 200, currency: 'USD' } },
    ];
    const bundlePlan = (ctx: TestContext, modules: unknown[] = bundleModules): Promise<{ id: string }> =>
      createPlan(ctx, { kind: 'bundle', price: undefined, autoRenewable: false, allowances: { dataMb: 0, voiceMin: 0, sms: 0 }, bundleModules: modules });

    it('prices a custom bundle from its modules', async () => {
      const ctx = get();
      const who = await subscriberWithLine(ctx);
      const { token, lineId } = who;
      const bundle = await bundlePlan(ctx);
      const q = await ctx.post('/api/v1/quotes', { lineId, planId: bundle.id, bundle: { dataMb: 2048, voiceMin: 100, sms: 0 } }, { token });
      expect(q.status, q.text).toBe(200);
      expect(q.json.total).toEqual({ amount: 2 * 400 + 200, currency: 'USD' });
      expect(q.json.bundle).toEqual({
        selection: { dataMb: 2048, voiceMin: 100, sms: 0 },
        blocks: [
          { unit: 'data', blockSize: 1024, blockCount: 2, blockPrice: { amount: 400, currency: 'USD' }, price: { amount: 800, currency: 'USD' } },
          { unit: 'voice', blockSize: 100, blockCount: 1, blockPrice: { amount: 200, currency: 'USD' }, price: { amount: 200, currency: 'USD' } },
        ],
      });
      const units = q.json.preview.buckets.map((b: { unit: string; quantity: number }) => [b.unit, b.quantity]).sort();
      expect(units).toEqual([['data', 2048], ['voice', 100]]);
      const promised = await placeOrder(ctx, who, { quoteId: q.json.id });
      expect(promised.status, promised.text).toBe(201);
      expect(promised.json).toMatchObject({ subtotal: { amount: 1000, currency: 'USD' }, plan: { id: bundle.id, allowances: { dataMb: 2048, voiceMin: 100, sms: 0 } } });
      const stored = await ctx.db.query<{ plan: unknown }>('SELECT plan FROM orders WHERE id = $1', [promised.json.id]);
      expect(stored.rows[0]?.plan).toMatchObject({ kind: 'bundle', allowances: { dataMb: 2048, voiceMin: 100, sms: 0 }, price: { amountMinor: 1000 } });

      const partial = await ctx.post('/api/v1/quotes', { lineId, planId: bundle.id, bundle: { dataMb: 1000, voiceMin: 0, sms: 0 } }, { token });
      expect([partial.status, partial.json.code]).toEqual([422, 'invalid_bundle']);
      const noSms = await ctx.post('/api/v1/quotes', { lineId, planId: bundle.id, bundle: { dataMb: 0, voiceMin: 0, sms: 100 } }, { token });
      expect([noSms.status, noSms.json.code]).toEqual([422, 'invalid_bundle']);
      const none = await ctx.post('/api/v1/quotes', { lineId, planId: bundle.id }, { token });
      expect([none.status, none.json.code]).toEqual([422, 'bundle_selection_required']);
    });

    it('refuses an order whose bundle differs from its quote (422 quote_mismatch on bundle) and keeps the quoted one', async () => {
      const ctx = get();
      const who = await subscriberWithLine(ctx);
      const bundle = await bundlePlan(ctx);
      const selection = { dataMb: 1024, voiceMin: 0, sms: 0 };
      const q = await ctx.post('/api/v1/quotes', { lineId: who.lineId, planId: bundle.id, bundle: selection }, { token: who.token });
      expect(q.json.total.amount).toBe(400);
      const bigger = await placeOrder(ctx, who, { planId: bundle.id, quoteId: q.json.id, bundle: { dataMb: 4096, voiceMin: 200, sms: 0 } });
      expect(bigger.status, bigger.text).toBe(422);
      expect(bigger.json).toMatchObject({ code: 'quote_mismatch', errors: [{ path: 'bundle' }] });
      const same = await placeOrder(ctx, who, { planId: bundle.id, quoteId: q.json.id, bundle: selection });
      expect(same.status, same.text).toBe(201);
      expect(same.json).toMatchObject({ total: { amount: 400 }, plan: { allowances: selection } });
    });

    it('caps what a bundle may cost: 1 TB of $1,000,000 blocks is 422 invalid_bundle, on quotes and orders', async () => {
      const ctx = get();
      const who = await subscriberWithLine(ctx);
      const perMb = await bundlePlan(ctx, [{ unit: 'data', blockSize: 1, blockPrice: { amount: 100_000_000, currency: 'USD' } }]);
      const huge = { dataMb: 1_048_576, voiceMin: 0, sms: 0 };
      const q = await ctx.post('/api/v1/quotes', { lineId: who.lineId, planId: perMb.id, bundle: huge }, { token: who.token });
      expect([q.status, q.json.code], q.text).toEqual([422, 'invalid_bundle']);
      expect(q.json.errors).toEqual([{ path: 'bundle', message: expect.stringContaining('at most 100000000') }]);
      const o = await placeOrder(ctx, who, { planId: perMb.id, bundle: huge });
      expect([o.status, o.json.code], o.text).toEqual([422, 'invalid_bundle']);
      const one = await ctx.post('/api/v1/quotes', { lineId: who.lineId, planId: perMb.id, bundle: { dataMb: 1, voiceMin: 0, sms: 0 } }, { token: who.token });
      expect(one.json.total).toEqual({ amount: 100_000_000, currency: 'USD' });
      const { rows } = await ctx.db.query<{ n: number }>('SELECT count(*)::int AS n FROM orders WHERE line_id = $1', [who.lineId]);
      expect(rows[0]?.n).toBe(0);
    });

    it('lists a custom bundle as a base plan with its modules, priced at its minimum selection', async () => {
      const ctx = get();
      const who = await subscriberWithLine(ctx);
      const bundle = await bundlePlan(ctx, [
        { unit: 'data', blockSize: 1024, blockPrice: { amount: 400, currency: 'USD' } },
        { unit: 'sms', blockSize: 50, blockPrice: { amount: 80, currency: 'USD' } },
      ]);
      const items = (await ctx.get(`/api/v1/plans?lineId=${who.lineId}`, { token: who.token })).json.items;
      for (const p of items) expect(['base', 'addon', 'topup']).toContain(p.kind);
      expect(items.find((p: { id: string }) => p.id === bundle.id)).toMatchObject({
        kind: 'base', price: { amount: 80, currency: 'USD' }, allowances: { dataMb: 0, voiceMin: 0, sms: 50 }, autoRenewable: false,
        bundle: {
          modules: [
            { unit: 'data', blockSize: 1024, blockPrice: { amount: 400, currency: 'USD' }, maxQuantity: 1_048_576 },
            { unit: 'sms', blockSize: 50, blockPrice: { amount: 80, currency: 'USD' }, maxQuantity: 100_000 },
          ],
          minimumSelection: { dataMb: 0, voiceMin: 0, sms: 50 },
          maxPrice: { amount: 100_000_000, currency: 'USD' },
        },
      });
      const demo = items.find((p: { code: string }) => p.code === 'us-build-your-own');
      expect(demo).toMatchObject({ kind: 'base', bundle: { modules: expect.any(Array) } });
      expect(items.find((p: { id: string; kind: string }) => p.kind === 'base' && p.id !== bundle.id && p.id !== demo.id).bundle).toBeNull();
      // What the listing says is what the minimum selection costs.
      const min = await ctx.post('/api/v1/quotes', { lineId: who.lineId, planId: bundle.id, bundle: { dataMb: 0, voiceMin: 0, sms: 50 } }, { token: who.token });
      expect(min.json.subtotal).toEqual({ amount: 80, currency: 'USD' });
      // The operator's view keeps the stored kind and modules (what a PATCH edits).
      const staff = await ctx.get('/api/v1/admin/plans?limit=500', { token: await ctx.adminToken() });
      expect(staff.json.items.find((p: { id: string }) => p.id === bundle.id)).toMatchObject({ kind: 'bundle', allowances: { dataMb: 0, voiceMin: 0, sms: 0 } });
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
