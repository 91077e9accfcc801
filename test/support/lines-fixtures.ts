// Test cards for the lines suites: valid ICCIDs (Luhn), CSV rows for the operator import, and a
// bind helper. Every call to `nextCard` gives a card no other test in the file uses.
import { withLuhnCheckDigit } from '../../src/domain/luhn.ts';
import { creditPlan } from '../../src/modules/lines/service.ts';
import type { SimForm } from '../../src/domain/sim-form.ts';
import type { TestContext } from './harness.ts';

export interface TestCard {
  iccid: string;
  imsi: string;
  msisdn: string;
  pin: string;
  form: SimForm;
  carrier: string;
  activationCode: string;
}

let serial = 0;

/** A fresh card; `carrier` must exist (the demo carriers: us-paygo, uk-keep, travel-esim). */
export function nextCard(overrides: Partial<TestCard> = {}): TestCard {
  serial += 1;
  const n = String(serial).padStart(9, '0');
  const form = overrides.form ?? 'esim';
  return {
    iccid: withLuhnCheckDigit(`8901260777${n}`),
    // MNC 410: outside the demo stock's IMSIs (310260…), which are unique in stock like these.
    imsi: `310410${n}`,
    msisdn: `+1917${String(serial % 10_000_000).padStart(7, '0')}`,
    pin: '4821',
    form,
    carrier: 'us-paygo',
    activationCode: form === 'esim' ? `LPA:1$smdp.test.simkeep.dev$MATCH-${n}-SECRET` : '',
    ...overrides,
  };
}

export const CSV_HEADER = 'iccid,imsi,msisdn,pin,form,carrier,activation_code';

export function csvRow(c: TestCard): string {
  return [c.iccid, c.imsi, c.msisdn, c.pin, c.form, c.carrier, c.activationCode].join(',');
}

export function csvOf(cards: readonly TestCard[]): string {
  return [CSV_HEADER, ...cards.map(csvRow)].join('\n') + '\n';
}

export async function importCsv(ctx: TestContext, csv: string, token?: string) {
  return ctx.call('POST', '/api/v1/admin/sims/import', {
    token: token ?? (await ctx.adminToken()),
    headers: { 'content-type': 'text/csv' },
    raw: csv,
  });
}

/** Imports the cards and fails the test unless every one was imported. */
export async function stock(ctx: TestContext, ...cards: TestCard[]): Promise<void> {
  const r = await importCsv(ctx, csvOf(cards));
  if (r.status !== 200 || r.json.imported !== cards.length) throw new Error(`stocking failed: ${r.status} ${r.text}`);
}

export async function bind(ctx: TestContext, token: string, card: Pick<TestCard, 'iccid' | 'pin'>) {
  return ctx.post('/api/v1/lines/bind', { iccid: card.iccid, pin: card.pin }, { token });
}

/** A customer with one bound line on a fresh card. */
export async function customerWithLine(ctx: TestContext, overrides: Partial<TestCard> = {}) {
  const customer = await ctx.customer();
  const card = nextCard(overrides);
  await stock(ctx, card);
  const r = await bind(ctx, customer.token, card);
  if (r.status !== 201) throw new Error(`bind failed: ${r.status} ${r.text}`);
  return { customer, card, lineId: r.json.id as string, line: r.json };
}

/** Moves the sandbox clock WITHOUT running the worker: stored statuses lag, as before a sweep. */
export async function advanceClockOnly(ctx: TestContext, seconds: number): Promise<void> {
  const r = await ctx.post('/api/v1/sandbox/clock', { advanceSeconds: seconds });
  if (r.status !== 200) throw new Error(`clock advance failed: ${r.status} ${r.text}`);
}

/** A fresh session for a customer (sessions expire with the sandbox clock). */
export async function relogin(ctx: TestContext, customer: { email: string; password: string }): Promise<string> {
  const r = await ctx.post('/api/v1/auth/login', { email: customer.email, password: customer.password });
  if (r.status !== 200) throw new Error(`login failed: ${r.status} ${r.text}`);
  return r.json.token as string;
}

/** Credits a 30-day base plan straight to the line (as a paid order would), at the app clock's now. */
export async function creditMonth(ctx: TestContext, lineId: string, validityDays = 30): Promise<void> {
  await ctx.db.transaction((tx) => creditPlan(tx, {
    lineId, orderId: `ord_month_${lineId}_${++creditSerial}`, now: ctx.app.deps.clock.now(),
    plan: { id: 'plan_test_month', name: { en: 'Month' }, kind: 'base', validityDays, allowances: { dataMb: 100, voiceMin: 10, sms: 10 }, expiryPolicy: 'extend' },
    bonus: { dataMb: 0, validityDays: 0 },
  }));
}
let creditSerial = 0;
