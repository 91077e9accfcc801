import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { releasePromotions, reservePromotions } from '../../src/modules/catalog/service.ts';
import { recordRecharge } from '../../src/modules/lines/service.ts';
import { createPlan, createPromotion, redemptionCount, subscriberWithLine, uniqueCoupon } from '../support/catalog-fixtures.ts';
import { forEachDatabase, type TestContext } from '../support/harness.ts';
import { paySandbox } from '../support/orders-fixtures.ts';

const RACERS = 50;

async function appNow(ctx: TestContext): Promise<Date> {
  const r = await ctx.get('/api/v1/sandbox/clock');
  return new Date(r.json.now);
}


const orderId = (): string => `ord_test_${randomBytes(6).toString('hex')}`;

forEachDatabase('catalog: promotions', (get) => {
  describe('defining promotions', () => {
    it('creates a promotion, stores its coupon upper-case and audits it', async () => {
      const ctx = get();
      const plan = await createPlan(ctx);
      const promo = await createPromotion(ctx, { kind: 'percent_off', value: 12.5, couponCode: ' spring-sale ', planIds: [plan.id], maxRedemptions: 10 });
      expect(promo).toMatchObject({ kind: 'percent_off', value: 12.5, couponCode: 'SPRING-SALE', planIds: [plan.id], maxRedemptions: 10, redemptionCount: 0, active: true });
      const off = await ctx.patch(`/api/v1/admin/promotions/${promo.id}`, { active: false }, { token: await ctx.adminToken() });
      expect(off.status, off.text).toBe(200);
      expect(off.json.active).toBe(false);
      const audit = await ctx.get(`/api/v1/admin/audit?target=${promo.id}`, { token: await ctx.adminToken() });
      expect(audit.json.items.map((e: { action: string }) => e.action)).toEqual(['promotion.update', 'promotion.create']);
    });

    it('answers 400 for a body of the wrong shape and 422 invalid_promotion, every field at once, for bad values', async () => {
      const ctx = get();
      const admin = await ctx.adminToken();
      const shape = await ctx.post('/api/v1/admin/promotions', { title: { en: 'x' }, kind: 'percent_off', value: 'ten' }, { token: admin });
      expect(shape.status).toBe(400);
      const values = await ctx.post('/api/v1/admin/promotions', {
        title: { en: ' ' }, kind: 'bonus_data_pct', value: 2.5, currency: 'USD', couponCode: 'a b', planIds: [], perUserLimit: 0,
        startsAt: '2026-02-01T00:00:00Z', endsAt: '2026-01-01T00:00:00Z',
      }, { token: admin });
      expect(values.status).toBe(422);
      expect(values.json.code).toBe('invalid_promotion');
      expect(values.json.errors.map((e: { path: string }) => e.path).sort()).toEqual(
        ['couponCode', 'currency', 'endsAt', 'perUserLimit', 'planIds', 'title.en', 'value'],
      );
      const kind = await ctx.post('/api/v1/admin/promotions', { title: { en: 'x' }, kind: 'free_lunch', value: 1 }, { token: admin });
      expect([kind.status, kind.json.code, kind.json.errors.map((e: { path: string }) => e.path)]).toEqual([422, 'invalid_promotion', ['kind']]);
    });

    it('refuses unknown plans (422 unknown_plan), bad values (422 invalid_promotion) and a taken coupon (409)', async () => {
      const ctx = get();
      const admin = await ctx.adminToken();
      const unknown = await ctx.post('/api/v1/admin/promotions', { title: { en: 'x' }, kind: 'percent_off', value: 10, planIds: ['plan_nope'] }, { token: admin });
      expect(unknown.status).toBe(422);
      expect(unknown.json).toMatchObject({ code: 'unknown_plan', errors: [{ path: 'planIds.0' }] });
      const tooMuch = await ctx.post('/api/v1/admin/promotions', { title: { en: 'x' }, kind: 'percent_off', value: 150, couponCode: 'BIG150' }, { token: admin });
      expect(tooMuch.status).toBe(422);
      expect(tooMuch.json.code).toBe('invalid_promotion');
      const noCurrency = await ctx.post('/api/v1/admin/promotions', { title: { en: 'x' }, kind: 'amount_off', value: 100, couponCode: uniqueCoupon('NOCUR') }, { token: admin });
      expect(noCurrency.status).toBe(422);
      expect(noCurrency.json.errors.map((e: { path: string }) => e.path)).toContain('currency');
      const code = uniqueCoupon('TAKEN');
      await createPromotion(ctx, { kind: 'percent_off', value: 5, couponCode: code });
      const taken = await ctx.post('/api/v1/admin/promotions', { title: { en: 'x' }, kind: 'percent_off', value: 5, couponCode: code.toLowerCase() }, { token: admin });
      expect(taken.status).toBe(409);
      expect(taken.json.code).toBe('coupon_code_taken');
    });

    it('records what a PATCH changed, before and after; an empty or no-op PATCH writes nothing', async () => {
      const ctx = get();
      const admin = await ctx.adminToken();
      const promo = await createPromotion(ctx, { kind: 'percent_off', value: 10, couponCode: uniqueCoupon('AUDIT'), maxRedemptions: 5 });
      const changed = await ctx.patch(`/api/v1/admin/promotions/${promo.id}`, { value: 15, maxRedemptions: 5, title: { en: 'Test promotion' } }, { token: admin });
      expect(changed.status, changed.text).toBe(200);
      const audit = async (): Promise<Array<{ action: string; details: Record<string, unknown> }>> =>
        (await ctx.get(`/api/v1/admin/audit?target=${promo.id}`, { token: admin })).json.items;
      const [entry] = await audit();
      expect(entry).toMatchObject({ action: 'promotion.update', details: { changed: ['value'], before: { value: 10 }, after: { value: 15 } } });
      for (const patch of [{}, { value: 15 }, { maxRedemptions: 5, active: true }]) {
        const same = await ctx.patch(`/api/v1/admin/promotions/${promo.id}`, patch, { token: admin });
        expect(same.status, same.text).toBe(200);
        expect(same.json).toEqual(changed.json);
      }
      expect((await audit()).map((e) => e.action)).toEqual(['promotion.update', 'promotion.create']);
    });

    it('needs the new value (and currency for amount_off) when a PATCH changes the kind', async () => {
      const ctx = get();
      const admin = await ctx.adminToken();
      const plan = await createPlan(ctx, { price: { amount: 1000, currency: 'USD' } });
      const promo = await createPromotion(ctx, { kind: 'amount_off', value: 100, planIds: [plan.id] });
      // 100 minor units off must not become 100 % off.
      const kindOnly = await ctx.patch(`/api/v1/admin/promotions/${promo.id}`, { kind: 'percent_off' }, { token: admin });
      expect(kindOnly.status, kindOnly.text).toBe(422);
      expect(kindOnly.json).toMatchObject({ code: 'invalid_promotion', errors: [{ path: 'value' }] });
      const who = await subscriberWithLine(ctx);
      const stillAmount = await ctx.post('/api/v1/quotes', { lineId: who.lineId, planId: plan.id }, { token: who.token });
      expect(stillAmount.json.total).toEqual({ amount: 900, currency: 'USD' });
      const stored = (await ctx.get('/api/v1/admin/promotions?limit=500', { token: admin })).json.items.find((p: { id: string }) => p.id === promo.id);
      expect(stored).toMatchObject({ kind: 'amount_off', value: 100, currency: 'USD' });

      const toPercent = await ctx.patch(`/api/v1/admin/promotions/${promo.id}`, { kind: 'percent_off', value: 5 }, { token: admin });
      expect(toPercent.status, toPercent.text).toBe(200);
      expect(toPercent.json).toMatchObject({ kind: 'percent_off', value: 5, currency: null });
      const back = await ctx.patch(`/api/v1/admin/promotions/${promo.id}`, { kind: 'amount_off', value: 200 }, { token: admin });
      expect(back.status).toBe(422);
      expect(back.json.errors.map((e: { path: string }) => e.path)).toEqual(['currency']);
      const neither = await ctx.patch(`/api/v1/admin/promotions/${promo.id}`, { kind: 'amount_off' }, { token: admin });
      expect(neither.json.errors.map((e: { path: string }) => e.path).sort()).toEqual(['currency', 'value']);
      const amount = await ctx.patch(`/api/v1/admin/promotions/${promo.id}`, { kind: 'amount_off', value: 200, currency: 'USD' }, { token: admin });
      expect(amount.status, amount.text).toBe(200);
      expect(amount.json).toMatchObject({ kind: 'amount_off', value: 200, currency: 'USD' });
      // Sending the kind it already has is no change of kind.
      expect((await ctx.patch(`/api/v1/admin/promotions/${promo.id}`, { kind: 'amount_off' }, { token: admin })).status).toBe(200);
    });

    it('gives an amount_off the currency of its plans when none is sent', async () => {
      const ctx = get();
      const plan = await createPlan(ctx, { carriers: ['uk-keep'], regions: ['GB'], price: { amount: 800, currency: 'GBP' } });
      const promo = await createPromotion(ctx, { kind: 'amount_off', value: 150, planIds: [plan.id] });
      expect(promo.currency).toBe('GBP');
    });
  });

  describe('what a quote takes off and adds', () => {
    it('takes a percentage off rounded half-up to the minor unit', async () => {
      const ctx = get();
      const { token, lineId } = await subscriberWithLine(ctx);
      const plan = await createPlan(ctx, { price: { amount: 999, currency: 'USD' } });
      const promo = await createPromotion(ctx, { title: { en: '12.5% off', 'zh-CN': '八七五折' }, kind: 'percent_off', value: 12.5, planIds: [plan.id] });
      const q = await ctx.post('/api/v1/quotes', { lineId, planId: plan.id }, { token });
      expect(q.status, q.text).toBe(200);
      // 999 × 12.5 % = 124.875 → 125
      expect(q.json.discounts).toEqual([{ promotionId: promo.id, title: '12.5% off', amount: { amount: 125, currency: 'USD' } }]);
      expect(q.json.total).toEqual({ amount: 874, currency: 'USD' });
      const zh = await ctx.post('/api/v1/quotes', { lineId, planId: plan.id }, { token, headers: { 'accept-language': 'zh-CN' } });
      expect(zh.json.discounts[0].title).toBe('八七五折');
    });

    it('takes an amount off, never below zero', async () => {
      const ctx = get();
      const { token, lineId } = await subscriberWithLine(ctx);
      const plan = await createPlan(ctx, { price: { amount: 1000, currency: 'USD' } });
      await createPromotion(ctx, { kind: 'amount_off', value: 300, planIds: [plan.id] });
      const q = await ctx.post('/api/v1/quotes', { lineId, planId: plan.id }, { token });
      expect(q.json).toMatchObject({ subtotal: { amount: 1000 }, total: { amount: 700, currency: 'USD' } });
      const cheap = await createPlan(ctx, { price: { amount: 200, currency: 'USD' } });
      await createPromotion(ctx, { kind: 'amount_off', value: 300, planIds: [cheap.id] });
      const capped = await ctx.post('/api/v1/quotes', { lineId, planId: cheap.id }, { token });
      expect(capped.json.total).toEqual({ amount: 0, currency: 'USD' });
      expect(capped.json.discounts[0].amount).toEqual({ amount: 200, currency: 'USD' });
    });

    it('adds bonus data as its own bucket', async () => {
      const ctx = get();
      const { token, lineId } = await subscriberWithLine(ctx);
      const plan = await createPlan(ctx, { allowances: { dataMb: 1024, voiceMin: 0, sms: 0 } });
      const promo = await createPromotion(ctx, { kind: 'bonus_data_pct', value: 50, planIds: [plan.id] });
      const q = await ctx.post('/api/v1/quotes', { lineId, planId: plan.id }, { token });
      expect(q.json.bonuses).toEqual([{ promotionId: promo.id, title: 'Test promotion', dataMb: 512 }]);
      expect(q.json.total.amount).toBe(1000);
      const data = q.json.preview.buckets.filter((b: { unit: string }) => b.unit === 'data');
      expect(data.map((b: { source: string; quantity: number }) => [b.source, b.quantity])).toEqual([['bonus', 512], ['plan', 1024]]);
    });

    it('adds bonus validity days to the resulting expiry', async () => {
      const ctx = get();
      const { token, lineId } = await subscriberWithLine(ctx);
      const plan = await createPlan(ctx, { validityDays: 30 });
      await createPromotion(ctx, { kind: 'bonus_validity_days', value: 7, planIds: [plan.id] });
      const now = await appNow(ctx);
      const q = await ctx.post('/api/v1/quotes', { lineId, planId: plan.id }, { token });
      expect(q.json.bonuses[0].validityDays).toBe(7);
      const days = (Date.parse(q.json.preview.expiresAt) - now.getTime()) / 86_400_000;
      expect(days).toBeGreaterThan(36.99);
      expect(days).toBeLessThan(37.01);
    });

    it('gives a first-recharge bonus only on the line\'s first recharge', async () => {
      const ctx = get();
      const { token, lineId } = await subscriberWithLine(ctx);
      const topup = await createPlan(ctx, { kind: 'topup', validityDays: 0, allowances: { dataMb: 0, voiceMin: 0, sms: 0 }, autoRenewable: false });
      const plan = await createPlan(ctx, { allowances: { dataMb: 1024, voiceMin: 0, sms: 0 } });
      const promo = await createPromotion(ctx, { kind: 'first_recharge_bonus', value: 20, planIds: [topup.id, plan.id] });
      const first = await ctx.post('/api/v1/quotes', { lineId, planId: topup.id }, { token });
      expect(first.json.bonuses).toEqual([{ promotionId: promo.id, title: 'Test promotion', amount: { amount: 200, currency: 'USD' } }]);
      const firstPlan = await ctx.post('/api/v1/quotes', { lineId, planId: plan.id }, { token });
      expect(firstPlan.json.bonuses[0].dataMb).toBe(205); // 1024 × 20 % = 204.8 → 205
      await ctx.db.transaction((tx) => recordRecharge(tx, { lineId, orderId: orderId(), now: new Date() }));
      const later = await ctx.post('/api/v1/quotes', { lineId, planId: topup.id }, { token });
      expect(later.json.bonuses).toEqual([]);
    });
  });

  describe('coupons', () => {
    it('accepts a coupon in any case and stacks it with automatic promotions — one coupon at most', async () => {
      const ctx = get();
      const { token, lineId } = await subscriberWithLine(ctx);
      const plan = await createPlan(ctx, { price: { amount: 2000, currency: 'USD' } });
      const auto = await createPromotion(ctx, { kind: 'percent_off', value: 10, planIds: [plan.id] });
      const code = uniqueCoupon('SAVE');
      const coupon = await createPromotion(ctx, { kind: 'amount_off', value: 500, couponCode: code, planIds: [plan.id] });
      const q = await ctx.post('/api/v1/quotes', { lineId, planId: plan.id, couponCode: `  ${code.toLowerCase()} ` }, { token });
      expect(q.status, q.text).toBe(200);
      expect(q.json.discounts.map((d: { promotionId: string }) => d.promotionId).sort()).toEqual([auto.id, coupon.id].sort());
      expect(q.json.total.amount).toBe(2000 - 200 - 500);
    });

    it('answers invalid_coupon, coupon_not_applicable and coupon_expired with 422', async () => {
      const ctx = get();
      const { token, lineId } = await subscriberWithLine(ctx);
      const plan = await createPlan(ctx);
      const other = await createPlan(ctx);
      const code = uniqueCoupon('ONLY');
      await createPromotion(ctx, { kind: 'percent_off', value: 10, couponCode: code, planIds: [other.id] });
      const unknown = await ctx.post('/api/v1/quotes', { lineId, planId: plan.id, couponCode: 'NO-SUCH-CODE' }, { token });
      expect([unknown.status, unknown.json.code]).toEqual([422, 'invalid_coupon']);
      const wrongPlan = await ctx.post('/api/v1/quotes', { lineId, planId: plan.id, couponCode: code }, { token });
      expect([wrongPlan.status, wrongPlan.json.code]).toEqual([422, 'coupon_not_applicable']);
      const days = uniqueCoupon('DAYS');
      await createPromotion(ctx, { kind: 'bonus_validity_days', value: 7, couponCode: days });
      // In scope (every plan) but an add-on has no validity to extend: the coupon would give nothing.
      const addon = await createPlan(ctx, { kind: 'addon', autoRenewable: false });
      const onAddon = await ctx.post('/api/v1/quotes', { lineId, planId: addon.id, couponCode: days }, { token });
      expect([onAddon.status, onAddon.json.code]).toEqual([422, 'coupon_not_applicable']);
    });

    it('honours a coupon only inside its time window (sandbox clock)', async () => {
      const ctx = get();
      const { token, lineId } = await subscriberWithLine(ctx);
      const plan = await createPlan(ctx);
      const now = await appNow(ctx);
      const code = uniqueCoupon('WINDOW');
      await createPromotion(ctx, {
        kind: 'percent_off', value: 20, couponCode: code, planIds: [plan.id],
        startsAt: new Date(now.getTime() + 3_600_000).toISOString(), endsAt: new Date(now.getTime() + 7_200_000).toISOString(),
      });
      const early = await ctx.post('/api/v1/quotes', { lineId, planId: plan.id, couponCode: code }, { token });
      expect([early.status, early.json.code]).toEqual([422, 'coupon_expired']);
      await ctx.advance(3_600 + 1);
      const during = await ctx.post('/api/v1/quotes', { lineId, planId: plan.id, couponCode: code }, { token });
      expect(during.status, during.text).toBe(200);
      expect(during.json.total.amount).toBe(800);
      await ctx.advance(3_600);
      const late = await ctx.post('/api/v1/quotes', { lineId, planId: plan.id, couponCode: code }, { token });
      expect([late.status, late.json.code]).toEqual([422, 'coupon_expired']);
    });

    it('limits a coupon per user', async () => {
      const ctx = get();
      const a = await subscriberWithLine(ctx);
      const b = await subscriberWithLine(ctx);
      const plan = await createPlan(ctx);
      const code = uniqueCoupon('ONCE');
      const promo = await createPromotion(ctx, { kind: 'percent_off', value: 10, couponCode: code, planIds: [plan.id], perUserLimit: 1 });
      await ctx.db.transaction((tx) => reservePromotions(tx, { orderId: orderId(), userId: a.userId, lineId: a.lineId, promotionIds: [promo.id], now: new Date() }));
      const again = await ctx.post('/api/v1/quotes', { lineId: a.lineId, planId: plan.id, couponCode: code }, { token: a.token });
      expect([again.status, again.json.code]).toEqual([409, 'coupon_exhausted']);
      await expect(
        ctx.db.transaction((tx) => reservePromotions(tx, { orderId: orderId(), userId: a.userId, lineId: a.lineId, promotionIds: [promo.id], now: new Date() })),
      ).rejects.toMatchObject({ code: 'coupon_exhausted' });
      const other = await ctx.post('/api/v1/quotes', { lineId: b.lineId, planId: plan.id, couponCode: code }, { token: b.token });
      expect(other.status, other.text).toBe(200);
      expect(await redemptionCount(ctx, promo.id)).toBe(1);
    });
  });

  describe('redemptions under concurrency', () => {
    async function race(ctx: TestContext, maxRedemptions: number): Promise<{ promoId: string; wins: number; orderIds: string[]; owner: { userId: string; lineId: string } }> {
      const owner = await subscriberWithLine(ctx);
      const plan = await createPlan(ctx);
      const promo = await createPromotion(ctx, { kind: 'amount_off', value: 100, couponCode: uniqueCoupon('LAST'), planIds: [plan.id], maxRedemptions });
      const orderIds = Array.from({ length: RACERS }, orderId);
      const results = await Promise.allSettled(
        orderIds.map((id) =>
          ctx.db.transaction((tx) => reservePromotions(tx, { orderId: id, userId: owner.userId, lineId: owner.lineId, promotionIds: [promo.id], now: new Date() })),
        ),
      );
      for (const r of results) if (r.status === 'rejected') expect(r.reason).toMatchObject({ code: 'coupon_exhausted' });
      const winners = orderIds.filter((_, i) => results[i]?.status === 'fulfilled');
      return { promoId: promo.id, wins: winners.length, orderIds: winners, owner };
    }

    async function orderWithCoupon(ctx: TestContext, who: { token: string; lineId: string }, planId: string, couponCode: string) {
      return ctx.post('/api/v1/orders', { lineId: who.lineId, planId, couponCode, paymentMethod: 'card' }, {
        token: who.token, headers: { 'idempotency-key': randomBytes(8).toString('hex') },
      });
    }

    it(`lets exactly one of ${RACERS} concurrent POST /orders take the last coupon`, async () => {
      const ctx = get();
      const owner = await subscriberWithLine(ctx);
      const plan = await createPlan(ctx);
      const code = uniqueCoupon('HTTPLAST');
      const promo = await createPromotion(ctx, { kind: 'amount_off', value: 100, couponCode: code, planIds: [plan.id], maxRedemptions: 1 });
      const answers = await Promise.all(Array.from({ length: RACERS }, () => orderWithCoupon(ctx, owner, plan.id, code)));
      const won = answers.filter((a) => a.status === 201);
      expect(won).toHaveLength(1);
      expect(won[0]?.json.discount).toEqual({ amount: 100, currency: 'USD' });
      for (const a of answers.filter((x) => x.status !== 201)) expect([a.status, a.json.code], a.text).toEqual([409, 'coupon_exhausted']);
      expect(await redemptionCount(ctx, promo.id)).toBe(1);
      const orders = await ctx.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM orders WHERE $1 = ANY(promotion_ids)`, [promo.id]);
      expect(orders.rows[0]?.n).toBe(1);
    });

    it('holds a per-user limit of 1 against concurrent POST /orders of one user, and leaves other users their own', async () => {
      const ctx = get();
      const a = await subscriberWithLine(ctx);
      const b = await subscriberWithLine(ctx);
      const plan = await createPlan(ctx);
      const code = uniqueCoupon('HTTPONCE');
      const promo = await createPromotion(ctx, { kind: 'percent_off', value: 10, couponCode: code, planIds: [plan.id], perUserLimit: 1 });
      const answers = await Promise.all([
        ...Array.from({ length: 20 }, () => orderWithCoupon(ctx, a, plan.id, code)),
        ...Array.from({ length: 20 }, () => orderWithCoupon(ctx, b, plan.id, code)),
      ]);
      for (const who of [a, b]) {
        const mine = answers.filter((r) => r.status === 201 && r.json.lineId === who.lineId);
        expect(mine).toHaveLength(1);
      }
      for (const r of answers.filter((x) => x.status !== 201)) expect([r.status, r.json.code], r.text).toEqual([409, 'coupon_exhausted']);
      expect(await redemptionCount(ctx, promo.id)).toBe(2);
    });

    it('gives the coupon back when its order is cancelled or expires unpaid, so the next order can take it', async () => {
      const ctx = get();
      const owner = await subscriberWithLine(ctx);
      const plan = await createPlan(ctx);
      const code = uniqueCoupon('BACK');
      const promo = await createPromotion(ctx, { kind: 'amount_off', value: 100, couponCode: code, planIds: [plan.id], maxRedemptions: 1 });
      const first = await orderWithCoupon(ctx, owner, plan.id, code);
      expect(first.status, first.text).toBe(201);
      expect((await orderWithCoupon(ctx, owner, plan.id, code)).json.code).toBe('coupon_exhausted');
      const cancelled = await ctx.post(`/api/v1/orders/${first.json.id}/cancel`, undefined, { token: owner.token });
      expect(cancelled.json.status).toBe('cancelled');
      expect(await redemptionCount(ctx, promo.id)).toBe(0);

      const second = await orderWithCoupon(ctx, owner, plan.id, code);
      expect(second.status, second.text).toBe(201);
      expect(await redemptionCount(ctx, promo.id)).toBe(1);
      await ctx.advance(31 * 60);
      const view = await ctx.get(`/api/v1/orders/${second.json.id}`, { token: owner.token });
      expect(view.json.status).toBe('expired');
      expect(await redemptionCount(ctx, promo.id)).toBe(0);
      expect((await orderWithCoupon(ctx, owner, plan.id, code)).status).toBe(201);
    });

    it('gives the coupon back when its payment is declined', async () => {
      const ctx = get();
      const owner = await subscriberWithLine(ctx);
      const plan = await createPlan(ctx);
      const code = uniqueCoupon('DECLINE');
      const promo = await createPromotion(ctx, { kind: 'amount_off', value: 100, couponCode: code, planIds: [plan.id], maxRedemptions: 1 });
      const declined = await orderWithCoupon(ctx, owner, plan.id, code);
      expect(declined.status, declined.text).toBe(201);
      expect(await redemptionCount(ctx, promo.id)).toBe(1);
      await paySandbox(ctx, declined.json.payment.id, 'failed');
      expect((await ctx.get(`/api/v1/orders/${declined.json.id}`, { token: owner.token })).json.status).toBe('failed');
      expect(await redemptionCount(ctx, promo.id)).toBe(0);
      const retry = await orderWithCoupon(ctx, owner, plan.id, code);
      expect(retry.status, retry.text).toBe(201);
      expect(retry.json.discount).toEqual({ amount: 100, currency: 'USD' });
    });

    it('answers 409 promotion_exhausted, not coupon_exhausted, when an automatic promotion ran out after the quote', async () => {
      const ctx = get();
      const quoted = await subscriberWithLine(ctx);
      const faster = await subscriberWithLine(ctx);
      const plan = await createPlan(ctx, { price: { amount: 1000, currency: 'USD' } });
      const promo = await createPromotion(ctx, { kind: 'percent_off', value: 10, planIds: [plan.id], maxRedemptions: 1 });
      const q = await ctx.post('/api/v1/quotes', { lineId: quoted.lineId, planId: plan.id }, { token: quoted.token });
      expect(q.json.total.amount).toBe(900);
      const first = await ctx.post('/api/v1/orders', { lineId: faster.lineId, planId: plan.id, paymentMethod: 'card' }, {
        token: faster.token, headers: { 'idempotency-key': randomBytes(8).toString('hex') },
      });
      expect(first.json.total.amount).toBe(900);
      const late = await ctx.post('/api/v1/orders', { lineId: quoted.lineId, quoteId: q.json.id, paymentMethod: 'card' }, {
        token: quoted.token, headers: { 'idempotency-key': randomBytes(8).toString('hex') },
      });
      expect([late.status, late.json.code], late.text).toEqual([409, 'promotion_exhausted']);
      expect(late.json.detail).toMatch(/new quote/);
      // A new quote no longer carries it; an order on it goes through at the full price.
      const again = await ctx.post('/api/v1/quotes', { lineId: quoted.lineId, planId: plan.id }, { token: quoted.token });
      expect(again.json).toMatchObject({ discounts: [], total: { amount: 1000 } });
      expect(await redemptionCount(ctx, promo.id)).toBe(1);
    });

    it(`lets exactly one of ${RACERS} concurrent orders take the last coupon`, async () => {
      const ctx = get();
      const { promoId, wins } = await race(ctx, 1);
      expect(wins).toBe(1);
      expect(await redemptionCount(ctx, promoId)).toBe(1);
    });

    it(`lets exactly three of ${RACERS} concurrent orders redeem a coupon limited to 3, and a release gives one back`, async () => {
      const ctx = get();
      const { promoId, wins, orderIds, owner } = await race(ctx, 3);
      expect(wins).toBe(3);
      expect(await redemptionCount(ctx, promoId)).toBe(3);
      const cancelled = orderIds[0] ?? '';
      await ctx.db.transaction((tx) => releasePromotions(tx, cancelled));
      await ctx.db.transaction((tx) => releasePromotions(tx, cancelled)); // idempotent
      expect(await redemptionCount(ctx, promoId)).toBe(2);
      const next = orderId();
      const reserve = (): Promise<void> =>
        ctx.db.transaction((tx) => reservePromotions(tx, { orderId: next, userId: owner.userId, lineId: owner.lineId, promotionIds: [promoId], now: new Date() }));
      await reserve();
      await reserve(); // idempotent per (promotion, order)
      expect(await redemptionCount(ctx, promoId)).toBe(3);
    });
  });
});
