import { randomUUID } from 'node:crypto';
import { expect, it } from 'vitest';
import {
  ProviderRejectedError, ProviderUnavailableError, type PaymentProvider, type RefundInput, type RefundResult,
} from '../../src/adapters/payments/types.ts';
import { SYSTEM_ACTOR } from '../../src/modules/audit/service.ts';
import { postJournal, systemAccount, verifyLedger, walletAccount } from '../../src/modules/ledger/service.ts';
import { REFUND_PROVIDER_ATTEMPTS_MAX, REFUND_RETRY_FIRST_DELAY_SECONDS } from '../../src/modules/orders/refunds.ts';
import { forEachDatabase, type TestContext } from '../support/harness.ts';
import { createPromotion, uniqueCoupon } from '../support/catalog-fixtures.ts';
import { buyer, expectLedgerSound, order, paySandbox, plainPlan, walletOf, type Buyer } from '../support/orders-fixtures.ts';
import { withReplaced } from '../support/provider-stand-ins.ts';

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
    await spendFromWallet(ctx, b.userId, t.json.id, 100);
    const other = await paidCardOrder(ctx, 300);
    await runOutRetries(ctx);
    expect((await ctx.get(`/api/v1/orders/${t.json.id}`, { token: b.token })).json.status).toBe('failed');
    expect(await walletOf(ctx, b)).toBe(0);
    expect((await ctx.get(`/api/v1/orders/${other.orderId}`, { token: other.b.token })).json.status).toBe('refunded');
    expect(await verifyLedger(ctx.db)).toEqual([]);
  });

  it('gives a once-per-subscriber coupon back when the order it was used on is refunded for a failed provisioning', async () => {
    const ctx = get();
    const b = await buyer(ctx);
    const plan = await plainPlan(ctx, 500);
    const code = uniqueCoupon('ONCE');
    await createPromotion(ctx, { kind: 'amount_off', value: 100, couponCode: code, planIds: [plan.id], perUserLimit: 1 });
    const first = await order(ctx, b, { planId: plan.id, paymentMethod: 'card', couponCode: code });
    expect([first.status, first.json.total.amount], first.text).toEqual([201, 400]);
    const meanwhile = await order(ctx, b, { planId: plan.id, paymentMethod: 'card', couponCode: code });
    expect([meanwhile.status, meanwhile.json.code]).toEqual([409, 'coupon_exhausted']);
    await paySandbox(ctx, first.json.payment.id);
    await runOutRetries(ctx);
    expect((await ctx.get(`/api/v1/orders/${first.json.id}`, { token: b.token })).json.status).toBe('refunded');
    const again = await order(ctx, b, { planId: plan.id, paymentMethod: 'card', couponCode: code });
    expect([again.status, again.json.total.amount], again.text).toEqual([201, 400]);
  });

  it('still refunds when the compensation crashes once after the last attempt (it is re-run, not left dead)', async () => {
    const ctx = get();
    const { b, orderId, paymentId } = await paidCardOrder(ctx, 500);
    // A one-shot failure inside the compensation's first transaction (a sequence survives the rollback).
    await ctx.db.exec(`
      CREATE SEQUENCE test_crash_${orderId};
      CREATE FUNCTION test_crash_${orderId}() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF nextval('test_crash_${orderId}') = 1 THEN RAISE EXCEPTION 'simulated crash in the compensation'; END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER test_crash_${orderId} BEFORE UPDATE ON orders FOR EACH ROW
        WHEN (NEW.id = '${orderId}' AND NEW.status = 'failed') EXECUTE FUNCTION test_crash_${orderId}();`);
    let fired = 0;
    try {
      await runOutRetries(ctx);
      fired = (await ctx.db.query<{ n: number }>(`SELECT last_value::int AS n FROM test_crash_${orderId}`)).rows[0]?.n ?? 0;
    } finally {
      await ctx.db.exec(`DROP TRIGGER test_crash_${orderId} ON orders; DROP FUNCTION test_crash_${orderId}(); DROP SEQUENCE test_crash_${orderId};`);
    }
    expect(fired).toBe(2); // crashed once, then went through
    expect((await ctx.get(`/api/v1/orders/${orderId}`, { token: b.token })).json.status).toBe('refunded');
    expect(await sandboxRefunded(ctx, paymentId)).toBe(500);
    const job = await ctx.db.query<{ status: string; attempts: number }>(`SELECT status, attempts FROM jobs WHERE dedupe_key = $1`, [`provision:${orderId}`]);
    expect(job.rows[0]).toEqual({ status: 'dead', attempts: 8 });
    await expectLedgerSound(ctx);
  });

  it('refunds to the wallet when the provider refuses the automatic refund', async () => {
    const ctx = get();
    const { b, orderId, paymentId } = await paidCardOrder(ctx, 500);
    const stub = withSandboxRefund(ctx, async () => {
      throw new ProviderRejectedError('card closed', 400, 'card_closed');
    });
    try {
      await runOutRetries(ctx);
    } finally {
      stub.restore();
    }
    expect((await ctx.get(`/api/v1/orders/${orderId}`, { token: b.token })).json.status).toBe('refunded');
    expect((await refundRow(ctx, orderId)).map((r) => r.status)).toEqual(['failed', 'succeeded']);
    expect(await walletOf(ctx, b)).toBe(500);
    expect(await sandboxRefunded(ctx, paymentId)).toBe(0);
    await expectLedgerSound(ctx);
  });

  it('refunds a failed top-up as far as it is still in the wallet', async () => {
    const ctx = get();
    const b = await buyer(ctx);
    const t = await order(ctx, b, { topupAmount: { amount: 100, currency: 'USD' }, paymentMethod: 'card' });
    await paySandbox(ctx, t.json.payment.id);
    await spendFromWallet(ctx, b.userId, t.json.id, 30);
    await runOutRetries(ctx);
    const view = await ctx.get(`/api/v1/orders/${t.json.id}`, { token: b.token });
    expect([view.json.status, view.json.payment.status, view.json.payment.refunded.amount]).toEqual(['failed', 'partially_refunded', 70]);
    expect(await walletOf(ctx, b)).toBe(0);
    expect(await sandboxRefunded(ctx, t.json.payment.id)).toBe(70);
    await expectLedgerSound(ctx);
  });
}, { SIMKEEP_SIM_CARRIER_FAILURE_RATE: '1', SIMKEEP_SIM_CARRIER_LATENCY_MS: '0' });

/** The sandbox, with its refund call replaced (its books stay the real sandbox's). */
function withSandboxRefund(ctx: TestContext, refund: (sandbox: PaymentProvider, input: RefundInput) => Promise<RefundResult>): { restore: () => void } {
  const registry = ctx.providers;
  const sandbox = registry.byName('sandbox') as PaymentProvider;
  registry.override('sandbox', withReplaced(sandbox, { refund: (i) => refund(sandbox, i) }));
  return { restore: () => registry.override('sandbox', sandbox) };
}

async function refundRow(ctx: TestContext, orderId: string): Promise<Array<{ id: string; status: string; amount_minor: number; detail: Record<string, number> }>> {
  const { rows } = await ctx.db.query<{ id: string; status: string; amount_minor: number; detail: Record<string, number> }>(
    'SELECT id, status, amount_minor, detail FROM refunds WHERE order_id = $1 ORDER BY created_at, id', [orderId],
  );
  return rows;
}

async function sandboxRefunded(ctx: TestContext, paymentId: string): Promise<number> {
  const { rows } = await ctx.db.query<{ r: number }>('SELECT refunded_minor AS r FROM sandbox_payments WHERE payment_id = $1', [paymentId]);
  return rows[0]?.r ?? -1;
}

/** Runs the refund jobs: the clock moves past the first retry delay (and the backoff after it). */
const afterRetryDelay = (ctx: TestContext): Promise<void> => ctx.advance(REFUND_RETRY_FIRST_DELAY_SECONDS + 5);

forEachDatabase('a provider refund whose answer is lost or refused', (get) => {
  it('keeps a refund the provider made but whose answer timed out pending (202), then confirms it once through its job', async () => {
    const ctx = get();
    const { b, orderId, paymentId } = await paidCardOrder(ctx, 500);
    const clearingBefore = await clearing(ctx);
    let calls = 0;
    const stub = withSandboxRefund(ctx, async (sandbox, input) => {
      calls++;
      const done = await sandbox.refund(input);
      if (calls === 1) throw new ProviderUnavailableError('sandbox timed out after refunding');
      return done;
    });
    try {
      const key = randomUUID();
      const body = { amount: { amount: 300, currency: 'USD' }, reason: 'timeout' };
      const first = await refund(ctx, orderId, body, key);
      expect([first.status, first.json.status], first.text).toEqual([202, 'pending']);
      // The same key answers the pending refund and calls no provider — also once the stored answer is gone.
      const again = await refund(ctx, orderId, body, key);
      expect([again.status, again.json.id, again.json.status]).toEqual([202, first.json.id, 'pending']);
      await ctx.db.query('DELETE FROM idempotency_keys WHERE key = $1', [key]);
      const afterCrash = await refund(ctx, orderId, body, key);
      expect([afterCrash.status, afterCrash.json.id, afterCrash.json.status]).toEqual([202, first.json.id, 'pending']);
      expect(calls).toBe(1);
      // The pending refund's reservation counts: a new key cannot refund the same money again.
      const twice = await refund(ctx, orderId, body, randomUUID());
      expect([twice.status, twice.json.code]).toEqual([422, 'refund_exceeds_captured']);
      expect(await sandboxRefunded(ctx, paymentId)).toBe(300);
      await afterRetryDelay(ctx);
      expect(calls).toBe(2);
    } finally {
      stub.restore();
    }
    expect((await refundRow(ctx, orderId)).map((r) => [r.status, r.amount_minor])).toEqual([['succeeded', 300]]);
    expect(await sandboxRefunded(ctx, paymentId)).toBe(300);
    const { rows } = await ctx.db.query<{ n: number }>('SELECT count(*)::int AS n FROM sandbox_refunds WHERE payment_id = $1', [paymentId]);
    expect(rows[0]?.n).toBe(1);
    expect(await clearing(ctx)).toBe(clearingBefore + 300);
    const view = await ctx.get(`/api/v1/orders/${orderId}`, { token: b.token });
    expect([view.json.payment.status, view.json.payment.refunded.amount]).toEqual(['partially_refunded', 300]);
    await expectLedgerSound(ctx);
  });

  it('reverses a refund the provider definitely refuses (422 refund_rejected), at once or in its job', async () => {
    const ctx = get();
    const { orderId, paymentId } = await paidCardOrder(ctx, 500);
    const clearingBefore = await clearing(ctx);
    let mode: 'reject' | 'down' = 'reject';
    const stub = withSandboxRefund(ctx, async () => {
      if (mode === 'reject') throw new ProviderRejectedError('charge already disputed', 400, 'charge_disputed');
      throw new ProviderUnavailableError('down');
    });
    try {
      const key = randomUUID();
      const refused = await refund(ctx, orderId, { reason: 'no' }, key);
      expect([refused.status, refused.json.code], refused.text).toEqual([422, 'refund_rejected']);
      // Its key keeps that answer, even once the stored response is gone (no second provider call either).
      await ctx.db.query('DELETE FROM idempotency_keys WHERE key = $1', [key]);
      mode = 'down';
      const again = await refund(ctx, orderId, { reason: 'no' }, key);
      expect([again.status, again.json.code], again.text).toEqual([422, 'refund_rejected']);
      const pending = await refund(ctx, orderId, { amount: { amount: 200, currency: 'USD' }, reason: 'later' });
      expect([pending.status, pending.json.status]).toEqual([202, 'pending']);
      mode = 'reject';
      await afterRetryDelay(ctx);
    } finally {
      stub.restore();
    }
    expect((await refundRow(ctx, orderId)).map((r) => r.status)).toEqual(['failed', 'failed']);
    const payment = await ctx.db.query<{ refunded_minor: number; status: string }>('SELECT refunded_minor, status FROM payments WHERE id = $1', [paymentId]);
    expect(payment.rows[0]).toEqual({ refunded_minor: 0, status: 'succeeded' });
    expect(await clearing(ctx)).toBe(clearingBefore);
    expect(await sandboxRefunded(ctx, paymentId)).toBe(0);
    const reversals = await ctx.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM ledger_journals j JOIN refunds r ON j.cause_id = r.id WHERE r.order_id = $1 AND j.kind = 'refund_reversal'`, [orderId],
    );
    expect(reversals.rows[0]?.n).toBe(2);
    // The money is refundable again, now that nothing of it moved.
    const ok = await refund(ctx, orderId, { reason: 'now it works' });
    expect([ok.status, ok.json.status, ok.json.amount.amount]).toEqual([201, 'succeeded', 500]);
    expect(await sandboxRefunded(ctx, paymentId)).toBe(500);
    await expectLedgerSound(ctx);
  });

  it('survives a crash between recording the refund and the provider\'s answer: the job re-drives it with the same id', async () => {
    const ctx = get();
    const { orderId, paymentId } = await paidCardOrder(ctx, 500);
    let calls = 0;
    const stub = withSandboxRefund(ctx, async (sandbox, input) => {
      calls++;
      if (calls === 1) {
        await sandbox.refund(input);
        throw new Error('process died before the answer was stored');
      }
      return sandbox.refund(input);
    });
    try {
      const r = await refund(ctx, orderId, { reason: 'crash' });
      expect([r.status, r.json.status], r.text).toEqual([202, 'pending']);
      await afterRetryDelay(ctx);
    } finally {
      stub.restore();
    }
    expect(calls).toBe(2);
    expect((await refundRow(ctx, orderId)).map((r) => r.status)).toEqual(['succeeded']);
    expect(await sandboxRefunded(ctx, paymentId)).toBe(500);
    await expectLedgerSound(ctx);
  });

  it('keeps retrying a provider that stays unreachable, with backoff, a bounded number of times — and never reverses it', async () => {
    const ctx = get();
    const { orderId, paymentId } = await paidCardOrder(ctx, 500);
    let calls = 0;
    const stub = withSandboxRefund(ctx, async () => {
      calls++;
      throw new ProviderUnavailableError('down for hours');
    });
    try {
      expect((await refund(ctx, orderId, { reason: 'outage' })).status).toBe(202);
      for (let i = 0; i < REFUND_PROVIDER_ATTEMPTS_MAX + 4; i++) await ctx.advance(3_700);
    } finally {
      stub.restore();
    }
    expect(calls).toBe(1 + REFUND_PROVIDER_ATTEMPTS_MAX);
    const job = await ctx.db.query<{ status: string; attempts: number }>(
      `SELECT status, attempts FROM jobs WHERE dedupe_key = 'refund:' || (SELECT id FROM refunds WHERE order_id = $1)`, [orderId],
    );
    expect(job.rows[0]).toEqual({ status: 'dead', attempts: REFUND_PROVIDER_ATTEMPTS_MAX });
    expect((await refundRow(ctx, orderId)).map((r) => r.status)).toEqual(['pending']);
    const payment = await ctx.db.query<{ refunded_minor: number }>('SELECT refunded_minor FROM payments WHERE id = $1', [paymentId]);
    expect(payment.rows[0]?.refunded_minor).toBe(500);
    await expectLedgerSound(ctx);
  });
});

forEachDatabase('what a refund takes back', (get) => {
  it('a full refund of a plan is money only: the line keeps its buckets and validity', async () => {
    const ctx = get();
    const { b, orderId } = await paidCardOrder(ctx, 500);
    const before = await ctx.get(`/api/v1/lines/${b.lineId}`, { token: b.token });
    expect(before.json.buckets.length).toBeGreaterThan(0);
    const r = await refund(ctx, orderId, { reason: 'goodwill' });
    expect([r.status, r.json.status]).toEqual([201, 'succeeded']);
    expect(r.json.bonusReversed).toBeUndefined();
    const after = await ctx.get(`/api/v1/lines/${b.lineId}`, { token: b.token });
    expect([after.json.status, after.json.expiresAt, after.json.buckets]).toEqual([before.json.status, before.json.expiresAt, before.json.buckets]);
    expect((await ctx.get(`/api/v1/orders/${orderId}`, { token: b.token })).json.status).toBe('refunded');
  });

  it('takes the first-recharge bonus of a refunded top-up back from the wallet, in proportion', async () => {
    const ctx = get();
    const b = await buyer(ctx);
    const t = await order(ctx, b, { planId: 'plan_demo_us_topup_10', paymentMethod: 'card' });
    expect(t.json.bonus.walletCredit.amount).toBe(200);
    await paySandbox(ctx, t.json.payment.id);
    expect(await walletOf(ctx, b)).toBe(1_200);
    const part = await refund(ctx, t.json.id, { amount: { amount: 250, currency: 'USD' }, reason: 'part' });
    expect([part.status, part.json.bonusReversed, part.json.bonusShortfall], part.text).toEqual([201, { amount: 50, currency: 'USD' }, undefined]);
    expect(await walletOf(ctx, b)).toBe(1_200 - 250 - 50);
    const rest = await refund(ctx, t.json.id, { reason: 'rest' });
    expect([rest.json.amount.amount, rest.json.bonusReversed.amount]).toEqual([750, 150]);
    expect(await walletOf(ctx, b)).toBe(0);
    const expense = await ctx.db.query<{ total: number }>(
      `SELECT COALESCE(sum(p.amount_minor), 0)::bigint AS total FROM ledger_postings p JOIN ledger_journals j ON j.id = p.journal_id
         JOIN ledger_accounts a ON a.id = p.account_id WHERE a.code = 'promotions_expense:USD' AND (j.cause_id = $1 OR j.cause_id IN (SELECT id FROM refunds WHERE order_id = $1))`,
      [t.json.id],
    );
    expect(expense.rows[0]?.total).toBe(0);
    await expectLedgerSound(ctx);
  });

  it('never drives the wallet negative to take a spent bonus back: it takes what is left and records the shortfall', async () => {
    const ctx = get();
    const b = await buyer(ctx);
    const t = await order(ctx, b, { planId: 'plan_demo_us_topup_10', paymentMethod: 'card' });
    await paySandbox(ctx, t.json.payment.id);
    await spendFromWallet(ctx, b.userId, t.json.id, 150);
    const r = await refund(ctx, t.json.id, { reason: 'all of it' });
    expect([r.status, r.json.amount.amount, r.json.bonusReversed, r.json.bonusShortfall], r.text)
      .toEqual([201, 1_000, { amount: 50, currency: 'USD' }, { amount: 150, currency: 'USD' }]);
    expect(await walletOf(ctx, b)).toBe(0);
    expect((await refundRow(ctx, t.json.id))[0]?.detail).toEqual({ bonusReversedMinor: 50, bonusShortfallMinor: 150 });
    await expectLedgerSound(ctx);
  });
});

/** The subscriber spends from the wallet (a usage charge) — what happens to money between a top-up and its refund. */
async function spendFromWallet(ctx: TestContext, userId: string, orderId: string, amountMinor: number): Promise<void> {
  await ctx.db.transaction((tx) => postJournal(tx, {
    idempotencyKey: `test:spend:${orderId}`, kind: 'usage_charge', cause: { type: 'usage', id: `usage_${orderId}` }, postedAt: new Date(),
    lines: [{ account: walletAccount(userId, 'USD'), amountMinor: -amountMinor }, { account: systemAccount('usage_revenue', 'USD'), amountMinor }],
  }, SYSTEM_ACTOR));
}
