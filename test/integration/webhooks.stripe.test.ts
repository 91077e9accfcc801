// Stripe Checkout webhooks end to end over HTTP, offline: events are signed with the SDK's own
// test-header helper; Checkout Sessions are created by a local stand-in (no network), while every
// notification goes through the real adapter's signature check and event mapping.
import { randomUUID } from 'node:crypto';
import Stripe from 'stripe';
import { expect, it } from 'vitest';
import type { PaymentProvider } from '../../src/adapters/payments/types.ts';
import { forEachDatabase, type TestContext } from '../support/harness.ts';
import { buyer, expectLedgerSound, order, paymentJournals, plainPlan, walletOf } from '../support/orders-fixtures.ts';
import { withReplaced } from '../support/provider-stand-ins.ts';

const STRIPE_WEBHOOK_SECRET = 'whsec_test_simkeep_checkout';

function useLocalCheckout(ctx: TestContext): void {
  const registry = ctx.providers;
  const stripe = registry.byName('stripe') as PaymentProvider;
  registry.override('stripe', withReplaced(stripe, {
    createPayment: async (i) => ({ providerRef: `cs_test_${i.paymentId}`, action: { type: 'redirect', url: 'https://checkout.stripe.test/x' } }),
  }));
}

async function send(ctx: TestContext, type: string, object: Record<string, unknown>) {
  const payload = JSON.stringify({ id: `evt_${randomUUID().replace(/-/g, '')}`, object: 'event', type, api_version: '2025-01-27', data: { object } });
  const header = Stripe.webhooks.generateTestHeaderString({ payload, secret: STRIPE_WEBHOOK_SECRET });
  return ctx.call('POST', '/api/v1/webhooks/stripe', { raw: payload, headers: { 'content-type': 'application/json', 'stripe-signature': header } });
}

async function cardOrder(ctx: TestContext) {
  useLocalCheckout(ctx);
  const b = await buyer(ctx);
  const plan = await plainPlan(ctx, 500);
  const created = await order(ctx, b, { planId: plan.id, paymentMethod: 'card' });
  expect(created.status, created.text).toBe(201);
  expect(created.json.payment.provider).toBe('stripe');
  const paymentId: string = created.json.payment.id;
  const session = (overrides: Record<string, unknown> = {}) => ({
    id: `cs_test_${paymentId}`, object: 'checkout.session', client_reference_id: paymentId, metadata: { paymentId },
    payment_status: 'paid', status: 'complete', amount_total: 500, currency: 'usd', ...overrides,
  });
  const declinedAttempt = {
    id: `pi_${paymentId.slice(4)}`, object: 'payment_intent', metadata: { paymentId }, status: 'requires_payment_method',
    amount: 500, currency: 'usd', last_payment_error: { type: 'card_error', code: 'card_declined', decline_code: 'insufficient_funds' },
  };
  return { b, orderId: created.json.id as string, session, declinedAttempt };
}

forEachDatabase('Stripe Checkout webhooks (signed with the SDK)', (get) => {
  it('keeps the order awaiting payment after a declined attempt, then pays it with the plan when the retry succeeds', async () => {
    const ctx = get();
    const { b, orderId, session, declinedAttempt } = await cardOrder(ctx);
    const failed = await send(ctx, 'payment_intent.payment_failed', declinedAttempt);
    expect(failed.status, failed.text).toBe(200);
    expect((await ctx.get(`/api/v1/orders/${orderId}`, { token: b.token })).json.status).toBe('awaiting_payment');

    // The customer tried another card in the same Checkout Session.
    expect((await send(ctx, 'checkout.session.completed', session())).status).toBe(200);
    await ctx.drain();
    const done = await ctx.get(`/api/v1/orders/${orderId}`, { token: b.token });
    expect(done.json.status, done.text).toBe('completed');
    expect(done.json.payment.status).toBe('succeeded');
    // The plan was bought: nothing went to the wallet as a late capture.
    expect(await walletOf(ctx, b)).toBe(0);
    expect(await paymentJournals(ctx, orderId)).toBe(1);
    const late = await ctx.db.query("SELECT 1 FROM refunds WHERE order_id = $1 AND idempotency = 'late_capture'", [orderId]);
    expect(late.rowCount).toBe(0);
    await expectLedgerSound(ctx);
  });

  it('fails the order when the Checkout Session expires unpaid', async () => {
    const ctx = get();
    const { b, orderId, session, declinedAttempt } = await cardOrder(ctx);
    expect((await send(ctx, 'payment_intent.payment_failed', declinedAttempt)).status).toBe(200);
    expect((await send(ctx, 'checkout.session.expired', session({ payment_status: 'unpaid', status: 'expired' }))).status).toBe(200);
    const r = await ctx.get(`/api/v1/orders/${orderId}`, { token: b.token });
    expect(r.json.status).toBe('failed');
    expect(r.json.payment.status).toBe('failed');
    expect(await paymentJournals(ctx, orderId)).toBe(0);
  });

  it('fails the order when a delayed payment method finally fails', async () => {
    const ctx = get();
    const { b, orderId, session } = await cardOrder(ctx);
    expect((await send(ctx, 'checkout.session.completed', session({ payment_status: 'unpaid' }))).status).toBe(200);
    expect((await ctx.get(`/api/v1/orders/${orderId}`, { token: b.token })).json.status).toBe('awaiting_payment');
    expect((await send(ctx, 'checkout.session.async_payment_failed', session({ payment_status: 'unpaid' }))).status).toBe(200);
    expect((await ctx.get(`/api/v1/orders/${orderId}`, { token: b.token })).json.status).toBe('failed');
  });
}, { STRIPE_SECRET_KEY: 'sk_test_simkeep_local', STRIPE_WEBHOOK_SECRET });
