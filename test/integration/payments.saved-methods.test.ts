// Charging a saved payment method on the sandbox provider (the path auto-renewal will take): the
// sandbox recognises only refs it issued, charges on its own books and settles the order through
// its signed webhooks, exactly like a payment made on its page.
import { expect, it } from 'vitest';
import { ProviderRejectedError, type ChargeSavedMethodInput } from '../../src/adapters/payments/types.ts';
import type { SandboxProvider } from '../../src/modules/payments/sandbox-provider.ts';
import { forEachDatabase, type TestContext } from '../support/harness.ts';
import { buyer, expectLedgerSound, order, paymentJournals, plainPlan } from '../support/orders-fixtures.ts';

async function awaitingOrder(ctx: TestContext) {
  const b = await buyer(ctx);
  const plan = await plainPlan(ctx, 500);
  const created = await order(ctx, b, { planId: plan.id, paymentMethod: 'card' });
  expect(created.status, created.text).toBe(201);
  const input = (savedMethodRef: string): ChargeSavedMethodInput => ({
    paymentId: created.json.payment.id, orderId: created.json.id, amount: { amountMinor: 500, currency: 'USD' }, description: 'renewal', savedMethodRef,
  });
  return { b, orderId: created.json.id as string, paymentId: created.json.payment.id as string, input };
}

const sandboxOf = (ctx: TestContext) => ctx.providers.byName('sandbox') as SandboxProvider;

forEachDatabase('saved payment methods (sandbox provider)', (get) => {
  it('charges a saved method it issued and settles the order through its webhooks, once', async () => {
    const ctx = get();
    const sandbox = sandboxOf(ctx);
    expect(sandbox.supportsSavedMethods).toBe(true);
    const o = await awaitingOrder(ctx);
    const ref = sandbox.issueSavedMethod('succeeds');
    const charge = await sandbox.chargeSavedMethod(o.input(ref));
    expect(charge).toEqual({ providerRef: `sbx_${o.paymentId.slice(4)}`, status: 'succeeded' });
    // A retried charge (same payment) charges nothing more.
    expect(await sandbox.chargeSavedMethod(o.input(ref))).toMatchObject({ status: 'succeeded' });
    await ctx.drain();
    const r = await ctx.get(`/api/v1/orders/${o.orderId}`, { token: o.b.token });
    expect(r.json.status).toBe('completed');
    expect(await paymentJournals(ctx, o.orderId)).toBe(1);
    const deliveries = await ctx.db.query("SELECT 1 FROM jobs WHERE queue = 'sandbox_webhook' AND payload->'event'->>'paymentId' = $1", [o.paymentId]);
    expect(deliveries.rowCount).toBe(2);
    await expect(sandbox.lookupPayment({ paymentId: o.paymentId, providerRef: charge.providerRef, currency: 'USD' })).resolves.toEqual({
      status: 'succeeded', captured: { amountMinor: 500, currency: 'USD' }, refunded: { amountMinor: 0, currency: 'USD' },
    });
    await expectLedgerSound(ctx);
  });

  it('declines with a declining method (the order fails through the webhook) and asks for action with a 3-D Secure one', async () => {
    const ctx = get();
    const sandbox = sandboxOf(ctx);
    const declined = await awaitingOrder(ctx);
    expect(await sandbox.chargeSavedMethod(declined.input(sandbox.issueSavedMethod('declines')))).toMatchObject({ status: 'declined' });
    await ctx.drain();
    expect((await ctx.get(`/api/v1/orders/${declined.orderId}`, { token: declined.b.token })).json.status).toBe('failed');

    const action = await awaitingOrder(ctx);
    const charge = await sandbox.chargeSavedMethod(action.input(sandbox.issueSavedMethod('requires_action')));
    expect(charge.status).toBe('requires_action');
    expect(charge.action?.url).toMatch(new RegExp(`/sandbox/pay/${action.paymentId}$`));
    await ctx.drain();
    expect((await ctx.get(`/api/v1/orders/${action.orderId}`, { token: action.b.token })).json.status).toBe('awaiting_payment');
  });

  it('refuses a saved-method ref it did not issue and charges nothing', async () => {
    const ctx = get();
    const sandbox = sandboxOf(ctx);
    const o = await awaitingOrder(ctx);
    const genuine = sandbox.issueSavedMethod('succeeds');
    const forged = genuine.replace(/_[0-9a-f]{32}$/, `_${'0'.repeat(32)}`);
    for (const ref of [forged, genuine.replace('succeeds', 'declines'), 'pm_card_visa', '']) {
      const attempt = sandbox.chargeSavedMethod(o.input(ref));
      await expect(attempt, ref).rejects.toThrow(ProviderRejectedError);
      await expect(attempt, ref).rejects.toMatchObject({ providerCode: 'invalid_saved_method' });
    }
    const { rows } = await ctx.db.query<{ status: string }>('SELECT status FROM sandbox_payments WHERE payment_id = $1', [o.paymentId]);
    expect(rows.map((r) => r.status)).toEqual(['pending']);
  });
});
