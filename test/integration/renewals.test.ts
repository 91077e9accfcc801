// Saved payment methods through HTTP (saved on the sandbox's own page) and auto-renewal on the
// sandbox clock: wallet, then the default saved card, then a pay-now link; the monthly cap; one
// renewal per line and period whatever the clock does and however many sweeps run at once.
import { expect, it } from 'vitest';
import { renewalsOfLine, sweepRenewals } from '../../src/modules/renewals/service.ts';
import { bindLine } from '../support/catalog-fixtures.ts';
import { forEachDatabase, randomClientAddress, type TestContext } from '../support/harness.ts';
import { expectLedgerSound, order, plainPlan, topUp, walletOf, type Buyer } from '../support/orders-fixtures.ts';

/** A buyer who can log in again: sessions still age on the sandbox clock, and these tests jump it by months. */
interface Subscriber extends Buyer {
  email: string;
  password: string;
}

async function buyer(ctx: TestContext): Promise<Subscriber> {
  const c = await ctx.customer();
  const line = await bindLine(ctx, c.token);
  return { token: c.token, userId: c.user.id, lineId: line.id, email: c.email, password: c.password };
}

/** Moves the clock and logs the subscriber in again (a no-op for the renewal itself). */
async function advance(ctx: TestContext, b: Subscriber, seconds: number): Promise<void> {
  await ctx.advance(seconds);
  const r = await ctx.post('/api/v1/auth/login', { email: b.email, password: b.password }, { remoteAddress: randomClientAddress() });
  expect(r.status, r.text).toBe(200);
  b.token = r.json.token;
}

const DAY_S = 86_400;

async function saveCard(ctx: TestContext, b: Subscriber, behaviour: 'succeeds' | 'declines' = 'succeeds'): Promise<string> {
  const started = await ctx.post('/api/v1/payment-methods', { paymentMethod: 'card' }, { token: b.token });
  expect(started.status, started.text).toBe(201);
  const url = new URL(started.json.action.url);
  const page = await ctx.get(url.pathname);
  expect(page.status).toBe(200);
  expect(page.text).toContain('Save a card');
  const setupId = url.pathname.split('/').pop() ?? '';
  const done = await ctx.post(`/api/v1/sandbox/payment-methods/${setupId}/complete`, { behaviour, last4: behaviour === 'succeeds' ? '4242' : '0002' });
  expect(done.status, done.text).toBe(200);
  const list = await ctx.get('/api/v1/payment-methods', { token: b.token });
  const saved = list.json.items.find((m: { last4: string }) => m.last4 === done.json.last4);
  return saved.id as string;
}

/** A subscriber whose line holds a 30-day plan (bought from the wallet) with auto-renew on. */
async function renewingLine(ctx: TestContext, priceMinor: number, walletMinor: number, cap?: number): Promise<{ b: Subscriber; planId: string }> {
  const b = await buyer(ctx);
  const plan = await plainPlan(ctx, priceMinor, { validityDays: 30, autoRenewable: true });
  await topUp(ctx, b, priceMinor + walletMinor);
  const first = await order(ctx, b, { planId: plan.id, paymentMethod: 'wallet' });
  expect(first.status, first.text).toBe(201);
  await ctx.drain();
  const patched = await ctx.patch(`/api/v1/lines/${b.lineId}`, {
    autoRenew: { enabled: true, planId: plan.id, ...(cap === undefined ? {} : { monthlyCap: { amount: cap, currency: 'USD' } }) },
  }, { token: b.token });
  expect(patched.status, patched.text).toBe(200);
  return { b, planId: plan.id };
}

/** To the notice (3 days before expiry), then to the charge (2 days before): the default SIMKEEP_RENEW_DAYS_BEFORE. */
async function throughRenewal(ctx: TestContext, b: Subscriber): Promise<void> {
  await advance(ctx, b, await untilBeforeExpiry(ctx, b, 3) + 60);
  expect(await kinds(ctx, b)).toEqual(['renewal_upcoming']);
  await advance(ctx, b, DAY_S);
}

async function kinds(ctx: TestContext, b: Subscriber): Promise<string[]> {
  const r = await ctx.get(`/api/v1/notifications?lineId=${b.lineId}`, { token: b.token });
  expect(r.status, r.text).toBe(200);
  return (r.json.items as Array<{ kind: string }>).map((n) => n.kind).filter((k) => k.startsWith('renewal_')).reverse();
}

async function notificationsOf(ctx: TestContext, b: Subscriber, kind: string): Promise<Array<{ body: string; orderId?: string }>> {
  const r = await ctx.get(`/api/v1/notifications?lineId=${b.lineId}`, { token: b.token });
  return (r.json.items as Array<{ kind: string; body: string; orderId?: string }>).filter((n) => n.kind === kind);
}

async function renewalOrders(ctx: TestContext, b: Subscriber): Promise<Array<{ status: string; paymentMethod: string }>> {
  const r = await ctx.get(`/api/v1/orders?lineId=${b.lineId}`, { token: b.token });
  // The first order bought the plan; the top-up is a card order; renewals come after.
  return (r.json.items as Array<{ status: string; paymentMethod: string; kind: string }>).filter((o) => o.kind === 'plan').slice(0, -1);
}

/** Seconds from the sandbox clock's now to `daysBefore` days before the line's expiry. */
async function untilBeforeExpiry(ctx: TestContext, b: Subscriber, daysBefore: number): Promise<number> {
  const now = Date.parse((await ctx.get('/api/v1/sandbox/clock')).json.now);
  return Math.ceil((await expiresAt(ctx, b) - now) / 1000) - daysBefore * DAY_S;
}

async function expiresAt(ctx: TestContext, b: Subscriber): Promise<number> {
  const r = await ctx.get(`/api/v1/lines/${b.lineId}`, { token: b.token });
  return Date.parse(r.json.expiresAt);
}

forEachDatabase('saved payment methods and auto-renewal', (get) => {
  it('saves a card on the sandbox page, lists it, makes another the default (one default) and deletes one', async () => {
    const ctx = get();
    const b = await buyer(ctx);
    const first = await saveCard(ctx, b);
    const second = await saveCard(ctx, b, 'declines');
    let list = await ctx.get('/api/v1/payment-methods', { token: b.token });
    expect(list.status).toBe(200);
    expect(list.json.items.map((m: { id: string; isDefault: boolean }) => [m.id, m.isDefault])).toEqual([[first, true], [second, false]]);
    expect(list.json.items[0]).toMatchObject({ provider: 'sandbox', brand: 'visa', last4: '4242' });
    expect(JSON.stringify(list.json)).not.toMatch(/sbxpm_/);
    const made = await ctx.patch(`/api/v1/payment-methods/${second}`, { isDefault: true }, { token: b.token });
    expect(made.status, made.text).toBe(200);
    list = await ctx.get('/api/v1/payment-methods', { token: b.token });
    expect(list.json.items.filter((m: { isDefault: boolean }) => m.isDefault).map((m: { id: string }) => m.id)).toEqual([second]);
    const other = await buyer(ctx);
    expect((await ctx.patch(`/api/v1/payment-methods/${first}`, { isDefault: true }, { token: other.token })).status).toBe(404);
    expect((await ctx.call('DELETE', `/api/v1/payment-methods/${first}`, { token: other.token })).status).toBe(404);
    const deleted = await ctx.call('DELETE', `/api/v1/payment-methods/${first}`, { token: b.token });
    expect(deleted.status, deleted.text).toBe(204);
    list = await ctx.get('/api/v1/payment-methods', { token: b.token });
    expect(list.json.items.map((m: { id: string }) => m.id)).toEqual([second]);
    expect((await ctx.get('/api/v1/payment-methods')).status).toBe(401);
  });

  it('renews from the wallet once, after the notice, with the clock jumped 90 days', async () => {
    const ctx = get();
    const { b } = await renewingLine(ctx, 500, 600);
    const before = await expiresAt(ctx, b);
    await advance(ctx, b, await untilBeforeExpiry(ctx, b, 3) + 60);
    expect(await kinds(ctx, b)).toEqual(['renewal_upcoming']);
    expect((await notificationsOf(ctx, b, 'renewal_upcoming'))[0]?.body).toMatch(/5\.00.*turn off auto-renew/);
    await advance(ctx, b, DAY_S);
    expect(await kinds(ctx, b)).toEqual(['renewal_upcoming', 'renewal_succeeded']);
    expect(await walletOf(ctx, b)).toBe(100);
    expect(await expiresAt(ctx, b)).toBe(before + 30 * DAY_S * 1000);
    await advance(ctx, b, 90 * DAY_S);
    await ctx.drain();
    // A jump of 90 days sweeps many times over the renewed period: still one renewal, one notice each.
    expect(await kinds(ctx, b)).toEqual(['renewal_upcoming', 'renewal_succeeded']);
    expect((await renewalsOfLine(ctx.db, b.lineId)).map((r) => [r.status, r.path])).toEqual([['succeeded', 'wallet']]);
    const orders = await renewalOrders(ctx, b);
    expect(orders.filter((o) => o.paymentMethod === 'wallet')).toHaveLength(1);
    expect(await walletOf(ctx, b)).toBe(100);
    await expectLedgerSound(ctx);
  });

  it('renews with the default saved card when the wallet does not cover it', async () => {
    const ctx = get();
    const { b } = await renewingLine(ctx, 500, 0);
    await saveCard(ctx, b);
    await throughRenewal(ctx, b);
    await ctx.drain();
    expect(await kinds(ctx, b)).toEqual(['renewal_upcoming', 'renewal_succeeded']);
    const orders = await renewalOrders(ctx, b);
    expect(orders).toEqual([expect.objectContaining({ paymentMethod: 'card', status: 'completed' })]);
    await expectLedgerSound(ctx);
  });

  it('sends a pay-now link when the saved card is declined, and paying it renews', async () => {
    const ctx = get();
    const { b } = await renewingLine(ctx, 500, 0);
    await saveCard(ctx, b, 'declines');
    const before = await expiresAt(ctx, b);
    await throughRenewal(ctx, b);
    await ctx.drain();
    expect(await kinds(ctx, b)).toEqual(['renewal_upcoming', 'renewal_failed']);
    const failed = (await notificationsOf(ctx, b, 'renewal_failed'))[0];
    expect(failed?.body).toMatch(/declined.*\/sandbox\/pay\/pay_/);
    const payId = /\/sandbox\/pay\/(pay_[0-9a-z]+)/.exec(failed?.body ?? '')?.[1] ?? '';
    const paid = await ctx.post(`/api/v1/sandbox/payments/${payId}/complete`, { outcome: 'succeeded' });
    expect(paid.status).toBe(202);
    await ctx.drain();
    expect(await expiresAt(ctx, b)).toBe(before + 30 * DAY_S * 1000);
    await expectLedgerSound(ctx);
  });

  it('sends a pay-now link when there is neither wallet money nor a saved card', async () => {
    const ctx = get();
    const { b } = await renewingLine(ctx, 500, 0);
    await throughRenewal(ctx, b);
    expect(await kinds(ctx, b)).toEqual(['renewal_upcoming', 'renewal_failed']);
    expect((await notificationsOf(ctx, b, 'renewal_failed'))[0]?.body).toMatch(/\/sandbox\/pay\/pay_/);
    expect(await renewalOrders(ctx, b)).toEqual([expect.objectContaining({ paymentMethod: 'card', status: 'awaiting_payment' })]);
  });

  it('charges nothing over the monthly cap and tells the subscriber', async () => {
    const ctx = get();
    const { b } = await renewingLine(ctx, 500, 600, 400);
    await throughRenewal(ctx, b);
    expect(await kinds(ctx, b)).toEqual(['renewal_upcoming', 'renewal_failed']);
    expect((await notificationsOf(ctx, b, 'renewal_failed'))[0]?.body).toMatch(/cap/);
    expect(await renewalOrders(ctx, b)).toEqual([]);
    expect(await walletOf(ctx, b)).toBe(600);
  });

  it('renews once per period with two sweeps running at once, and not at all once turned off', async () => {
    const ctx = get();
    const { b } = await renewingLine(ctx, 500, 600);
    await advance(ctx, b, await untilBeforeExpiry(ctx, b, 3) + 60);
    await ctx.post('/api/v1/sandbox/clock', { advanceSeconds: DAY_S });
    // Two sweeps at once, as two worker processes would run them (on PostgreSQL, two connections).
    const d = ctx.app.deps;
    const renewalDeps = { db: d.db, clock: d.clock, secretKey: d.secretKey, log: d.log, providers: d.payments, publicUrl: d.publicUrl, renewDaysBefore: 2 };
    await Promise.all([sweepRenewals(renewalDeps, d.log), sweepRenewals(renewalDeps, d.log)]);
    await ctx.drain();
    expect(await kinds(ctx, b)).toEqual(['renewal_upcoming', 'renewal_succeeded']);
    expect((await renewalOrders(ctx, b)).filter((o) => o.paymentMethod === 'wallet')).toHaveLength(1);

    const off = await ctx.patch(`/api/v1/lines/${b.lineId}`, { autoRenew: { enabled: false, planId: null } }, { token: b.token });
    expect(off.status, off.text).toBe(200);
    await advance(ctx, b, 40 * DAY_S);
    expect(await kinds(ctx, b)).toEqual(['renewal_upcoming', 'renewal_succeeded']);
    await expectLedgerSound(ctx);
  });
});
