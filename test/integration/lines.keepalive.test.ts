// Keep-alive plans over HTTP, driven by the sandbox clock: a line lives while EITHER its paid
// validity OR its keep-alive window holds. Buying a UK keep-alive plan must not cut the number's
// 180-day life to the plan's 30 days; paid US validity beyond the 30-day cycle (a KEEP7 bonus) is
// honoured to the day.
import { randomUUID } from 'node:crypto';
import { expect, it } from 'vitest';
import { MS_PER_DAY } from '../../src/domain/plan-credit.ts';
import { forEachDatabase, type TestContext } from '../support/harness.ts';
import { customerWithLine } from '../support/lines-fixtures.ts';
import { paySandbox } from '../support/orders-fixtures.ts';

const DAY_S = 86_400;

type Customer = Awaited<ReturnType<typeof customerWithLine>>['customer'];

/** A fresh session: a month of sandbox time outlives the last one. */
async function login(ctx: TestContext, customer: Customer): Promise<string> {
  const r = await ctx.post('/api/v1/auth/login', { email: customer.email, password: customer.password });
  expect(r.status, r.text).toBe(200);
  return r.json.token;
}

async function buyByCard(ctx: TestContext, token: string, lineId: string, planId: string, couponCode?: string) {
  const created = await ctx.post('/api/v1/orders', { lineId, planId, paymentMethod: 'card', ...(couponCode ? { couponCode } : {}) }, {
    token, headers: { 'idempotency-key': randomUUID() },
  });
  expect(created.status, created.text).toBe(201);
  await paySandbox(ctx, created.json.payment.id);
  const done = await ctx.get(`/api/v1/orders/${created.json.id}`, { token });
  expect(done.json.status, done.text).toBe('completed');
}

async function viewOf(ctx: TestContext, customer: Customer, lineId: string) {
  const r = await ctx.get(`/api/v1/lines/${lineId}`, { token: await login(ctx, customer) });
  expect(r.status, r.text).toBe(200);
  return r.json;
}

async function storedStatus(ctx: TestContext, lineId: string): Promise<string | undefined> {
  const { rows } = await ctx.db.query<{ status: string }>('SELECT status FROM lines WHERE id = $1', [lineId]);
  return rows[0]?.status;
}

async function lapseEvents(ctx: TestContext, lineId: string) {
  const { rows } = await ctx.db.query<{ at: Date; from_status: string; to_status: string; reason: string }>(
    `SELECT at, from_status, to_status, reason FROM line_events WHERE line_id = $1 AND from_status NOT IN ('inventory', 'bound') ORDER BY id`,
    [lineId],
  );
  return rows.map((r) => ({ at: r.at.toISOString(), from: r.from_status, to: r.to_status, reason: r.reason }));
}

const plusDays = (iso: string, days: number): string => new Date(Date.parse(iso) + days * MS_PER_DAY).toISOString();
/** Seconds from the sandbox clock's now to `days` after `fromIso`, plus `extraSeconds`. */
const secondsUntil = (ctx: TestContext, fromIso: string, days: number, extraSeconds: number): number =>
  Math.ceil((Date.parse(fromIso) + days * MS_PER_DAY - ctx.app.deps.clock.now().getTime()) / 1000) + extraSeconds;

forEachDatabase('keep-alive plans over time', (get) => {
  it('keeps a UK number alive after its 30-day keep-alive plan runs out, and recycles it 180 days after the purchase', async () => {
    const ctx = get();
    const { customer, lineId } = await customerWithLine(ctx, { carrier: 'uk-keep', form: 'physical' });
    await buyByCard(ctx, customer.token, lineId, 'plan_demo_uk_keepalive');
    const bought = await viewOf(ctx, customer, lineId);
    expect(bought).toMatchObject({ status: 'active', keepAliveAction: 'use_the_line' });
    const purchasedAt = plusDays(bought.expiresAt, -30);
    // The number lives 180 days from the purchase (chargeable activity), not 30.
    expect(bought.keepAliveBy).toBe(plusDays(purchasedAt, 180));
    expect(bought.actionBy).toBe(bought.keepAliveBy);
    expect(bought.safeUntil).toBe(plusDays(purchasedAt, 180));

    await ctx.advance(31 * DAY_S);
    const day31 = await viewOf(ctx, customer, lineId);
    expect(day31).toMatchObject({ status: 'active', expiresAt: bought.expiresAt, keepAliveBy: bought.keepAliveBy, keepAliveAction: 'use_the_line' });
    expect(day31.buckets).toEqual([]); // the plan's allowances expired on their own date
    expect(await storedStatus(ctx, lineId)).toBe('active');

    await ctx.advance(secondsUntil(ctx, purchasedAt, 180, -60));
    expect(await storedStatus(ctx, lineId)).toBe('active');
    await ctx.advance(120);
    expect(await storedStatus(ctx, lineId)).toBe('recycled');
    expect((await viewOf(ctx, customer, lineId)).status).toBe('recycled');
    expect(await lapseEvents(ctx, lineId)).toEqual([
      { at: plusDays(purchasedAt, 180), from: 'active', to: 'recycled', reason: 'keep_alive_missed' },
    ]);
  });

  it('honours the 7 bonus days of KEEP7 on a US 30-day plan: suspended at day 37, recycled at day 67', async () => {
    const ctx = get();
    const { customer, lineId } = await customerWithLine(ctx, { carrier: 'us-paygo', form: 'physical' });
    const quote = await ctx.post('/api/v1/quotes', { lineId, planId: 'plan_demo_us_keepalive', couponCode: 'KEEP7' }, { token: customer.token });
    expect(quote.status, quote.text).toBe(200);
    const quotedAt = ctx.app.deps.clock.now().getTime();
    expect(Math.abs(Date.parse(quote.json.preview.expiresAt) - quotedAt - 37 * MS_PER_DAY)).toBeLessThan(60_000);

    await buyByCard(ctx, customer.token, lineId, 'plan_demo_us_keepalive', 'KEEP7');
    const bought = await viewOf(ctx, customer, lineId);
    const purchasedAt = plusDays(bought.expiresAt, -37);
    expect(Math.abs(Date.parse(bought.expiresAt) - Date.parse(quote.json.preview.expiresAt))).toBeLessThan(60_000);
    expect(bought).toMatchObject({ status: 'active', keepAliveAction: 'recharge', keepAliveBy: bought.expiresAt, actionBy: bought.expiresAt });
    expect(bought.safeUntil).toBe(plusDays(purchasedAt, 67));

    await ctx.advance(31 * DAY_S);
    expect((await viewOf(ctx, customer, lineId)).status).toBe('active');
    expect(await storedStatus(ctx, lineId)).toBe('active');
    await ctx.advance(secondsUntil(ctx, purchasedAt, 37, -60));
    expect(await storedStatus(ctx, lineId)).toBe('active');
    await ctx.advance(120);
    expect(await storedStatus(ctx, lineId)).toBe('suspended');
    const suspended = await viewOf(ctx, customer, lineId);
    expect(suspended).toMatchObject({ status: 'suspended', keepAliveAction: 'recharge', keepAliveBy: plusDays(purchasedAt, 67), safeUntil: plusDays(purchasedAt, 67) });

    await ctx.advance(secondsUntil(ctx, purchasedAt, 67, 60));
    expect(await storedStatus(ctx, lineId)).toBe('recycled');
    expect(await lapseEvents(ctx, lineId)).toEqual([
      { at: plusDays(purchasedAt, 37), from: 'active', to: 'suspended', reason: 'validity_expired' },
      { at: plusDays(purchasedAt, 67), from: 'suspended', to: 'recycled', reason: 'suspension_ended' },
    ]);
  });
});
