import { expect, it } from 'vitest';
import { forEachDatabase, type TestContext } from '../support/harness.ts';
import { buyer, expectLedgerSound, order, paySandbox, paymentJournals, plainPlan } from '../support/orders-fixtures.ts';

async function reconcile(ctx: TestContext) {
  const r = await ctx.post('/api/v1/admin/reconciliation', undefined, { token: await ctx.adminToken() });
  expect(r.status, r.text).toBe(201);
  return r.json as { id: number; checked: number; repaired: number; issues: Array<{ kind: string; paymentId?: string; orderId?: string }> };
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
});
