import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { createSign, createVerify } from 'node:crypto';
import {
  AlipayProvider,
  alipayNotifySignContent,
  alipayRequestSignContent,
  extractSignedJson,
} from '../../src/adapters/payments/alipay.ts';
import { ProviderRejectedError, ProviderUnavailableError, SignatureError } from '../../src/adapters/payments/types.ts';
import { closeServer, closedLoopbackUrl, listenOnLoopback } from '../support/loopback.ts';
import { rsaPemPair } from '../support/provider-keys.ts';

const app = rsaPemPair();
const alipay = rsaPemPair();
const stranger = rsaPemPair();
const appId = '2021000000000001';
const now = new Date('2025-03-01T04:00:00Z');

function provider(gatewayUrl?: string): AlipayProvider {
  return new AlipayProvider({
    appId, privateKeyPem: app.privateKey, alipayPublicKeyPem: alipay.publicKey, now: () => now,
    ...(gatewayUrl === undefined ? {} : { gatewayUrl, timeoutMs: 2_000 }),
  });
}

/** What Alipay POSTs: form-encoded params, RSA2-signed over the sorted decoded params minus sign/sign_type. */
function notification(fields: Record<string, string>, privateKey = alipay.privateKey): string {
  const params = new Map(Object.entries({ app_id: appId, charset: 'utf-8', version: '1.0', notify_type: 'trade_status_sync', ...fields }));
  const sign = createSign('RSA-SHA256').update(alipayNotifySignContent(params), 'utf8').sign(privateKey, 'base64');
  const form = new URLSearchParams([...params.entries()]);
  form.set('sign_type', 'RSA2');
  form.set('sign', sign);
  return form.toString();
}

const paid = {
  notify_id: '2025030100222120000000001', notify_time: '2025-03-01 12:00:01', out_trade_no: 'pay_abc',
  trade_no: '2025030122001400000000001', trade_status: 'TRADE_SUCCESS', total_amount: '0.10', subject: '月租 30 天',
};

describe('Alipay page pay', () => {
  it('builds a gateway URL whose RSA2 signature verifies with the app public key', async () => {
    const created = await provider().createPayment({
      paymentId: 'pay_abc', orderId: 'ord_1', amount: { amountMinor: 500, currency: 'CNY' }, description: '月租 30 天',
      returnUrl: 'https://simkeep.example/orders/ord_1', notifyUrl: 'https://simkeep.example/api/v1/webhooks/alipay',
    });
    expect(created.action.type).toBe('redirect');
    const url = new URL(created.action.url ?? '');
    expect(url.origin + url.pathname).toBe('https://openapi.alipay.com/gateway.do');
    const params = Object.fromEntries(url.searchParams);
    expect(params['method']).toBe('alipay.trade.page.pay');
    expect(params['sign_type']).toBe('RSA2');
    expect(params['timestamp']).toBe('2025-03-01 12:00:00'); // Beijing time
    expect(JSON.parse(params['biz_content'] ?? '{}')).toEqual({
      out_trade_no: 'pay_abc', total_amount: '5.00', subject: '月租 30 天', product_code: 'FAST_INSTANT_TRADE_PAY',
    });
    const signature = params['sign'] ?? '';
    const content = alipayRequestSignContent(params);
    expect(content.startsWith('app_id=')).toBe(true);
    expect(content).toContain('&sign_type=RSA2&'); // requests sign sign_type; only notifications drop it
    expect(createVerify('RSA-SHA256').update(content, 'utf8').verify(app.publicKey, signature, 'base64')).toBe(true);
  });

  it('refuses currencies other than CNY', async () => {
    await expect(provider().createPayment({
      paymentId: 'pay_abc', orderId: 'ord_1', amount: { amountMinor: 500, currency: 'USD' }, description: 'x', returnUrl: 'https://a', notifyUrl: 'https://b',
    })).rejects.toThrow(/CNY/);
  });
});

describe('Alipay sign content, written out from the published rules', () => {
  // What Alipay POSTs, byte for byte (form-encoded): `+` is a space, %2B a plus, %25 a percent,
  // Chinese text percent-encoded as UTF-8, one empty value, and sign / sign_type present.
  const rawBody = [
    'gmt_create=2025-03-01+12%3A00%3A00', 'charset=utf-8', 'seller_email=shop%40example.com', 'subject=%E6%9C%88%E7%A7%9F+30%E5%A4%A9%2B%E6%B5%81%E9%87%8F',
    'sign=PLACEHOLDER', 'body=100%25+%E6%BB%A1%E6%84%8F', 'buyer_id=2088102122524333', 'passback_params=', 'notify_id=2025030100222120000000099',
    'total_amount=5.00', 'app_id=2021000000000001', 'sign_type=RSA2', 'out_trade_no=pay_lit', 'trade_no=2025030122001400000000099',
    'trade_status=TRADE_SUCCESS', 'notify_time=2025-03-01+12%3A00%3A01', 'version=1.0',
  ].join('&');
  // Sorted by key; sign and sign_type left out; values URL-decoded; the empty passback_params left out.
  const expected =
    'app_id=2021000000000001&body=100% 满意&buyer_id=2088102122524333&charset=utf-8&gmt_create=2025-03-01 12:00:00' +
    '&notify_id=2025030100222120000000099&notify_time=2025-03-01 12:00:01&out_trade_no=pay_lit&seller_email=shop@example.com' +
    '&subject=月租 30天+流量&total_amount=5.00&trade_no=2025030122001400000000099&trade_status=TRADE_SUCCESS&version=1.0';

  it('builds the notification check content exactly', () => {
    expect(alipayNotifySignContent(new Map(new URLSearchParams(rawBody)))).toBe(expected);
  });

  it('verifies a notification signed over that literal content', async () => {
    const sign = createSign('RSA-SHA256').update(expected, 'utf8').sign(alipay.privateKey, 'base64');
    const body = rawBody.replace('sign=PLACEHOLDER', `sign=${encodeURIComponent(sign)}`);
    await expect(provider().parseNotification({ headers: {}, rawBody: body, now })).resolves.toEqual({
      type: 'payment_succeeded', eventId: '2025030100222120000000099', paymentId: 'pay_lit', providerRef: '2025030122001400000000099',
      amount: { amountMinor: 500, currency: 'CNY' },
    });
    // The same signature with the empty param counted (`passback_params=&`) would not verify: content differs.
    expect(createVerify('RSA-SHA256').update(expected.replace('&total_amount', '&passback_params=&total_amount'), 'utf8').verify(alipay.publicKey, sign, 'base64')).toBe(false);
  });

  it('builds the request sign content exactly: raw values, sign_type kept, sign and empty values left out', () => {
    const params = {
      timestamp: '2025-03-01 12:00:00', method: 'alipay.trade.query', app_id: '2021000000000001', sign_type: 'RSA2', sign: 'x',
      charset: 'utf-8', version: '1.0', notify_url: '', biz_content: '{"out_trade_no":"pay_lit","subject":"月租+30%"}', format: 'JSON',
    };
    expect(alipayRequestSignContent(params)).toBe(
      'app_id=2021000000000001&biz_content={"out_trade_no":"pay_lit","subject":"月租+30%"}&charset=utf-8&format=JSON' +
      '&method=alipay.trade.query&sign_type=RSA2&timestamp=2025-03-01 12:00:00&version=1.0',
    );
  });
});

describe('Alipay async notification', () => {
  it('parses a correctly signed TRADE_SUCCESS into payment_succeeded with yuan converted exactly', async () => {
    const body = notification(paid);
    const event = await provider().parseNotification({ headers: { 'content-type': 'application/x-www-form-urlencoded' }, rawBody: body, now });
    expect(event).toEqual({
      type: 'payment_succeeded', eventId: paid.notify_id, paymentId: 'pay_abc', providerRef: paid.trade_no,
      amount: { amountMinor: 10, currency: 'CNY' },
    });
    expect(provider().acknowledge(event)).toEqual({ status: 200, contentType: 'text/plain; charset=utf-8', body: 'success' });
  });

  it('treats TRADE_FINISHED as paid, TRADE_CLOSED as failed and a refund notice as refund_succeeded', async () => {
    const p = provider();
    await expect(p.parseNotification({ headers: {}, rawBody: notification({ ...paid, trade_status: 'TRADE_FINISHED', total_amount: '5' }), now }))
      .resolves.toMatchObject({ type: 'payment_succeeded', amount: { amountMinor: 500, currency: 'CNY' } });
    await expect(p.parseNotification({ headers: {}, rawBody: notification({ ...paid, trade_status: 'TRADE_CLOSED' }), now }))
      .resolves.toMatchObject({ type: 'payment_failed', paymentId: 'pay_abc' });
    const refund = notification({ ...paid, notify_id: 'n2', trade_status: 'TRADE_CLOSED', refund_fee: '0.10', gmt_refund: '2025-03-02 10:00:00.000', out_biz_no: 'ref_1' });
    await expect(p.parseNotification({ headers: {}, rawBody: refund, now }))
      .resolves.toEqual({ type: 'refund_succeeded', eventId: 'n2', paymentId: 'pay_abc', providerRef: paid.trade_no, amount: { amountMinor: 10, currency: 'CNY' } });
    await expect(p.parseNotification({ headers: {}, rawBody: notification({ ...paid, trade_status: 'WAIT_BUYER_PAY' }), now }))
      .resolves.toMatchObject({ type: 'ignored', eventId: paid.notify_id });
    await expect(p.parseNotification({ headers: {}, rawBody: notification({ ...paid, app_id: '2021999999999999' }), now }))
      .resolves.toMatchObject({ type: 'ignored' });
  });

  it('rejects a tampered body, a wrong key, a missing sign and a non-RSA2 sign_type', async () => {
    const p = provider();
    const body = notification(paid);
    await expect(p.parseNotification({ headers: {}, rawBody: body.replace('total_amount=0.10', 'total_amount=100.00'), now })).rejects.toThrow(SignatureError);
    await expect(p.parseNotification({ headers: {}, rawBody: notification(paid, stranger.privateKey), now })).rejects.toThrow(SignatureError);
    const unsigned = new URLSearchParams(body);
    unsigned.delete('sign');
    await expect(p.parseNotification({ headers: {}, rawBody: unsigned.toString(), now })).rejects.toThrow(SignatureError);
    const rsa1 = new URLSearchParams(body);
    rsa1.set('sign_type', 'RSA');
    await expect(p.parseNotification({ headers: {}, rawBody: rsa1.toString(), now })).rejects.toThrow(SignatureError);
    await expect(p.parseNotification({ headers: {}, rawBody: `${body}&out_trade_no=pay_evil`, now })).rejects.toThrow(SignatureError);
  });

  it('refuses a signed amount with more decimals than yuan have', async () => {
    await expect(provider().parseNotification({ headers: {}, rawBody: notification({ ...paid, total_amount: '1.005' }), now })).rejects.toThrow(/decimals/);
  });
});

describe('Alipay refund call', () => {
  let server: Server;
  let gatewayUrl: string;
  let lastForm = new URLSearchParams();

  beforeAll(async () => {
    server = createServer((req, res) => {
      let data = '';
      req.on('data', (c: Buffer) => (data += c.toString('utf8')));
      req.on('end', () => {
        lastForm = new URLSearchParams(data);
        const biz = JSON.parse(lastForm.get('biz_content') ?? '{}') as { refund_amount?: string; out_trade_no?: string };
        const signed = (key: string, inner: string, signer = alipay.privateKey) =>
          `{"${key}":${inner},"sign":"${createSign('RSA-SHA256').update(inner, 'utf8').sign(signer, 'base64')}"}`;
        res.setHeader('content-type', 'text/html;charset=utf-8');
        if (lastForm.get('method') === 'alipay.trade.query') {
          const key = 'alipay_trade_query_response';
          const trade = (status: string, extra = '') =>
            `{"code":"10000","msg":"Success","trade_no":"${paid.trade_no}","out_trade_no":"${biz.out_trade_no}","trade_status":"${status}","total_amount":"5.00"${extra}}`;
          const notExist = '{"code":"40004","msg":"Business Failed","sub_code":"ACQ.TRADE_NOT_EXIST","sub_msg":"交易不存在"}';
          switch (biz.out_trade_no) {
            case 'pay_paid': return res.end(signed(key, trade('TRADE_SUCCESS', ',"send_pay_date":"2025-03-01 12:00:05"')));
            case 'pay_waiting': return res.end(signed(key, trade('WAIT_BUYER_PAY')));
            case 'pay_closed': return res.end(signed(key, trade('TRADE_CLOSED')));
            case 'pay_refunded': return res.end(signed(key, trade('TRADE_CLOSED', ',"send_pay_date":"2025-03-01 12:00:05"')));
            case 'pay_forged_success': return res.end(signed(key, trade('TRADE_SUCCESS'), stranger.privateKey));
            case 'pay_unsigned_missing': return res.end(`{"${key}":${notExist}}`);
            default: return res.end(signed(key, notExist));
          }
        }
        const inner = `{"code":"10000","msg":"Success","trade_no":"${paid.trade_no}","out_trade_no":"pay_abc","fund_change":"Y","refund_fee":"${biz.refund_amount ?? ''}"}`;
        res.end(signed('alipay_trade_refund_response', inner));
      });
    });
    gatewayUrl = `${await listenOnLoopback(server)}/gateway.do`;
  });
  afterAll(() => closeServer(server));

  it('sends a signed alipay.trade.refund and accepts a correctly signed answer', async () => {
    const result = await provider(gatewayUrl).refund({ paymentId: 'pay_abc', providerRef: 'pay_abc', refundId: 'ref_1', amount: { amountMinor: 10, currency: 'CNY' }, reason: 'provisioning failed' });
    expect(result).toEqual({ providerRefundRef: `${paid.trade_no}/ref_1`, status: 'succeeded' });
    expect(lastForm.get('method')).toBe('alipay.trade.refund');
    expect(JSON.parse(lastForm.get('biz_content') ?? '{}')).toMatchObject({ out_trade_no: 'pay_abc', refund_amount: '0.10', out_request_no: 'ref_1' });
    const params = Object.fromEntries(lastForm);
    expect(createVerify('RSA-SHA256').update(alipayRequestSignContent(params), 'utf8').verify(app.publicKey, params['sign'] ?? '', 'base64')).toBe(true);
  });

  it('looks a trade up with a signed alipay.trade.query and reads its status', async () => {
    const lookup = (paymentId: string) => provider(gatewayUrl).lookupPayment({ paymentId, providerRef: paymentId, currency: 'CNY' });
    await expect(lookup('pay_paid')).resolves.toEqual({ status: 'succeeded', captured: { amountMinor: 500, currency: 'CNY' }, refunded: null });
    expect(lastForm.get('method')).toBe('alipay.trade.query');
    const params = Object.fromEntries(lastForm);
    expect(createVerify('RSA-SHA256').update(alipayRequestSignContent(params), 'utf8').verify(app.publicKey, params['sign'] ?? '', 'base64')).toBe(true);
    await expect(lookup('pay_waiting')).resolves.toEqual({ status: 'pending', captured: null, refunded: null });
    await expect(lookup('pay_closed')).resolves.toEqual({ status: 'failed', captured: null, refunded: null });
    await expect(lookup('pay_refunded')).resolves.toEqual({
      status: 'refunded', captured: { amountMinor: 500, currency: 'CNY' }, refunded: { amountMinor: 500, currency: 'CNY' },
    });
    await expect(lookup('pay_missing')).resolves.toBeNull();
    // Neither a success nor "no such trade" counts unless Alipay signed it.
    await expect(lookup('pay_forged_success')).rejects.toThrow(ProviderRejectedError);
    await expect(lookup('pay_unsigned_missing')).rejects.toThrow(ProviderRejectedError);
  });

  it('declares saved-method charges unsupported (they need an Alipay agreement product)', async () => {
    expect(provider().supportsSavedMethods).toBe(false);
    await expect(provider().chargeSavedMethod()).rejects.toMatchObject({ providerCode: 'saved_method_unsupported' });
  });

  it('extracts the exact signed response text', () => {
    expect(extractSignedJson('{"x_response":{"a":"}{\\"","b":{"c":1}},"sign":"s"}', 'x_response')).toBe('{"a":"}{\\"","b":{"c":1}}');
  });

  it('throws ProviderUnavailableError when the gateway cannot be reached', async () => {
    const closedUrl = await closedLoopbackUrl();
    await expect(provider(`${closedUrl}/gateway.do`).refund({
      paymentId: 'pay_abc', providerRef: 'pay_abc', refundId: 'ref_1', amount: { amountMinor: 10, currency: 'CNY' }, reason: 'x',
    })).rejects.toThrow(ProviderUnavailableError);
  });
});
