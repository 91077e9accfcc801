// Paid orders per second end to end over real HTTP on a listening server: place a card order →
// the payer completes it on the sandbox → the sandbox's signed webhooks arrive over HTTP (twice) →
// the worker provisions → GET shows `completed`. Baselines measured in the same run: GET /healthz
// round trips and a wallet order (paid at once, one transaction, no webhook).
// The simulated carrier answers at once here (latency 0) so the figure is simkeep's own cost.
import { randomUUID } from 'node:crypto';
import { withLuhnCheckDigit } from '../src/domain/luhn.ts';
import { BENCH_ADMIN, expectStatus, measure, ratio, startBenchServer, type Throughput } from './support.ts';

const PAID_ORDERS = 100;
const WALLET_ORDERS = 200;
const HEALTHZ_CALLS = 2_000;
const CONCURRENCY = 8;
const POLL_EVERY_MS = 20;
const ORDER_DONE_TIMEOUT_MS = 30_000;
const PRICE_MINOR = 100;

async function call(base: string, method: string, path: string, token: string | null, body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(base + path, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

/** A customer with a bound line, a plan at PRICE_MINOR and a funded wallet. */
async function setUp(base: string): Promise<{ token: string; lineId: string; planId: string }> {
  const admin = ((await expectStatus(await call(base, 'POST', '/api/v1/auth/login', null, BENCH_ADMIN), 200, 'admin login')) as { token: string }).token;
  const plan = (await expectStatus(await call(base, 'POST', '/api/v1/admin/plans', admin, {
    code: `bench-${randomUUID().slice(0, 8)}`, name: { en: 'Bench plan' }, kind: 'base', carriers: ['us-paygo'], regions: ['US'],
    price: { amount: PRICE_MINOR, currency: 'USD' }, validityDays: 30, allowances: { dataMb: 10, voiceMin: 0, sms: 0 }, autoRenewable: false,
  }), 201, 'plan')) as { id: string };
  const serial = String(Date.now() % 1e9).padStart(9, '0');
  const iccid = withLuhnCheckDigit(`89012677${serial}1`);
  const csv = `iccid,imsi,msisdn,pin,form,carrier\n${iccid},310260${serial},+1212${serial.slice(0, 7)},4321,physical,us-paygo\n`;
  await expectStatus(await fetch(`${base}/api/v1/admin/sims/import`, { method: 'POST', headers: { authorization: `Bearer ${admin}`, 'content-type': 'text/csv' }, body: csv }), 200, 'import');
  const email = `bench-${randomUUID().slice(0, 8)}@example.test`;
  const token = ((await expectStatus(await call(base, 'POST', '/api/v1/auth/register', null, { email, password: `Pw-${randomUUID()}` }), 201, 'register')) as { token: string }).token;
  const line = (await expectStatus(await call(base, 'POST', '/api/v1/lines/bind', token, { iccid, pin: '4321' }), 201, 'bind')) as { id: string };
  // Fund the wallet for the wallet-order baseline with one paid top-up.
  const topup = (await expectStatus(await call(base, 'POST', '/api/v1/orders', token, {
    lineId: line.id, topupAmount: { amount: PRICE_MINOR * WALLET_ORDERS, currency: 'USD' }, paymentMethod: 'card',
  }, { 'idempotency-key': randomUUID() }), 201, 'top-up')) as { id: string; payment: { id: string } };
  await payAndWait(base, token, topup.id, topup.payment.id);
  return { token, lineId: line.id, planId: plan.id };
}

async function payAndWait(base: string, token: string, orderId: string, paymentId: string): Promise<void> {
  await expectStatus(await call(base, 'POST', `/api/v1/sandbox/payments/${paymentId}/complete`, null, { outcome: 'succeeded' }), 202, 'complete');
  const deadline = Date.now() + ORDER_DONE_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const o = (await expectStatus(await call(base, 'GET', `/api/v1/orders/${orderId}`, token), 200, 'order')) as { status: string };
    if (o.status === 'completed') return;
    await new Promise((r) => setTimeout(r, POLL_EVERY_MS));
  }
  throw new Error(`order ${orderId} did not complete within ${ORDER_DONE_TIMEOUT_MS} ms`);
}

export async function benchPaidOrders(kind: 'pglite' | 'postgres' = 'pglite'): Promise<Record<string, Throughput | string>> {
  const server = await startBenchServer(kind, { SIMKEEP_SIM_CARRIER_LATENCY_MS: '0' });
  try {
    const { base } = server;
    const s = await setUp(base);
    const healthz = await measure(HEALTHZ_CALLS, CONCURRENCY, async () => void (await expectStatus(await fetch(`${base}/healthz`), 200, 'healthz')));
    const wallet = await measure(WALLET_ORDERS, CONCURRENCY, async () => {
      await expectStatus(await call(base, 'POST', '/api/v1/orders', s.token, { lineId: s.lineId, planId: s.planId, paymentMethod: 'wallet' }, { 'idempotency-key': randomUUID() }), 201, 'wallet order');
    });
    const paid = await measure(PAID_ORDERS, CONCURRENCY, async () => {
      const o = (await expectStatus(await call(base, 'POST', '/api/v1/orders', s.token, { lineId: s.lineId, planId: s.planId, paymentMethod: 'card' }, { 'idempotency-key': randomUUID() }), 201, 'card order')) as { id: string; payment: { id: string } };
      await payAndWait(base, s.token, o.id, o.payment.id);
    });
    return {
      'baseline GET /healthz': healthz,
      'wallet order (paid at once)': wallet,
      'card order → sandbox → webhook ×2 → completed': paid,
      'paid orders vs healthz (throughput)': ratio(paid.perSecond, healthz.perSecond),
      'paid orders vs wallet orders (throughput)': ratio(paid.perSecond, wallet.perSecond),
    };
  } finally {
    await server.stop();
  }
}
