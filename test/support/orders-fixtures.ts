// Orders test fixtures through HTTP: a customer with a bound line and a plan, placing orders and
// paying them on the sandbox provider's page, plus the ledger checks every money test ends with.
import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import { withLuhnCheckDigit } from '../../src/domain/luhn.ts';
import { verifyLedger } from '../../src/modules/ledger/service.ts';
import { upsertCarrier } from '../../src/modules/lines/service.ts';
import { bindLine, createPlan } from './catalog-fixtures.ts';
import type { Response, TestContext } from './harness.ts';

export interface Buyer {
  token: string;
  userId: string;
  lineId: string;
}

export async function buyer(ctx: TestContext, locale: 'en' | 'zh-CN' = 'en'): Promise<Buyer> {
  const c = await ctx.customer(locale);
  const line = await bindLine(ctx, c.token);
  return { token: c.token, userId: c.user.id, lineId: line.id };
}

/** A plan that costs exactly its price (no demo promotion applies to it). */
export async function plainPlan(ctx: TestContext, priceMinor = 500, overrides: Record<string, unknown> = {}): Promise<{ id: string }> {
  return createPlan(ctx, { price: { amount: priceMinor, currency: 'USD' }, ...overrides });
}

export async function order(ctx: TestContext, b: Buyer, body: Record<string, unknown>, key: string = randomUUID()): Promise<Response> {
  return ctx.post('/api/v1/orders', { lineId: b.lineId, ...body }, { token: b.token, headers: { 'idempotency-key': key } });
}

/** The payer acts on the sandbox page; the worker then delivers the webhooks and provisions. */
export async function paySandbox(ctx: TestContext, paymentId: string, outcome: 'succeeded' | 'failed' = 'succeeded'): Promise<void> {
  const r = await ctx.post(`/api/v1/sandbox/payments/${paymentId}/complete`, { outcome });
  expect(r.status, r.text).toBe(202);
  await ctx.drain();
}

/** Tops the wallet up by card through the sandbox, end to end. */
export async function topUp(ctx: TestContext, b: Buyer, amountMinor: number): Promise<void> {
  const r = await order(ctx, b, { topupAmount: { amount: amountMinor, currency: 'USD' }, paymentMethod: 'card' });
  expect(r.status, r.text).toBe(201);
  await paySandbox(ctx, r.json.payment.id);
  const done = await ctx.get(`/api/v1/orders/${r.json.id}`, { token: b.token });
  expect(done.json.status, done.text).toBe('completed');
}

export async function walletOf(ctx: TestContext, b: Buyer): Promise<number> {
  const w = await ctx.get('/api/v1/wallet', { token: b.token });
  expect(w.status, w.text).toBe(200);
  return w.json.balance.amount;
}

/**
 * Every ledger invariant holds: journals balance, balances = Σ postings, no negative wallet; and
 * every money movement is in the audit log and names its cause.
 */
export async function expectLedgerSound(ctx: TestContext): Promise<void> {
  expect(await verifyLedger(ctx.db)).toEqual([]);
  const unaudited = await ctx.db.query<{ id: string }>(
    `SELECT j.id FROM ledger_journals j
      WHERE NOT EXISTS (SELECT 1 FROM audit_log a WHERE a.details->>'journalId' = j.id AND a.target_id = j.cause_id)
         OR j.cause_type NOT IN ('order', 'refund', 'usage', 'voucher') OR j.cause_id = ''`,
  );
  expect(unaudited.rows).toEqual([]);
}

/** How many journals were posted for an order's payment (credit is granted at most once). */
export async function paymentJournals(ctx: TestContext, orderId: string): Promise<number> {
  const { rows } = await ctx.db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM ledger_journals WHERE cause_type = 'order' AND cause_id = $1 AND kind IN ('order_payment', 'wallet_topup')`,
    [orderId],
  );
  return rows[0]?.n ?? 0;
}

/**
 * A subscriber with a bound line of a CNY carrier `carrierCode` and a 5.00 CNY plan for it —
 * Alipay and WeChat Pay settle in yuan only.
 */
export async function yuanBuyer(ctx: TestContext, carrierCode: string): Promise<{ token: string; lineId: string; planId: string }> {
  await upsertCarrier(ctx.db, {
    code: carrierCode, name: `CN ${carrierCode}`, country: 'CN', currency: 'CNY', validityDays: 30, graceDays: 0, suspendDays: 30,
    keepAlive: { rule: 'recharge', everyDays: 30 }, topupGrantsValidity: false,
    paygRates: { default: { dataPerMbMinor: 10, voicePerMinuteMinor: 10, smsPerMessageMinor: 5 } },
  } as Parameters<typeof upsertCarrier>[1]);
  const serial = String(Date.now() % 1e9).padStart(9, '0');
  const iccid = withLuhnCheckDigit(`8986${String(Math.floor(Math.random() * 100)).padStart(2, '0')}${serial}123`);
  const csv = `iccid,imsi,msisdn,pin,form,carrier\n${iccid},460001${serial},+86138${serial.slice(0, 8)},4321,physical,${carrierCode}\n`;
  const imported = await ctx.call('POST', '/api/v1/admin/sims/import', { token: await ctx.adminToken(), raw: csv, headers: { 'content-type': 'text/csv' } });
  expect(imported.json?.imported, imported.text).toBe(1);
  const c = await ctx.customer('zh-CN');
  const line = await ctx.post('/api/v1/lines/bind', { iccid, pin: '4321' }, { token: c.token });
  expect(line.status, line.text).toBe(201);
  const plan = await createPlan(ctx, { carriers: [carrierCode], regions: ['CN'], price: { amount: 500, currency: 'CNY' } });
  return { token: c.token, lineId: line.json.id, planId: plan.id };
}
