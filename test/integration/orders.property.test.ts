// A property test over random sequences of what can happen to orders — placing them, duplicated
// and out-of-order webhooks, refunds, worker runs and transactions that crash midway — checking
// after every step that money is never created, lost or credited twice.
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { signSandboxPayload } from '../../src/adapters/payments/sandbox-signature.ts';
import { money } from '../../src/domain/money.ts';
import { SYSTEM_ACTOR } from '../../src/modules/audit/service.ts';
import { verifyLedger } from '../../src/modules/ledger/service.ts';
import { capturePayment } from '../../src/modules/orders/settlement.ts';
import { sandboxWebhookKey } from '../../src/modules/payments/sandbox-provider.ts';
import { forEachDatabase, type TestContext } from '../support/harness.ts';
import { buyer, order, plainPlan, type Buyer } from '../support/orders-fixtures.ts';

const PRICE_MINOR = 500;
const STEPS_MAX = 12;

type Step =
  | { t: 'create'; method: 'card' | 'paypal' }
  | { t: 'wallet' }
  | { t: 'succeed'; i: number; dupe: boolean }
  | { t: 'fail'; i: number }
  | { t: 'refund'; i: number; amountMinor: number; toWallet: boolean }
  | { t: 'crash'; i: number }
  | { t: 'drain' };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ t: fc.constant('create' as const), method: fc.constantFrom('card' as const, 'paypal' as const) }),
  fc.record({ t: fc.constant('wallet' as const) }),
  fc.record({ t: fc.constant('succeed' as const), i: fc.nat(9), dupe: fc.boolean() }),
  fc.record({ t: fc.constant('fail' as const), i: fc.nat(9) }),
  fc.record({ t: fc.constant('refund' as const), i: fc.nat(9), amountMinor: fc.integer({ min: 1, max: PRICE_MINOR + 100 }), toWallet: fc.boolean() }),
  fc.record({ t: fc.constant('crash' as const), i: fc.nat(9) }),
  fc.record({ t: fc.constant('drain' as const) }),
);

interface Placed { orderId: string; paymentId: string; events: string[] }

async function webhook(ctx: TestContext, paymentId: string, type: string, eventId: string): Promise<void> {
  const body = JSON.stringify({ id: eventId, type, paymentId, amount: { amount: PRICE_MINOR, currency: 'USD' }, createdAt: new Date().toISOString() });
  const r = await ctx.call('POST', '/api/v1/webhooks/sandbox', {
    raw: body, headers: { 'content-type': 'application/json', 'simkeep-sandbox-signature': signSandboxPayload(sandboxWebhookKey(ctx.app.deps.secretKey), body, new Date()) },
  });
  expect(r.status).toBe(200);
}

async function apply(ctx: TestContext, b: Buyer, planId: string, placed: Placed[], s: Step): Promise<void> {
  const pick = (i: number): Placed | undefined => placed[i % Math.max(placed.length, 1)];
  switch (s.t) {
    case 'create': {
      const r = await order(ctx, b, { planId, paymentMethod: s.method });
      expect(r.status).toBe(201);
      placed.push({ orderId: r.json.id, paymentId: r.json.payment.id, events: [] });
      return;
    }
    case 'wallet': {
      const r = await order(ctx, b, { planId, paymentMethod: 'wallet' });
      expect([201, 402]).toContain(r.status);
      if (r.status === 201) placed.push({ orderId: r.json.id, paymentId: r.json.payment.id, events: [] });
      return;
    }
    case 'succeed': {
      const p = pick(s.i);
      if (!p) return;
      const eventId = s.dupe && p.events[0] ? p.events[0] : `evt_${randomUUID().replace(/-/g, '')}`;
      p.events.push(eventId);
      return webhook(ctx, p.paymentId, 'payment.succeeded', eventId);
    }
    case 'fail': {
      const p = pick(s.i);
      if (p) await webhook(ctx, p.paymentId, 'payment.failed', `evt_${randomUUID().replace(/-/g, '')}`);
      return;
    }
    case 'refund': {
      const p = pick(s.i);
      if (!p) return;
      const r = await ctx.post(`/api/v1/admin/orders/${p.orderId}/refund`, { amount: { amount: s.amountMinor, currency: 'USD' }, reason: 'property', ...(s.toWallet ? { destination: 'wallet' } : {}) }, {
        token: await ctx.adminToken(), headers: { 'idempotency-key': randomUUID() },
      });
      expect([201, 409, 422]).toContain(r.status);
      return;
    }
    case 'crash': {
      const p = pick(s.i);
      if (!p) return;
      // A capture whose transaction dies midway must leave no trace.
      await ctx.db.transaction(async (tx) => {
        await capturePayment(tx, { paymentId: p.paymentId, amount: money(PRICE_MINOR, 'USD'), now: ctx.app.deps.clock.now(), actor: SYSTEM_ACTOR });
        throw new Error('simulated crash');
      }).catch((e: Error) => expect(e.message).toBe('simulated crash'));
      return;
    }
    case 'drain':
      await ctx.drain();
  }
}

async function checkInvariants(ctx: TestContext, userId: string): Promise<void> {
  expect(await verifyLedger(ctx.db)).toEqual([]);
  // Credit only for captured payments, each at most once.
  const { rows } = await ctx.db.query<{ id: string; captured: boolean; journals: number; credits: number; status: string }>(
    `SELECT o.id, p.captured_at IS NOT NULL AS captured, o.status,
            (SELECT count(*)::int FROM ledger_journals j WHERE j.cause_type = 'order' AND j.cause_id = o.id AND j.kind IN ('order_payment', 'wallet_topup')) AS journals,
            (SELECT count(*)::int FROM line_credits c WHERE c.order_id = o.id) AS credits
       FROM orders o JOIN payments p ON p.order_id = o.id WHERE o.user_id = $1`,
    [userId],
  );
  for (const r of rows) {
    expect(r.journals).toBeLessThanOrEqual(1);
    expect(r.credits).toBeLessThanOrEqual(1);
    if (!r.captured) expect([r.journals, r.credits]).toEqual([0, 0]);
    if (r.journals === 1) expect(['paid', 'provisioning', 'completed', 'refunded']).toContain(r.status);
  }
  const wallet = await ctx.db.query<{ balance: number; total: number }>(
    `SELECT a.balance_minor AS balance, COALESCE(sum(p.amount_minor), 0)::bigint AS total FROM ledger_accounts a
       LEFT JOIN ledger_postings p ON p.account_id = a.id WHERE a.kind = 'wallet' AND a.owner_id = $1 GROUP BY a.balance_minor`,
    [userId],
  );
  for (const w of wallet.rows) expect(w.balance).toBe(w.total);
}

forEachDatabase('orders under random webhooks, refunds and crashes', (get) => {
  it('keeps the ledger balanced and credits only captured payments, once', async () => {
    const ctx = get();
    const plan = await plainPlan(ctx, PRICE_MINOR);
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: STEPS_MAX }), async (steps) => {
        const b = await buyer(ctx);
        const placed: Placed[] = [];
        for (const s of steps) {
          await apply(ctx, b, plan.id, placed, s);
          await checkInvariants(ctx, b.userId);
        }
      }),
      { numRuns: ctx.kind === 'pglite' ? 25 : 15 },
    );
  }, 180_000);
});
