import { randomUUID } from 'node:crypto';
import { expect, it } from 'vitest';
import { SYSTEM_ACTOR } from '../../src/modules/audit/service.ts';
import { postJournal, systemAccount, verifyLedger, walletAccount } from '../../src/modules/ledger/service.ts';
import { forEachDatabase, type TestContext } from '../support/harness.ts';
import { buyer, expectLedgerSound, order, paySandbox, plainPlan, walletOf, type Buyer } from '../support/orders-fixtures.ts';

async function paidCardOrder(ctx: TestContext, priceMinor = 500): Promise<{ b: Buyer; orderId: string; paymentId: string }> {
  const b = await buyer(ctx);
  const plan = await plainPlan(ctx, priceMinor);
  const created = await order(ctx, b, { planId: plan.id, paymentMethod: 'card' });
  await paySandbox(ctx, created.json.payment.id);
  return { b, orderId: created.json.id, paymentId: created.json.payment.id };
}

async function refund(ctx: TestContext, orderId: string, body: Record<string, unknown>, key: string = randomUUID()) {
  return ctx.post(`/api/v1/admin/orders/${orderId}/refund`, body, { token: await ctx.adminToken(), headers: { 'idempotency-key': key } });
}

async function clearing(ctx: TestContext): Promise<number> {
  const { rows } = await ctx.db.query<{ b: number }>("SELECT balance_minor AS b FROM ledger_accounts WHERE code = 'clearing:sandbox:USD'");
  return rows[0]?.b ?? 0;
}

forEachDatabase('refunding an order', (get) => {
  it('refunds part, then the rest, to the provider; the order becomes refunded; never more than captured', async () => {
    const ctx = get();
    const { b, orderId, paymentId } = await paidCardOrder(ctx, 500);
    const clearingBefore = await clearing(ctx);
    const part = await refund(ctx, orderId, { amount: { amount: 200, currency: 'USD' }, reason: 'goodwill' });
    expect(part.status, part.text).toBe(201);
    expect(part.json).toMatchObject({ orderId, paymentId, amount: { amount: 200, currency: 'USD' }, destination: 'provider', status: 'succeeded' });
    let view = await ctx.get(`/api/v1/orders/${orderId}`, { token: b.token });
    expect([view.json.status, view.json.payment.status]).toEqual(['completed', 'partially_refunded']);
    expect(await clearing(ctx)).toBe(clearingBefore + 200);

    const over = await refund(ctx, orderId, { amount: { amount: 301, currency: 'USD' }, reason: 'too much' });
    expect([over.status, over.json.code]).toEqual([422, 'refund_exceeds_captured']);
    const rest = await refund(ctx, orderId, { reason: 'the rest' });
    expect(rest.json.amount.amount).toBe(300);
    view = await ctx.get(`/api/v1/orders/${orderId}`, { token: b.token });
    expect([view.json.status, view.json.payment.status]).toEqual(['refunded', 'refunded']);
    expect((await refund(ctx, orderId, { amount: { amount: 1, currency: 'USD' }, reason: 'again' })).status).toBe(422);
    const sbx = await ctx.db.query<{ r: number }>('SELECT refunded_minor AS r FROM sandbox_payments WHERE payment_id = $1', [paymentId]);
    expect(sbx.rows[0]?.r).toBe(500);
    const audit = await ctx.db.query("SELECT 1 FROM audit_log WHERE action = 'refund.create' AND target_id = $1", [orderId]);
    expect(audit.rowCount).toBe(2);
    await expectLedgerSound(ctx);
  });

  it('is idempotent per Idempotency-Key', async () => {
    const ctx = get();
    const { orderId } = await paidCardOrder(ctx, 500);
    const key = randomUUID();
    const first = await refund(ctx, orderId, { amount: { amount: 100, currency: 'USD' }, reason: 'dup' }, key);
    const again = await refund(ctx, orderId, { amount: { amount: 100, currency: 'USD' }, reason: 'dup' }, key);
    expect(again.json.id).toBe(first.json.id);
    const { rows } = await ctx.db.query<{ n: number }>('SELECT count(*)::int AS n FROM refunds WHERE order_id = $1', [orderId]);
    expect(rows[0]?.n).toBe(1);
  });

  it('refunds to the wallet when asked, and wallet-paid orders only to the wallet', async () => {
    const ctx = get();
    const { b, orderId } = await paidCardOrder(ctx, 500);
    const toWallet = await refund(ctx, orderId, { reason: 'as credit', destination: 'wallet' });
    expect(toWallet.json).toMatchObject({ destination: 'wallet', status: 'succeeded', amount: { amount: 500 } });
    expect(await walletOf(ctx, b)).toBe(500);
    const plan = await plainPlan(ctx, 300);
    const paid = await order(ctx, b, { planId: plan.id, paymentMethod: 'wallet' });
    const wrong = await refund(ctx, paid.json.id, { reason: 'x', destination: 'provider' });
    expect([wrong.status, wrong.json.code]).toEqual([422, 'refund_destination_invalid']);
    expect((await refund(ctx, paid.json.id, { reason: 'x' })).status).toBe(201);
    expect(await walletOf(ctx, b)).toBe(500);
    await expectLedgerSound(ctx);
  });

  it('refuses unpaid orders, customers and unknown orders', async () => {
    const ctx = get();
    const b = await buyer(ctx);
    const plan = await plainPlan(ctx, 500);
    const pending = await order(ctx, b, { planId: plan.id, paymentMethod: 'card' });
    const r = await refund(ctx, pending.json.id, { reason: 'x' });
    expect([r.status, r.json.code]).toEqual([409, 'order_not_refundable']);
    const asCustomer = await ctx.post(`/api/v1/admin/orders/${pending.json.id}/refund`, { reason: 'x' }, { token: b.token });
    expect(asCustomer.status).toBe(403);
    expect((await refund(ctx, 'ord_nope', { reason: 'x' })).status).toBe(404);
    const list = await ctx.get('/api/v1/admin/orders?status=awaiting_payment&limit=5', { token: await ctx.adminToken() });
    expect(list.status).toBe(200);
    expect(list.json.items.some((o: { id: string }) => o.id === pending.json.id)).toBe(true);
  });
});

forEachDatabase('when provisioning finally fails', (get) => {
  async function runOutRetries(ctx: TestContext): Promise<void> {
    for (let i = 0; i < 10; i++) await ctx.advance(70);
  }

  it('refunds a card order to the provider and tells the order page: failed, then refunded', async () => {
    const ctx = get();
    const { b, orderId, paymentId } = await paidCardOrder(ctx, 500);
    expect((await ctx.get(`/api/v1/orders/${orderId}`, { token: b.token })).json.status).toBe('provisioning');
    await runOutRetries(ctx);
    const view = await ctx.get(`/api/v1/orders/${orderId}`, { token: b.token });
    expect([view.json.status, view.json.payment.status]).toEqual(['refunded', 'refunded']);
    const steps = view.json.events.map((e: { status: string }) => e.status);
    expect(steps).toEqual(['awaiting_payment', 'paid', 'provisioning', 'failed', 'refunded']);
    const sbx = await ctx.db.query<{ r: number }>('SELECT refunded_minor AS r FROM sandbox_payments WHERE payment_id = $1', [paymentId]);
    expect(sbx.rows[0]?.r).toBe(500);
    const line = await ctx.get(`/api/v1/lines/${b.lineId}`, { token: b.token });
    expect(line.json.status).toBe('bound');
    await expectLedgerSound(ctx);
  });

  it('gives a voucher-paid order back to the wallet, and a card top-up back to the card', async () => {
    const ctx = get();
    const b = await buyer(ctx);
    const issued = await ctx.post('/api/v1/admin/vouchers', { count: 1, amount: { amount: 400, currency: 'USD' } }, { token: await ctx.adminToken() });
    const plan = await plainPlan(ctx, 400);
    const paid = await order(ctx, b, { planId: plan.id, paymentMethod: 'voucher', voucherCode: issued.json.items[0].code });
    expect(paid.status, paid.text).toBe(201);
    await runOutRetries(ctx);
    expect((await ctx.get(`/api/v1/orders/${paid.json.id}`, { token: b.token })).json.status).toBe('refunded');
    expect(await walletOf(ctx, b)).toBe(400);
    // A card top-up whose recharge cannot be provisioned goes back to the card, out of the wallet.
    const t = await order(ctx, b, { topupAmount: { amount: 100, currency: 'USD' }, paymentMethod: 'card' });
    await paySandbox(ctx, t.json.payment.id);
    expect(await walletOf(ctx, b)).toBe(500);
    await runOutRetries(ctx);
    expect((await ctx.get(`/api/v1/orders/${t.json.id}`, { token: b.token })).json.status).toBe('refunded');
    expect(await walletOf(ctx, b)).toBe(400);
    await expectLedgerSound(ctx);
  });

  it('leaves a failed top-up whose money was already spent from the wallet failed, never overdrawn, and keeps compensating others', async () => {
    const ctx = get();
    const b = await buyer(ctx);
    const t = await order(ctx, b, { topupAmount: { amount: 100, currency: 'USD' }, paymentMethod: 'card' });
    await paySandbox(ctx, t.json.payment.id);
    // The subscriber spends the top-up before the carrier gives up on it.
    await ctx.db.transaction((tx) => postJournal(tx, {
      idempotencyKey: `test:spend:${t.json.id}`, kind: 'usage_charge', cause: { type: 'usage', id: `usage_${t.json.id}` }, postedAt: new Date(),
      lines: [{ account: walletAccount(b.userId, 'USD'), amountMinor: -100 }, { account: systemAccount('usage_revenue', 'USD'), amountMinor: 100 }],
    }, SYSTEM_ACTOR));
    const other = await paidCardOrder(ctx, 300);
    await runOutRetries(ctx);
    expect((await ctx.get(`/api/v1/orders/${t.json.id}`, { token: b.token })).json.status).toBe('failed');
    expect(await walletOf(ctx, b)).toBe(0);
    expect((await ctx.get(`/api/v1/orders/${other.orderId}`, { token: other.b.token })).json.status).toBe('refunded');
    expect(await verifyLedger(ctx.db)).toEqual([]);
  });
}, { SIMKEEP_SIM_CARRIER_FAILURE_RATE: '1', SIMKEEP_SIM_CARRIER_LATENCY_MS: '0' });
