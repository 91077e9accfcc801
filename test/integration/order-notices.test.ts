// Order and refund notices: order_completed, order_failed (a declined payment; a provisioning that
// finally failed) and refund_issued, each once per order or refund, in the subscriber's list.
import { randomUUID } from 'node:crypto';
import { expect, it } from 'vitest';
import { forEachDatabase, type TestContext } from '../support/harness.ts';
import { buyer, order, paySandbox, plainPlan, type Buyer } from '../support/orders-fixtures.ts';

async function noticesOf(ctx: TestContext, b: Buyer): Promise<Array<{ kind: string; orderId?: string | null }>> {
  const r = await ctx.get('/api/v1/notifications', { token: b.token });
  expect(r.status, r.text).toBe(200);
  return (r.json.items as Array<{ kind: string; orderId?: string | null }>).reverse();
}

forEachDatabase('order and refund notices', (get) => {
  it('a paid order completes with one order_completed; a declined payment fails its order with one order_failed', async () => {
    const ctx = get();
    const b = await buyer(ctx);
    const plan = await plainPlan(ctx, 500);
    const paid = await order(ctx, b, { planId: plan.id, paymentMethod: 'card' });
    await paySandbox(ctx, paid.json.payment.id);
    await paySandbox(ctx, paid.json.payment.id); // completing again is a no-op
    const declined = await order(ctx, b, { planId: plan.id, paymentMethod: 'card' });
    await paySandbox(ctx, declined.json.payment.id, 'failed');
    const notices = (await noticesOf(ctx, b)).filter((n) => n.kind.startsWith('order_'));
    expect(notices.map((n) => [n.kind, n.orderId])).toEqual([['order_completed', paid.json.id], ['order_failed', declined.json.id]]);
  });

  it('an operator refund tells the subscriber once; a failed provisioning tells order_failed, then refund_issued', async () => {
    const ctx = get();
    const b = await buyer(ctx);
    const plan = await plainPlan(ctx, 500);
    const paid = await order(ctx, b, { planId: plan.id, paymentMethod: 'card' });
    await paySandbox(ctx, paid.json.payment.id);
    const key = randomUUID();
    const admin = await ctx.adminToken();
    for (let i = 0; i < 2; i++) {
      const r = await ctx.post(`/api/v1/admin/orders/${paid.json.id}/refund`, { reason: 'goodwill' }, { token: admin, headers: { 'idempotency-key': key } });
      expect(r.status, r.text).toBeLessThan(300);
    }
    await ctx.drain();
    expect((await noticesOf(ctx, b)).filter((n) => n.kind === 'refund_issued').map((n) => n.orderId)).toEqual([paid.json.id]);

    ctx.carrier.use({ name: 'down', provision: async () => { throw new Error('carrier down'); } });
    try {
      const doomed = await order(ctx, b, { planId: plan.id, paymentMethod: 'card' });
      await paySandbox(ctx, doomed.json.payment.id);
      for (let i = 0; i < 10; i++) await ctx.advance(70);
      const kinds = (await noticesOf(ctx, b)).filter((n) => n.orderId === doomed.json.id).map((n) => n.kind);
      expect(kinds).toEqual(['order_failed', 'refund_issued']);
    } finally {
      ctx.carrier.use(null);
    }
  });
});
