// Races between requests and provider notifications on the same order: whatever wins, each guard
// lets exactly one effect through, no request gets a 5xx, and no money is created or lost.
import { randomUUID } from 'node:crypto';
import { expect, it } from 'vitest';
import { signSandboxPayload } from '../../src/adapters/payments/sandbox-signature.ts';
import { money } from '../../src/domain/money.ts';
import { SYSTEM_ACTOR } from '../../src/modules/audit/service.ts';
import { refundOrder } from '../../src/modules/orders/refunds.ts';
import { sandboxWebhookKey } from '../../src/modules/payments/sandbox-provider.ts';
import { forEachDatabase, type TestContext } from '../support/harness.ts';
import { buyer, expectLedgerSound, order, paySandbox, plainPlan, walletOf } from '../support/orders-fixtures.ts';

const RACES = 8;
const PRICE_MINOR = 300;

async function succeeded(ctx: TestContext, paymentId: string): Promise<number> {
  const body = JSON.stringify({ id: `evt_${randomUUID().replace(/-/g, '')}`, type: 'payment.succeeded', paymentId, amount: { amount: PRICE_MINOR, currency: 'USD' }, createdAt: new Date().toISOString() });
  const r = await ctx.call('POST', '/api/v1/webhooks/sandbox', {
    raw: body, headers: { 'content-type': 'application/json', 'simkeep-sandbox-signature': signSandboxPayload(sandboxWebhookKey(ctx.app.deps.secretKey), body, new Date()) },
  });
  return r.status;
}

forEachDatabase('racing requests on one order', (get) => {
  it('a cancel racing the payment\'s webhook: either the order is paid, or it is cancelled and the money lands in the wallet', async () => {
    const ctx = get();
    const b = await buyer(ctx);
    const plan = await plainPlan(ctx, PRICE_MINOR);
    const placed = [];
    for (let i = 0; i < RACES; i++) placed.push((await order(ctx, b, { planId: plan.id, paymentMethod: 'card' })).json);
    const answers = await Promise.all(placed.map(async (o) => {
      const [cancel, hook] = await Promise.all([ctx.post(`/api/v1/orders/${o.id}/cancel`, undefined, { token: b.token }), succeeded(ctx, o.payment.id)]);
      return { cancel: cancel.status, hook };
    }));
    for (const a of answers) {
      expect([200, 409]).toContain(a.cancel);
      expect(a.hook).toBe(200);
    }
    await ctx.drain();
    let cancelledMinor = 0;
    for (const o of placed) {
      const view = (await ctx.get(`/api/v1/orders/${o.id}`, { token: b.token })).json;
      // Cancelled first: the capture that followed went to the wallet. Paid first: the cancel was refused.
      const expected = view.status === 'cancelled' ? ['cancelled', 'refunded'] : ['completed', 'succeeded'];
      expect([view.status, view.payment.status]).toEqual(expected);
      if (view.status === 'cancelled') cancelledMinor += PRICE_MINOR;
    }
    expect(await walletOf(ctx, b)).toBe(cancelledMinor);
    await expectLedgerSound(ctx);
  });

  it('two full refunds with different keys at once: exactly one goes through, the other is refused', async () => {
    const ctx = get();
    const b = await buyer(ctx);
    const plan = await plainPlan(ctx, PRICE_MINOR);
    const created = await order(ctx, b, { planId: plan.id, paymentMethod: 'card' });
    await paySandbox(ctx, created.json.payment.id);
    const admin = await ctx.adminToken();
    const refund = (destination: string) => ctx.post(`/api/v1/admin/orders/${created.json.id}/refund`, { reason: 'race', destination }, { token: admin, headers: { 'idempotency-key': randomUUID() } });
    const answers = await Promise.all([refund('provider'), refund('wallet'), refund('provider'), refund('wallet')]);
    expect(answers.map((a) => a.status).sort()).toEqual([201, 422, 422, 422]);
    expect(answers.filter((a) => a.status === 422).every((a) => a.json.code === 'refund_exceeds_captured')).toBe(true);
    const { rows } = await ctx.db.query<{ n: number; total: number }>(
      `SELECT count(*)::int AS n, sum(amount_minor)::int AS total FROM refunds WHERE order_id = $1 AND status <> 'failed'`, [created.json.id],
    );
    expect(rows[0]).toEqual({ n: 1, total: PRICE_MINOR });
    await expectLedgerSound(ctx);
  });

  it('the same refund cause twice at once (two compensations, or a key whose stored answer was lost): one refund, both answered', async () => {
    const ctx = get();
    const b = await buyer(ctx);
    const plan = await plainPlan(ctx, PRICE_MINOR);
    const created = await order(ctx, b, { planId: plan.id, paymentMethod: 'card' });
    await paySandbox(ctx, created.json.payment.id);
    const deps = { db: ctx.db, clock: ctx.app.deps.clock, providers: ctx.app.deps.payments };
    const input = { orderId: created.json.id, amount: money(100, 'USD'), reason: 'twice', idempotency: `key:${randomUUID()}`, actor: SYSTEM_ACTOR };
    const both = await Promise.all([refundOrder(deps, input), refundOrder(deps, input), refundOrder(deps, input)]);
    expect(new Set(both.map((r) => r.id)).size).toBe(1);
    const { rows } = await ctx.db.query<{ n: number }>('SELECT count(*)::int AS n FROM refunds WHERE order_id = $1', [created.json.id]);
    expect(rows[0]?.n).toBe(1);
    await expectLedgerSound(ctx);
  });
});
