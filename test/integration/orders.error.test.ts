import { describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { ProviderRejectedError, ProviderUnavailableError, type PaymentProvider } from '../../src/adapters/payments/types.ts';
import { DomainError } from '../../src/domain/errors.ts';
import { PaymentProviders } from '../../src/modules/payments/registry.ts';
import { createPromotion, uniqueCoupon } from '../support/catalog-fixtures.ts';
import { forEachDatabase, type TestContext } from '../support/harness.ts';
import { buyer, expectLedgerSound, order, paySandbox, plainPlan, topUp, walletOf } from '../support/orders-fixtures.ts';
import { withReplaced } from '../support/provider-stand-ins.ts';
import { rsaPemPair } from '../support/provider-keys.ts';

async function ordersOf(db: { query: (sql: string, p: unknown[]) => Promise<{ rows: Array<{ n: number }> }> }, userId: string): Promise<number> {
  return (await db.query('SELECT count(*)::int AS n FROM orders WHERE user_id = $1', [userId])).rows[0]?.n ?? 0;
}

forEachDatabase('orders that cannot go through', (get) => {
  it('refuses a wallet order the balance does not cover with 402 insufficient_funds and leaves no order', async () => {
    const ctx = get();
    const b = await buyer(ctx);
    const plan = await plainPlan(ctx, 500);
    const r = await order(ctx, b, { planId: plan.id, paymentMethod: 'wallet' });
    expect(r.status).toBe(402);
    expect(r.json.code).toBe('insufficient_funds');
    expect(String(r.headers['content-type'])).toContain('application/problem+json');
    expect(await ordersOf(ctx.db, b.userId)).toBe(0);
    expect(await walletOf(ctx, b)).toBe(0);
  });

  it('cancels only while awaiting payment, and answers 404 for another customer\'s order', async () => {
    const ctx = get();
    const b = await buyer(ctx);
    const other = await buyer(ctx);
    const plan = await plainPlan(ctx, 500);
    const created = await order(ctx, b, { planId: plan.id, paymentMethod: 'card' });
    expect((await ctx.post(`/api/v1/orders/${created.json.id}/cancel`, undefined, { token: other.token })).status).toBe(404);
    expect((await ctx.get(`/api/v1/orders/${created.json.id}`, { token: other.token })).status).toBe(404);
    expect((await ctx.get(`/api/v1/orders/${created.json.id}/receipt`, { token: other.token })).status).toBe(404);
    const cancelled = await ctx.post(`/api/v1/orders/${created.json.id}/cancel`, undefined, { token: b.token });
    expect(cancelled.status, cancelled.text).toBe(200);
    expect(cancelled.json.status).toBe('cancelled');
    expect(cancelled.json.payment.status).toBe('cancelled');
    const again = await ctx.post(`/api/v1/orders/${created.json.id}/cancel`, undefined, { token: b.token });
    expect(again.status).toBe(409);
    expect(again.json.code).toBe('order_not_cancellable');

    await topUp(ctx, b, 1_000);
    const paid = await order(ctx, b, { planId: plan.id, paymentMethod: 'wallet' });
    const late = await ctx.post(`/api/v1/orders/${paid.json.id}/cancel`, undefined, { token: b.token });
    expect(late.status).toBe(409);
    expect(late.json.code).toBe('order_not_cancellable');
  });

  it('expires an unpaid order after 30 minutes; money paid afterwards lands in the wallet, not lost', async () => {
    const ctx = get();
    const b = await buyer(ctx);
    const plan = await plainPlan(ctx, 700);
    const created = await order(ctx, b, { planId: plan.id, paymentMethod: 'card' });
    await ctx.advance(29 * 60);
    expect((await ctx.get(`/api/v1/orders/${created.json.id}`, { token: b.token })).json.status).toBe('awaiting_payment');
    await ctx.advance(60 + 1);
    const expired = await ctx.get(`/api/v1/orders/${created.json.id}`, { token: b.token });
    expect(expired.json.status).toBe('expired');
    await paySandbox(ctx, created.json.payment.id);
    const after = await ctx.get(`/api/v1/orders/${created.json.id}`, { token: b.token });
    expect(after.json.status).toBe('expired');
    expect(after.json.payment.status).toBe('refunded');
    expect(await walletOf(ctx, b)).toBe(700);
    const line = await ctx.get(`/api/v1/lines/${b.lineId}`, { token: b.token });
    expect(line.json.status).toBe('bound');
    await expectLedgerSound(ctx);
  });

  it('a declined payment fails the order; the subscriber starts a new one', async () => {
    const ctx = get();
    const b = await buyer(ctx);
    const plan = await plainPlan(ctx, 500);
    const created = await order(ctx, b, { planId: plan.id, paymentMethod: 'paypal' });
    await paySandbox(ctx, created.json.payment.id, 'failed');
    const failed = await ctx.get(`/api/v1/orders/${created.json.id}`, { token: b.token });
    expect(failed.json.status).toBe('failed');
    expect(failed.json.payment.status).toBe('failed');
    // Completing again is a no-op.
    await paySandbox(ctx, created.json.payment.id, 'succeeded');
    expect((await ctx.get(`/api/v1/orders/${created.json.id}`, { token: b.token })).json.status).toBe('failed');
    expect(await walletOf(ctx, b)).toBe(0);
  });

  it('rejects unknown methods, wallet top-ups, vouchers without code, foreign currencies and unknown payments', async () => {
    const ctx = get();
    const b = await buyer(ctx);
    const plan = await plainPlan(ctx, 500);
    expect((await order(ctx, b, { planId: plan.id, paymentMethod: 'bitcoin' })).status).toBe(400);
    const walletTopup = await order(ctx, b, { topupAmount: { amount: 500, currency: 'USD' }, paymentMethod: 'wallet' });
    expect([walletTopup.status, walletTopup.json.code]).toEqual([422, 'invalid_payment_method']);
    const noCode = await order(ctx, b, { planId: plan.id, paymentMethod: 'voucher' });
    expect([noCode.status, noCode.json.code]).toEqual([422, 'invalid_voucher']);
    const badCode = await order(ctx, b, { planId: plan.id, paymentMethod: 'voucher', voucherCode: 'AAAA-BBBB-CCCC-DDDD' });
    expect([badCode.status, badCode.json.code]).toEqual([422, 'invalid_voucher']);
    const euro = await order(ctx, b, { topupAmount: { amount: 500, currency: 'EUR' }, paymentMethod: 'card' });
    expect(euro.status).toBeGreaterThanOrEqual(400);
    expect(euro.status).toBeLessThan(500);
    expect((await order(ctx, b, { planId: plan.id, topupAmount: { amount: 5, currency: 'USD' }, paymentMethod: 'card' })).status).toBe(400);
    expect((await ctx.post('/api/v1/sandbox/payments/pay_unknown/complete', { outcome: 'succeeded' })).status).toBe(404);
    expect((await ctx.get('/sandbox/pay/pay_unknown')).status).toBe(404);
    expect((await ctx.post('/api/v1/orders', { lineId: b.lineId, planId: plan.id, paymentMethod: 'card' })).status).toBe(401);
    expect(await ordersOf(ctx.db, b.userId)).toBe(0);
  });

  it('refuses to pay a top-up plan from the wallet it would fill: no free recharge, no validity for nothing', async () => {
    const ctx = get();
    const b = await buyer(ctx);
    const topupPlan = await plainPlan(ctx, 500, { kind: 'topup', validityDays: 0, allowances: { dataMb: 0, voiceMin: 0, sms: 0 } });
    const r = await order(ctx, b, { planId: topupPlan.id, paymentMethod: 'wallet' });
    expect([r.status, r.json.code]).toEqual([422, 'invalid_payment_method']);
    expect(await ordersOf(ctx.db, b.userId)).toBe(0);
    await ctx.drain();
    const line = await ctx.get(`/api/v1/lines/${b.lineId}`, { token: b.token });
    expect([line.json.status, line.json.expiresAt]).toEqual(['bound', null]);
    await expectLedgerSound(ctx);
  });

  it('answers 503 provider_unavailable when the provider cannot be reached; nothing is charged and a retry with the key works', async () => {
    const ctx = get();
    const b = await buyer(ctx);
    const plan = await plainPlan(ctx, 500);
    const registry = ctx.providers;
    const sandbox = registry.byName('sandbox') as PaymentProvider;
    const down: PaymentProvider = { ...sandbox, name: 'sandbox', createPayment: async () => { throw new ProviderUnavailableError('down'); }, parseNotification: (n) => sandbox.parseNotification(n), acknowledge: (e) => sandbox.acknowledge(e), refund: (i) => sandbox.refund(i) };
    const key = randomUUID();
    registry.override('sandbox', down);
    try {
      const r = await order(ctx, b, { planId: plan.id, paymentMethod: 'card' }, key);
      expect(r.status).toBe(503);
      expect(r.json.code).toBe('provider_unavailable');
    } finally {
      registry.override('sandbox', sandbox);
    }
    const failed = await ctx.db.query<{ status: string }>('SELECT status FROM orders WHERE user_id = $1', [b.userId]);
    expect(failed.rows.map((r) => r.status)).toEqual(['failed']);
    const retry = await order(ctx, b, { planId: plan.id, paymentMethod: 'card' }, key);
    expect(retry.status, retry.text).toBe(201);
    expect(retry.json.status).toBe('awaiting_payment');
  });
});

/** The sandbox, with its createPayment replaced. */
function sandboxCreating(ctx: TestContext, createPayment: PaymentProvider['createPayment']): { restore: () => void } {
  const registry = ctx.providers;
  const sandbox = registry.byName('sandbox') as PaymentProvider;
  registry.override('sandbox', withReplaced(sandbox, { createPayment }));
  return { restore: () => registry.override('sandbox', sandbox) };
}

forEachDatabase('a provider that refuses to create the payment', (get) => {
  it.each([
    ['a 4xx (ProviderRejectedError)', () => new ProviderRejectedError('merchant account restricted', 403, 'account_restricted')],
    ['an unexpected adapter error', () => new Error('adapter bug: cannot read properties of undefined')],
  ])('fails the order, releases its coupon and answers a stored 422 payment_method_unavailable after %s', async (_what, makeError) => {
    const ctx = get();
    const b = await buyer(ctx);
    const plan = await plainPlan(ctx, 500);
    const code = uniqueCoupon('ONE');
    await createPromotion(ctx, { kind: 'amount_off', value: 100, couponCode: code, planIds: [plan.id], perUserLimit: 1 });
    const key = randomUUID();
    const stub = sandboxCreating(ctx, async () => { throw makeError(); });
    try {
      const r = await order(ctx, b, { planId: plan.id, paymentMethod: 'card', couponCode: code }, key);
      expect([r.status, r.json.code], r.text).toEqual([422, 'payment_method_unavailable']);
      expect(String(r.headers['content-type'])).toContain('application/problem+json');
      const again = await order(ctx, b, { planId: plan.id, paymentMethod: 'card', couponCode: code }, key);
      expect([again.status, again.json.code]).toEqual([422, 'payment_method_unavailable']);
    } finally {
      stub.restore();
    }
    const rows = await ctx.db.query<{ status: string; payment: string }>(
      'SELECT o.status, p.status AS payment FROM orders o JOIN payments p ON p.order_id = o.id WHERE o.user_id = $1', [b.userId],
    );
    expect(rows.rows).toEqual([{ status: 'failed', payment: 'failed' }]);
    // The coupon was given back: a new order may use it.
    const next = await order(ctx, b, { planId: plan.id, paymentMethod: 'card', couponCode: code });
    expect([next.status, next.json.total.amount, next.json.payment.action.type], next.text).toEqual([201, 400, 'redirect']);
    await expectLedgerSound(ctx);
  });
});

forEachDatabase('a payment method that does not take the order\'s currency', (get) => {
  it('answers 422 currency_not_supported for an Alipay order in USD before anything is written, and keeps that answer for the key', async () => {
    const ctx = get();
    const b = await buyer(ctx);
    const plan = await plainPlan(ctx, 500);
    const key = randomUUID();
    const r = await order(ctx, b, { planId: plan.id, paymentMethod: 'alipay' }, key);
    expect([r.status, r.json.code], r.text).toEqual([422, 'currency_not_supported']);
    const again = await order(ctx, b, { planId: plan.id, paymentMethod: 'alipay' }, key);
    expect([again.status, again.json.code]).toEqual([422, 'currency_not_supported']);
    expect(await ordersOf(ctx.db, b.userId)).toBe(0);
    // The same subscriber pays by card instead.
    expect((await order(ctx, b, { planId: plan.id, paymentMethod: 'card' })).status).toBe(201);
  });

  it('fails the order when the adapter itself refuses the currency after the order was written (a rule only it knows)', async () => {
    const ctx = get();
    const b = await buyer(ctx);
    const plan = await plainPlan(ctx, 500);
    const stub = sandboxCreating(ctx, async () => { throw new DomainError('validation', 'currency_not_supported', 'sandbox: not in USD today'); });
    try {
      const r = await order(ctx, b, { planId: plan.id, paymentMethod: 'card' });
      expect([r.status, r.json.code], r.text).toEqual([422, 'currency_not_supported']);
    } finally {
      stub.restore();
    }
    const rows = await ctx.db.query<{ status: string }>('SELECT status FROM orders WHERE user_id = $1', [b.userId]);
    expect(rows.rows.map((o) => o.status)).toEqual(['failed']);
  });
}, { ALIPAY_APP_ID: '2021000000000042', ALIPAY_PRIVATE_KEY: rsaPemPair().privateKey, ALIPAY_PUBLIC_KEY: rsaPemPair().publicKey });

describe('payment methods without a provider', () => {
  it('are refused with payment_method_unavailable when the sandbox is off and no credentials are set', () => {
    const registry = new PaymentProviders({}, false);
    expect(() => registry.forMethod('card')).toThrowError(expect.objectContaining({ code: 'payment_method_unavailable' }));
    expect(registry.byName('stripe')).toBeNull();
    expect(registry.byName('nope')).toBeNull();
  });
});
