// Auto-renewal across gaps in time: a clock jump past a line's expiry renews it (when auto-renew can
// pay) before the lifecycle could suspend it; when nothing can pay, the subscriber hears low_balance
// once, then renewal_failed with a pay-now link that lapses after 30 minutes, then line_suspended.
import { expect, it } from 'vitest';
import { renewalsOfLine } from '../../src/modules/renewals/service.ts';
import { bindLine } from '../support/catalog-fixtures.ts';
import { forEachDatabase, randomClientAddress, type TestContext } from '../support/harness.ts';
import { order, plainPlan, topUp, walletOf, type Buyer } from '../support/orders-fixtures.ts';

const DAY_S = 86_400;

interface Subscriber extends Buyer {
  email: string;
  password: string;
}

/** A subscriber whose line holds a 30-day plan bought from the wallet, auto-renew on, `walletMinor` left over. */
async function renewingLine(ctx: TestContext, walletMinor: number, locale: 'en' | 'zh-CN' = 'en'): Promise<Subscriber> {
  const c = await ctx.customer(locale);
  const line = await bindLine(ctx, c.token);
  const b: Subscriber = { token: c.token, userId: c.user.id, lineId: line.id, email: c.email, password: c.password };
  const plan = await plainPlan(ctx, 500, { validityDays: 30, autoRenewable: true });
  await topUp(ctx, b, 500 + walletMinor);
  expect((await order(ctx, b, { planId: plan.id, paymentMethod: 'wallet' })).status).toBe(201);
  await ctx.drain();
  const patched = await ctx.patch(`/api/v1/lines/${b.lineId}`, { autoRenew: { enabled: true, planId: plan.id } }, { token: b.token });
  expect(patched.status, patched.text).toBe(200);
  return b;
}

async function relogin(ctx: TestContext, b: Subscriber): Promise<void> {
  const r = await ctx.post('/api/v1/auth/login', { email: b.email, password: b.password }, { remoteAddress: randomClientAddress() });
  expect(r.status, r.text).toBe(200);
  b.token = r.json.token;
}

async function notices(ctx: TestContext, b: Subscriber): Promise<Array<{ kind: string; title: string; body: string; orderId?: string }>> {
  await relogin(ctx, b);
  const r = await ctx.get(`/api/v1/notifications?lineId=${b.lineId}`, { token: b.token });
  expect(r.status, r.text).toBe(200);
  const lineKinds = ['renewal_upcoming', 'renewal_succeeded', 'renewal_failed', 'low_balance', 'line_suspended', 'line_recycled'];
  return (r.json.items as Array<{ kind: string; title: string; body: string }>).filter((n) => lineKinds.includes(n.kind)).reverse();
}

/** Seconds from the sandbox clock's now to `days` days after the line's expiry (a top-up on us-paygo adds validity too). */
async function pastExpiry(ctx: TestContext, b: Subscriber, days: number): Promise<number> {
  const now = Date.parse((await ctx.get('/api/v1/sandbox/clock')).json.now);
  return Math.ceil((Date.parse((await lineOf(ctx, b)).expiresAt) - now) / 1000) + days * DAY_S;
}

async function lineOf(ctx: TestContext, b: Subscriber): Promise<{ status: string; expiresAt: string }> {
  return (await ctx.get(`/api/v1/lines/${b.lineId}`, { token: b.token })).json;
}

forEachDatabase('auto-renewal across gaps in time', (get) => {
  it('a jump 10 days past the expiry renews from the wallet before the line could be suspended', async () => {
    const ctx = get();
    const b = await renewingLine(ctx, 600);
    const expiry = Date.parse((await lineOf(ctx, b)).expiresAt);
    await ctx.advance(await pastExpiry(ctx, b, 10)); // us-paygo: suspended from the expiry (no grace) for 30 days
    expect((await notices(ctx, b)).map((n) => n.kind)).toEqual(['renewal_upcoming', 'renewal_succeeded']);
    const line = await lineOf(ctx, b);
    expect(line.status).toBe('active');
    expect(Date.parse(line.expiresAt)).toBeGreaterThan(expiry);
    expect((await renewalsOfLine(ctx.db, b.lineId)).map((r) => r.status)).toEqual(['succeeded']);
    expect(await walletOf(ctx, b)).toBe(100);
    // Later passes change nothing: the lapse that was held is gone with the new expiry.
    await ctx.advance(60);
    expect((await lineOf(ctx, b)).status).toBe('active');
    expect((await notices(ctx, b)).map((n) => n.kind)).toEqual(['renewal_upcoming', 'renewal_succeeded']);
  });

  it('with nothing to pay: low_balance once, the pay-now link (which lapses after 30 minutes), then the suspension, in that order', async () => {
    const ctx = get();
    const b = await renewingLine(ctx, 0);
    await ctx.advance(await pastExpiry(ctx, b, 10));
    const got = await notices(ctx, b);
    expect(got.map((n) => n.kind)).toEqual(['renewal_upcoming', 'low_balance', 'renewal_failed', 'line_suspended']);
    expect(got[1]?.body).toMatch(/\$0\.00.*\$5\.00/);
    expect((await lineOf(ctx, b)).status).toBe('suspended');
    const payOrder = got[2]?.orderId ?? '';
    expect((await ctx.get(`/api/v1/orders/${payOrder}`, { token: b.token })).json.status).toBe('awaiting_payment');
    await ctx.advance(31 * 60);
    await relogin(ctx, b);
    expect((await ctx.get(`/api/v1/orders/${payOrder}`, { token: b.token })).json.status).toBe('expired');
  });

  it('walking day by day, low_balance comes once per period with the renewal notice, in the subscriber\'s language', async () => {
    const ctx = get();
    const b = await renewingLine(ctx, 100, 'zh-CN');
    await ctx.advance(await pastExpiry(ctx, b, -6));
    for (let day = 0; day < 5; day++) await ctx.advance(DAY_S);
    const got = await notices(ctx, b);
    expect(got.map((n) => n.kind)).toEqual(['renewal_upcoming', 'low_balance', 'renewal_failed']);
    expect(got[1]?.title).toBe('钱包余额不足');
    expect(got[1]?.body).toContain('US$1.00');
    // The failure's reason is worded in the subscriber's language too, not passed through in English.
    expect(got[2]?.body).toContain('钱包余额不足，且没有可扣款的已保存银行卡');
    expect(got[2]?.body).not.toMatch(/wallet/);
    const { rows } = await ctx.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM notifications WHERE kind = 'low_balance' AND line_id = $1`, [b.lineId]);
    expect(rows[0]?.n).toBe(1);

    // A wallet that covers the renewal hears nothing of the kind.
    const rich = await renewingLine(ctx, 600);
    await ctx.advance(await pastExpiry(ctx, rich, -6));
    for (let day = 0; day < 5; day++) await ctx.advance(DAY_S);
    expect((await notices(ctx, rich)).map((n) => n.kind)).toEqual(['renewal_upcoming', 'renewal_succeeded']);
  });
});
