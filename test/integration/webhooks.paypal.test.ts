// PayPal webhooks end to end over HTTP, offline: deliveries are signed locally with a test
// certificate's key, the adapter's cert fetcher is injected (no network), and a fake PayPal API on
// 127.0.0.1 answers the token, order and capture calls.
import { createSign, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { PaypalProvider, paypalSignedString } from '../../src/adapters/payments/paypal.ts';
import { ProviderUnavailableError } from '../../src/adapters/payments/types.ts';
import { forEachDatabase, type TestContext } from '../support/harness.ts';
import { buyer, expectLedgerSound, order, paymentJournals, plainPlan, walletOf } from '../support/orders-fixtures.ts';
import { TEST_CA_PEM, TEST_CERT_KEY_PEM, TEST_CERT_PEM } from '../support/paypal-cert.ts';
import { closeServer, listenOnLoopback } from '../support/loopback.ts';

const WEBHOOK_ID = '8PT597110X687430LKGECATA';
const CERT_URL = 'https://api.paypal.com/v1/notifications/certs/CERT-360caa42-fca2a594-a5cafa77';

type CaptureBehaviour = 'ok' | 'down' | 'refuse';
const captureBehaviour = new Map<string, CaptureBehaviour>();
const captured: string[] = [];
let api: Server;
let apiUrl = '';

beforeAll(async () => {
  api = createServer((req, res) => {
    let data = '';
    req.on('data', (c: Buffer) => (data += c.toString('utf8')));
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      const url = req.url ?? '';
      if (url === '/v1/oauth2/token') return res.end('{"access_token":"A21AAlocal","token_type":"Bearer","expires_in":32400}');
      if (url === '/v2/checkout/orders') {
        const customId = (JSON.parse(data) as { purchase_units: Array<{ custom_id: string }> }).purchase_units[0]?.custom_id ?? '';
        const id = `PP-${customId}`;
        res.statusCode = 200;
        return res.end(JSON.stringify({ id, status: 'PAYER_ACTION_REQUIRED', links: [{ rel: 'payer-action', href: `https://www.paypal.com/checkoutnow?token=${id}`, method: 'GET' }] }));
      }
      const capture = /^\/v2\/checkout\/orders\/([^/]+)\/capture$/.exec(url);
      if (capture?.[1]) {
        const behaviour = captureBehaviour.get(capture[1]) ?? 'ok';
        if (behaviour === 'down') {
          res.statusCode = 503;
          return res.end('{"name":"SERVICE_UNAVAILABLE"}');
        }
        if (behaviour === 'refuse') {
          res.statusCode = 422;
          return res.end('{"name":"UNPROCESSABLE_ENTITY","details":[{"issue":"INSTRUMENT_DECLINED"}]}');
        }
        captured.push(capture[1]);
        res.statusCode = 201;
        return res.end(JSON.stringify({ id: capture[1], status: 'COMPLETED' }));
      }
      res.statusCode = 404;
      res.end('{"name":"RESOURCE_NOT_FOUND"}');
    });
  });
  apiUrl = await listenOnLoopback(api);
});
afterAll(() => closeServer(api));

/** The app's PayPal adapter, with the fake API and an injected cert fetcher that counts its calls. */
function usePaypal(ctx: TestContext): { certFetches: string[]; setCertDown: (down: boolean) => void } {
  const certFetches: string[] = [];
  let certDown = false;
  ctx.providers.override('paypal', new PaypalProvider({
    clientId: 'client', clientSecret: 'secret', webhookId: WEBHOOK_ID, baseUrl: apiUrl, timeoutMs: 3_000, trustedCaPems: [TEST_CA_PEM],
    fetchCert: async (url) => {
      certFetches.push(url);
      if (certDown) throw new ProviderUnavailableError('paypal unreachable (TimeoutError)');
      return TEST_CERT_PEM;
    },
  }));
  return { certFetches, setCertDown: (down) => void (certDown = down) };
}

function delivery(eventType: string, resource: Record<string, unknown>, sentAt = new Date()): { body: string; headers: Record<string, string> } {
  const body = JSON.stringify({ id: `WH-${randomUUID()}`, event_version: '1.0', create_time: sentAt.toISOString(), resource_type: 'checkout-order', event_type: eventType, resource });
  const transmissionId = randomUUID();
  const transmissionTime = sentAt.toISOString();
  const sig = createSign('RSA-SHA256').update(paypalSignedString(transmissionId, transmissionTime, WEBHOOK_ID, body)).sign(TEST_CERT_KEY_PEM, 'base64');
  return {
    body,
    headers: {
      'content-type': 'application/json', 'paypal-transmission-id': transmissionId, 'paypal-transmission-time': transmissionTime,
      'paypal-transmission-sig': sig, 'paypal-cert-url': CERT_URL, 'paypal-auth-algo': 'SHA256withRSA',
    },
  };
}

const post = (ctx: TestContext, d: { body: string; headers: Record<string, string> }) =>
  ctx.call('POST', '/api/v1/webhooks/paypal', { raw: d.body, headers: d.headers });

async function paypalOrder(ctx: TestContext) {
  const b = await buyer(ctx);
  const plan = await plainPlan(ctx, 500);
  const created = await order(ctx, b, { planId: plan.id, paymentMethod: 'paypal' });
  expect(created.status, created.text).toBe(201);
  expect(created.json.payment.provider).toBe('paypal');
  const paymentId: string = created.json.payment.id;
  const paypalOrderId = `PP-${paymentId}`;
  expect(created.json.payment.action.url).toBe(`https://www.paypal.com/checkoutnow?token=${paypalOrderId}`);
  const approved = () => delivery('CHECKOUT.ORDER.APPROVED', { id: paypalOrderId, status: 'APPROVED', purchase_units: [{ custom_id: paymentId }] });
  const completed = () => delivery('PAYMENT.CAPTURE.COMPLETED', {
    id: `CAP-${paymentId.slice(4)}`, status: 'COMPLETED', amount: { currency_code: 'USD', value: '5.00' }, custom_id: paymentId, invoice_id: paymentId,
    supplementary_data: { related_ids: { order_id: paypalOrderId } },
  });
  return { b, orderId: created.json.id as string, paymentId, paypalOrderId, approved, completed };
}

async function eventsOf(ctx: TestContext, paymentId: string): Promise<string[]> {
  const { rows } = await ctx.db.query<{ outcome: string }>('SELECT outcome FROM payment_events WHERE payment_id = $1 ORDER BY received_at', [paymentId]);
  return rows.map((r) => r.outcome);
}

forEachDatabase('PayPal webhooks (signed locally, cert fetcher injected)', (get) => {
  it('captures on approval, settles on PAYMENT.CAPTURE.COMPLETED once, and fetches the certificate once', async () => {
    const ctx = get();
    const { certFetches } = usePaypal(ctx);
    const p = await paypalOrder(ctx);
    const approval = await post(ctx, p.approved());
    expect(approval.status, approval.text).toBe(200);
    expect(captured).toContain(p.paypalOrderId);
    const done = p.completed();
    const forged = { ...done, body: done.body.replace('"5.00"', '"0.05"') };
    expect((await post(ctx, forged)).status).toBe(400);
    expect((await post(ctx, done)).status).toBe(200);
    expect((await post(ctx, done)).status).toBe(200);
    await ctx.drain();
    expect((await ctx.get(`/api/v1/orders/${p.orderId}`, { token: p.b.token })).json.status).toBe('completed');
    expect(await paymentJournals(ctx, p.orderId)).toBe(1);
    expect(certFetches).toEqual([CERT_URL]);
    await expectLedgerSound(ctx);
  });

  it('answers 503 provider_unavailable when the certificate cannot be fetched, and changes nothing', async () => {
    const ctx = get();
    const { setCertDown } = usePaypal(ctx);
    const p = await paypalOrder(ctx);
    setCertDown(true);
    const r = await post(ctx, p.completed());
    expect(r.status, r.text).toBe(503);
    expect(r.json.code).toBe('provider_unavailable');
    expect(await eventsOf(ctx, p.paymentId)).toEqual([]);
    expect((await ctx.get(`/api/v1/orders/${p.orderId}`, { token: p.b.token })).json.status).toBe('awaiting_payment');
    // PayPal redelivers; once the certificate is reachable the same delivery takes effect.
    setCertDown(false);
  });

  it('answers 503 when the capture of an approved order cannot reach PayPal, and 200 (recorded) when PayPal refuses it', async () => {
    const ctx = get();
    usePaypal(ctx);
    const down = await paypalOrder(ctx);
    captureBehaviour.set(down.paypalOrderId, 'down');
    const r = await post(ctx, down.approved());
    expect(r.status, r.text).toBe(503);
    expect(r.json.code).toBe('provider_unavailable');

    const refused = await paypalOrder(ctx);
    captureBehaviour.set(refused.paypalOrderId, 'refuse');
    const ack = await post(ctx, refused.approved());
    expect(ack.status, ack.text).toBe(200);
    const { rows } = await ctx.db.query<{ outcome: string; summary: { reason: string } }>(
      "SELECT outcome, summary FROM payment_events WHERE provider = 'paypal' AND type = 'ignored' AND summary->>'reason' LIKE '%INSTRUMENT_DECLINED%'",
    );
    expect(rows).toHaveLength(1);
    expect((await ctx.get(`/api/v1/orders/${refused.orderId}`, { token: refused.b.token })).json.status).toBe('awaiting_payment');
  });

  it('refuses a delivery whose transmission time is stale without fetching the certificate', async () => {
    const ctx = get();
    const { certFetches } = usePaypal(ctx);
    const p = await paypalOrder(ctx);
    const stale = delivery('PAYMENT.CAPTURE.COMPLETED', { custom_id: p.paymentId, amount: { currency_code: 'USD', value: '5.00' } }, new Date(Date.now() - 10 * 60_000));
    const r = await post(ctx, stale);
    expect(r.status).toBe(400);
    expect(r.json.code).toBe('invalid_signature');
    expect(certFetches).toEqual([]);
  });

  it('credits the wallet when an approval arrives after the order expired (the adapter cannot see the order)', async () => {
    const ctx = get();
    usePaypal(ctx);
    const p = await paypalOrder(ctx);
    await ctx.advance(31 * 60);
    expect((await ctx.get(`/api/v1/orders/${p.orderId}`, { token: p.b.token })).json.status).toBe('expired');
    expect((await post(ctx, p.approved())).status).toBe(200);
    expect(captured).toContain(p.paypalOrderId);
    expect((await post(ctx, p.completed())).status).toBe(200);
    await ctx.drain();
    expect((await ctx.get(`/api/v1/orders/${p.orderId}`, { token: p.b.token })).json.status).toBe('expired');
    expect(await walletOf(ctx, p.b)).toBe(500);
    expect(await eventsOf(ctx, p.paymentId)).toEqual(['late_capture_to_wallet']);
    await expectLedgerSound(ctx);
  });
}, { PAYPAL_CLIENT_ID: 'client', PAYPAL_CLIENT_SECRET: 'secret', PAYPAL_WEBHOOK_ID: WEBHOOK_ID });
