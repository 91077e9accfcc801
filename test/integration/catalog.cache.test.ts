import { expect, it } from 'vitest';
import { CATALOG_VERSION_CHECK_EVERY_MS } from '../../src/modules/catalog/cache.ts';
import { forEachDatabase, type TestContext } from '../support/harness.ts';
import { buyer, expectLedgerSound, order, plainPlan, topUp } from '../support/orders-fixtures.ts';
import { createPromotion } from '../support/catalog-fixtures.ts';

async function catalogVersion(ctx: TestContext): Promise<number> {
  const { rows } = await ctx.db.query<{ version: number }>('SELECT version FROM catalog_version WHERE id = 1');
  return rows[0]?.version ?? -1;
}

const pastVersionCheck = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, CATALOG_VERSION_CHECK_EVERY_MS + 200));

forEachDatabase('the catalog cache orders are priced from', (get) => {
  it('sees a plan withdrawn through this process at once', async () => {
    const ctx = get();
    const b = await buyer(ctx);
    await topUp(ctx, b, 2_000);
    const plan = await plainPlan(ctx, 500);
    expect((await order(ctx, b, { planId: plan.id, paymentMethod: 'wallet' })).status).toBe(201);
    const withdrawn = await ctx.patch(`/api/v1/admin/plans/${plan.id}`, { active: false }, { token: await ctx.adminToken() });
    expect(withdrawn.status, withdrawn.text).toBe(200);
    const refused = await order(ctx, b, { planId: plan.id, paymentMethod: 'wallet' });
    expect([refused.status, refused.json.code]).toEqual([404, 'plan_not_found']);
  });

  it('sees a change committed by another process within a second', async () => {
    const ctx = get();
    const b = await buyer(ctx);
    await topUp(ctx, b, 2_000);
    const plan = await plainPlan(ctx, 500);
    expect((await order(ctx, b, { planId: plan.id, paymentMethod: 'wallet' })).status).toBe(201);
    // Another process's transaction: straight to the database, past this process's writes.
    const before = await catalogVersion(ctx);
    await ctx.db.query('UPDATE plans SET active = false WHERE id = $1', [plan.id]);
    expect(await catalogVersion(ctx)).toBeGreaterThan(before);
    await pastVersionCheck();
    const refused = await order(ctx, b, { planId: plan.id, paymentMethod: 'wallet' });
    expect([refused.status, refused.json.code]).toEqual([404, 'plan_not_found']);
  });

  it('moves the version with a promotion\'s terms, not with its redemption counter', async () => {
    const ctx = get();
    const plan = await plainPlan(ctx, 500);
    const promotion = await createPromotion(ctx, { kind: 'bonus_data_pct', value: 10, planIds: [plan.id], active: false });
    const before = await catalogVersion(ctx);
    await ctx.db.query('UPDATE promotions SET redemption_count = redemption_count WHERE id = $1', [promotion.id]);
    expect(await catalogVersion(ctx)).toBe(before);
    await ctx.db.query('UPDATE promotions SET active = false WHERE id = $1', [promotion.id]);
    expect(await catalogVersion(ctx)).toBe(before + 1);
  });

  it('never gives a promotion used up meanwhile from a cached copy: its counter is read fresh', async () => {
    const ctx = get();
    const plan = await plainPlan(ctx, 1_000);
    await createPromotion(ctx, { kind: 'amount_off', value: 300, currency: 'USD', planIds: [plan.id], maxRedemptions: 1 });
    const first = await buyer(ctx);
    const second = await buyer(ctx);
    await topUp(ctx, first, 2_000);
    await topUp(ctx, second, 2_000);
    const got = await order(ctx, first, { planId: plan.id, paymentMethod: 'wallet' });
    expect([got.status, got.json.total.amount]).toEqual([201, 700]);
    const after = await order(ctx, second, { planId: plan.id, paymentMethod: 'wallet' });
    expect([after.status, after.json.total.amount, after.json.discounts]).toEqual([201, 1_000, []]);
    await expectLedgerSound(ctx);
  });
});
