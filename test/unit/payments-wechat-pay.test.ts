import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { X509Certificate, createCipheriv, createPrivateKey, createSign, createVerify, randomBytes } from 'node:crypto';
import {
  WechatPayProvider,
  wechatPayAuthorization,
  wechatPayResponseMessage,
} from '../../src/adapters/payments/wechat-pay.ts';
import { ProviderRejectedError, ProviderUnavailableError, SignatureError } from '../../src/adapters/payments/types.ts';
import { TEST_CERT_KEY_PEM, TEST_CERT_PEM } from '../support/paypal-cert.ts';
import { closeServer, closedLoopbackUrl, listenOnLoopback } from '../support/loopback.ts';
import { rsaPemPair } from '../support/provider-keys.ts';

const merchant = rsaPemPair();
const platform = rsaPemPair();
const stranger = rsaPemPair();
const apiV3Key = 'abcdefghijklmnopqrstuvwxyz012345'; // 32 bytes
const mchId = '1900000109';
const now = new Date('2025-03-01T04:00:00Z');
const nowSeconds = Math.floor(now.getTime() / 1000);

function provider(baseUrl?: string): WechatPayProvider {
  return new WechatPayProvider({
    mchId, appId: 'wxd678efh567hg6787', apiV3Key, privateKeyPem: merchant.privateKey, certSerial: '5157F09EFDC096DE15EBE81A47057A7232F1B8E1',
    platformPublicKeyPem: platform.publicKey, now: () => now,
    ...(baseUrl === undefined ? {} : { baseUrl, timeoutMs: 2_000 }),
  });
}

function encrypt(plaintext: string, nonce: string, aad: string): string {
  const cipher = createCipheriv('aes-256-gcm', Buffer.from(apiV3Key, 'utf8'), Buffer.from(nonce, 'utf8'));
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return Buffer.concat([data, cipher.getAuthTag()]).toString('base64');
}

function signedHeaders(body: string, timestamp = nowSeconds, privateKey = platform.privateKey): Record<string, string> {
  const nonce = randomBytes(16).toString('hex');
  const signature = createSign('RSA-SHA256').update(wechatPayResponseMessage(String(timestamp), nonce, body), 'utf8').sign(privateKey, 'base64');
  return { 'Wechatpay-Timestamp': String(timestamp), 'Wechatpay-Nonce': nonce, 'Wechatpay-Signature': signature, 'Wechatpay-Serial': 'PUB_KEY_ID_0000' };
}

const transaction = {
  mchid: mchId, appid: 'wxd678efh567hg6787', out_trade_no: 'pay_abc', transaction_id: '4200000000202503010000000001',
  trade_type: 'NATIVE', trade_state: 'SUCCESS', trade_state_desc: '支付成功', success_time: '2025-03-01T12:00:00+08:00',
  amount: { total: 500, payer_total: 500, currency: 'CNY', payer_currency: 'CNY' },
};

function notificationBody(tx: Record<string, unknown> = transaction, eventType = 'TRANSACTION.SUCCESS', aad = 'transaction', id = 'EV-2018022511223320873'): string {
  const nonce = 'fdasflkja484';
  return JSON.stringify({
    id, create_time: '2025-03-01T12:00:01+08:00', resource_type: 'encrypt-resource', event_type: eventType,
    summary: '支付成功',
    resource: { original_type: aad, algorithm: 'AEAD_AES_256_GCM', ciphertext: encrypt(JSON.stringify(tx), nonce, aad), associated_data: aad, nonce },
  });
}

/** The decrypted resource of a REFUND.SUCCESS notification (退款结果通知), as WeChat Pay documents it. */
const refundResource = {
  mchid: mchId, transaction_id: '4200000000202503010000000001', out_trade_no: 'pay_abc', refund_id: '50000000382019052709732678859',
  out_refund_no: 'ref_1', refund_status: 'SUCCESS', success_time: '2025-03-02T10:00:00+08:00', user_received_account: '招商银行信用卡0403',
  amount: { total: 500, refund: 200, payer_total: 500, payer_refund: 200 },
};

describe('WeChat Pay request signing', () => {
  it('produces an Authorization header whose signature verifies with the merchant public key', () => {
    const body = '{"mchid":"1900000109"}';
    const header = wechatPayAuthorization({
      mchId, certSerial: 'SERIAL1', privateKey: createPrivateKey(merchant.privateKey), method: 'POST',
      urlPath: '/v3/pay/transactions/native', body, timestampSeconds: 1554208460, nonce: '593BEC0C930BF1AFEB40B4A08C8FB242',
    });
    const match = /^WECHATPAY2-SHA256-RSA2048 mchid="(\d+)",nonce_str="(\w+)",signature="([^"]+)",timestamp="(\d+)",serial_no="(\w+)"$/.exec(header);
    expect(match).not.toBeNull();
    const [, mch, nonce, signature, timestamp, serial] = match ?? [];
    expect([mch, nonce, timestamp, serial]).toEqual([mchId, '593BEC0C930BF1AFEB40B4A08C8FB242', '1554208460', 'SERIAL1']);
    const message = `POST\n/v3/pay/transactions/native\n1554208460\n593BEC0C930BF1AFEB40B4A08C8FB242\n${body}\n`;
    expect(createVerify('RSA-SHA256').update(message).verify(merchant.publicKey, signature ?? '', 'base64')).toBe(true);
  });
});

describe('WeChat Pay signed message', () => {
  it('is timestamp, nonce and body, each followed by a newline (签名串, written out from the docs)', () => {
    expect(wechatPayResponseMessage('1554209980', 'c5ac7061fccab6bf3e254dcf98995b8c', '{"data":[{"serial_no":"5157F09EFDC096DE15EBE81A47057A7232F1B8E1"}]}'))
      .toBe('1554209980\nc5ac7061fccab6bf3e254dcf98995b8c\n{"data":[{"serial_no":"5157F09EFDC096DE15EBE81A47057A7232F1B8E1"}]}\n');
    // An empty body (a 204 answer) still ends with the body's newline.
    expect(wechatPayResponseMessage('1554209980', 'abc', '')).toBe('1554209980\nabc\n\n');
  });

  it('verifies a signature made over that literal string, not just one made by the same helper', () => {
    const body = '{"code_url":"weixin://wxpay/bizpayurl?pr=p4lpSuKzz"}';
    const signature = createSign('RSA-SHA256').update(`${nowSeconds}\nNONCE42\n${body}\n`, 'utf8').sign(platform.privateKey, 'base64');
    const headers = { 'Wechatpay-Timestamp': String(nowSeconds), 'Wechatpay-Nonce': 'NONCE42', 'Wechatpay-Signature': signature, 'Wechatpay-Serial': 'PUB_KEY_ID_0000' };
    const wrapped = notificationBody();
    const wrappedSig = createSign('RSA-SHA256').update(`${nowSeconds}\nNONCE42\n${wrapped}\n`, 'utf8').sign(platform.privateKey, 'base64');
    return expect(provider().parseNotification({ headers: { ...headers, 'Wechatpay-Signature': wrappedSig }, rawBody: wrapped, now })).resolves.toMatchObject({ type: 'payment_succeeded' });
  });
});

describe('WeChat Pay payment notification', () => {
  it('verifies, decrypts and maps TRANSACTION.SUCCESS to payment_succeeded in fen', async () => {
    const body = notificationBody();
    const event = await provider().parseNotification({ headers: signedHeaders(body), rawBody: body, now });
    expect(event).toEqual({
      type: 'payment_succeeded', eventId: 'EV-2018022511223320873', paymentId: 'pay_abc', providerRef: transaction.transaction_id,
      amount: { amountMinor: 500, currency: 'CNY' },
    });
    const reply = provider().acknowledge(event);
    expect(reply.status).toBe(200);
    expect(reply.contentType).toMatch(/^application\/json/);
    expect(JSON.parse(reply.body)).toEqual({ code: 'SUCCESS', message: '成功' });
  });

  it('rejects a tampered body, a wrong key, a timestamp more than 5 minutes off and missing headers', async () => {
    const p = provider();
    const body = notificationBody();
    const headers = signedHeaders(body);
    await expect(p.parseNotification({ headers, rawBody: body.replace('TRANSACTION.SUCCESS', 'TRANSACTION.SUCCES5'), now })).rejects.toThrow(SignatureError);
    await expect(p.parseNotification({ headers: signedHeaders(body, nowSeconds, stranger.privateKey), rawBody: body, now })).rejects.toThrow(SignatureError);
    await expect(p.parseNotification({ headers: signedHeaders(body, nowSeconds - 301), rawBody: body, now })).rejects.toThrow(SignatureError);
    await expect(p.parseNotification({ headers: signedHeaders(body, nowSeconds + 301), rawBody: body, now })).rejects.toThrow(SignatureError);
    await expect(p.parseNotification({ headers: signedHeaders(body, nowSeconds - 300), rawBody: body, now })).resolves.toMatchObject({ type: 'payment_succeeded' });
    for (const name of Object.keys(headers)) {
      const partial = { ...headers, [name]: undefined };
      await expect(p.parseNotification({ headers: partial, rawBody: body, now }), name).rejects.toThrow(SignatureError);
    }
  });

  it('rejects a resource that does not decrypt under the APIv3 key', async () => {
    const body = notificationBody().replace(/"ciphertext":"[^"]+"/, `"ciphertext":"${randomBytes(64).toString('base64')}"`);
    await expect(provider().parseNotification({ headers: signedHeaders(body), rawBody: body, now })).rejects.toThrow(SignatureError);
  });

  it('ignores other event types, unpaid states and other merchants', async () => {
    const p = provider();
    const abnormal = notificationBody(refundResource, 'REFUND.ABNORMAL', 'refund');
    await expect(p.parseNotification({ headers: signedHeaders(abnormal), rawBody: abnormal, now })).resolves.toMatchObject({ type: 'ignored' });
    const notPaid = notificationBody({ ...transaction, trade_state: 'NOTPAY' });
    await expect(p.parseNotification({ headers: signedHeaders(notPaid), rawBody: notPaid, now })).resolves.toMatchObject({ type: 'ignored' });
    const foreign = notificationBody({ ...transaction, mchid: '1999999999' });
    await expect(p.parseNotification({ headers: signedHeaders(foreign), rawBody: foreign, now })).resolves.toMatchObject({ type: 'ignored' });
  });
});

describe('WeChat Pay refund notification (REFUND.SUCCESS)', () => {
  it('maps the decrypted refund to refund_succeeded naming our refund and THIS refund\'s amount', async () => {
    const body = notificationBody(refundResource, 'REFUND.SUCCESS', 'refund', 'EV-REFUND-1');
    await expect(provider().parseNotification({ headers: signedHeaders(body), rawBody: body, now })).resolves.toEqual({
      type: 'refund_succeeded', eventId: 'EV-REFUND-1', paymentId: 'pay_abc', providerRef: refundResource.transaction_id,
      refundId: 'ref_1', thisRefundAmount: { amountMinor: 200, currency: 'CNY' },
    });
  });

  it('ignores refunds of other merchants, without our numbers, or not successful', async () => {
    const p = provider();
    for (const resource of [
      { ...refundResource, mchid: '1999999999' },
      { ...refundResource, out_refund_no: undefined },
      { ...refundResource, refund_status: 'PROCESSING' },
      { ...refundResource, amount: { total: 500 } },
    ]) {
      const body = notificationBody(resource, 'REFUND.SUCCESS', 'refund');
      await expect(p.parseNotification({ headers: signedHeaders(body), rawBody: body, now })).resolves.toMatchObject({ type: 'ignored' });
    }
  });
});

describe('WeChat Pay platform certificate serial (Wechatpay-Serial)', () => {
  // The platform certificate configured as WECHATPAY_PLATFORM_PUBLIC_KEY (a locally made test certificate).
  const serial = new X509Certificate(TEST_CERT_PEM).serialNumber;
  const certProvider = () => new WechatPayProvider({
    mchId, apiV3Key, privateKeyPem: merchant.privateKey, certSerial: 'S', platformPublicKeyPem: TEST_CERT_PEM, now: () => now,
  });
  const signedWith = (body: string, headerSerial: string) => ({ ...signedHeaders(body, nowSeconds, TEST_CERT_KEY_PEM), 'Wechatpay-Serial': headerSerial });

  it('accepts a notification naming the configured certificate\'s serial (any case)', async () => {
    const body = notificationBody();
    await expect(certProvider().parseNotification({ headers: signedWith(body, serial), rawBody: body, now })).resolves.toMatchObject({ type: 'payment_succeeded' });
    await expect(certProvider().parseNotification({ headers: signedWith(body, serial.toLowerCase()), rawBody: body, now })).resolves.toMatchObject({ type: 'payment_succeeded' });
  });

  it('refuses a notification naming another serial even when the signature verifies', async () => {
    const body = notificationBody();
    await expect(certProvider().parseNotification({ headers: signedWith(body, '5157F09EFDC096DE15EBE81A47057A7232F1B8E1'), rawBody: body, now }))
      .rejects.toThrow(/Wechatpay-Serial/);
  });
});

describe('WeChat Pay API calls', () => {
  let server: Server;
  let baseUrl: string;
  const seen: { method: string; path: string; authorization: string; body: string }[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      let data = '';
      req.on('data', (c: Buffer) => (data += c.toString('utf8')));
      req.on('end', () => {
        seen.push({ method: req.method ?? '', path: req.url ?? '', authorization: req.headers.authorization ?? '', body: data });
        let answer = '{}';
        if (req.url === '/v3/pay/transactions/native') answer = '{"code_url":"weixin://wxpay/bizpayurl?pr=p4lpSuKzz"}';
        else if (req.url?.startsWith('/v3/pay/transactions/out-trade-no/pay_unknown')) {
          res.statusCode = 404;
          answer = '{"code":"ORDER_NOT_EXIST","message":"订单不存在"}';
        } else if (req.url?.startsWith('/v3/pay/transactions/out-trade-no/pay_notpaid')) answer = JSON.stringify({ ...transaction, trade_state: 'NOTPAY' });
        else if (req.url?.startsWith('/v3/pay/transactions/out-trade-no/pay_forged')) answer = JSON.stringify({ ...transaction, out_trade_no: 'pay_forged' });
        else if (req.url?.startsWith('/v3/pay/transactions/out-trade-no/')) answer = JSON.stringify(transaction);
        else if (req.url === '/v3/refund/domestic/refunds') answer = '{"refund_id":"50000000382019052709732678859","status":"PROCESSING"}';
        const signer = req.url?.includes('pay_forged') ? stranger.privateKey : platform.privateKey;
        for (const [k, v] of Object.entries(signedHeaders(answer, nowSeconds, signer))) res.setHeader(k, v);
        res.setHeader('content-type', 'application/json');
        res.end(answer);
      });
    });
    baseUrl = await listenOnLoopback(server);
  });
  afterAll(() => closeServer(server));

  function verifyAuthorization(entry: { method: string; path: string; authorization: string; body: string }): boolean {
    const fields = Object.fromEntries([...entry.authorization.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    const message = `${entry.method}\n${entry.path}\n${fields['timestamp']}\n${fields['nonce_str']}\n${entry.body}\n`;
    return createVerify('RSA-SHA256').update(message).verify(merchant.publicKey, fields['signature'] ?? '', 'base64');
  }

  it('creates a Native order signed per APIv3 and returns its code_url as a QR action', async () => {
    const created = await provider(baseUrl).createPayment({
      paymentId: 'pay_abc', orderId: 'ord_1', amount: { amountMinor: 500, currency: 'CNY' }, description: '月租 30 天',
      returnUrl: 'https://simkeep.example/orders/ord_1', notifyUrl: 'https://simkeep.example/api/v1/webhooks/wechat_pay',
    });
    expect(created).toEqual({ providerRef: 'pay_abc', action: { type: 'qr', qrData: 'weixin://wxpay/bizpayurl?pr=p4lpSuKzz' } });
    const sent = seen.at(-1);
    expect(sent?.authorization.startsWith('WECHATPAY2-SHA256-RSA2048 mchid="1900000109",')).toBe(true);
    expect(sent && verifyAuthorization(sent)).toBe(true);
    expect(JSON.parse(sent?.body ?? '{}')).toMatchObject({ mchid: mchId, out_trade_no: 'pay_abc', amount: { total: 500, currency: 'CNY' } });
  });

  it('refunds with the order total looked up first', async () => {
    const result = await provider(baseUrl).refund({ paymentId: 'pay_abc', providerRef: 'pay_abc', refundId: 'ref_1', amount: { amountMinor: 200, currency: 'CNY' }, reason: 'provisioning failed' });
    expect(result).toEqual({ providerRefundRef: '50000000382019052709732678859', status: 'pending' });
    const [query, refund] = seen.slice(-2);
    expect(query?.path).toBe(`/v3/pay/transactions/out-trade-no/pay_abc?mchid=${mchId}`);
    expect(query && verifyAuthorization(query)).toBe(true);
    expect(JSON.parse(refund?.body ?? '{}')).toMatchObject({ out_refund_no: 'ref_1', amount: { refund: 200, total: 500, currency: 'CNY' } });
  });

  it('looks a payment up by out_trade_no in a signed answer; ORDER_NOT_EXIST means WeChat has none', async () => {
    const lookup = (paymentId: string) => provider(baseUrl).lookupPayment({ paymentId, providerRef: paymentId, currency: 'CNY' });
    await expect(lookup('pay_abc')).resolves.toEqual({ status: 'succeeded', captured: { amountMinor: 500, currency: 'CNY' }, refunded: null });
    expect(seen.at(-1)?.path).toBe(`/v3/pay/transactions/out-trade-no/pay_abc?mchid=${mchId}`);
    await expect(lookup('pay_notpaid')).resolves.toEqual({ status: 'pending', captured: null, refunded: null });
    await expect(lookup('pay_unknown')).resolves.toBeNull();
    // An answer not signed by the platform key proves nothing.
    await expect(lookup('pay_forged')).rejects.toThrow(ProviderRejectedError);
  });

  it('declares saved-method charges unsupported (they need the 委托代扣 contract product)', async () => {
    expect(provider().supportsSavedMethods).toBe(false);
    await expect(provider().chargeSavedMethod()).rejects.toMatchObject({ providerCode: 'saved_method_unsupported' });
  });

  it('throws ProviderUnavailableError when WeChat Pay cannot be reached', async () => {
    const closedUrl = await closedLoopbackUrl();
    await expect(provider(closedUrl).createPayment({
      paymentId: 'pay_abc', orderId: 'ord_1', amount: { amountMinor: 500, currency: 'CNY' }, description: 'x', returnUrl: 'https://a', notifyUrl: 'https://b',
    })).rejects.toThrow(ProviderUnavailableError);
  });
});

describe('WeChat Pay operation deadline (API.md: 503 within 15 s)', () => {
  let server: Server;
  let baseUrl: string;

  beforeAll(async () => {
    // Signed, correct answers, each after 700 ms: the order query and the refund each fit 1 s alone.
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        setTimeout(() => {
          const answer = req.url?.startsWith('/v3/pay/transactions/') ? JSON.stringify(transaction) : '{"refund_id":"5000","status":"PROCESSING"}';
          for (const [k, v] of Object.entries(signedHeaders(answer, Math.floor(Date.now() / 1000)))) res.setHeader(k, v);
          res.setHeader('content-type', 'application/json');
          res.end(answer);
        }, 700);
      });
    });
    baseUrl = await listenOnLoopback(server);
  });
  afterAll(() => closeServer(server));

  it('gives the order query and the refund ONE budget, not one each', async () => {
    const p = new WechatPayProvider({
      mchId, apiV3Key, privateKeyPem: merchant.privateKey, certSerial: 'S', platformPublicKeyPem: platform.publicKey, baseUrl, timeoutMs: 1_000,
    });
    const started = performance.now();
    await expect(p.refund({ paymentId: 'pay_abc', providerRef: 'pay_abc', refundId: 'ref_1', amount: { amountMinor: 200, currency: 'CNY' }, reason: 'x' }))
      .rejects.toThrow(ProviderUnavailableError);
    expect(performance.now() - started).toBeLessThan(1_400);
  });
});
