import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { X509Certificate, createSign, generateKeyPairSync } from 'node:crypto';
import { PaypalProvider, isAllowedPaypalCertUrl, paypalSignedString } from '../../src/adapters/payments/paypal.ts';
import { ProviderUnavailableError, SignatureError } from '../../src/adapters/payments/types.ts';

// A self-signed test certificate made locally with
// `openssl req -x509 -newkey rsa:2048 -nodes -days 36500 -subj /CN=messageverificationcerts.paypal.com`;
// it stands for PayPal's signing certificate. Test material only.
const TEST_CERT_PEM = `-----BEGIN CERTIFICATE-----
MIIDPzCCAiegAwIBAgIUA1ClLbwb664Z3Xtw9uAri0RMg/8wDQYJKoZIhvcNAQEL
BQAwLjEsMCoGA1UEAwwjbWVzc2FnZXZlcmlmaWNhdGlvbmNlcnRzLnBheXBhbC5j
b20wIBcNMjYxMTIzMTkyMzA4WhgPMjEyNjEwMzAxOTIzMDhaMC4xLDAqBgNVBAMM
I21lc3NhZ2V2ZXJpZmljYXRpb25jZXJ0cy5wYXlwYWwuY29tMIIBIjANBgkqhkiG
9w0BAQEFAAOCAQ8AMIIBCgKCAQEA0GaDoQbBV1ofoJVekFV9O6HuqQqnB2Lq96uk
KvqkAIsbmUTLD7CECO46eD11NTmNom/Cf4c4Wrrwh/LBWxpGHB3cTLEB3xKFdDlD
fK3GgGNzbkrd9lUZ12sDbqatW28SGWY54XNn/HQAtQASKydo5OI+jtDVPOE0/rzo
sxEqUgzj41mBZ+GUM5AokGiCJf+SnQzJs6xCQBQ/qbrI0OIXJmFLWdvJSHSVV12k
YxJ40znzHy4dRy2o/tzAV/59eLu66yyt3LZISM8aoOJmQI72Uuqu0exM9nSz7zYI
pJWEeb6uzVKq6r3g0WVcBZvHEQu+hHgHPt4gJ7Tyk3k8XbCRZQIDAQABo1MwUTAd
BgNVHQ4EFgQUu6s7zNfsfJZ8IbUx9j8XO/fKcv8wHwYDVR0jBBgwFoAUu6s7zNfs
fJZ8IbUx9j8XO/fKcv8wDwYDVR0TAQH/BAUwAwEB/zANBgkqhkiG9w0BAQsFAAOC
AQEAZ19r3HvAjwkmjplQDSaPhgvyrisxiYXuhKY6J/OjDxCdhr51mEJdqGqCFFsv
nbpC9IZE+MZRstzPOfjsqCUiNP8qFHOjwP1U27Ixz9i4Igq8iYIXXRfgcfjl6r1z
KZytd5HtByQwpFmANSXp7DV3mY8h5kQ3R/FCbrK8/A9TYpC6NPNjFGu2oI5WRNIA
CIa8+4B3yt+EuxPaMVgM4tytPmkTZjpqBGNP+Nb6V2WDBgDVk1M+9/08o1nvoOFM
ZVKt8bYC5oJpKihJXCVZS4Ha24FH7Dhbo1cpFEfVh+XjXbSdc0PC+qpZ0Kgc5t54
Hc6GXcTzKTNf63+6tI9RwDtSGQ==
-----END CERTIFICATE-----
`;
const TEST_CERT_KEY_PEM = `-----BEGIN PRIVATE KEY-----
MIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQDQZoOhBsFXWh+g
lV6QVX07oe6pCqcHYur3q6Qq+qQAixuZRMsPsIQI7jp4PXU1OY2ib8J/hzhauvCH
8sFbGkYcHdxMsQHfEoV0OUN8rcaAY3NuSt32VRnXawNupq1bbxIZZjnhc2f8dAC1
ABIrJ2jk4j6O0NU84TT+vOizESpSDOPjWYFn4ZQzkCiQaIIl/5KdDMmzrEJAFD+p
usjQ4hcmYUtZ28lIdJVXXaRjEnjTOfMfLh1HLaj+3MBX/n14u7rrLK3ctkhIzxqg
4mZAjvZS6q7R7Ez2dLPvNgiklYR5vq7NUqrqveDRZVwFm8cRC76EeAc+3iAntPKT
eTxdsJFlAgMBAAECggEAGsdVeitRTD1xK3QOIOtPSoqaDYAoKteP3E/iqkAnM0es
vfLcSfGTYcdk3X7+MN7qn3kPa84vFF+JmVp89I0pfaLrpDIpjKXHXsId9ScqRuSg
mEdIAsd4KNlgKUeDJqjc0UU0wk7PSZ4JWji+XOu1O5YD1luozugcZHBXUW0u/Dhe
ph0jHBi2GVzRgsoniR7CaqsUzwi8E6bgRWxKkFvbwM7UOb/mgMNC7qn4B1oig2Gh
W1TIYn3EBK2+mV8sY1dquFxd/EXp5B2VwFDJ2Vii+ESPTtj7CPY3dEPwA8gRMLKE
JSYayqaEmooulnBF9uTNhsFJ4XqlJxdPVUiA4FvoGQKBgQD/ZHLqIIO5xmb05dYg
pYbDJA00dhfx0ib+uJI2YjYi3l5iEJmuQbwud2XCPWDgyzSn2Q17rU0KVTn75iLx
Gk3gStJoTHztI/bK6e/0qKSGlWvXR2n3dYUKCIi3JUxEXzrrWOxfsbquZUN2w4Mj
5E6MYRWmCcrKmTZ1okpXWn1SvQKBgQDQ5XGtE1f676rne35Uixw8Y00Kgof90qIp
hJPzRbQTNR+RtgXmUvn7fd19rtuh8OXM/SZVCDrYNc55HJ4I+Z+XzOCYfQW5txi/
KVSsjHp9NcMCkvV9dSn8vVwuhhXiUkK+hHNOeauClWQIbS8RQr1xBHN3s8dqY13C
B35eYNQ3yQKBgQD+48HM6aaOQvV+deS/sHRPTivfr/013AgPMSa8IEjnhAeu1+KJ
iBHITmHA+oE12Zkz6+0JAm1hYq38OjOlbhtLP2G/tpb4Fmy5F8Hk7GtH5tk6gou/
7gpZeSr5nr//fQvQ128SEs++PlKWtYqsx6+da0ev7xX2HfO8c7y+chGiAQKBgQDF
XTKEwnTqakw/fqcB+5jG2U8tsdwIjVyW+2LJgr67MwLLqX1zekwjN2zv1Sg/nZmQ
jlEMH8VxB403Ujlh427Mfk5o5B5ns70Wx1bv253S9Nt1cCGu0ebEmqggcKD2fp/+
3qcOqtfHfZvQdk/07+iKghkSLHIpaw5nRqs3QibfOQKBgDw7mw0GdGnJw9vKFvg9
OXUpB+t0/2HAOzIyiD2en5uKp2x7CWwb+39PyZGBQfdJ5enY51D7KP6JmraN+sVg
AZ3nRz69u4rkX3SrbGqtXgNFQ6sm56I3NPrdyEEElwi5iCDJGPLoEYGNcanPZ6An
xiNkAe/vB7BNyWqVjUPGfYJ2
-----END PRIVATE KEY-----
`;

function rsaPemPair(): { publicKey: string; privateKey: string } {
  return generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
}
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

function headers(body: string, privateKey = TEST_CERT_KEY_PEM, url = certUrl): Record<string, string> {
  const transmissionId = '69cd13f0-d67a-11e5-baa3-778b53f4ae55';
  const transmissionTime = '2025-03-01T12:00:01Z';
  const sig = createSign('RSA-SHA256').update(paypalSignedString(transmissionId, transmissionTime, webhookId, body)).sign(privateKey, 'base64');
  return {
    'paypal-transmission-id': transmissionId, 'paypal-transmission-time': transmissionTime, 'paypal-transmission-sig': sig,
    'paypal-cert-url': url, 'paypal-auth-algo': 'SHA256withRSA',
  };
}

function providerWithCert(certPem = TEST_CERT_PEM, baseUrl?: string): { provider: PaypalProvider; fetched: string[] } {
  const fetched: string[] = [];
  const provider = new PaypalProvider({
    clientId: 'client', clientSecret: 'secret', webhookId, now: () => now,
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

  it('also accepts a bare public key from the injected fetchCert', async () => {
    const keys = rsaPemPair();
    const { provider } = providerWithCert(keys.publicKey);
    const body = captureEvent('PAYMENT.CAPTURE.COMPLETED', capture);
    await expect(provider.parseNotification({ headers: headers(body, keys.privateKey), rawBody: body, now })).resolves.toMatchObject({ type: 'payment_succeeded' });
  });

  it('rejects a tampered body, a wrong key, another webhook id and missing headers', async () => {
    const { provider } = providerWithCert();
    const body = captureEvent('PAYMENT.CAPTURE.COMPLETED', capture);
    await expect(provider.parseNotification({ headers: headers(body), rawBody: body.replace('19.99', '99.99'), now })).rejects.toThrow(SignatureError);
    await expect(provider.parseNotification({ headers: headers(body, stranger.privateKey), rawBody: body, now })).rejects.toThrow(SignatureError);
    const other = new PaypalProvider({ clientId: 'c', clientSecret: 's', webhookId: 'OTHERWEBHOOK', fetchCert: async () => TEST_CERT_PEM });
    await expect(other.parseNotification({ headers: headers(body), rawBody: body, now })).rejects.toThrow(SignatureError);
    for (const name of Object.keys(headers(body))) {
      const partial: Record<string, string | undefined> = { ...headers(body), [name]: undefined };
      await expect(provider.parseNotification({ headers: partial, rawBody: body, now }), name).rejects.toThrow(SignatureError);
    }
    await expect(provider.parseNotification({ headers: { ...headers(body), 'paypal-auth-algo': 'SHA1withRSA' }, rawBody: body, now })).rejects.toThrow(SignatureError);
  });

  it('refuses cert URLs off paypal.com or without https, before fetching anything', async () => {
    const { provider, fetched } = providerWithCert();
    const body = captureEvent('PAYMENT.CAPTURE.COMPLETED', capture);
    for (const url of [
      'http://api.paypal.com/v1/notifications/certs/CERT-1', 'https://paypal.com.evil.example/cert', 'https://evilpaypal.com/cert',
      'https://api.paypal.com:8443/cert', 'https://user@api.paypal.com/cert', 'file:///etc/passwd', 'not a url',
    ]) {
      expect(isAllowedPaypalCertUrl(url), url).toBe(false);
      await expect(provider.parseNotification({ headers: headers(body, TEST_CERT_KEY_PEM, url), rawBody: body, now }), url).rejects.toThrow(SignatureError);
    }
    expect(fetched).toEqual([]);
    expect(isAllowedPaypalCertUrl('https://api.sandbox.paypal.com/v1/notifications/certs/CERT-1')).toBe(true);
  });

  it('refuses a certificate outside its validity period', async () => {
    const { provider } = providerWithCert();
    const body = captureEvent('PAYMENT.CAPTURE.COMPLETED', capture);
    const before = new Date(now.getTime() - 10 * 86_400_000);
    await expect(provider.parseNotification({ headers: headers(body), rawBody: body, now: before })).rejects.toThrow(SignatureError);
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
        } else {
          res.statusCode = 503;
          res.end('{"name":"SERVICE_UNAVAILABLE"}');
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

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

  it('turns a 5xx and an unreachable API into ProviderUnavailableError', async () => {
    const { provider } = providerWithCert(TEST_CERT_PEM, baseUrl);
    await expect(provider.refund({ paymentId: 'pay_abc', providerRef: '5O190127TN364715T', refundId: 'ref_1', amount: { amountMinor: 1, currency: 'USD' }, reason: 'x' }))
      .rejects.toThrow(ProviderUnavailableError);
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const offline = providerWithCert(TEST_CERT_PEM, `http://127.0.0.1:${port}`).provider;
    await expect(offline.createPayment(input)).rejects.toThrow(ProviderUnavailableError);
  });
});
