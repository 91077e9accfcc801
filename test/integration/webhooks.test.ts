import { createSign, generateKeyPairSync, randomUUID } from 'node:crypto';
import Stripe from 'stripe';
import { expect, it } from 'vitest';
import { alipayNotifySignContent } from '../../src/adapters/payments/alipay.ts';
import { signSandboxPayload } from '../../src/adapters/payments/sandbox-signature.ts';
import type { PaymentProvider } from '../../src/adapters/payments/types.ts';
import { sandboxWebhookKey } from '../../src/modules/payments/sandbox-provider.ts';
import { forEachDatabase, type TestContext } from '../support/harness.ts';
import { withReplaced } from '../support/provider-stand-ins.ts';
import { buyer, expectLedgerSound, order, paymentJournals, plainPlan, yuanBuyer } from '../support/orders-fixtures.ts';

function sandboxEvent(paymentId: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { id: `evt_${randomUUID().replace(/-/g, '')}`, type: 'payment.succeeded', paymentId, amount: { amount: 500, currency: 'USD' }, createdAt: new Date().toISOString(), ...overrides };
}

async function postSandbox(ctx: TestContext, body: string, signedAt = new Date(), key = sandboxWebhookKey(ctx.app.deps.secretKey)) {
  return ctx.call('POST', '/api/v1/webhooks/sandbox', {
    raw: body, headers: { 'content-type': 'application/json', 'simkeep-sandbox-signature': signSandboxPayload(key, body, signedAt) },
  });
}

async function pendingCardOrder(ctx: TestContext, priceMinor = 500) {
  const b = await buyer(ctx);
  const plan = await plainPlan(ctx, priceMinor);
  const created = await order(ctx, b, { planId: plan.id, paymentMethod: 'card' });
  expect(created.status, created.text).toBe(201);
  return { b, orderId: created.json.id as string, paymentId: created.json.payment.id as string };
}

async function statusOf(ctx: TestContext, orderId: string): Promise<{ order: string; payment: string; events: number }> {
  const { rows } = await ctx.db.query<{ order: string; payment: string; events: number }>(
    `SELECT o.status AS order, p.status AS payment, (SELECT count(*)::int FROM payment_events e WHERE e.payment_id = p.id) AS events
       FROM orders o JOIN payments p ON p.order_id = o.id WHERE o.id = $1`, [orderId]);
  const row = rows[0];
  if (!row) throw new Error('no order');
  return row;
}

forEachDatabase('provider webhooks (sandbox)', (get) => {
  it('refuses a bad signature with 400 invalid_signature and changes nothing', async () => {
    const ctx = get();
    const { orderId, paymentId } = await pendingCardOrder(ctx);
    const body = JSON.stringify(sandboxEvent(paymentId));
    const forged = await postSandbox(ctx, body, new Date(), Buffer.alloc(32, 7));
    expect(forged.status).toBe(400);
    expect(forged.json.code).toBe('invalid_signature');
    const unsigned = await ctx.call('POST', '/api/v1/webhooks/sandbox', { raw: body, headers: { 'content-type': 'application/json' } });
    expect(unsigned.status).toBe(400);
    const tampered = await ctx.call('POST', '/api/v1/webhooks/sandbox', {
      raw: body.replace('500', '5'), headers: { 'content-type': 'application/json', 'simkeep-sandbox-signature': signSandboxPayload(sandboxWebhookKey(ctx.app.deps.secretKey), body, new Date()) },
    });
    expect(tampered.status).toBe(400);
    expect(await statusOf(ctx, orderId)).toEqual({ order: 'awaiting_payment', payment: 'pending', events: 0 });
  });

  it('refuses a stale timestamp', async () => {
    const ctx = get();
    const { orderId, paymentId } = await pendingCardOrder(ctx);
    const r = await postSandbox(ctx, JSON.stringify(sandboxEvent(paymentId)), new Date(Date.now() - 10 * 60_000));
    expect(r.status).toBe(400);
    expect((await statusOf(ctx, orderId)).order).toBe('awaiting_payment');
  });

  it('credits a duplicated event once', async () => {
    const ctx = get();
    const { orderId, paymentId } = await pendingCardOrder(ctx);
    const body = JSON.stringify(sandboxEvent(paymentId));
    const answers = await Promise.all([postSandbox(ctx, body), postSandbox(ctx, body), postSandbox(ctx, body)]);
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
    // A second, differently numbered success for the same payment changes nothing either.
    expect((await postSandbox(ctx, JSON.stringify(sandboxEvent(paymentId)))).status).toBe(200);
    await ctx.drain();
    expect(await statusOf(ctx, orderId)).toEqual({ order: 'completed', payment: 'succeeded', events: 2 });
    expect(await paymentJournals(ctx, orderId)).toBe(1);
    await expectLedgerSound(ctx);
  });

  it('ignores a failure that arrives after the success', async () => {
    const ctx = get();
    const { orderId, paymentId } = await pendingCardOrder(ctx);
    expect((await postSandbox(ctx, JSON.stringify(sandboxEvent(paymentId)))).status).toBe(200);
    expect((await postSandbox(ctx, JSON.stringify(sandboxEvent(paymentId, { type: 'payment.failed' })))).status).toBe(200);
    await ctx.drain();
    expect((await statusOf(ctx, orderId)).order).toBe('completed');
    expect((await statusOf(ctx, orderId)).payment).toBe('succeeded');
  });

  it('does not credit a payment whose amount or currency differs, and records it', async () => {
    const ctx = get();
    const { orderId, paymentId } = await pendingCardOrder(ctx);
    expect((await postSandbox(ctx, JSON.stringify(sandboxEvent(paymentId, { amount: { amount: 1, currency: 'USD' } })))).status).toBe(200);
    expect((await postSandbox(ctx, JSON.stringify(sandboxEvent(paymentId, { amount: { amount: 500, currency: 'EUR' } })))).status).toBe(200);
    await ctx.drain();
    expect((await statusOf(ctx, orderId)).order).toBe('awaiting_payment');
    expect(await paymentJournals(ctx, orderId)).toBe(0);
    const { rows } = await ctx.db.query<{ outcome: string }>('SELECT outcome FROM payment_events WHERE payment_id = $1', [paymentId]);
    expect(rows.map((r) => r.outcome)).toEqual(['amount_mismatch', 'amount_mismatch']);
    const audit = await ctx.db.query('SELECT 1 FROM audit_log WHERE action = $1 AND target_id = $2', ['payment.amount_mismatch', paymentId]);
    expect(audit.rowCount).toBe(2);
  });

  it('acknowledges an event about an unknown payment and changes nothing; unknown providers are 404', async () => {
    const ctx = get();
    const r = await postSandbox(ctx, JSON.stringify(sandboxEvent('pay_doesnotexist')));
    expect(r.status).toBe(200);
    const { rows } = await ctx.db.query<{ outcome: string }>("SELECT outcome FROM payment_events WHERE payment_id = 'pay_doesnotexist'");
    expect(rows.map((x) => x.outcome)).toEqual(['unknown_payment']);
    expect((await ctx.call('POST', '/api/v1/webhooks/bitpay', { raw: '{}', headers: { 'content-type': 'application/json' } })).status).toBe(404);
  });

  it('delivers the sandbox webhook twice through the signed route, applying it once', async () => {
    const ctx = get();
    const { orderId, paymentId } = await pendingCardOrder(ctx);
    expect((await ctx.post(`/api/v1/sandbox/payments/${paymentId}/complete`, { outcome: 'succeeded' })).status).toBe(202);
    await ctx.drain();
    const jobs = await ctx.db.query<{ status: string }>(`SELECT status FROM jobs WHERE queue = 'sandbox_webhook' AND payload->'event'->>'paymentId' = $1`, [paymentId]);
    expect(jobs.rows.map((j) => j.status)).toEqual(['done', 'done']);
    const outcomes = await ctx.db.query<{ outcome: string }>('SELECT outcome FROM payment_events WHERE payment_id = $1', [paymentId]);
    expect(outcomes.rows.map((o) => o.outcome)).toEqual(['captured']);
    expect((await statusOf(ctx, orderId)).order).toBe('completed');
  });
});

// Real adapters, offline: the app holds test credentials; events are signed locally.
const STRIPE_WEBHOOK_SECRET = 'whsec_test_simkeep_local';
const alipayApp = generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
const alipayGateway = generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
const ALIPAY_APP_ID = '2021000000000042';

function alipayNotification(fields: Record<string, string>): string {
  const params = new Map(Object.entries({ app_id: ALIPAY_APP_ID, charset: 'utf-8', version: '1.0', notify_type: 'trade_status_sync', ...fields }));
  const sign = createSign('RSA-SHA256').update(alipayNotifySignContent(params), 'utf8').sign(alipayGateway.privateKey, 'base64');
  const form = new URLSearchParams([...params.entries()]);
  form.set('sign_type', 'RSA2');
  form.set('sign', sign);
  return form.toString();
}


forEachDatabase('provider webhooks (Stripe and Alipay, signed locally)', (get) => {
  it('applies a Stripe checkout.session.completed signed with the webhook secret, once', async () => {
    const ctx = get();
    const registry = ctx.providers;
    const stripe = registry.byName('stripe') as PaymentProvider;
    // Checkout sessions are created over the network; here a local stand-in answers, and every
    // notification still goes through the real adapter's signature check.
    registry.override('stripe', withReplaced(stripe, {
      createPayment: async (i) => ({ providerRef: `cs_test_${i.paymentId}`, action: { type: 'redirect', url: 'https://checkout.stripe.test/x' } }),
    }));
    const b = await buyer(ctx);
    const plan = await plainPlan(ctx, 500);
    const created = await order(ctx, b, { planId: plan.id, paymentMethod: 'card' });
    expect(created.json.payment.provider).toBe('stripe');
    const payload = JSON.stringify({
      id: `evt_${randomUUID().replace(/-/g, '')}`, object: 'event', type: 'checkout.session.completed', api_version: '2025-01-27',
      data: { object: { id: `cs_test_${created.json.payment.id}`, object: 'checkout.session', client_reference_id: created.json.payment.id, payment_status: 'paid', amount_total: 500, currency: 'usd', metadata: {} } },
    });
    const header = Stripe.webhooks.generateTestHeaderString({ payload, secret: STRIPE_WEBHOOK_SECRET });
    const send = (sig: string) => ctx.call('POST', '/api/v1/webhooks/stripe', { raw: payload, headers: { 'content-type': 'application/json', 'stripe-signature': sig } });
    expect((await send(header.replace(/v1=[0-9a-f]+/, 'v1=' + '0'.repeat(64)))).status).toBe(400);
    const ok = await send(header);
    expect(ok.status, ok.text).toBe(200);
    expect((await send(header)).status).toBe(200);
    await ctx.drain();
    expect((await ctx.get(`/api/v1/orders/${created.json.id}`, { token: b.token })).json.status).toBe('completed');
    expect(await paymentJournals(ctx, created.json.id)).toBe(1);
    const clearing = await ctx.db.query<{ balance_minor: number }>("SELECT balance_minor FROM ledger_accounts WHERE code = 'clearing:stripe:USD'");
    expect(clearing.rows[0]?.balance_minor).toBe(-500);
  });

  it('answers an Alipay notification signed with the Alipay key with the text "success" and pays the order', async () => {
    const ctx = get();
    const y = await yuanBuyer(ctx, 'cn-test');
    const created = await ctx.post('/api/v1/orders', { lineId: y.lineId, planId: y.planId, paymentMethod: 'alipay' }, { token: y.token, headers: { 'idempotency-key': randomUUID() } });
    expect(created.status, created.text).toBe(201);
    expect(created.json.payment.provider).toBe('alipay');
    expect(created.json.payment.action.url).toContain('alipay.trade.page.pay');
    const paymentId: string = created.json.payment.id;
    const send = (raw: string) => ctx.call('POST', '/api/v1/webhooks/alipay', { raw, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    const fields = { notify_id: `n${Date.now()}`, notify_time: '2025-03-01 12:00:01', out_trade_no: paymentId, trade_no: '2025030122001400000000001', trade_status: 'TRADE_SUCCESS', total_amount: '5.00' };
    const forged = alipayNotification(fields).replace('total_amount=5.00', 'total_amount=0.05');
    expect((await send(forged)).status).toBe(400);
    const r = await send(alipayNotification(fields));
    expect(r.status).toBe(200);
    expect(r.text).toBe('success');
    await ctx.drain();
    expect((await ctx.get(`/api/v1/orders/${created.json.id}`, { token: y.token })).json.status).toBe('completed');
    expect(await paymentJournals(ctx, created.json.id)).toBe(1);
    await expectLedgerSound(ctx);
  });
}, {
  STRIPE_SECRET_KEY: 'sk_test_simkeep_local', STRIPE_WEBHOOK_SECRET,
  ALIPAY_APP_ID, ALIPAY_PRIVATE_KEY: alipayApp.privateKey, ALIPAY_PUBLIC_KEY: alipayGateway.publicKey,
});
