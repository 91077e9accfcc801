import { expect, it } from 'vitest';
import { BYTES_PER_MB, MS_PER_DAY } from '../../src/domain/plan-credit.ts';
import {
  advanceDueLines, creditPlan, getLineById, getLineCreditState, getOwnedLine, recordRecharge, type CreditPlanInput,
} from '../../src/modules/lines/service.ts';
import { forEachDatabase, type TestContext } from '../support/harness.ts';
import { customerWithLine } from '../support/lines-fixtures.ts';

const BASE: CreditPlanInput['plan'] = {
  id: 'plan_test_base', name: { en: 'Base 30', 'zh-CN': '基础 30' }, kind: 'base', validityDays: 30,
  allowances: { dataMb: 1024, voiceMin: 60, sms: 10 }, expiryPolicy: 'extend',
};
const NO_BONUS = { dataMb: 0, validityDays: 0 };
let orderSerial = 0;
const nextOrderId = (): string => `ord_credit_${++orderSerial}`;

function credit(ctx: TestContext, lineId: string, plan: CreditPlanInput['plan'], orderId = nextOrderId(), bonus = NO_BONUS) {
  return ctx.db.transaction((tx) => creditPlan(tx, { lineId, orderId, now: ctx.app.deps.clock.now(), plan, bonus }));
}

forEachDatabase('crediting lines', (get) => {
  it('credits a plan once per order: buckets, expiry, current plan, and bound → active', async () => {
    const ctx = get();
    const { lineId, customer } = await customerWithLine(ctx);
    const orderId = nextOrderId();
    const now = ctx.app.deps.clock.now();
    expect(await credit(ctx, lineId, BASE, orderId, { dataMb: 512, validityDays: 0 })).toEqual({ applied: true });
    expect(await credit(ctx, lineId, BASE, orderId)).toEqual({ applied: false });

    const state = await getLineCreditState(ctx.db, lineId, ctx.app.deps.clock.now());
    expect(state.buckets).toHaveLength(4);
    expect(state.buckets.find((b) => b.source === 'bonus')?.remaining).toBe(512 * BYTES_PER_MB);
    const line = await getOwnedLine(ctx.db, customer.user.id, lineId);
    expect(line.status).toBe('active');
    expect(Math.abs((line.expiresAt?.getTime() ?? 0) - (now.getTime() + 30 * MS_PER_DAY))).toBeLessThan(5_000);

    const view = await ctx.get(`/api/v1/lines/${lineId}`, { token: customer.token });
    expect(view.json).toMatchObject({
      status: 'active', plan: { id: 'plan_test_base', name: 'Base 30' },
      balances: { dataMb: 1536, voiceMin: 60, sms: 10 }, keepAliveAction: 'recharge',
    });
    expect(view.json.buckets[0]).toMatchObject({ unit: 'data', source: 'bonus', remaining: 512, total: 512 });
    expect(view.json.keepAliveBy).toBe(view.json.expiresAt);
  });

  it('adds an add-on without touching the expiry or the current plan, and refuses one without a plan', async () => {
    const ctx = get();
    const { lineId } = await customerWithLine(ctx);
    const addon: CreditPlanInput['plan'] = { ...BASE, id: 'plan_test_addon', kind: 'addon', validityDays: 7, allowances: { dataMb: 100, voiceMin: 0, sms: 0 } };
    await expect(credit(ctx, lineId, addon)).rejects.toMatchObject({ code: 'addon_requires_active_plan' });
    const credits = await ctx.db.query('SELECT 1 FROM line_credits WHERE line_id = $1', [lineId]);
    expect(credits.rows).toHaveLength(0);

    await credit(ctx, lineId, BASE);
    const before = await getLineById(ctx.db, lineId);
    await credit(ctx, lineId, addon);
    const after = await getLineById(ctx.db, lineId);
    expect(after.expiresAt).toEqual(before.expiresAt);
    const sources = await ctx.db.query<{ source: string; plan_id: string }>(
      `SELECT b.source, l.plan_id FROM buckets b JOIN lines l ON l.id = b.line_id WHERE b.line_id = $1 AND b.total = $2`, [lineId, 100 * BYTES_PER_MB],
    );
    expect(sources.rows).toEqual([{ source: 'addon', plan_id: 'plan_test_base' }]);
  });

  it('extends the live buckets of an extend plan to the new expiry, and leaves them alone when none is live', async () => {
    const ctx = get();
    const { lineId } = await customerWithLine(ctx);
    await credit(ctx, lineId, BASE);
    const first = await ctx.db.query<{ id: string; expires_at: Date }>('SELECT id, expires_at FROM buckets WHERE line_id = $1 ORDER BY id', [lineId]);
    await ctx.advance(10 * 24 * 3600);
    await credit(ctx, lineId, BASE);
    const line = await getLineById(ctx.db, lineId);
    const after = await ctx.db.query<{ id: string; expires_at: Date }>(
      'SELECT id, expires_at FROM buckets WHERE id = ANY($1::text[]) ORDER BY id', [first.rows.map((b) => b.id)],
    );
    // The first credit's buckets now last as long as the line: 30 days after the second credit.
    expect(after.rows.map((b) => b.expires_at.getTime())).toEqual(first.rows.map(() => line.expiresAt?.getTime()));
    expect(after.rows[0]?.expires_at.getTime()).toBeGreaterThan(first.rows[0]?.expires_at.getTime() ?? Infinity);
  });

  it('records what a reset plan takes away as an expired remainder', async () => {
    const ctx = get();
    const { lineId } = await customerWithLine(ctx);
    await credit(ctx, lineId, BASE);
    // Some data was used before the reset.
    await ctx.db.query(`UPDATE buckets SET remaining = remaining - $2 WHERE line_id = $1 AND unit = 'data'`, [lineId, BYTES_PER_MB]);
    await credit(ctx, lineId, { ...BASE, id: 'plan_test_reset', expiryPolicy: 'reset' });
    const old = await ctx.db.query<{ unit: string; remaining: number; expired_remainder: number }>(
      `SELECT unit, remaining, expired_remainder FROM buckets WHERE line_id = $1 AND expired_remainder > 0 ORDER BY unit`, [lineId],
    );
    expect(old.rows).toEqual([
      { unit: 'data', remaining: 0, expired_remainder: 1023 * BYTES_PER_MB },
      { unit: 'sms', remaining: 0, expired_remainder: 10 },
      { unit: 'voice', remaining: 0, expired_remainder: 60 * 60 },
    ]);
    const live = await getLineCreditState(ctx.db, lineId, ctx.app.deps.clock.now());
    expect(live.buckets).toHaveLength(3);
  });

  it('counts a top-up as a recharge, granting validity only where the carrier says so', async () => {
    const ctx = get();
    const us = await customerWithLine(ctx, { carrier: 'us-paygo' });
    const uk = await customerWithLine(ctx, { carrier: 'uk-keep', form: 'physical' });
    const now = ctx.app.deps.clock.now();
    const orderId = nextOrderId();
    expect(await ctx.db.transaction((tx) => recordRecharge(tx, { lineId: us.lineId, orderId, now }))).toEqual({ applied: true });
    expect(await ctx.db.transaction((tx) => recordRecharge(tx, { lineId: us.lineId, orderId, now }))).toEqual({ applied: false });
    await ctx.db.transaction((tx) => recordRecharge(tx, { lineId: uk.lineId, orderId: nextOrderId(), now }));

    const usLine = await getLineById(ctx.db, us.lineId);
    expect(usLine.status).toBe('active');
    expect(usLine.expiresAt?.getTime()).toBe(now.getTime() + 30 * MS_PER_DAY);
    const ukView = await ctx.get(`/api/v1/lines/${uk.lineId}`, { token: uk.customer.token });
    expect(ukView.json).toMatchObject({ status: 'active', expiresAt: null, keepAliveAction: 'use_the_line' });
    expect(ukView.json.keepAliveBy).toBe(new Date(now.getTime() + 180 * MS_PER_DAY).toISOString());
  });

  it('refuses to credit a line whose number is already due for recycling, even before the sweep ran', async () => {
    const ctx = get();
    const { lineId } = await customerWithLine(ctx, { carrier: 'us-paygo' });
    await credit(ctx, lineId, BASE);
    const late = new Date(ctx.app.deps.clock.now().getTime() + 61 * MS_PER_DAY);
    await expect(
      ctx.db.transaction((tx) => creditPlan(tx, { lineId, orderId: nextOrderId(), now: late, plan: BASE, bonus: NO_BONUS })),
    ).rejects.toMatchObject({ code: 'line_recycled' });
    const buckets = await ctx.db.query<{ n: number }>('SELECT count(*)::int AS n FROM buckets WHERE line_id = $1', [lineId]);
    expect(buckets.rows[0]?.n).toBe(3);
  });

  it('refuses an order for a terminated line before taking any money (409 line_terminated)', async () => {
    const ctx = get();
    const { lineId, customer } = await customerWithLine(ctx);
    await ctx.post(`/api/v1/admin/lines/${lineId}/terminate`, undefined, { token: await ctx.adminToken() });
    const r = await ctx.post('/api/v1/orders', { lineId, topupAmount: { amount: 500, currency: 'USD' }, paymentMethod: 'card' }, {
      token: customer.token, headers: { 'idempotency-key': `term-${lineId}` },
    });
    expect([r.status, r.json.code]).toEqual([409, 'line_terminated']);
    const orders = await ctx.db.query<{ n: number }>('SELECT count(*)::int AS n FROM orders WHERE line_id = $1', [lineId]);
    expect(orders.rows[0]?.n).toBe(0);
  });

  it('refuses to credit a terminated line', async () => {
    const ctx = get();
    const { lineId } = await customerWithLine(ctx);
    await ctx.post(`/api/v1/admin/lines/${lineId}/terminate`, undefined, { token: await ctx.adminToken() });
    await expect(credit(ctx, lineId, BASE)).rejects.toMatchObject({ code: 'line_terminated' });
  });
});

forEachDatabase('a line over time', (get) => {
  it('suspends an unpaid US PayGo line at expiry and recycles it 30 days later, catching up in one sweep', async () => {
    const ctx = get();
    const { lineId, customer } = await customerWithLine(ctx, { carrier: 'us-paygo' });
    await credit(ctx, lineId, BASE);
    await ctx.advance(30 * 86_400 + 60);
    // The session expired with the month that passed: log in again.
    const login = await ctx.post('/api/v1/auth/login', { email: customer.email, password: customer.password });
    const view = await ctx.get(`/api/v1/lines/${lineId}`, { token: login.json.token });
    expect(view.json.status).toBe('suspended');
    expect(view.json.keepAliveAction).toBe('recharge');
    await advanceDueLines(ctx.db, ctx.app.deps.clock.now());
    expect((await getLineById(ctx.db, lineId)).status).toBe('suspended');

    await ctx.advance(30 * 86_400);
    await advanceDueLines(ctx.db, ctx.app.deps.clock.now());
    expect((await getLineById(ctx.db, lineId)).status).toBe('recycled');
    const history = await ctx.db.query<{ to_status: string; reason: string }>(
      'SELECT to_status, reason FROM line_events WHERE line_id = $1 ORDER BY id', [lineId],
    );
    expect(history.rows.slice(-2)).toEqual([
      { to_status: 'suspended', reason: 'validity_expired' },
      { to_status: 'recycled', reason: 'suspension_ended' },
    ]);
    expect(await advanceDueLines(ctx.db, ctx.app.deps.clock.now())).toBe(0);
  });

  it('revives a suspended line with a recharge before the number is recycled', async () => {
    const ctx = get();
    const { lineId } = await customerWithLine(ctx, { carrier: 'us-paygo' });
    await credit(ctx, lineId, BASE);
    await ctx.advance(35 * 86_400);
    await advanceDueLines(ctx.db, ctx.app.deps.clock.now());
    expect((await getLineById(ctx.db, lineId)).status).toBe('suspended');
    await credit(ctx, lineId, BASE);
    expect((await getLineById(ctx.db, lineId)).status).toBe('active');
  });
});
