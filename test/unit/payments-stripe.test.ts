import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import Stripe from 'stripe';
import { StripeProvider } from '../../src/adapters/payments/stripe.ts';
import { ProviderRejectedError, ProviderUnavailableError, SignatureError } from '../../src/adapters/payments/types.ts';
import { closeServer, closedLoopbackUrl, listenOnLoopback } from '../support/loopback.ts';

const secret = 'whsec_test_simkeep';
const now = new Date('2025-03-01T12:00:00Z');
const nowSeconds = Math.floor(now.getTime() / 1000);

function eventBody(type: string, object: Record<string, unknown>, id = 'evt_1'): string {
  return JSON.stringify({ id, object: 'event', type, api_version: '2025-01-27', created: nowSeconds, data: { object } });
}

function signed(payload: string, timestamp = nowSeconds, signingSecret = secret): Record<string, string> {
  return { 'Stripe-Signature': Stripe.webhooks.generateTestHeaderString({ payload, secret: signingSecret, timestamp }) };
}

const completedSession = {
  id: 'cs_test_1',
  object: 'checkout.session',
  client_reference_id: 'pay_abc',
  metadata: { paymentId: 'pay_abc', orderId: 'ord_1' },
  payment_status: 'paid',
  amount_total: 1999,
  currency: 'usd',
};

describe('Stripe webhooks', () => {
  const provider = new StripeProvider({ secretKey: 'sk_test_x', webhookSecret: secret });

  it('parses a correctly signed checkout.session.completed into payment_succeeded', async () => {
    const body = eventBody('checkout.session.completed', completedSession);
    const event = await provider.parseNotification({ headers: signed(body), rawBody: body, now });
    expect(event).toEqual({
      type: 'payment_succeeded',
      eventId: 'evt_1',
      paymentId: 'pay_abc',
      providerRef: 'cs_test_1',
      amount: { amountMinor: 1999, currency: 'USD' },
    });
    expect(provider.acknowledge(event).status).toBe(200);
  });

  it('reads the header case-insensitively', async () => {
    const body = eventBody('checkout.session.completed', completedSession);
    const event = await provider.parseNotification({ headers: { 'stripe-signature': signed(body)['Stripe-Signature'] }, rawBody: body, now });
    expect(event.type).toBe('payment_succeeded');
  });

  it('rejects a tampered body, a wrong secret, a stale timestamp and a missing header', async () => {
    const body = eventBody('checkout.session.completed', completedSession);
    const tampered = body.replace('1999', '9999');
    await expect(provider.parseNotification({ headers: signed(body), rawBody: tampered, now })).rejects.toThrow(SignatureError);
    await expect(provider.parseNotification({ headers: signed(body, nowSeconds, 'whsec_other'), rawBody: body, now })).rejects.toThrow(SignatureError);
    await expect(provider.parseNotification({ headers: signed(body, nowSeconds - 301), rawBody: body, now })).rejects.toThrow(SignatureError);
    await expect(provider.parseNotification({ headers: {}, rawBody: body, now })).rejects.toThrow(SignatureError);
    // Dated ahead of our clock by more than the tolerance: refused like a stale one.
    await expect(provider.parseNotification({ headers: signed(body, nowSeconds + 301), rawBody: body, now })).rejects.toThrow(SignatureError);
    await expect(provider.parseNotification({ headers: signed(body, nowSeconds + 86_400), rawBody: body, now })).rejects.toThrow(SignatureError);
    await expect(provider.parseNotification({ headers: signed(body, nowSeconds + 300), rawBody: body, now })).resolves.toMatchObject({ type: 'payment_succeeded' });
    // 300 s old is still inside the published tolerance.
    await expect(provider.parseNotification({ headers: signed(body, nowSeconds - 300), rawBody: body, now })).resolves.toMatchObject({ type: 'payment_succeeded' });
  });

  it('maps payment_intent.succeeded by metadata.paymentId and treats payment_intent.payment_failed as a retryable attempt', async () => {
    const pi = { id: 'pi_1', object: 'payment_intent', metadata: { paymentId: 'pay_abc' }, amount_received: 500, currency: 'jpy' };
    const ok = eventBody('payment_intent.succeeded', pi, 'evt_2');
    await expect(provider.parseNotification({ headers: signed(ok), rawBody: ok, now })).resolves.toEqual({
      type: 'payment_succeeded', eventId: 'evt_2', paymentId: 'pay_abc', providerRef: 'pi_1', amount: { amountMinor: 500, currency: 'JPY' },
    });
    const failed = eventBody('payment_intent.payment_failed', { ...pi, last_payment_error: { code: 'card_declined', type: 'card_error' } }, 'evt_3');
    // Checkout lets the customer try another card in the same session: a declined attempt ends nothing.
    await expect(provider.parseNotification({ headers: signed(failed), rawBody: failed, now })).resolves.toMatchObject({
      type: 'ignored', eventId: 'evt_3',
    });
  });

  it('fails the payment only when the checkout session expires or its delayed payment fails', async () => {
    for (const [type, reason] of [['checkout.session.expired', 'checkout session expired'], ['checkout.session.async_payment_failed', 'async payment failed']] as const) {
      const body = eventBody(type, { ...completedSession, payment_status: 'unpaid' }, `evt_${type}`);
      await expect(provider.parseNotification({ headers: signed(body), rawBody: body, now })).resolves.toEqual({
        type: 'payment_failed', eventId: `evt_${type}`, paymentId: 'pay_abc', providerRef: 'cs_test_1', reason,
      });
    }
  });

  it('maps charge.refunded to refund_succeeded with the total refunded', async () => {
    const charge = { id: 'ch_1', object: 'charge', metadata: { paymentId: 'pay_abc' }, amount_refunded: 700, currency: 'usd', payment_intent: 'pi_1' };
    const body = eventBody('charge.refunded', charge, 'evt_4');
    await expect(provider.parseNotification({ headers: signed(body), rawBody: body, now })).resolves.toEqual({
      type: 'refund_succeeded', eventId: 'evt_4', paymentId: 'pay_abc', providerRef: 'pi_1', amount: { amountMinor: 700, currency: 'USD' },
    });
  });

  it('ignores unpaid sessions, unrelated objects and events simkeep does not use', async () => {
    const unpaid = eventBody('checkout.session.completed', { ...completedSession, payment_status: 'unpaid' }, 'evt_5');
    await expect(provider.parseNotification({ headers: signed(unpaid), rawBody: unpaid, now })).resolves.toMatchObject({ type: 'ignored', eventId: 'evt_5' });
    const other = eventBody('customer.created', { id: 'cus_1', object: 'customer' }, 'evt_6');
    await expect(provider.parseNotification({ headers: signed(other), rawBody: other, now })).resolves.toMatchObject({ type: 'ignored', eventId: 'evt_6' });
    const foreign = eventBody('payment_intent.succeeded', { id: 'pi_9', metadata: {}, amount_received: 1, currency: 'usd' }, 'evt_7');
    await expect(provider.parseNotification({ headers: signed(foreign), rawBody: foreign, now })).resolves.toMatchObject({ type: 'ignored' });
  });

  it('acknowledges and ignores a signed event whose object lacks the amount, currency or metadata fields', async () => {
    const bare: Array<[string, Record<string, unknown>]> = [
      ['payment_intent.succeeded', { id: 'pi_1', object: 'payment_intent' }],
      ['payment_intent.succeeded', { id: 'pi_1', metadata: { paymentId: 'pay_abc' } }],
      ['payment_intent.succeeded', { id: 'pi_1', metadata: { paymentId: 'pay_abc' }, amount_received: '5', currency: 7 }],
      ['charge.refunded', { id: 'ch_1', object: 'charge' }],
      ['checkout.session.completed', { id: 'cs_1', payment_status: 'paid', client_reference_id: 'pay_abc' }],
      ['checkout.session.expired', { id: 'cs_1' }],
    ];
    for (const [type, object] of bare) {
      const body = eventBody(type, object, 'evt_bare');
      await expect(provider.parseNotification({ headers: signed(body), rawBody: body, now }), `${type} ${JSON.stringify(object)}`).resolves.toMatchObject({ type: 'ignored', eventId: 'evt_bare' });
    }
    const noData = JSON.stringify({ id: 'evt_nodata', object: 'event', type: 'payment_intent.succeeded' });
    await expect(provider.parseNotification({ headers: signed(noData), rawBody: noData, now })).resolves.toMatchObject({ type: 'ignored' });
    const noId = JSON.stringify({ object: 'event', type: 'payment_intent.succeeded', data: { object: {} } });
    await expect(provider.parseNotification({ headers: signed(noId), rawBody: noId, now })).rejects.toThrow(SignatureError);
  });
});

describe('Stripe API calls', () => {
  let server: Server;
  let baseUrl: string;
  const requests: { path: string; body: string; idempotencyKey: string | undefined }[] = [];

  function readBody(req: IncomingMessage): Promise<string> {
    return new Promise((resolve) => {
      let data = '';
      req.on('data', (c: Buffer) => (data += c.toString('utf8')));
      req.on('end', () => resolve(data));
    });
  }

  beforeAll(async () => {
    server = createServer((req, res) => {
      void readBody(req).then((body) => {
        const idem = req.headers['idempotency-key'];
        requests.push({ path: req.url ?? '', body, idempotencyKey: typeof idem === 'string' ? idem : undefined });
        res.setHeader('content-type', 'application/json');
        const path = (req.url ?? '').split('?')[0];
        const form = new URLSearchParams(body);
        if (req.url === '/v1/checkout/sessions') {
          res.end(JSON.stringify({ id: 'cs_test_9', object: 'checkout.session', url: 'https://checkout.stripe.com/c/pay/cs_test_9' }));
        } else if (req.url === '/v1/refunds') {
          res.end(JSON.stringify({ id: 're_1', object: 'refund', status: 'succeeded' }));
        } else if (path === '/v1/checkout/sessions/cs_paid') {
          // A completed session, its PaymentIntent and latest charge expanded (as requested), 700 of 1999 refunded.
          res.end(JSON.stringify({
            id: 'cs_paid', object: 'checkout.session', status: 'complete', payment_status: 'paid', amount_total: 1999, currency: 'usd',
            payment_intent: { id: 'pi_paid', object: 'payment_intent', status: 'succeeded', amount_received: 1999, currency: 'usd',
              latest_charge: { id: 'ch_1', object: 'charge', amount_refunded: 700, currency: 'usd' } },
          }));
        } else if (path === '/v1/checkout/sessions/cs_expired') {
          res.end(JSON.stringify({ id: 'cs_expired', object: 'checkout.session', status: 'expired', payment_status: 'unpaid', amount_total: 1999, currency: 'usd', payment_intent: null }));
        } else if (path === '/v1/payment_intents/pi_refunded') {
          res.end(JSON.stringify({ id: 'pi_refunded', object: 'payment_intent', status: 'succeeded', amount_received: 500, currency: 'usd',
            latest_charge: { id: 'ch_2', object: 'charge', amount_refunded: 500, currency: 'usd' } }));
        } else if (path === '/v1/checkout/sessions/cs_missing') {
          res.statusCode = 404;
          res.end(JSON.stringify({ error: { type: 'invalid_request_error', code: 'resource_missing', message: 'No such checkout.session' } }));
        } else if (path === '/v1/payment_intents') {
          const pm = form.get('payment_method');
          if (pm === 'pm_card_authenticationRequired') {
            res.statusCode = 402;
            res.end(JSON.stringify({ error: { type: 'card_error', code: 'authentication_required', message: 'This payment requires authentication.',
              payment_intent: { id: 'pi_auth', object: 'payment_intent', status: 'requires_payment_method' } } }));
          } else if (pm === 'pm_card_chargeDeclined') {
            res.statusCode = 402;
            res.end(JSON.stringify({ error: { type: 'card_error', code: 'card_declined', decline_code: 'generic_decline', message: 'Your card was declined.',
              payment_intent: { id: 'pi_declined', object: 'payment_intent', status: 'requires_payment_method' } } }));
          } else {
            res.end(JSON.stringify({ id: 'pi_offsession', object: 'payment_intent', status: 'succeeded', amount_received: Number(form.get('amount')), currency: form.get('currency') }));
          }
        } else {
          res.statusCode = 500;
          res.end(JSON.stringify({ error: { type: 'api_error', message: 'boom' } }));
        }
      });
    });
    baseUrl = await listenOnLoopback(server);
  });
  afterAll(() => closeServer(server));

  const input = {
    paymentId: 'pay_abc', orderId: 'ord_1', amount: { amountMinor: 1999, currency: 'USD' }, description: '30-day plan',
    returnUrl: 'https://simkeep.example/orders/ord_1', notifyUrl: 'https://simkeep.example/api/v1/webhooks/stripe',
  };

  it('creates a Checkout Session carrying the paymentId and redirects to its url', async () => {
    const provider = new StripeProvider({ secretKey: 'sk_test_x', webhookSecret: secret, apiBaseUrl: baseUrl, now: () => now });
    const created = await provider.createPayment(input);
    expect(created).toEqual({ providerRef: 'cs_test_9', action: { type: 'redirect', url: 'https://checkout.stripe.com/c/pay/cs_test_9' } });
    const sent = new URLSearchParams(requests.at(-1)?.body ?? '');
    expect(sent.get('mode')).toBe('payment');
    expect(sent.get('client_reference_id')).toBe('pay_abc');
    expect(sent.get('payment_intent_data[metadata][paymentId]')).toBe('pay_abc');
    expect(sent.get('line_items[0][price_data][unit_amount]')).toBe('1999');
    expect(sent.get('line_items[0][price_data][currency]')).toBe('usd');
    expect(requests.at(-1)?.idempotencyKey).toBe('create-pay_abc');
  });

  it('refunds a PaymentIntent with the refund id as idempotency key', async () => {
    const provider = new StripeProvider({ secretKey: 'sk_test_x', webhookSecret: secret, apiBaseUrl: baseUrl });
    const result = await provider.refund({ paymentId: 'pay_abc', providerRef: 'pi_1', refundId: 'ref_1', amount: { amountMinor: 500, currency: 'USD' }, reason: 'provisioning failed' });
    expect(result).toEqual({ providerRefundRef: 're_1', status: 'succeeded' });
    expect(requests.at(-1)?.idempotencyKey).toBe('refund-ref_1');
    expect(new URLSearchParams(requests.at(-1)?.body ?? '').get('payment_intent')).toBe('pi_1');
  });

  it('looks a payment up through its Checkout Session or PaymentIntent, with the total refunded', async () => {
    const provider = new StripeProvider({ secretKey: 'sk_test_x', webhookSecret: secret, apiBaseUrl: baseUrl });
    const lookup = (providerRef: string | null) => provider.lookupPayment({ paymentId: 'pay_abc', providerRef, currency: 'USD' });
    await expect(lookup('cs_paid')).resolves.toEqual({
      status: 'succeeded', captured: { amountMinor: 1999, currency: 'USD' }, refunded: { amountMinor: 700, currency: 'USD' },
    });
    expect(requests.at(-1)?.path).toContain('expand');
    await expect(lookup('cs_expired')).resolves.toEqual({ status: 'failed', captured: null, refunded: null });
    await expect(lookup('pi_refunded')).resolves.toEqual({
      status: 'refunded', captured: { amountMinor: 500, currency: 'USD' }, refunded: { amountMinor: 500, currency: 'USD' },
    });
    await expect(lookup('cs_missing')).resolves.toBeNull();
    await expect(lookup(null)).resolves.toEqual({ status: 'unknown', captured: null, refunded: null });
  });

  it('charges a saved card off-session, keyed by the payment id, and maps authentication and declines', async () => {
    const provider = new StripeProvider({ secretKey: 'sk_test_x', webhookSecret: secret, apiBaseUrl: baseUrl });
    expect(provider.supportsSavedMethods).toBe(true);
    const charge = (savedMethodRef: string) => provider.chargeSavedMethod({
      paymentId: 'pay_renew', orderId: 'ord_2', amount: { amountMinor: 500, currency: 'USD' }, description: 'renewal', savedMethodRef,
    });
    await expect(charge('cus_A1:pm_card_visa')).resolves.toEqual({ providerRef: 'pi_offsession', status: 'succeeded' });
    const sent = requests.at(-1);
    expect(sent?.idempotencyKey).toBe('charge-pay_renew');
    const form = new URLSearchParams(sent?.body ?? '');
    expect(Object.fromEntries(['customer', 'payment_method', 'off_session', 'confirm', 'amount', 'currency', 'metadata[paymentId]'].map((k) => [k, form.get(k)]))).toEqual({
      customer: 'cus_A1', payment_method: 'pm_card_visa', off_session: 'true', confirm: 'true', amount: '500', currency: 'usd', 'metadata[paymentId]': 'pay_renew',
    });
    await expect(charge('cus_A1:pm_card_authenticationRequired')).resolves.toEqual({ providerRef: 'pi_auth', status: 'requires_action' });
    await expect(charge('cus_A1:pm_card_chargeDeclined')).resolves.toEqual({ providerRef: 'pi_declined', status: 'declined' });
    await expect(charge('pm_card_visa')).rejects.toThrow(ProviderRejectedError);
  });

  it('turns a 5xx and an unreachable API into ProviderUnavailableError', async () => {
    const provider = new StripeProvider({ secretKey: 'sk_test_x', webhookSecret: secret, apiBaseUrl: baseUrl });
    await expect(provider.refund({ paymentId: 'pay_abc', providerRef: 'cs_unknown', refundId: 'ref_2', amount: { amountMinor: 1, currency: 'USD' }, reason: 'x' }))
      .rejects.toThrow(ProviderUnavailableError);
    const closedUrl = await closedLoopbackUrl();
    const offline = new StripeProvider({ secretKey: 'sk_test_x', webhookSecret: secret, apiBaseUrl: closedUrl, timeoutMs: 2_000 });
    await expect(offline.createPayment(input)).rejects.toThrow(ProviderUnavailableError);
  });
});

describe('Stripe operation deadline (API.md: 503 within 15 s)', () => {
  let server: Server;
  let baseUrl: string;
  const delayMs = 700;

  beforeAll(async () => {
    // Every call answers correctly but slowly: the session lookup and the refund each fit 1 s alone.
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        setTimeout(() => {
          res.setHeader('content-type', 'application/json');
          if (req.url?.startsWith('/v1/checkout/sessions/')) res.end(JSON.stringify({ id: 'cs_slow', object: 'checkout.session', payment_intent: 'pi_slow' }));
          else res.end(JSON.stringify({ id: 're_slow', object: 'refund', status: 'succeeded' }));
        }, delayMs);
      });
    });
    baseUrl = await listenOnLoopback(server);
  });
  afterAll(() => closeServer(server));

  it('gives the session lookup and the refund ONE budget, not one each', async () => {
    const provider = new StripeProvider({ secretKey: 'sk_test_x', webhookSecret: secret, apiBaseUrl: baseUrl, timeoutMs: 1_000 });
    const started = performance.now();
    await expect(provider.refund({ paymentId: 'pay_abc', providerRef: 'cs_slow', refundId: 'ref_9', amount: { amountMinor: 1, currency: 'USD' }, reason: 'x' }))
      .rejects.toThrow(ProviderUnavailableError);
    expect(performance.now() - started).toBeLessThan(1_400);
  });
});
