import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { X509Certificate, createSign } from 'node:crypto';
import {
  PAYPAL_CERT_CACHE_TTL_MS, PAYPAL_TRANSMISSION_TOLERANCE_SECONDS, PaypalProvider, isAllowedPaypalCertUrl, paypalSignedString,
} from '../../src/adapters/payments/paypal.ts';
import { ProviderRejectedError, ProviderUnavailableError, SignatureError } from '../../src/adapters/payments/types.ts';
import { OTHER_NAME_CERT_PEM, SELF_SIGNED_CERT_PEM, TEST_CA_PEM, TEST_CERT_KEY_PEM, TEST_CERT_PEM } from '../support/paypal-cert.ts';
import { closeServer, closedLoopbackUrl, listenOnLoopback } from '../support/loopback.ts';
import { rsaPemPair } from '../support/provider-keys.ts';

const stranger = rsaPemPair();
const webhookId = '1JE4291016473214C';
const certUrl = 'https://api.paypal.com/v1/notifications/certs/CERT-360caa42-fca2a594-a5cafa77';
// Inside the fixture certificate's validity, whatever today's date is.
const now = new Date(Date.parse(new X509Certificate(TEST_CERT_PEM).validFrom) + 86_400_000);

function captureEvent(eventType: string, resource: Record<string, unknown>, id = 'WH-2WR32451HC0233532-67976317FL4543714'): string {
  return JSON.stringify({ id, event_version: '1.0', create_time: '2025-03-01T12:00:00.000Z', resource_type: 'capture', event_type: eventType, resource });
}

const capture = {
  id: '2GG279541U471931P', status: 'COMPLETED', amount: { currency_code: 'USD', value: '19.99' }, custom_id: 'pay_abc', invoice_id: 'pay_abc',
  supplementary_data: { related_ids: { order_id: '5O190127TN364715T' } },
};

function headers(body: string, privateKey = TEST_CERT_KEY_PEM, url = certUrl, sentAt = new Date(now.getTime() + 1_000)): Record<string, string> {
  const transmissionId = '69cd13f0-d67a-11e5-baa3-778b53f4ae55';
  const transmissionTime = sentAt.toISOString();
  const sig = createSign('RSA-SHA256').update(paypalSignedString(transmissionId, transmissionTime, webhookId, body)).sign(privateKey, 'base64');
  return {
    'paypal-transmission-id': transmissionId, 'paypal-transmission-time': transmissionTime, 'paypal-transmission-sig': sig,
    'paypal-cert-url': url, 'paypal-auth-algo': 'SHA256withRSA',
  };
}

function providerWithCert(certPem = TEST_CERT_PEM, baseUrl?: string): { provider: PaypalProvider; fetched: string[] } {
  const fetched: string[] = [];
  const provider = new PaypalProvider({
    clientId: 'client', clientSecret: 'secret', webhookId, now: () => now, trustedCaPems: [TEST_CA_PEM],
    fetchCert: async (url) => {
      fetched.push(url);
      return certPem;
    },
    ...(baseUrl === undefined ? {} : { baseUrl, timeoutMs: 2_000 }),
  });
  return { provider, fetched };
}

describe('PayPal webhook signature', () => {
  it('signs CRC32 of the body as an unsigned decimal', () => {
    // The standard CRC-32 check value of "123456789" is 0xCBF43926.
    expect(paypalSignedString('t', 'time', 'wh', '123456789')).toBe(`t|time|wh|${0xcbf43926}`);
  });

  it('accepts a signature made with the certificate from paypal-cert-url and caches the certificate', async () => {
    const { provider, fetched } = providerWithCert();
    const body = captureEvent('PAYMENT.CAPTURE.COMPLETED', capture);
    const event = await provider.parseNotification({ headers: headers(body), rawBody: body, now });
    expect(event).toEqual({
      type: 'payment_succeeded', eventId: 'WH-2WR32451HC0233532-67976317FL4543714', paymentId: 'pay_abc', providerRef: '5O190127TN364715T',
      amount: { amountMinor: 1999, currency: 'USD' },
    });
    await provider.parseNotification({ headers: headers(body), rawBody: body, now });
    expect(fetched).toEqual([certUrl]);
    expect(provider.acknowledge(event).status).toBe(200);
  });

  it('refuses a bare public key, a self-signed certificate in PayPal\'s name and a certificate issued to another name', async () => {
    const keys = rsaPemPair();
    const body = captureEvent('PAYMENT.CAPTURE.COMPLETED', capture);
    for (const [pem, privateKey] of [[keys.publicKey, keys.privateKey], [SELF_SIGNED_CERT_PEM, TEST_CERT_KEY_PEM], [OTHER_NAME_CERT_PEM, TEST_CERT_KEY_PEM]] as const) {
      const { provider } = providerWithCert(pem);
      await expect(provider.parseNotification({ headers: headers(body, privateKey), rawBody: body, now })).rejects.toThrow(SignatureError);
    }
    // The real signing certificate is trusted only through a root: with Node's bundled roots (the
    // default) the test CA's certificate is refused too.
    const untrusted = new PaypalProvider({ clientId: 'c', clientSecret: 's', webhookId, fetchCert: async () => TEST_CERT_PEM });
    await expect(untrusted.parseNotification({ headers: headers(body), rawBody: body, now })).rejects.toThrow(SignatureError);
  });

  it('accepts the leaf followed by its issuer, as PayPal serves the chain', async () => {
    const { provider } = providerWithCert(TEST_CERT_PEM + TEST_CA_PEM);
    const body = captureEvent('PAYMENT.CAPTURE.COMPLETED', capture);
    await expect(provider.parseNotification({ headers: headers(body), rawBody: body, now })).resolves.toMatchObject({ type: 'payment_succeeded' });
  });

  it('keeps a verified certificate for an hour, then fetches and checks it again', async () => {
    let clock = now;
    const fetched: string[] = [];
    const provider = new PaypalProvider({
      clientId: 'c', clientSecret: 's', webhookId, trustedCaPems: [TEST_CA_PEM],
      fetchCert: async (url) => {
        fetched.push(url);
        return TEST_CERT_PEM;
      },
    });
    const deliver = async () => {
      const body = captureEvent('PAYMENT.CAPTURE.COMPLETED', capture);
      return provider.parseNotification({ headers: headers(body, TEST_CERT_KEY_PEM, certUrl, clock), rawBody: body, now: clock });
    };
    await deliver();
    clock = new Date(now.getTime() + PAYPAL_CERT_CACHE_TTL_MS - 1_000);
    await deliver();
    expect(fetched).toHaveLength(1);
    clock = new Date(now.getTime() + PAYPAL_CERT_CACHE_TTL_MS + 1_000);
    await deliver();
    expect(fetched).toHaveLength(2);
  });

  it('rejects a tampered body, a wrong key, another webhook id and missing headers', async () => {
    const { provider } = providerWithCert();
    const body = captureEvent('PAYMENT.CAPTURE.COMPLETED', capture);
    await expect(provider.parseNotification({ headers: headers(body), rawBody: body.replace('19.99', '99.99'), now })).rejects.toThrow(SignatureError);
    await expect(provider.parseNotification({ headers: headers(body, stranger.privateKey), rawBody: body, now })).rejects.toThrow(SignatureError);
    const other = new PaypalProvider({ clientId: 'c', clientSecret: 's', webhookId: 'OTHERWEBHOOK', trustedCaPems: [TEST_CA_PEM], fetchCert: async () => TEST_CERT_PEM });
    await expect(other.parseNotification({ headers: headers(body), rawBody: body, now })).rejects.toThrow(SignatureError);
    for (const name of Object.keys(headers(body))) {
      const partial: Record<string, string | undefined> = { ...headers(body), [name]: undefined };
      await expect(provider.parseNotification({ headers: partial, rawBody: body, now }), name).rejects.toThrow(SignatureError);
    }
    await expect(provider.parseNotification({ headers: { ...headers(body), 'paypal-auth-algo': 'SHA1withRSA' }, rawBody: body, now })).rejects.toThrow(SignatureError);
  });

  it("refuses cert URLs off PayPal's certificate hosts and path, or without https, before fetching anything", async () => {
    const { provider, fetched } = providerWithCert();
    const body = captureEvent('PAYMENT.CAPTURE.COMPLETED', capture);
    for (const url of [
      'http://api.paypal.com/v1/notifications/certs/CERT-1', 'https://paypal.com.evil.example/cert', 'https://evilpaypal.com/cert',
      'https://api.paypal.com:8443/cert', 'https://user@api.paypal.com/cert', 'file:///etc/passwd', 'not a url',
      // Other PayPal hosts, or other paths on the right host, do not serve signing certificates.
      'https://www.paypal.com/v1/notifications/certs/CERT-1', 'https://evil.paypal.com/v1/notifications/certs/CERT-1',
      'https://api.paypal.com/v2/checkout/orders/CERT-1', 'https://api.paypal.com/v1/notifications/certs/',
      'https://api.paypal.com/v1/notifications/certs/CERT-1?x=1',
    ]) {
      expect(isAllowedPaypalCertUrl(url), url).toBe(false);
      await expect(provider.parseNotification({ headers: headers(body, TEST_CERT_KEY_PEM, url), rawBody: body, now }), url).rejects.toThrow(SignatureError);
    }
    expect(fetched).toEqual([]);
    for (const host of ['api.paypal.com', 'api-m.paypal.com', 'api.sandbox.paypal.com', 'api-m.sandbox.paypal.com']) {
      expect(isAllowedPaypalCertUrl(`https://${host}/v1/notifications/certs/CERT-1`), host).toBe(true);
    }
  });

  it('refuses a certificate outside its validity period', async () => {
    const { provider } = providerWithCert();
    const body = captureEvent('PAYMENT.CAPTURE.COMPLETED', capture);
    const before = new Date(now.getTime() - 10 * 86_400_000);
    await expect(provider.parseNotification({ headers: headers(body, TEST_CERT_KEY_PEM, certUrl, before), rawBody: body, now: before })).rejects.toThrow(SignatureError);
  });

  it('refuses a transmission time more than 5 minutes from our clock, or malformed, before fetching the certificate', async () => {
    const { provider, fetched } = providerWithCert();
    const body = captureEvent('PAYMENT.CAPTURE.COMPLETED', capture);
    const toleranceMs = PAYPAL_TRANSMISSION_TOLERANCE_SECONDS * 1000;
    for (const sentAt of [new Date(now.getTime() - toleranceMs - 1_000), new Date(now.getTime() + toleranceMs + 1_000)]) {
      await expect(provider.parseNotification({ headers: headers(body, TEST_CERT_KEY_PEM, certUrl, sentAt), rawBody: body, now })).rejects.toThrow(SignatureError);
    }
    for (const bad of ['yesterday', '2026-13-45', '1764579601']) {
      const h = { ...headers(body), 'paypal-transmission-time': bad };
      await expect(provider.parseNotification({ headers: h, rawBody: body, now }), bad).rejects.toThrow(SignatureError);
    }
    expect(fetched).toEqual([]);
    // Inside the window either way it verifies (the time is part of the signed string).
    const early = new Date(now.getTime() - toleranceMs + 5_000);
    await expect(provider.parseNotification({ headers: headers(body, TEST_CERT_KEY_PEM, certUrl, early), rawBody: body, now })).resolves.toMatchObject({ type: 'payment_succeeded' });
  });

  it('passes the cert fetcher the operation deadline and lets its outage through as ProviderUnavailableError', async () => {
    const budgets: number[] = [];
    const provider = new PaypalProvider({
      clientId: 'c', clientSecret: 's', webhookId, now: () => now, trustedCaPems: [TEST_CA_PEM],
      fetchCert: async (_url, deadline) => {
        budgets.push(deadline.remainingMs());
        throw new ProviderUnavailableError('paypal unreachable (TimeoutError)');
      },
    });
    const body = captureEvent('PAYMENT.CAPTURE.COMPLETED', capture);
    await expect(provider.parseNotification({ headers: headers(body), rawBody: body, now })).rejects.toThrow(ProviderUnavailableError);
    expect(budgets).toHaveLength(1);
    expect(budgets[0]).toBeGreaterThan(13_000);
    expect(budgets[0]).toBeLessThanOrEqual(14_000);
  });
});

describe('PayPal webhook events', () => {
  it('maps denied captures to payment_failed, refunds to the total refunded, and ignores the rest', async () => {
    const { provider } = providerWithCert();
    const denied = captureEvent('PAYMENT.CAPTURE.DENIED', { ...capture, status: 'DECLINED' }, 'WH-2');
    await expect(provider.parseNotification({ headers: headers(denied), rawBody: denied, now })).resolves.toMatchObject({
      type: 'payment_failed', eventId: 'WH-2', paymentId: 'pay_abc',
    });
    const refund = captureEvent('PAYMENT.CAPTURE.REFUNDED', {
      id: '1JU08902781691411', status: 'COMPLETED', amount: { value: '5.00', currency_code: 'USD' }, custom_id: 'pay_abc',
      seller_payable_breakdown: { total_refunded_amount: { value: '7.00', currency_code: 'USD' } },
      links: [{ rel: 'up', method: 'GET', href: 'https://api.paypal.com/v2/payments/captures/2GG279541U471931P' }],
    }, 'WH-3');
    await expect(provider.parseNotification({ headers: headers(refund), rawBody: refund, now })).resolves.toEqual({
      type: 'refund_succeeded', eventId: 'WH-3', paymentId: 'pay_abc', providerRef: '2GG279541U471931P', amount: { amountMinor: 700, currency: 'USD' },
    });
    const other = captureEvent('CUSTOMER.DISPUTE.CREATED', {}, 'WH-4');
    await expect(provider.parseNotification({ headers: headers(other), rawBody: other, now })).resolves.toMatchObject({ type: 'ignored', eventId: 'WH-4' });
    const foreign = captureEvent('PAYMENT.CAPTURE.COMPLETED', { ...capture, custom_id: undefined, invoice_id: undefined }, 'WH-5');
    await expect(provider.parseNotification({ headers: headers(foreign), rawBody: foreign, now })).resolves.toMatchObject({ type: 'ignored' });
  });
});

describe('PayPal API calls', () => {
  let server: Server;
  let baseUrl: string;
  const seen: { method: string; path: string; auth: string; requestId: string; body: string }[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      let data = '';
      req.on('data', (c: Buffer) => (data += c.toString('utf8')));
      req.on('end', () => {
        const requestId = req.headers['paypal-request-id'];
        seen.push({ method: req.method ?? '', path: req.url ?? '', auth: req.headers.authorization ?? '', requestId: typeof requestId === 'string' ? requestId : '', body: data });
        res.setHeader('content-type', 'application/json');
        if (req.url === '/v1/oauth2/token') {
          res.end('{"access_token":"A21AAtoken","token_type":"Bearer","expires_in":32400}');
        } else if (req.url === '/v2/checkout/orders') {
          res.statusCode = 200;
          res.end('{"id":"5O190127TN364715T","status":"PAYER_ACTION_REQUIRED","links":[{"href":"https://api-m.paypal.com/v2/checkout/orders/5O190127TN364715T","rel":"self","method":"GET"},{"href":"https://www.paypal.com/checkoutnow?token=5O190127TN364715T","rel":"payer-action","method":"GET"}]}');
        } else if (req.url === '/v2/checkout/orders/5O190127TN364715T/capture') {
          res.statusCode = 201;
          res.end('{"id":"5O190127TN364715T","status":"COMPLETED"}');
        } else if (req.url === '/v2/checkout/orders/DECLINED0000000/capture') {
          res.statusCode = 422;
          res.end('{"name":"UNPROCESSABLE_ENTITY","details":[{"issue":"INSTRUMENT_DECLINED","description":"The instrument presented was declined."}]}');
        } else if (req.url === '/v2/checkout/orders/CAPTURED0000000') {
          // Shape of GET /v2/checkout/orders/{id} after a capture and a partial refund (Orders v2 docs).
          res.end(JSON.stringify({
            id: 'CAPTURED0000000', status: 'COMPLETED', intent: 'CAPTURE',
            purchase_units: [{ reference_id: 'ord_1', custom_id: 'pay_abc', payments: {
              captures: [{ id: '2GG279541U471931P', status: 'PARTIALLY_REFUNDED', amount: { currency_code: 'USD', value: '19.99' } }],
              refunds: [
                { id: '1JU08902781691411', status: 'COMPLETED', amount: { currency_code: 'USD', value: '5.00' } },
                { id: '1JU08902781691412', status: 'PENDING', amount: { currency_code: 'USD', value: '1.00' } },
              ],
            } }],
          }));
        } else if (req.url === '/v2/checkout/orders/APPROVED0000000') {
          res.end('{"id":"APPROVED0000000","status":"APPROVED","purchase_units":[{"custom_id":"pay_abc"}]}');
        } else if (req.url === '/v2/checkout/orders/UNKNOWN00000000') {
          res.statusCode = 404;
          res.end('{"name":"RESOURCE_NOT_FOUND","details":[{"issue":"INVALID_RESOURCE_ID"}]}');
        } else {
          res.statusCode = 503;
          res.end('{"name":"SERVICE_UNAVAILABLE"}');
        }
      });
    });
    baseUrl = await listenOnLoopback(server);
  });
  afterAll(() => closeServer(server));

  const input = {
    paymentId: 'pay_abc', orderId: 'ord_1', amount: { amountMinor: 1999, currency: 'USD' }, description: '30-day plan',
    returnUrl: 'https://simkeep.example/orders/ord_1', notifyUrl: 'https://simkeep.example/api/v1/webhooks/paypal',
  };

  it('gets a client-credentials token, creates a CAPTURE order and redirects to the payer-action link', async () => {
    const { provider } = providerWithCert(TEST_CERT_PEM, baseUrl);
    const created = await provider.createPayment(input);
    expect(created).toEqual({ providerRef: '5O190127TN364715T', action: { type: 'redirect', url: 'https://www.paypal.com/checkoutnow?token=5O190127TN364715T' } });
    const [token, order] = seen.slice(-2);
    expect(token?.auth).toBe(`Basic ${Buffer.from('client:secret').toString('base64')}`);
    expect(token?.body).toBe('grant_type=client_credentials');
    expect(order?.auth).toBe('Bearer A21AAtoken');
    expect(order?.requestId).toBe('create-pay_abc');
    expect(JSON.parse(order?.body ?? '{}')).toMatchObject({
      intent: 'CAPTURE', purchase_units: [{ custom_id: 'pay_abc', invoice_id: 'pay_abc', amount: { currency_code: 'USD', value: '19.99' } }],
    });
    await provider.createPayment(input);
    expect(seen.filter((s) => s.path === '/v1/oauth2/token')).toHaveLength(1); // token reused until it expires
  });

  it('captures an approved order once the signed CHECKOUT.ORDER.APPROVED arrives', async () => {
    const { provider } = providerWithCert(TEST_CERT_PEM, baseUrl);
    const body = JSON.stringify({ id: 'WH-9', event_type: 'CHECKOUT.ORDER.APPROVED', resource: { id: '5O190127TN364715T', status: 'APPROVED' } });
    await expect(provider.parseNotification({ headers: headers(body), rawBody: body, now })).resolves.toMatchObject({ type: 'ignored', eventId: 'WH-9' });
    expect(seen.at(-1)).toMatchObject({ method: 'POST', path: '/v2/checkout/orders/5O190127TN364715T/capture', requestId: 'capture-5O190127TN364715T' });
  });

  it('acknowledges an approval whose capture PayPal refuses (recorded, never a signature error)', async () => {
    const { provider } = providerWithCert(TEST_CERT_PEM, baseUrl);
    const body = JSON.stringify({ id: 'WH-10', event_type: 'CHECKOUT.ORDER.APPROVED', resource: { id: 'DECLINED0000000', status: 'APPROVED' } });
    await expect(provider.parseNotification({ headers: headers(body), rawBody: body, now })).resolves.toEqual({
      type: 'ignored', eventId: 'WH-10', reason: 'order approved; capture refused (INSTRUMENT_DECLINED)',
    });
  });

  it('lets a capture outage through as ProviderUnavailableError (PayPal redelivers the approval)', async () => {
    const { provider } = providerWithCert(TEST_CERT_PEM, baseUrl);
    const body = JSON.stringify({ id: 'WH-11', event_type: 'CHECKOUT.ORDER.APPROVED', resource: { id: 'OUTAGE000000000', status: 'APPROVED' } });
    await expect(provider.parseNotification({ headers: headers(body), rawBody: body, now })).rejects.toThrow(ProviderUnavailableError);
  });

  it('looks a payment up by its order: captured, refunded so far, or unknown to PayPal', async () => {
    const { provider } = providerWithCert(TEST_CERT_PEM, baseUrl);
    const lookup = (providerRef: string | null) => provider.lookupPayment({ paymentId: 'pay_abc', providerRef, currency: 'USD' });
    await expect(lookup('CAPTURED0000000')).resolves.toEqual({
      status: 'succeeded', captured: { amountMinor: 1999, currency: 'USD' }, refunded: { amountMinor: 500, currency: 'USD' },
    });
    await expect(lookup('APPROVED0000000')).resolves.toEqual({ status: 'pending', captured: null, refunded: null });
    await expect(lookup('UNKNOWN00000000')).resolves.toBeNull();
    await expect(lookup(null)).resolves.toEqual({ status: 'unknown', captured: null, refunded: null });
    expect(seen.at(-1)?.method).toBe('GET');
  });

  it('declares saved-method charges unsupported (they need PayPal Vault)', async () => {
    const { provider } = providerWithCert(TEST_CERT_PEM, baseUrl);
    expect(provider.supportsSavedMethods).toBe(false);
    const charge = provider.chargeSavedMethod();
    await expect(charge).rejects.toThrow(ProviderRejectedError);
    await expect(charge).rejects.toMatchObject({ providerCode: 'saved_method_unsupported' });
  });

  it('turns a 5xx and an unreachable API into ProviderUnavailableError', async () => {
    const { provider } = providerWithCert(TEST_CERT_PEM, baseUrl);
    await expect(provider.refund({ paymentId: 'pay_abc', providerRef: '5O190127TN364715T', refundId: 'ref_1', amount: { amountMinor: 1, currency: 'USD' }, reason: 'x' }))
      .rejects.toThrow(ProviderUnavailableError);
    const closedUrl = await closedLoopbackUrl();
    const offline = providerWithCert(TEST_CERT_PEM, closedUrl).provider;
    await expect(offline.createPayment(input)).rejects.toThrow(ProviderUnavailableError);
  });
});

describe('PayPal operation deadline (API.md: 503 within 15 s)', () => {
  let server: Server;
  let baseUrl: string;
  let delayMs = 0;

  beforeAll(async () => {
    // Answers every call correctly, but only after `delayMs`: each call alone fits a per-call timeout.
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        setTimeout(() => {
          res.setHeader('content-type', 'application/json');
          if (req.url === '/v1/oauth2/token') res.end('{"access_token":"A21AAtoken","token_type":"Bearer","expires_in":32400}');
          else res.end('{"id":"5O190127TN364715T","links":[{"href":"https://www.paypal.com/checkoutnow?token=5O190127TN364715T","rel":"payer-action"}]}');
        }, delayMs);
      });
    });
    baseUrl = await listenOnLoopback(server);
  });
  afterAll(() => closeServer(server));

  const input = {
    paymentId: 'pay_slow', orderId: 'ord_1', amount: { amountMinor: 1999, currency: 'USD' }, description: 'x',
    returnUrl: 'https://simkeep.example/orders/ord_1', notifyUrl: 'https://simkeep.example/api/v1/webhooks/paypal',
  };

  it('gives the token and the create call ONE budget, not one each', async () => {
    delayMs = 700;
    const provider = new PaypalProvider({ clientId: 'c', clientSecret: 's', webhookId, baseUrl, timeoutMs: 1_000 });
    const started = performance.now();
    await expect(provider.createPayment(input)).rejects.toThrow(ProviderUnavailableError);
    expect(performance.now() - started).toBeLessThan(1_400);
  });

  it('answers ProviderUnavailableError within the default 14 s when every call takes 9 s', async () => {
    delayMs = 9_000;
    const provider = new PaypalProvider({ clientId: 'c', clientSecret: 's', webhookId, baseUrl });
    const started = performance.now();
    await expect(provider.createPayment(input)).rejects.toThrow(ProviderUnavailableError);
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThan(13_000);
    expect(elapsed).toBeLessThan(14_500);
  }, 30_000);
});
