// OWASP API Security Top 10 (2023) — API10 Unsafe Consumption of APIs.
// What payment providers send is believed only once proven: Stripe notifications with a forged,
// stale or future-dated signature are refused; a correctly signed Stripe event that lacks the
// amount fields credits nothing and answers no 5xx; a PayPal delivery naming a certificate URL off
// PayPal's own hosts is refused before anything is fetched; a sandbox notification replayed with a
// changed amount is refused. In every case the order stays unpaid and no money moves.
import { randomUUID } from 'node:crypto';
import Stripe from 'stripe';
import { expect, it } from 'vitest';
import { PaypalProvider } from '../../src/adapters/payments/paypal.ts';
import type { PaymentProvider } from '../../src/adapters/payments/types.ts';
import { signSandboxPayload } from '../../src/adapters/payments/sandbox-signature.ts';
import { verifyLedger } from '../../src/modules/ledger/service.ts';
import { sandboxWebhookKey } from '../../src/modules/payments/sandbox-provider.ts';
import { forEachDatabase, type TestContext } from '../support/harness.ts';
import { buyer, order, paymentJournals, plainPlan } from '../support/orders-fixtures.ts';
import { withReplaced } from '../support/provider-stand-ins.ts';

const STRIPE_WEBHOOK_SECRET = 'whsec_test_simkeep_owasp';

async function unpaidOrder(ctx: TestContext, paymentMethod: string) {
  const b = await buyer(ctx);
  const plan = await plainPlan(ctx, 500);
  const created = await order(ctx, b, { planId: plan.id, paymentMethod });
  expect(created.status, created.text).toBe(201);
  return { orderId: created.json.id as string, paymentId: created.json.payment.id as string };
}

async function expectUntouched(ctx: TestContext, orderId: string): Promise<void> {
  await ctx.drain();
  const { rows } = await ctx.db.query<{ status: string }>('SELECT status FROM orders WHERE id = $1', [orderId]);
  expect(rows[0]?.status).toBe('awaiting_payment');
  expect(await paymentJournals(ctx, orderId)).toBe(0);
  expect(await verifyLedger(ctx.db)).toEqual([]);
}

function stripeEvent(paymentId: string, session: Record<string, unknown>): string {
  return JSON.stringify({
    id: `evt_${randomUUID().replace(/-/g, '')}`, object: 'event', type: 'checkout.session.completed', api_version: '2025-01-27',
    data: { object: { id: `cs_test_${paymentId}`, object: 'checkout.session', client_reference_id: paymentId, metadata: { paymentId }, payment_status: 'paid', status: 'complete', ...session } },
  });
}

const postStripe = (ctx: TestContext, payload: string, header: string) =>
  ctx.call('POST', '/api/v1/webhooks/stripe', { raw: payload, headers: { 'content-type': 'application/json', 'stripe-signature': header } });

forEachDatabase('OWASP API10: unsafe consumption of APIs (Stripe)', (get) => {
  it('refuses forged, stale and future-dated Stripe signatures, and credits nothing', async () => {
    const ctx = get();
    const stripe = ctx.providers.byName('stripe') as PaymentProvider;
    ctx.providers.override('stripe', withReplaced(stripe, {
      createPayment: async (i) => ({ providerRef: `cs_test_${i.paymentId}`, action: { type: 'redirect', url: 'https://checkout.stripe.test/x' } }),
    }));
    const { orderId, paymentId } = await unpaidOrder(ctx, 'card');
    const payload = stripeEvent(paymentId, { amount_total: 500, currency: 'usd' });
    const now = Math.floor(Date.now() / 1000);
    const headers = [
      Stripe.webhooks.generateTestHeaderString({ payload, secret: 'whsec_attacker_guess' }),
      Stripe.webhooks.generateTestHeaderString({ payload, secret: STRIPE_WEBHOOK_SECRET, timestamp: now - 3_600 }),
      Stripe.webhooks.generateTestHeaderString({ payload, secret: STRIPE_WEBHOOK_SECRET, timestamp: now + 3_600 }),
      `t=${now},v1=${'0'.repeat(64)}`, 't=,v1=', '',
    ];
    for (const header of headers) {
      const r = await postStripe(ctx, payload, header);
      expect(r.status, `${header.slice(0, 30)}: ${r.text}`).toBe(400);
    }
    await expectUntouched(ctx, orderId);
  });

  it('credits nothing for a signed event without its amount fields, and answers no 5xx', async () => {
    const ctx = get();
    const stripe = ctx.providers.byName('stripe') as PaymentProvider;
    ctx.providers.override('stripe', withReplaced(stripe, {
      createPayment: async (i) => ({ providerRef: `cs_test_${i.paymentId}`, action: { type: 'redirect', url: 'https://checkout.stripe.test/x' } }),
    }));
    const { orderId, paymentId } = await unpaidOrder(ctx, 'card');
    for (const session of [{}, { amount_total: null, currency: null }, { amount_total: '500', currency: 'usd' }, { amount_total: 500 }]) {
      const payload = stripeEvent(paymentId, session);
      const r = await postStripe(ctx, payload, Stripe.webhooks.generateTestHeaderString({ payload, secret: STRIPE_WEBHOOK_SECRET }));
      expect(r.status, `${JSON.stringify(session)}: ${r.text}`).toBeLessThan(500);
    }
    await expectUntouched(ctx, orderId);
  });
}, { STRIPE_SECRET_KEY: 'sk_test_simkeep_local', STRIPE_WEBHOOK_SECRET });

forEachDatabase('OWASP API10: unsafe consumption of APIs (PayPal, sandbox)', (get) => {
  it('refuses a PayPal certificate URL off PayPal\'s certificate hosts without fetching it', async () => {
    const ctx = get();
    const fetched: string[] = [];
    ctx.providers.override('paypal', new PaypalProvider({
      clientId: 'client', clientSecret: 'secret', webhookId: 'WH-OWASP', baseUrl: 'http://127.0.0.1:9', timeoutMs: 1_000,
      fetchCert: async (url) => {
        fetched.push(url);
        throw new Error('must not be fetched');
      },
    }));
    for (const certUrl of [
      'https://evil.example/cert.pem', 'http://api.paypal.com/v1/notifications/certs/x', 'https://api.paypal.com.evil.example/cert',
      'https://www.paypal.com/cert', 'https://127.0.0.1/cert', 'https://169.254.169.254/latest/meta-data', 'file:///etc/passwd',
      'https://user@api.paypal.com@evil.example/cert',
    ]) {
      const body = JSON.stringify({ id: `WH-${randomUUID()}`, event_type: 'PAYMENT.CAPTURE.COMPLETED', resource: { custom_id: 'pay_x', amount: { currency_code: 'USD', value: '5.00' } } });
      const r = await ctx.call('POST', '/api/v1/webhooks/paypal', {
        raw: body, headers: {
          'content-type': 'application/json', 'paypal-transmission-id': randomUUID(), 'paypal-transmission-time': new Date().toISOString(),
          'paypal-transmission-sig': 'c2ln', 'paypal-cert-url': certUrl, 'paypal-auth-algo': 'SHA256withRSA',
        },
      });
      expect(r.status, `${certUrl}: ${r.text}`).toBe(400);
    }
    expect(fetched).toEqual([]);
  });

  it('refuses a signed sandbox notification whose amount was changed in transit', async () => {
    const ctx = get();
    const { orderId, paymentId } = await unpaidOrder(ctx, 'card');
    const signed = JSON.stringify({ id: `evt_${randomUUID().replace(/-/g, '')}`, type: 'payment.succeeded', paymentId, amount: { amount: 500, currency: 'USD' }, createdAt: new Date().toISOString() });
    const signature = signSandboxPayload(sandboxWebhookKey(ctx.app.deps.secretKey), signed, new Date());
    const r = await ctx.call('POST', '/api/v1/webhooks/sandbox', { raw: signed.replace('"amount":500', '"amount":5'), headers: { 'content-type': 'application/json', 'simkeep-sandbox-signature': signature } });
    expect([r.status, r.json.code]).toEqual([400, 'invalid_signature']);
    await expectUntouched(ctx, orderId);
  });
}, { PAYPAL_CLIENT_ID: 'client', PAYPAL_CLIENT_SECRET: 'secret', PAYPAL_WEBHOOK_ID: 'WH-OWASP' });
