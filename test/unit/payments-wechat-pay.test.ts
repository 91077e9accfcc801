import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createCipheriv, createPrivateKey, createSign, createVerify, generateKeyPairSync, randomBytes } from 'node:crypto';
import {
  WechatPayProvider,
  wechatPayAuthorization,
  wechatPayResponseMessage,
} from '../../src/adapters/payments/wechat-pay.ts';
import { ProviderUnavailableError, SignatureError } from '../../src/adapters/payments/types.ts';

function rsaPemPair(): { publicKey: string; privateKey: string } {
  return generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
}
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

function notificationBody(tx: Record<string, unknown> = transaction, eventType = 'TRANSACTION.SUCCESS'): string {
  const nonce = 'fdasflkja484';
  const aad = 'transaction';
  return JSON.stringify({
    id: 'EV-2018022511223320873', create_time: '2025-03-01T12:00:01+08:00', resource_type: 'encrypt-resource', event_type: eventType,
    summary: '支付成功',
    resource: { original_type: 'transaction', algorithm: 'AEAD_AES_256_GCM', ciphertext: encrypt(JSON.stringify(tx), nonce, aad), associated_data: aad, nonce },
  });
}

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
    const refund = notificationBody(transaction, 'REFUND.SUCCESS');
    await expect(p.parseNotification({ headers: signedHeaders(refund), rawBody: refund, now })).resolves.toMatchObject({ type: 'ignored' });
    const notPaid = notificationBody({ ...transaction, trade_state: 'NOTPAY' });
    await expect(p.parseNotification({ headers: signedHeaders(notPaid), rawBody: notPaid, now })).resolves.toMatchObject({ type: 'ignored' });
    const foreign = notificationBody({ ...transaction, mchid: '1999999999' });
    await expect(p.parseNotification({ headers: signedHeaders(foreign), rawBody: foreign, now })).resolves.toMatchObject({ type: 'ignored' });
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
        else if (req.url?.startsWith('/v3/pay/transactions/out-trade-no/')) answer = JSON.stringify(transaction);
        else if (req.url === '/v3/refund/domestic/refunds') answer = '{"refund_id":"50000000382019052709732678859","status":"PROCESSING"}';
        for (const [k, v] of Object.entries(signedHeaders(answer))) res.setHeader(k, v);
        res.setHeader('content-type', 'application/json');
        res.end(answer);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

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

  it('throws ProviderUnavailableError when WeChat Pay cannot be reached', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    await expect(provider(`http://127.0.0.1:${port}`).createPayment({
      paymentId: 'pay_abc', orderId: 'ord_1', amount: { amountMinor: 500, currency: 'CNY' }, description: 'x', returnUrl: 'https://a', notifyUrl: 'https://b',
    })).rejects.toThrow(ProviderUnavailableError);
  });
});
