import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import Stripe from 'stripe';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { signSandboxPayload } from '../../src/adapters/payments/sandbox-signature.ts';
import { StripeProvider } from '../../src/adapters/payments/stripe.ts';
import type { PaymentProvider } from '../../src/adapters/payments/types.ts';
import { RECONCILIATION_BATCH_SIZE, RECONCILIATION_UNREACHABLE_STREAK_MAX, RECONCILIATION_WINDOW_DAYS } from '../../src/modules/orders/reconciliation.ts';
import { sandboxWebhookKey } from '../../src/modules/payments/sandbox-provider.ts';
import { forEachDatabase, type TestContext } from '../support/harness.ts';
import { buyer, expectLedgerSound, order, paySandbox, paymentJournals, plainPlan } from '../support/orders-fixtures.ts';
import { withReplaced } from '../support/provider-stand-ins.ts';
import { closeServer, listenOnLoopback } from '../support/loopback.ts';

async function reconcile(ctx: TestContext) {
  const r = await ctx.post('/api/v1/admin/reconciliation', undefined, { token: await ctx.adminToken() });
  expect(r.status, r.text).toBe(201);
  return r.json as { id: number; checked: number; repaired: number; issues: Array<{ kind: string; paymentId?: string; orderId?: string; refundId?: string; detail: string }> };
}

async function cardOrder(ctx: TestContext) {
  const b = await buyer(ctx);
  const plan = await plainPlan(ctx, 500);
  const created = await order(ctx, b, { planId: plan.id, paymentMethod: 'card' });
  return { b, orderId: created.json.id as string, paymentId: created.json.payment.id as string };
}

forEachDatabase('daily reconciliation', (get) => {
  it('repairs a payment the provider captured but whose webhooks were lost, once', async () => {
    const ctx = get();
    const { b, orderId, paymentId } = await cardOrder(ctx);
    expect((await ctx.post(`/api/v1/sandbox/payments/${paymentId}/complete`, { outcome: 'succeeded' })).status).toBe(202);
    await ctx.db.query(`DELETE FROM jobs WHERE queue = 'sandbox_webhook' AND payload->'event'->>'paymentId' = $1`, [paymentId]);
    const report = await reconcile(ctx);
    expect(report.repaired).toBeGreaterThanOrEqual(1);
    expect(report.issues).toContainEqual(expect.objectContaining({ kind: 'repaired_missing_capture', paymentId }));
    // Asked for by an operator: the repair's ledger entries are booked to that operator.
    const booked = await ctx.db.query<{ actor_role: string; actor_id: string | null }>(
      `SELECT actor_role, actor_id FROM audit_log WHERE action LIKE 'ledger.%' AND target_id = $1`, [orderId]);
    expect(booked.rows.length).toBeGreaterThan(0);
    for (const row of booked.rows) expect([row.actor_role, row.actor_id === null]).toEqual(['admin', false]);
    await ctx.drain();
    expect((await ctx.get(`/api/v1/orders/${orderId}`, { token: b.token })).json.status).toBe('completed');
    const again = await reconcile(ctx);
    expect(again.issues.filter((i) => i.paymentId === paymentId)).toEqual([]);
    expect(await paymentJournals(ctx, orderId)).toBe(1);
    await expectLedgerSound(ctx);
  });

  it('reports a payment captured here that the provider does not show as paid, and amount mismatches', async () => {
    const ctx = get();
    const one = await cardOrder(ctx);
    await paySandbox(ctx, one.paymentId);
    await ctx.db.query(`UPDATE sandbox_payments SET status = 'failed' WHERE payment_id = $1`, [one.paymentId]);
    const two = await cardOrder(ctx);
    await paySandbox(ctx, two.paymentId);
    await ctx.db.query('UPDATE sandbox_payments SET amount_minor = 499 WHERE payment_id = $1', [two.paymentId]);
    const report = await reconcile(ctx);
    expect(report.issues).toContainEqual(expect.objectContaining({ kind: 'captured_here_not_at_provider', paymentId: one.paymentId }));
    expect(report.issues).toContainEqual(expect.objectContaining({ kind: 'amount_mismatch', paymentId: two.paymentId }));
    expect(report.issues.filter((i) => i.kind === 'ledger')).toEqual([]);
    const list = await ctx.get('/api/v1/admin/reconciliation?limit=1', { token: await ctx.adminToken() });
    expect(list.status).toBe(200);
    expect(list.json.items[0].id).toBe(report.id);
    expect((await ctx.get('/api/v1/admin/reconciliation', { token: one.b.token })).status).toBe(403);
  });

  it('walks every payment of the window in batches, not only the newest ones', async () => {
    const ctx = get();
    const template = await cardOrder(ctx);
    await paySandbox(ctx, template.paymentId);
    // More payments than one batch, each captured here but unknown to the sandbox's books.
    const copies = RECONCILIATION_BATCH_SIZE + 50;
    const now = ctx.app.deps.clock.now();
    await ctx.db.query(
      `INSERT INTO orders (id, user_id, line_id, kind, status, plan, subtotal_minor, discount_minor, total_minor, currency, payment_method, expires_at, created_at, updated_at, paid_at)
       SELECT 'ord_bulk' || g, o.user_id, o.line_id, o.kind, 'paid', o.plan, o.subtotal_minor, o.discount_minor, o.total_minor, o.currency, o.payment_method, o.expires_at, $2, $2, $2
         FROM orders o, generate_series(1, $3::int) g WHERE o.id = $1`,
      [template.orderId, now, copies],
    );
    await ctx.db.query(
      `INSERT INTO payments (id, order_id, provider, status, amount_minor, currency, captured_at, created_at, updated_at)
       SELECT 'pay_bulk' || g, 'ord_bulk' || g, 'sandbox', 'succeeded', 500, 'USD', $1, $1, $1 FROM generate_series(1, $2::int) g`,
      [now, copies],
    );
    const report = await reconcile(ctx);
    const bulk = report.issues.filter((i) => i.paymentId?.startsWith('pay_bulk'));
    expect(bulk).toHaveLength(copies);
    expect(new Set(bulk.map((i) => i.kind))).toEqual(new Set(['captured_here_not_at_provider']));
    expect(report.checked).toBeGreaterThan(copies);
  });
});

// A fake Stripe API on 127.0.0.1 holding its own books: Checkout Sessions created through the real
// adapter, then marked paid / refunded / unreachable by the tests, and read back by reconciliation
// through the adapter's lookupPayment.
interface FakeSession { id: string; paymentId: string; amount: number; currency: string; paid: boolean; expired: boolean; refunded: number }
const stripeBooks = new Map<string, FakeSession>();
const stripeState = { down: false, lookups: 0 };
let stripeApi: Server;
let stripeUrl = '';

function sessionJson(s: FakeSession): Record<string, unknown> {
  return {
    id: s.id, object: 'checkout.session', client_reference_id: s.paymentId, amount_total: s.amount, currency: s.currency,
    status: s.paid ? 'complete' : s.expired ? 'expired' : 'open', payment_status: s.paid ? 'paid' : 'unpaid', url: `https://checkout.stripe.test/${s.id}`,
    payment_intent: s.paid
      ? { id: `pi_${s.id.slice(3)}`, object: 'payment_intent', status: 'succeeded', amount_received: s.amount, currency: s.currency,
          latest_charge: { id: `ch_${s.id.slice(3)}`, object: 'charge', amount_refunded: s.refunded, currency: s.currency } }
      : null,
  };
}

beforeAll(async () => {
  stripeApi = createServer((req, res) => {
    let data = '';
    req.on('data', (c: Buffer) => (data += c.toString('utf8')));
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      const path = (req.url ?? '').split('?')[0] ?? '';
      if (req.method === 'POST' && path === '/v1/checkout/sessions') {
        const form = new URLSearchParams(data);
        const paymentId = form.get('client_reference_id') ?? '';
        const s: FakeSession = {
          id: `cs_test_${paymentId.slice(4)}`, paymentId, amount: Number(form.get('line_items[0][price_data][unit_amount]')),
          currency: form.get('line_items[0][price_data][currency]') ?? 'usd', paid: false, expired: false, refunded: 0,
        };
        stripeBooks.set(s.id, s);
        return res.end(JSON.stringify(sessionJson(s)));
      }
      const found = /^\/v1\/checkout\/sessions\/([^/]+)$/.exec(path);
      if (req.method === 'GET' && found?.[1]) {
        stripeState.lookups++;
        if (stripeState.down) {
          res.statusCode = 503;
          return res.end(JSON.stringify({ error: { type: 'api_error', message: 'unavailable' } }));
        }
        const s = stripeBooks.get(found[1]);
        if (!s) {
          res.statusCode = 404;
          return res.end(JSON.stringify({ error: { type: 'invalid_request_error', code: 'resource_missing', message: 'No such checkout.session' } }));
        }
        return res.end(JSON.stringify(sessionJson(s)));
      }
      res.statusCode = 404;
      res.end(JSON.stringify({ error: { type: 'invalid_request_error', code: 'resource_missing', message: 'unknown route' } }));
    });
  });
  stripeUrl = await listenOnLoopback(stripeApi);
});
afterAll(() => closeServer(stripeApi));

const STRIPE_WEBHOOK_SECRET = 'whsec_test_reconciliation';

forEachDatabase('daily reconciliation across providers', (get) => {
  const useFakeStripe = (ctx: TestContext) =>
    ctx.providers.override('stripe', new StripeProvider({ secretKey: 'sk_test_local', webhookSecret: STRIPE_WEBHOOK_SECRET, apiBaseUrl: stripeUrl, timeoutMs: 3_000 }));

  async function stripeOrder(ctx: TestContext) {
    useFakeStripe(ctx);
    const o = await cardOrder(ctx);
    const session = [...stripeBooks.values()].find((s) => s.paymentId === o.paymentId);
    if (!session) throw new Error('no fake session');
    return { ...o, session };
  }

  async function stripeWebhookPaid(ctx: TestContext, s: FakeSession): Promise<void> {
    const payload = JSON.stringify({ id: `evt_${randomUUID().replace(/-/g, '')}`, object: 'event', type: 'checkout.session.completed', data: { object: sessionJson(s) } });
    const header = Stripe.webhooks.generateTestHeaderString({ payload, secret: STRIPE_WEBHOOK_SECRET });
    const r = await ctx.call('POST', '/api/v1/webhooks/stripe', { raw: payload, headers: { 'content-type': 'application/json', 'stripe-signature': header } });
    expect(r.status, r.text).toBe(200);
    await ctx.drain();
  }

  const about = (report: Awaited<ReturnType<typeof reconcile>>, paymentId: string) => report.issues.filter((i) => i.paymentId === paymentId).map((i) => i.kind);

  it('repairs a Stripe payment captured at Stripe whose webhook never came, once', async () => {
    const ctx = get();
    const o = await stripeOrder(ctx);
    o.session.paid = true;
    const report = await reconcile(ctx);
    expect(about(report, o.paymentId)).toEqual(['repaired_missing_capture']);
    await ctx.drain();
    expect((await ctx.get(`/api/v1/orders/${o.orderId}`, { token: o.b.token })).json.status).toBe('completed');
    expect(about(await reconcile(ctx), o.paymentId)).toEqual([]);
    expect(await paymentJournals(ctx, o.orderId)).toBe(1);
    await expectLedgerSound(ctx);
  });

  it('reports a Stripe payment captured here that Stripe shows unpaid, and refunds Stripe made that simkeep does not know', async () => {
    const ctx = get();
    const notPaid = await stripeOrder(ctx);
    await stripeWebhookPaid(ctx, { ...notPaid.session, paid: true });
    notPaid.session.expired = true;
    const refundedThere = await stripeOrder(ctx);
    refundedThere.session.paid = true;
    await stripeWebhookPaid(ctx, refundedThere.session);
    refundedThere.session.refunded = 200;
    const report = await reconcile(ctx);
    expect(about(report, notPaid.paymentId)).toEqual(['captured_here_not_at_provider']);
    expect(about(report, refundedThere.paymentId)).toEqual(['refunded_mismatch']);
    expect(report.issues.find((i) => i.paymentId === refundedThere.paymentId)?.detail).toContain('provider refunded 200 USD, here 0 USD');
  });

  it('reports payments of an unreachable provider as provider_unreachable, stops calling it after a few, and still checks the others', async () => {
    const ctx = get();
    for (let i = 0; i < 4; i++) await stripeOrder(ctx);
    const sandbox = await order(ctx, await buyer(ctx), { planId: (await plainPlan(ctx, 500)).id, paymentMethod: 'paypal' });
    expect(sandbox.json.payment.provider).toBe('sandbox');
    stripeState.down = true;
    stripeState.lookups = 0;
    try {
      const report = await reconcile(ctx);
      const stripeIds = (await ctx.db.query<{ id: string }>("SELECT id FROM payments WHERE provider = 'stripe'")).rows.map((r) => r.id);
      expect(stripeIds.length).toBeGreaterThanOrEqual(4);
      for (const id of stripeIds) expect(about(report, id)).toEqual(['provider_unreachable']);
      expect(stripeState.lookups).toBe(RECONCILIATION_UNREACHABLE_STREAK_MAX);
      // The sandbox's payments were still compared.
      expect(report.checked).toBeGreaterThanOrEqual(1);
    } finally {
      stripeState.down = false;
    }
  });

  it('surfaces amount mismatches the webhook intake recorded', async () => {
    const ctx = get();
    const b = await buyer(ctx);
    const created = await order(ctx, b, { planId: (await plainPlan(ctx, 500)).id, paymentMethod: 'paypal' });
    const paymentId: string = created.json.payment.id;
    const body = JSON.stringify({ id: `evt_${randomUUID()}`, type: 'payment.succeeded', paymentId, amount: { amount: 1, currency: 'USD' }, createdAt: new Date().toISOString() });
    const r = await ctx.call('POST', '/api/v1/webhooks/sandbox', {
      raw: body, headers: { 'content-type': 'application/json', 'simkeep-sandbox-signature': signSandboxPayload(sandboxWebhookKey(ctx.app.deps.secretKey), body, new Date()) },
    });
    expect(r.status).toBe(200);
    expect(about(await reconcile(ctx), paymentId)).toContain('amount_mismatch_event');
  });

  it('reports a provider refund still pending after 24 hours', async () => {
    const ctx = get();
    const registry = ctx.providers;
    const sandbox = registry.byName('sandbox') as PaymentProvider;
    registry.override('sandbox', withReplaced(sandbox, { refund: async (i) => ({ providerRefundRef: `sbx_re_${i.refundId}`, status: 'pending' }) }));
    try {
      const b = await buyer(ctx);
      const created = await order(ctx, b, { planId: (await plainPlan(ctx, 500)).id, paymentMethod: 'paypal' });
      await paySandbox(ctx, created.json.payment.id);
      const refund = await ctx.post(`/api/v1/admin/orders/${created.json.id}/refund`, { reason: 'customer asked' }, { token: await ctx.adminToken(), headers: { 'idempotency-key': randomUUID() } });
      expect(refund.json.status, refund.text).toBe('pending');
      expect((await reconcile(ctx)).issues.filter((i) => i.refundId === refund.json.id)).toEqual([]);
      await ctx.advance(25 * 3600);
      const report = await reconcile(ctx);
      expect(report.issues).toContainEqual(expect.objectContaining({ kind: 'refund_pending_too_long', refundId: refund.json.id, paymentId: created.json.payment.id }));
    } finally {
      registry.override('sandbox', sandbox);
    }
  });

  it('compares only the payments of the last days', async () => {
    const ctx = get();
    const o = await stripeOrder(ctx);
    await stripeWebhookPaid(ctx, { ...o.session, paid: true });
    o.session.expired = true;
    expect(about(await reconcile(ctx), o.paymentId)).toEqual(['captured_here_not_at_provider']);
    await ctx.advance((RECONCILIATION_WINDOW_DAYS + 1) * 86_400);
    expect(about(await reconcile(ctx), o.paymentId)).toEqual([]);
  });
}, { STRIPE_SECRET_KEY: 'sk_test_local', STRIPE_WEBHOOK_SECRET });
