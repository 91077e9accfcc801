// Catalog test fixtures through HTTP: a fresh line (a SIM imported by the admin, bound by the
// customer), plans and promotions created by the operator.
import { randomInt } from 'node:crypto';
import { expect } from 'vitest';
import { withLuhnCheckDigit } from '../../src/domain/luhn.ts';
import type { Response, TestContext } from './harness.ts';

const CARRIER_NUMBERING: Record<string, { iccid: string; imsi: string; msisdn: string; msisdnDigits: number }> = {
  'us-paygo': { iccid: '89012677', imsi: '310260', msisdn: '+1646', msisdnDigits: 7 },
  'uk-keep': { iccid: '89441177', imsi: '23415', msisdn: '+447555', msisdnDigits: 6 },
  'travel-esim': { iccid: '89852077', imsi: '45400', msisdn: '+8529', msisdnDigits: 7 },
};

const digits = (n: number): string => Array.from({ length: n }, () => String(randomInt(10))).join('');

export async function bindLine(ctx: TestContext, token: string, carrier = 'us-paygo'): Promise<{ id: string; iccid: string }> {
  const numbering = CARRIER_NUMBERING[carrier];
  if (!numbering) throw new Error(`no numbering for ${carrier}`);
  const iccid = withLuhnCheckDigit(numbering.iccid + digits(19 - numbering.iccid.length));
  const imsi = numbering.imsi + digits(15 - numbering.imsi.length);
  // MSISDNs are unique in stock: a million or more random numbers per carrier, outside the demo
  // cards' ranges, make a clash within one test file very unlikely.
  const msisdn = numbering.msisdn + digits(numbering.msisdnDigits);
  const csv = `iccid,imsi,msisdn,pin,form,carrier\n${iccid},${imsi},${msisdn},4321,physical,${carrier}\n`;
  const imported = await ctx.call('POST', '/api/v1/admin/sims/import', {
    token: await ctx.adminToken(), raw: csv, headers: { 'content-type': 'text/csv' },
  });
  expect(imported.status, imported.text).toBe(200);
  expect(imported.json.imported, imported.text).toBe(1);
  const bound = await ctx.post('/api/v1/lines/bind', { iccid, pin: '4321' }, { token });
  expect(bound.status, bound.text).toBe(201);
  return { id: bound.json.id, iccid };
}

let planSeq = 0;

/** A base plan body; override any field. */
export function planBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  planSeq += 1;
  return {
    code: `t-${Date.now().toString(36)}-${planSeq}-${digits(4)}`,
    name: { en: 'Test plan' },
    kind: 'base',
    carriers: ['us-paygo'],
    regions: ['US'],
    price: { amount: 1000, currency: 'USD' },
    validityDays: 30,
    allowances: { dataMb: 1024, voiceMin: 100, sms: 100 },
    autoRenewable: true,
    ...overrides,
  };
}

export async function createPlan(ctx: TestContext, overrides: Record<string, unknown> = {}): Promise<any> {
  const r = await ctx.post('/api/v1/admin/plans', planBody(overrides), { token: await ctx.adminToken() });
  expect(r.status, r.text).toBe(201);
  return r.json;
}

export async function createPromotion(ctx: TestContext, body: Record<string, unknown>): Promise<any> {
  const r = await ctx.post('/api/v1/admin/promotions', { title: { en: 'Test promotion' }, ...body }, { token: await ctx.adminToken() });
  expect(r.status, r.text).toBe(201);
  return r.json;
}

/** A coupon code no other test uses. */
export const uniqueCoupon = (prefix: string): string => `${prefix}${digits(6)}`;

export interface Subscriber {
  token: string;
  userId: string;
  lineId: string;
}

/** A new customer with one freshly bound line (never recharged). */
export async function subscriberWithLine(ctx: TestContext, carrier = 'us-paygo'): Promise<Subscriber> {
  const customer = await ctx.customer();
  const line = await bindLine(ctx, customer.token, carrier);
  return { token: customer.token, userId: customer.user.id, lineId: line.id };
}

/** POST /api/v1/orders for the subscriber's line, paid by card unless the body says otherwise. */
export async function placeOrder(ctx: TestContext, who: Subscriber, body: Record<string, unknown>): Promise<Response> {
  return ctx.post('/api/v1/orders', { lineId: who.lineId, paymentMethod: 'card', ...body }, {
    token: who.token, headers: { 'idempotency-key': `k-${digits(16)}` },
  });
}

export async function quote(ctx: TestContext, who: Subscriber, body: Record<string, unknown>): Promise<Response> {
  return ctx.post('/api/v1/quotes', { lineId: who.lineId, ...body }, { token: who.token });
}

/** The promotion's reserved redemptions (its counter). */
export async function redemptionCount(ctx: TestContext, promotionId: string): Promise<number> {
  const { rows } = await ctx.db.query<{ redemption_count: number }>('SELECT redemption_count FROM promotions WHERE id = $1', [promotionId]);
  return rows[0]?.redemption_count ?? -1;
}
