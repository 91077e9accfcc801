// A property test over random sequences of what can happen to orders — plan orders and top-ups by
// card, PayPal or the wallet; duplicated and out-of-order webhooks (a failure after a success);
// cancels; the clock running past the payment window and a capture arriving late; partial refunds
// to the provider or the wallet whose provider answers, times out after refunding, is down, refuses,
// or "crashes" after refunding but before simkeep stored the answer; provider outages while refund
// jobs retry; provisioning that finally fails (the automatic refund); captures whose transaction dies
// midway — checking after every step that money is never created, lost or credited twice.
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { signSandboxPayload } from '../../src/adapters/payments/sandbox-signature.ts';
import { ProviderRejectedError, ProviderUnavailableError, type PaymentProvider, type RefundInput, type RefundResult } from '../../src/adapters/payments/types.ts';
import type { CarrierAdapter } from '../../src/adapters/carriers/types.ts';
import { money } from '../../src/domain/money.ts';
import { SYSTEM_ACTOR } from '../../src/modules/audit/service.ts';
import { verifyLedger } from '../../src/modules/ledger/service.ts';
import { REFUND_RETRY_FIRST_DELAY_SECONDS } from '../../src/modules/orders/refunds.ts';
import { ORDER_PAYMENT_WINDOW_SECONDS } from '../../src/modules/orders/service.ts';
import { capturePayment } from '../../src/modules/orders/settlement.ts';
import { sandboxWebhookKey } from '../../src/modules/payments/sandbox-provider.ts';
import { forEachDatabase, type TestContext } from '../support/harness.ts';
import { buyer, order, plainPlan, type Buyer } from '../support/orders-fixtures.ts';
import { withReplaced } from '../support/provider-stand-ins.ts';

const PRICE_MINOR = 500;
const TOPUP_MINOR = 400;
const STEPS_MIN = 6;
const STEPS_MAX = 14;
/** Clock moves that run the refund jobs (first retry after 30 s, then 2, 4, 8 … s of backoff). */
const SETTLE_ADVANCES = 2;

/** What the provider does with the refund call made inside the operator's request. */
type ProviderMode = 'ok' | 'timeout_after_refund' | 'down' | 'reject' | 'crash_after_refund';

type Step =
  | { t: 'create'; method: 'card' | 'paypal'; pay: boolean; doomed: boolean }
  | { t: 'topup'; pay: boolean; doomed: boolean }
  | { t: 'wallet' }
  | { t: 'succeed'; i: number; dupe: boolean }
  | { t: 'fail'; i: number; direct: boolean }
  | { t: 'cancel'; i: number }
  | { t: 'late_capture'; i: number }
  | { t: 'refund'; i: number; captured: boolean; amountMinor: number; toWallet: boolean; mode: ProviderMode }
  | { t: 'outage'; calls: number }
  | { t: 'provisioning_dies'; i: number }
  | { t: 'crash'; i: number }
  | { t: 'advance' }
  | { t: 'drain' };

/** One order in four is one the carrier will never provision. */
const doomedOrNot = fc.constantFrom(false, false, false, true);

/** Weighted so that most sequences reach the interesting states (captured orders with refunds). */
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ t: fc.constant('create' as const), method: fc.constantFrom('card' as const, 'paypal' as const), pay: fc.boolean(), doomed: doomedOrNot }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('topup' as const), pay: fc.boolean(), doomed: doomedOrNot }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('wallet' as const) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('succeed' as const), i: fc.nat(9), dupe: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('fail' as const), i: fc.nat(9), direct: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('cancel' as const), i: fc.nat(9) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('late_capture' as const), i: fc.nat(9) }) },
  {
    weight: 6,
    arbitrary: fc.record({
      t: fc.constant('refund' as const), i: fc.nat(9), captured: fc.constantFrom(true, true, true, false), toWallet: fc.constantFrom(false, false, false, true),
      amountMinor: fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 1, max: 250 }) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: PRICE_MINOR + 100 }) }),
      mode: fc.constantFrom<ProviderMode>('ok', 'ok', 'timeout_after_refund', 'timeout_after_refund', 'down', 'reject', 'crash_after_refund', 'crash_after_refund'),
    }),
  },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('outage' as const), calls: fc.integer({ min: 1, max: 3 }) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('provisioning_dies' as const), i: fc.nat(9) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('crash' as const), i: fc.nat(9) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('advance' as const) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('drain' as const) }) },
);

interface Placed { orderId: string; paymentId: string; amountMinor: number }

/**
 * The sandbox with a scripted refund call: `mode` applies to the call made inside a refund request;
 * job-time calls fail while an outage lasts, else go to the real sandbox. A provider never refuses
 * a refund it already made (a replay of the same refund id), so only in-request calls may refuse.
 */
class ScriptedSandbox {
  mode: ProviderMode | null = null;
  outageCalls = 0;
  constructor(private readonly sandbox: PaymentProvider) {}

  provider(): PaymentProvider {
    return withReplaced(this.sandbox, { refund: (i) => this.refund(i) });
  }

  private async refund(input: RefundInput): Promise<RefundResult> {
    const mode = this.mode ?? (this.outageCalls > 0 ? 'down' : 'ok');
    if (this.mode === null && this.outageCalls > 0) this.outageCalls--;
    this.mode = null;
    switch (mode) {
      case 'ok':
        return this.sandbox.refund(input);
      case 'down':
        throw new ProviderUnavailableError('sandbox unreachable');
      case 'reject':
        throw new ProviderRejectedError('sandbox: refund refused', 400, 'refused');
      case 'timeout_after_refund':
        await this.sandbox.refund(input);
        throw new ProviderUnavailableError('sandbox timed out after refunding');
      case 'crash_after_refund':
        await this.sandbox.refund(input);
        throw new Error('the process died before the provider\'s answer was stored');
    }
  }
}

/** A carrier that fails every request for the orders it was told to fail. */
class DoomingCarrier implements CarrierAdapter {
  readonly name = 'dooming';
  readonly doomed = new Set<string>();
  async provision(request: { orderId: string }): Promise<{ status: 'done' | 'failed'; reference: string; reason?: string }> {
    if (this.doomed.has(request.orderId)) return { status: 'failed', reference: `doom-${request.orderId}`, reason: 'simulated carrier failure' };
    return { status: 'done', reference: `ok-${request.orderId}` };
  }
}

async function webhook(ctx: TestContext, p: Placed, type: string, eventId: string): Promise<void> {
  const body = JSON.stringify({ id: eventId, type, paymentId: p.paymentId, amount: { amount: p.amountMinor, currency: 'USD' }, createdAt: new Date().toISOString() });
  const r = await ctx.call('POST', '/api/v1/webhooks/sandbox', {
    raw: body, headers: { 'content-type': 'application/json', 'simkeep-sandbox-signature': signSandboxPayload(sandboxWebhookKey(ctx.app.deps.secretKey), body, new Date()) },
  });
  expect(r.status, r.text).toBe(200);
}

const newEventId = (): string => `evt_${randomUUID().replace(/-/g, '')}`;

interface World { ctx: TestContext; b: Buyer; planId: string; placed: Placed[]; sandbox: ScriptedSandbox; carrier: DoomingCarrier }

/** The payer acts on the sandbox's page (its books record it); the worker delivers its webhooks (twice). */
async function payOnSandbox(w: World, p: Placed, outcome: 'succeeded' | 'failed'): Promise<void> {
  const r = await w.ctx.post(`/api/v1/sandbox/payments/${p.paymentId}/complete`, { outcome });
  expect([202, 404], r.text).toContain(r.status); // 404: a wallet payment has no sandbox page
  await w.ctx.drain();
}

/** Places an order; with `pay` the payer pays at once. A doomed order's carrier never provisions it. */
async function place(w: World, body: Record<string, unknown>, expected: number[], opts: { pay?: boolean; doomed?: boolean } = {}): Promise<void> {
  const r = await order(w.ctx, w.b, body);
  expect(expected, r.text).toContain(r.status);
  if (r.status !== 201) return;
  const p: Placed = { orderId: r.json.id, paymentId: r.json.payment.id, amountMinor: r.json.total.amount };
  w.placed.push(p);
  if (opts.doomed) w.carrier.doomed.add(p.orderId);
  if (opts.pay && r.json.status === 'awaiting_payment') await payOnSandbox(w, p, 'succeeded');
}

async function capturedOrders(w: World): Promise<Placed[]> {
  const { rows } = await w.ctx.db.query<{ order_id: string }>(
    'SELECT order_id FROM payments WHERE order_id = ANY($1::text[]) AND captured_at IS NOT NULL', [w.placed.map((p) => p.orderId)],
  );
  const paid = new Set(rows.map((r) => r.order_id));
  return w.placed.filter((p) => paid.has(p.orderId));
}

async function apply(w: World, s: Step): Promise<void> {
  const { ctx } = w;
  const p = w.placed[('i' in s ? s.i : 0) % Math.max(w.placed.length, 1)];
  switch (s.t) {
    case 'create':
      return place(w, { planId: w.planId, paymentMethod: s.method }, [201], s);
    case 'topup':
      return place(w, { topupAmount: { amount: TOPUP_MINOR, currency: 'USD' }, paymentMethod: 'card' }, [201], s);
    case 'wallet':
      return place(w, { planId: w.planId, paymentMethod: 'wallet' }, [201, 402]);
    case 'succeed': {
      if (!p) return;
      // A duplicate: the provider delivers the outcome it already delivered, once more.
      const sent = await ctx.db.query<{ outcome_event: string | null; status: string }>('SELECT outcome_event, status FROM sandbox_payments WHERE payment_id = $1', [p.paymentId]);
      const prior = sent.rows[0];
      if (s.dupe && prior?.outcome_event) return webhook(ctx, p, prior.status === 'failed' ? 'payment.failed' : 'payment.succeeded', prior.outcome_event);
      return payOnSandbox(w, p, 'succeeded');
    }
    case 'fail':
      if (!p) return;
      // Declined on the page — or, out of order, a failure notice arriving after a success: it must change nothing.
      if (s.direct) return webhook(ctx, p, 'payment.failed', newEventId());
      return payOnSandbox(w, p, 'failed');
    case 'cancel': {
      if (!p) return;
      const r = await ctx.post(`/api/v1/orders/${p.orderId}/cancel`, undefined, { token: w.b.token });
      expect([200, 409], r.text).toContain(r.status);
      return;
    }
    case 'late_capture':
      // The payment window passes (the order expires), then the payer pays anyway.
      if (!p) return;
      await ctx.advance(ORDER_PAYMENT_WINDOW_SECONDS + 60);
      return payOnSandbox(w, p, 'succeeded');
    case 'refund': {
      // Mostly one of the orders that were paid (the interesting ones); sometimes any.
      const paid = s.captured ? await capturedOrders(w) : [];
      const target = paid[s.i % Math.max(paid.length, 1)] ?? p;
      if (!target) return;
      w.sandbox.mode = s.mode;
      try {
        const r = await ctx.post(`/api/v1/admin/orders/${target.orderId}/refund`, {
          amount: { amount: s.amountMinor, currency: 'USD' }, reason: 'property', ...(s.toWallet ? { destination: 'wallet' } : {}),
        }, { token: await ctx.adminToken(), headers: { 'idempotency-key': randomUUID() } });
        expect([201, 202, 402, 409, 422], r.text).toContain(r.status);
      } finally {
        w.sandbox.mode = null;
      }
      return;
    }
    case 'outage':
      w.sandbox.outageCalls = s.calls;
      return;
    case 'provisioning_dies':
      // A doomed order's provisioning, still retrying, reaches its last attempt now: the run compensates.
      if (!p || !w.carrier.doomed.has(p.orderId)) return;
      await ctx.db.query(
        `UPDATE jobs SET attempts = GREATEST(attempts, max_attempts - 1), run_at = $2 WHERE dedupe_key = $1 AND status = 'pending'`,
        [`provision:${p.orderId}`, ctx.app.deps.clock.now()],
      );
      return ctx.drain();
    case 'crash':
      if (!p) return;
      // A capture whose transaction dies midway must leave no trace.
      await ctx.db.transaction(async (tx) => {
        await capturePayment(tx, { paymentId: p.paymentId, amount: money(p.amountMinor, 'USD'), now: ctx.app.deps.clock.now(), actor: SYSTEM_ACTOR });
        throw new Error('simulated crash');
      }).catch((e: Error) => expect(e.message).toBe('simulated crash'));
      return;
    case 'advance':
      return ctx.advance(REFUND_RETRY_FIRST_DELAY_SECONDS * 2);
    case 'drain':
      return ctx.drain();
  }
}

/** Which payment states each order state allows (a late capture to the wallet shows as `refunded`). */
const PAYMENT_STATUSES_OF: Record<string, string[]> = {
  awaiting_payment: ['pending'],
  paid: ['succeeded', 'partially_refunded'],
  provisioning: ['succeeded', 'partially_refunded'],
  completed: ['succeeded', 'partially_refunded'],
  refunded: ['refunded'],
  failed: ['failed', 'succeeded', 'partially_refunded', 'refunded'],
  cancelled: ['cancelled', 'refunded'],
  expired: ['cancelled', 'refunded'],
};

interface OrderFacts {
  id: string; status: string; payment_status: string; captured: boolean; amount: number; refunded: number; provider: string;
  credits_paid: number; credits_late: number; line_credits: number; refunds_live: number; refunds_pending: number;
  provider_succeeded: number; provider_pending: number; sandbox_refunded: number | null;
}

async function facts(ctx: TestContext, userId: string): Promise<OrderFacts[]> {
  const { rows } = await ctx.db.query<OrderFacts>(
    `SELECT o.id, o.status, p.status AS payment_status, p.captured_at IS NOT NULL AS captured, p.amount_minor AS amount,
            p.refunded_minor AS refunded, p.provider,
            (SELECT count(*)::int FROM ledger_journals j WHERE j.cause_type = 'order' AND j.cause_id = o.id AND j.kind IN ('order_payment', 'wallet_topup')) AS credits_paid,
            (SELECT count(*)::int FROM ledger_journals j WHERE j.cause_type = 'order' AND j.cause_id = o.id AND j.kind = 'late_capture_credit') AS credits_late,
            (SELECT count(*)::int FROM line_credits c WHERE c.order_id = o.id) AS line_credits,
            (SELECT COALESCE(sum(r.amount_minor), 0)::int FROM refunds r WHERE r.payment_id = p.id AND r.status <> 'failed') AS refunds_live,
            (SELECT count(*)::int FROM refunds r WHERE r.payment_id = p.id AND r.status = 'pending') AS refunds_pending,
            (SELECT COALESCE(sum(r.amount_minor), 0)::int FROM refunds r WHERE r.payment_id = p.id AND r.destination = 'provider' AND r.status = 'succeeded') AS provider_succeeded,
            (SELECT COALESCE(sum(r.amount_minor), 0)::int FROM refunds r WHERE r.payment_id = p.id AND r.destination = 'provider' AND r.status = 'pending') AS provider_pending,
            (SELECT s.refunded_minor::int FROM sandbox_payments s WHERE s.payment_id = p.id) AS sandbox_refunded
       FROM orders o JOIN payments p ON p.order_id = o.id WHERE o.user_id = $1`,
    [userId],
  );
  return rows;
}

async function checkInvariants(ctx: TestContext, userId: string, settled: boolean): Promise<void> {
  expect(await verifyLedger(ctx.db)).toEqual([]);
  for (const f of await facts(ctx, userId)) {
    const where = `order ${f.id} (${f.status}, payment ${f.payment_status})`;
    // Credit only for a captured payment, and exactly once: as the order's payment or, for an order
    // closed before the money came, in the wallet — never both, never twice.
    expect(f.credits_paid + f.credits_late, where).toBe(f.captured && f.amount > 0 ? 1 : 0);
    expect(f.line_credits, where).toBeLessThanOrEqual(f.captured ? 1 : 0);
    // Refunds (pending included) never exceed the capture, and are exactly what the payment reserves.
    expect(f.refunds_live, where).toBeLessThanOrEqual(f.captured ? f.amount : 0);
    expect(f.refunded, where).toBe(f.refunds_live);
    // The order's state agrees with its payment's.
    expect(PAYMENT_STATUSES_OF[f.status], where).toContain(f.payment_status);
    expect(f.captured, where).toBe(['succeeded', 'partially_refunded', 'refunded'].includes(f.payment_status));
    // The provider's books: what it refunded is what simkeep shows as refunded through it — exactly,
    // once no refund is waiting for its answer; until then, pending ones may or may not have moved.
    if (f.provider === 'sandbox' && f.sandbox_refunded !== null) {
      expect(f.sandbox_refunded, where).toBeGreaterThanOrEqual(f.provider_succeeded);
      expect(f.sandbox_refunded, where).toBeLessThanOrEqual(f.provider_succeeded + f.provider_pending);
      if (settled) expect([f.sandbox_refunded, f.refunds_pending], where).toEqual([f.provider_succeeded, 0]);
    }
  }
  const wallet = await ctx.db.query<{ balance: number; total: number }>(
    `SELECT a.balance_minor AS balance, COALESCE(sum(p.amount_minor), 0)::bigint AS total FROM ledger_accounts a
       LEFT JOIN ledger_postings p ON p.account_id = a.id WHERE a.kind = 'wallet' AND a.owner_id = $1 GROUP BY a.id, a.balance_minor`,
    [userId],
  );
  for (const w of wallet.rows) {
    expect(w.balance).toBe(w.total);
    expect(w.balance).toBeGreaterThanOrEqual(0);
  }
}

forEachDatabase('orders under random webhooks, refunds, provider failures and crashes', (get) => {
  it('keeps the ledger balanced, credits only captured payments, once, and agrees with the provider\'s books', async () => {
    const ctx = get();
    const plan = await plainPlan(ctx, PRICE_MINOR);
    const registry = ctx.providers;
    const realSandbox = registry.byName('sandbox') as PaymentProvider;
    const sandbox = new ScriptedSandbox(realSandbox);
    const carrier = new DoomingCarrier();
    registry.override('sandbox', sandbox.provider());
    ctx.carrier.use(carrier);
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(step, { minLength: STEPS_MIN, maxLength: STEPS_MAX, size: 'max' }), async (steps) => {
          const w: World = { ctx, b: await buyer(ctx), planId: plan.id, placed: [], sandbox, carrier };
          sandbox.outageCalls = 0;
          for (const s of steps) {
            await apply(w, s);
            await checkInvariants(ctx, w.b.userId, false);
          }
          // Once the provider is back and the jobs ran, nothing is left pending and the books agree exactly.
          sandbox.outageCalls = 0;
          for (let i = 0; i < SETTLE_ADVANCES; i++) await ctx.advance(REFUND_RETRY_FIRST_DELAY_SECONDS * 2);
          await checkInvariants(ctx, w.b.userId, true);
        }),
        { numRuns: ctx.kind === 'pglite' ? 10 : 8 },
      );
    } finally {
      registry.override('sandbox', realSandbox);
      ctx.carrier.use(null);
    }
  }, 240_000);
});
