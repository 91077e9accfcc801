import { expect, it, describe } from 'vitest';
import { forEachDatabase } from '../support/harness.ts';
import { bindLine, createPlan, createPromotion, planBody } from '../support/catalog-fixtures.ts';

forEachDatabase('catalog: operator plans', (get) => {
  describe('creating and changing plans', () => {
    it('creates a plan and answers it as in the catalog plus active, with every language for editing', async () => {
      const ctx = get();
      const body = planBody({ name: { en: 'Keep 30', 'zh-CN': '保号 30' }, description: { en: 'Keeps the number' } });
      const r = await ctx.post('/api/v1/admin/plans', body, { token: await ctx.adminToken() });
      expect(r.status, r.text).toBe(201);
      expect(r.json).toMatchObject({
        id: expect.stringMatching(/^plan_/), code: body.code, name: 'Keep 30', description: 'Keeps the number', kind: 'base',
        regions: ['US'], price: { amount: 1000, currency: 'USD' }, validityDays: 30,
        allowances: { dataMb: 1024, voiceMin: 100, sms: 100 }, autoRenewable: true, promotions: [], active: true,
        carriers: ['us-paygo'], expiryPolicy: 'extend', names: { en: 'Keep 30', 'zh-CN': '保号 30' }, descriptions: { en: 'Keeps the number' },
      });
      const inChinese = await ctx.patch(`/api/v1/admin/plans/${r.json.id}`, { validityDays: 31 }, {
        token: await ctx.adminToken(), headers: { 'accept-language': 'zh-CN' },
      });
      expect(inChinese.json).toMatchObject({ name: '保号 30', description: 'Keeps the number', validityDays: 31 });
      const list = await ctx.get('/api/v1/admin/plans?limit=500', { token: await ctx.adminToken() });
      expect(list.json.items.map((p: { id: string }) => p.id)).toContain(r.json.id);
    });

    it('records every create and update in the audit log', async () => {
      const ctx = get();
      const plan = await createPlan(ctx);
      const patched = await ctx.patch(`/api/v1/admin/plans/${plan.id}`, { price: { amount: 1200, currency: 'USD' } }, { token: await ctx.adminToken() });
      expect(patched.status, patched.text).toBe(200);
      expect(patched.json.price).toEqual({ amount: 1200, currency: 'USD' });
      const audit = await ctx.get(`/api/v1/admin/audit?target=${plan.id}`, { token: await ctx.adminToken() });
      expect(audit.json.items.map((e: { action: string }) => e.action)).toEqual(['plan.update', 'plan.create']);
      expect(audit.json.items[0].actorRole).toBe('admin');
    });

    it('records before and after of each changed field; an empty or no-op PATCH answers the plan and writes nothing', async () => {
      const ctx = get();
      const admin = await ctx.adminToken();
      const plan = await createPlan(ctx, { name: { en: 'Keep', 'zh-CN': '保号' } });
      const patched = await ctx.patch(`/api/v1/admin/plans/${plan.id}`, {
        price: { amount: 1200, currency: 'USD' }, validityDays: 30, name: { 'zh-CN': '保号', en: 'Keep' },
      }, { token: admin });
      expect(patched.status, patched.text).toBe(200);
      const audit = async (): Promise<Array<{ action: string; details: Record<string, unknown> }>> =>
        (await ctx.get(`/api/v1/admin/audit?target=${plan.id}`, { token: admin })).json.items;
      const [entry] = await audit();
      expect(entry?.details).toEqual({
        changed: ['price'], before: { price: { amount: 1000, currency: 'USD' } }, after: { price: { amount: 1200, currency: 'USD' } }, code: plan.code,
      });
      for (const patch of [{}, { validityDays: 30 }, { active: true, regions: ['US'], price: { amount: 1200, currency: 'USD' } }]) {
        const same = await ctx.patch(`/api/v1/admin/plans/${plan.id}`, patch, { token: admin });
        expect(same.status, same.text).toBe(200);
        expect(same.json).toEqual(patched.json);
      }
      expect((await audit()).map((e) => e.action)).toEqual(['plan.update', 'plan.create']);
      const two = await ctx.patch(`/api/v1/admin/plans/${plan.id}`, { validityDays: 45, active: false }, { token: admin });
      expect(two.status).toBe(200);
      const [second] = await audit();
      expect(second?.details).toMatchObject({ changed: ['validityDays', 'active'], before: { validityDays: 30, active: true }, after: { validityDays: 45, active: false } });
    });

    it('refuses a currency change while a live amount_off promotion of the plan is in the old currency (409 currency_in_use)', async () => {
      const ctx = get();
      const admin = await ctx.adminToken();
      const plan = await createPlan(ctx, { carriers: null, regions: ['US', 'GB'], price: { amount: 1000, currency: 'USD' } });
      const promo = await createPromotion(ctx, { kind: 'amount_off', value: 300, planIds: [plan.id] });
      expect(promo.currency).toBe('USD');
      const pounds = await ctx.patch(`/api/v1/admin/plans/${plan.id}`, { price: { amount: 900, currency: 'GBP' } }, { token: admin });
      expect(pounds.status, pounds.text).toBe(409);
      expect(pounds.json).toMatchObject({ code: 'currency_in_use', promotionIds: [promo.id] });
      const stored = (await ctx.get('/api/v1/admin/plans?limit=500', { token: admin })).json.items.find((p: { id: string }) => p.id === plan.id);
      expect(stored.price).toEqual({ amount: 1000, currency: 'USD' });
      // The same currency is no currency change.
      expect((await ctx.patch(`/api/v1/admin/plans/${plan.id}`, { price: { amount: 1100, currency: 'USD' } }, { token: admin })).status).toBe(200);
      // Once the promotion is withdrawn, the plan may change currency; the promotion cannot come back in USD.
      await ctx.patch(`/api/v1/admin/promotions/${promo.id}`, { active: false }, { token: admin });
      const changed = await ctx.patch(`/api/v1/admin/plans/${plan.id}`, { price: { amount: 900, currency: 'GBP' } }, { token: admin });
      expect(changed.status, changed.text).toBe(200);
      expect(changed.json.price).toEqual({ amount: 900, currency: 'GBP' });
      const revived = await ctx.patch(`/api/v1/admin/promotions/${promo.id}`, { active: true }, { token: admin });
      expect([revived.status, revived.json.code]).toEqual([422, 'invalid_promotion']);
    });

    it.each([
      ['a non-integer price', { price: { amount: 9.99, currency: 'USD' } }, 'price.amount'],
      ['a negative price', { price: { amount: -100, currency: 'USD' } }, 'price.amount'],
      ['a zero price', { price: { amount: 0, currency: 'USD' } }, 'price.amount'],
      ['an unknown currency', { price: { amount: 100, currency: 'XXX' } }, 'price.currency'],
      ['a missing English name', { name: { 'zh-CN': '套餐' } }, 'name.en'],
      ['a bad kind', { kind: 'unlimited' }, 'kind'],
      ['a bad expiry policy', { expiryPolicy: 'forever' }, 'expiryPolicy'],
      ['fractional allowances', { allowances: { dataMb: 1.5, voiceMin: 0, sms: 0 } }, 'allowances.dataMb'],
      ['zero validity', { validityDays: 0 }, 'validityDays'],
      ['a lower-case region', { regions: ['us'] }, 'regions.0'],
      ['a missing price', { price: undefined }, 'price'],
      ['a top-up granting allowances', { kind: 'topup', validityDays: 0 }, 'allowances'],
      ['an add-on granting nothing', { kind: 'addon', allowances: { dataMb: 0, voiceMin: 0, sms: 0 } }, 'allowances'],
      ['modules on a base plan', { bundleModules: [{ unit: 'data', blockSize: 512, blockPrice: { amount: 250, currency: 'USD' } }] }, 'bundleModules'],
      ['a bundle without modules', { kind: 'bundle', price: undefined, autoRenewable: false, allowances: { dataMb: 0, voiceMin: 0, sms: 0 } }, 'bundleModules'],
      ['a bundle with a fixed price', { kind: 'bundle', autoRenewable: false, allowances: { dataMb: 0, voiceMin: 0, sms: 0 }, price: { amount: 100, currency: 'USD' }, bundleModules: [{ unit: 'data', blockSize: 512, blockPrice: { amount: 250, currency: 'USD' } }] }, 'price'],
      ['an auto-renewing bundle', { kind: 'bundle', price: undefined, allowances: { dataMb: 0, voiceMin: 0, sms: 0 }, autoRenewable: true, bundleModules: [{ unit: 'data', blockSize: 512, blockPrice: { amount: 250, currency: 'USD' } }] }, 'autoRenewable'],
      ['two bundle modules of one unit', { kind: 'bundle', price: undefined, autoRenewable: false, allowances: { dataMb: 0, voiceMin: 0, sms: 0 }, bundleModules: [{ unit: 'data', blockSize: 512, blockPrice: { amount: 250, currency: 'USD' } }, { unit: 'data', blockSize: 512, blockPrice: { amount: 250, currency: 'USD' } }] }, 'bundleModules.1.unit'],
      ['bundle modules in two currencies', {
        kind: 'bundle', price: undefined, autoRenewable: false, allowances: { dataMb: 0, voiceMin: 0, sms: 0 }, bundleModules: [{ unit: 'data', blockSize: 512, blockPrice: { amount: 250, currency: 'USD' } }, { unit: 'sms', blockSize: 50, blockPrice: { amount: 80, currency: 'EUR' } }],
      }, 'bundleModules'],
    ])('refuses %s with 422 invalid_plan', async (_what, override, path) => {
      const ctx = get();
      const r = await ctx.post('/api/v1/admin/plans', planBody(override), { token: await ctx.adminToken() });
      expect(r.status, r.text).toBe(422);
      expect(r.json.code).toBe('invalid_plan');
      expect(r.json.errors.map((e: { path: string }) => e.path)).toContain(path);
    });

    it('reports every broken field at once', async () => {
      const ctx = get();
      const r = await ctx.post('/api/v1/admin/plans', planBody({ code: 'A B', kind: 'unlimited', regions: ['us'], name: { fr: 'Forfait' } }), { token: await ctx.adminToken() });
      expect(r.status).toBe(422);
      expect(r.json.errors.map((e: { path: string }) => e.path).sort()).toEqual(['code', 'kind', 'name.en', 'regions.0']);
    });

    it('answers 400 for a body of the wrong shape, before any value rule', async () => {
      const ctx = get();
      const r = await ctx.post('/api/v1/admin/plans', planBody({ price: { amount: 'ten', currency: 'USD' } }), { token: await ctx.adminToken() });
      expect(r.status).toBe(400);
    });

    it('refuses an unknown carrier with 422 unknown_carrier', async () => {
      const ctx = get();
      const r = await ctx.post('/api/v1/admin/plans', planBody({ carriers: ['us-paygo', 'mars-mobile'] }), { token: await ctx.adminToken() });
      expect(r.status).toBe(422);
      expect(r.json).toMatchObject({ code: 'unknown_carrier', errors: [{ path: 'carriers.1' }] });
    });

    it('refuses a duplicate code with 409 plan_code_taken, on create and on rename', async () => {
      const ctx = get();
      const first = await createPlan(ctx);
      const again = await ctx.post('/api/v1/admin/plans', planBody({ code: first.code }), { token: await ctx.adminToken() });
      expect(again.status).toBe(409);
      expect(again.json.code).toBe('plan_code_taken');
      const other = await createPlan(ctx);
      const rename = await ctx.patch(`/api/v1/admin/plans/${other.id}`, { code: first.code }, { token: await ctx.adminToken() });
      expect(rename.status).toBe(409);
      expect(rename.json.code).toBe('plan_code_taken');
    });

    it('answers 404 plan_not_found for a PATCH of an unknown plan', async () => {
      const ctx = get();
      const r = await ctx.patch('/api/v1/admin/plans/plan_nope', { active: false }, { token: await ctx.adminToken() });
      expect(r.status).toBe(404);
      expect(r.json.code).toBe('plan_not_found');
    });

    it('creates a custom bundle priced by its modules (listed at its smallest selection)', async () => {
      const ctx = get();
      const plan = await createPlan(ctx, {
        kind: 'bundle', price: undefined, autoRenewable: false, allowances: { dataMb: 0, voiceMin: 0, sms: 0 },
        bundleModules: [
          { unit: 'data', blockSize: 512, blockPrice: { amount: 250, currency: 'USD' } },
          { unit: 'sms', blockSize: 50, blockPrice: { amount: 80, currency: 'USD' } },
        ],
      });
      expect(plan.price).toEqual({ amount: 80, currency: 'USD' });
      expect(plan.bundleModules).toHaveLength(2);
    });

    it('forbids customers the operator routes (403)', async () => {
      const ctx = get();
      const { token } = await ctx.customer();
      expect((await ctx.get('/api/v1/admin/plans', { token })).status).toBe(403);
      expect((await ctx.post('/api/v1/admin/plans', planBody(), { token })).status).toBe(403);
      expect((await ctx.patch('/api/v1/admin/plans/plan_x', { active: false }, { token })).status).toBe(403);
      expect((await ctx.get('/api/v1/admin/promotions', { token })).status).toBe(403);
      expect((await ctx.post('/api/v1/admin/promotions', { title: { en: 'x' }, kind: 'percent_off', value: 5 }, { token })).status).toBe(403);
      expect((await ctx.get('/api/v1/admin/plans')).status).toBe(401);
    });
  });

  describe('the plan list a subscriber sees', () => {
    it('speaks the Accept-Language locale, then the user locale, falling back to English per field', async () => {
      const ctx = get();
      const plan = await createPlan(ctx, {
        regions: ['ZZ'], name: { en: 'Traveller', 'zh-CN': '旅行者' }, description: { en: 'Only English here' },
      });
      const en = await ctx.customer('en');
      const zh = await ctx.customer('zh-CN');
      const find = (items: Array<{ id: string }>): any => items.find((p) => p.id === plan.id);

      const byHeader = await ctx.get('/api/v1/plans?region=ZZ', { token: en.token, headers: { 'accept-language': 'fr;q=1, zh-Hans;q=0.9, en;q=0.5' } });
      expect(byHeader.status, byHeader.text).toBe(200);
      expect(find(byHeader.json.items)).toMatchObject({ name: '旅行者', description: 'Only English here' });

      const byUser = await ctx.get('/api/v1/plans?region=ZZ', { token: zh.token });
      expect(find(byUser.json.items).name).toBe('旅行者');

      const headerWins = await ctx.get('/api/v1/plans?region=ZZ', { token: zh.token, headers: { 'accept-language': 'en-US,en;q=0.9' } });
      expect(find(headerWins.json.items).name).toBe('Traveller');

      // The weight's name is case-insensitive (RFC 9110): Chinese at 0.1 ranks below English at 0.5.
      const upperQ = await ctx.get('/api/v1/plans?region=ZZ', { token: zh.token, headers: { 'accept-language': 'zh-CN;Q=0.1, en;q=0.5' } });
      expect(find(upperQ.json.items).name).toBe('Traveller');

      const plain = await ctx.get('/api/v1/plans?region=ZZ', { token: en.token, headers: { 'accept-language': 'de' } });
      expect(find(plain.json.items)).toMatchObject({
        name: 'Traveller', kind: 'base', regions: ['ZZ'], price: { amount: 1000, currency: 'USD' }, validityDays: 30,
        allowances: { dataMb: 1024, voiceMin: 100, sms: 100 }, autoRenewable: true, promotions: [],
      });
    });

    it('shows a line only the active plans of its carrier, in its region', async () => {
      const ctx = get();
      const { token } = await ctx.customer();
      const usLine = await bindLine(ctx, token, 'us-paygo');
      const ukLine = await bindLine(ctx, token, 'uk-keep');
      const usPlan = await createPlan(ctx, { carriers: ['us-paygo'], regions: ['US'] });
      const anyCarrier = await createPlan(ctx, { carriers: null, regions: ['US', 'GB'] });
      const ukPlan = await createPlan(ctx, { carriers: ['uk-keep'], regions: ['GB'], price: { amount: 500, currency: 'GBP' } });
      const hidden = await createPlan(ctx, { carriers: ['us-paygo'], regions: ['US'] });
      await ctx.patch(`/api/v1/admin/plans/${hidden.id}`, { active: false }, { token: await ctx.adminToken() });

      const us = (await ctx.get(`/api/v1/plans?lineId=${usLine.id}`, { token })).json.items.map((p: { id: string }) => p.id);
      expect(us).toEqual(expect.arrayContaining([usPlan.id, anyCarrier.id]));
      expect(us).not.toContain(ukPlan.id);
      expect(us).not.toContain(hidden.id);

      const uk = (await ctx.get(`/api/v1/plans?lineId=${ukLine.id}`, { token })).json.items.map((p: { id: string }) => p.id);
      expect(uk).toEqual(expect.arrayContaining([ukPlan.id, anyCarrier.id]));
      expect(uk).not.toContain(usPlan.id);

      const ukRegionForUsLine = (await ctx.get(`/api/v1/plans?lineId=${usLine.id}&region=GB`, { token })).json.items.map((p: { id: string }) => p.id);
      expect(ukRegionForUsLine).toContain(anyCarrier.id);
      expect(ukRegionForUsLine).not.toContain(usPlan.id);
    });

    it("answers 404 for another user's line", async () => {
      const ctx = get();
      const owner = await ctx.customer();
      const line = await bindLine(ctx, owner.token);
      const stranger = await ctx.customer();
      const r = await ctx.get(`/api/v1/plans?lineId=${line.id}`, { token: stranger.token });
      expect(r.status).toBe(404);
      expect(r.json.code).toBe('line_not_found');
    });

    it('charges exactly the price of a plan an operator creates, with the demo promotions in place', async () => {
      const ctx = get();
      const { token } = await ctx.customer();
      const line = await bindLine(ctx, token);
      const plan = await createPlan(ctx, { price: { amount: 1999, currency: 'USD' } });
      const listed = (await ctx.get(`/api/v1/plans?lineId=${line.id}`, { token })).json.items.find((p: { id: string }) => p.id === plan.id);
      expect(listed.promotions).toEqual([]);
      const quote = await ctx.post('/api/v1/quotes', { lineId: line.id, planId: plan.id }, { token });
      expect(quote.status, quote.text).toBe(200);
      expect(quote.json).toMatchObject({ subtotal: { amount: 1999, currency: 'USD' }, total: { amount: 1999, currency: 'USD' }, discounts: [], bonuses: [] });
    });

    it('lists the demo catalog with its automatic promotions', async () => {
      const ctx = get();
      const { token } = await ctx.customer('zh-CN');
      const line = await bindLine(ctx, token);
      const items = (await ctx.get(`/api/v1/plans?lineId=${line.id}`, { token })).json.items;
      const fiveGb = items.find((p: { code: string }) => p.code === 'us-standard-5gb');
      expect(fiveGb.name).toBe('标准套餐 5 GB');
      expect(fiveGb.promotions.map((p: { id: string }) => p.id)).toEqual(['promo_demo_5gb_10off', 'promo_demo_first_recharge']);
      expect(items.map((p: { code: string }) => p.code)).toEqual(expect.arrayContaining(['us-keepalive-30', 'us-data-1gb', 'us-topup-10', 'us-build-your-own']));
    });
  });
});
