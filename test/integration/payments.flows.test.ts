// Payment flows chosen by the client (POST /orders `paymentFlow`, README "Beyond API.md"): the
// sandbox honours them end to end; WeChat Pay (H5, JSAPI with its snsapi_base payer step, Native)
// and Alipay (wap.pay, precreate, page.pay) are driven against fakes of their APIs on 127.0.0.1,
// which check the requests' signatures and fields and sign their answers as the real ones do.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createSign, createVerify, randomUUID } from 'node:crypto';
import { afterAll, expect, it } from 'vitest';
import { alipayRequestSignContent } from '../../src/adapters/payments/alipay.ts';
import { wechatPayJsapiMessage } from '../../src/adapters/payments/wechat-pay.ts';
import { forEachDatabase, type TestContext } from '../support/harness.ts';
import { closeServer, listenOnLoopback } from '../support/loopback.ts';
import { buyer, order, paySandbox, plainPlan, yuanBuyer } from '../support/orders-fixtures.ts';
import { rsaPemPair, wechatPlatformHeaders } from '../support/provider-keys.ts';

const merchant = rsaPemPair();
const platform = rsaPemPair();
const alipayApp = rsaPemPair();
const alipayGateway = rsaPemPair();
const API_V3_KEY = 'abcdefghijklmnopqrstuvwxyz012345';
const MCH_ID = '1900000109';
const APP_ID = 'wxd678efh567hg6787';
const ALIPAY_APP_ID = '2021000000000077';
const GOOD_CODE = 'code-from-wechat';
const OPENID = 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o';

interface Seen { method: string; path: string; body: string; authorization: string | undefined }
const seen: Seen[] = [];

function signedByPlatform(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, wechatPlatformHeaders(platform.privateKey, body));
  res.end(body);
}

function alipayAnswer(res: ServerResponse, key: string, result: Record<string, unknown>): void {
  const inner = JSON.stringify(result);
  const sign = createSign('RSA-SHA256').update(inner, 'utf8').sign(alipayGateway.privateKey, 'base64');
  res.writeHead(200, { 'content-type': 'application/json;charset=utf-8' });
  res.end(`{"${key}":${inner},"sign":"${sign}"}`);
}

/** One fake for WeChat Pay's API, WeChat's OAuth API and Alipay's gateway (told apart by path). */
async function fakeProviders(req: IncomingMessage, res: ServerResponse): Promise<void> {
  let body = '';
  for await (const chunk of req) body += String(chunk);
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  seen.push({ method: req.method ?? '', path: url.pathname, body, authorization: req.headers.authorization });
  if (url.pathname === '/sns/oauth2/access_token') {
    const ok = url.searchParams.get('code') === GOOD_CODE && url.searchParams.get('secret') === 'wechat-app-secret-0123456789' && url.searchParams.get('appid') === APP_ID;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(ok ? { access_token: 'AT', expires_in: 7200, refresh_token: 'RT', openid: OPENID, scope: 'snsapi_base' } : { errcode: 40029, errmsg: 'invalid code' }));
    return;
  }
  if (url.pathname === '/gateway.do') {
    const params = Object.fromEntries(new URLSearchParams(body));
    const verified = createVerify('RSA-SHA256').update(alipayRequestSignContent(params), 'utf8').verify(alipayApp.publicKey, params['sign'] ?? '', 'base64');
    const biz = JSON.parse(params['biz_content'] ?? '{}') as Record<string, string>;
    if (!verified || params['method'] !== 'alipay.trade.precreate') return alipayAnswer(res, 'error_response', { code: '40002', msg: 'Invalid Arguments', sub_code: 'isv.invalid-signature' });
    return alipayAnswer(res, 'alipay_trade_precreate_response', { code: '10000', msg: 'Success', out_trade_no: biz['out_trade_no'], qr_code: 'https://qr.alipay.com/bax03431ljhokirwl38f00a7' });
  }
  const order = JSON.parse(body || '{}') as Record<string, unknown>;
  if (url.pathname === '/v3/pay/transactions/jsapi') return signedByPlatform(res, 200, JSON.stringify({ prepay_id: 'wx201410272009395522657a690389285100' }));
  if (url.pathname === '/v3/pay/transactions/h5') return signedByPlatform(res, 200, JSON.stringify({ h5_url: 'https://wx.tenpay.com/cgi-bin/mmpayweb-bin/checkmweb?prepay_id=wx2016&package=1037687096' }));
  if (url.pathname === '/v3/pay/transactions/native') return signedByPlatform(res, 200, JSON.stringify({ code_url: `weixin://wxpay/bizpayurl?pr=${String(order['out_trade_no'])}` }));
  res.writeHead(404).end();
}

const fake = createServer((req, res) => void fakeProviders(req, res));
const fakeUrl = await listenOnLoopback(fake);
afterAll(() => closeServer(fake));

const lastTo = (path: string): Seen => {
  const hit = [...seen].reverse().find((s) => s.path === path);
  if (!hit) throw new Error(`nothing reached ${path}`);
  return hit;
};

const countOrders = async (ctx: TestContext, userToken: string): Promise<number> =>
  ((await ctx.get('/api/v1/orders', { token: userToken })).json.items as unknown[]).length;

forEachDatabase('payment flows on the sandbox provider', (get) => {
  it('answers the flow asked for: qr a code of the sandbox page, h5 a redirect, jsapi bridge arguments; absent the redirect as before', async () => {
    const ctx = get();
    const b = await buyer(ctx);
    const plan = await plainPlan(ctx);
    const plain = await order(ctx, b, { planId: plan.id, paymentMethod: 'wechat_pay' });
    expect(plain.status, plain.text).toBe(201);
    expect(plain.json.payment.action).toEqual({ type: 'redirect', url: expect.stringMatching(/\/sandbox\/pay\/pay_/) });

    const qr = await order(ctx, b, { planId: plan.id, paymentMethod: 'alipay', paymentFlow: 'qr' });
    expect(qr.status, qr.text).toBe(201);
    expect(qr.json.payment.action).toEqual({ type: 'qr', qrData: expect.stringContaining(`/sandbox/pay/${qr.json.payment.id}`) });

    const h5 = await order(ctx, b, { planId: plan.id, paymentMethod: 'wechat_pay', paymentFlow: 'h5' });
    expect(h5.json.payment.action).toEqual({ type: 'redirect', url: expect.stringContaining(`/sandbox/pay/${h5.json.payment.id}`) });

    const jsapi = await order(ctx, b, { planId: plan.id, paymentMethod: 'wechat_pay', paymentFlow: 'jsapi' });
    expect(jsapi.status, jsapi.text).toBe(201);
    expect(jsapi.json.payment.action).toMatchObject({
      type: 'jsapi', jsapi: { appId: 'sandbox', package: `prepay_id=sandbox_${jsapi.json.payment.id}`, signType: 'RSA', timeStamp: expect.stringMatching(/^\d+$/) },
    });
    const stored = await ctx.db.query<{ flow: string | null }>('SELECT flow FROM payments WHERE order_id = ANY($1) ORDER BY id', [[plain.json.id, jsapi.json.id]]);
    expect(stored.rows.map((r) => r.flow).sort()).toEqual(['jsapi', null].sort());
  });

  it('decides success only by the notification: a jsapi order stays unpaid until the sandbox completes it, then is completed', async () => {
    const ctx = get();
    const b = await buyer(ctx);
    const plan = await plainPlan(ctx);
    const placed = await order(ctx, b, { planId: plan.id, paymentMethod: 'wechat_pay', paymentFlow: 'jsapi' });
    expect(placed.status, placed.text).toBe(201);
    expect((await ctx.get(`/api/v1/orders/${placed.json.id}`, { token: b.token })).json.status).toBe('awaiting_payment');
    await paySandbox(ctx, placed.json.payment.id);
    expect((await ctx.get(`/api/v1/orders/${placed.json.id}`, { token: b.token })).json.status).toBe('completed');
  });

  it('refuses a flow the method cannot take with 422 payment_flow_unavailable, writing nothing', async () => {
    const ctx = get();
    const b = await buyer(ctx);
    const plan = await plainPlan(ctx);
    for (const [paymentMethod, paymentFlow] of [['alipay', 'jsapi'], ['card', 'qr'], ['paypal', 'h5'], ['wallet', 'qr']] as const) {
      const r = await order(ctx, b, { planId: plan.id, paymentMethod, paymentFlow });
      expect(r.status, `${paymentMethod}+${paymentFlow}: ${r.text}`).toBe(422);
      expect(r.json.code).toBe('payment_flow_unavailable');
      expect(r.json.errors[0].path).toBe('paymentFlow');
    }
    const bad = await order(ctx, b, { planId: plan.id, paymentMethod: 'wechat_pay', paymentFlow: 'app' });
    expect(bad.status).toBe(400);
    expect(await countOrders(ctx, b.token)).toBe(0);
  });

  it('replays the same order for a retried key with a flow, and needs no WeChat payer step', async () => {
    const ctx = get();
    const b = await buyer(ctx);
    const plan = await plainPlan(ctx);
    const key = randomUUID();
    const first = await order(ctx, b, { planId: plan.id, paymentMethod: 'wechat_pay', paymentFlow: 'jsapi' }, key);
    const again = await order(ctx, b, { planId: plan.id, paymentMethod: 'wechat_pay', paymentFlow: 'jsapi' }, key);
    expect(again.json.id).toBe(first.json.id);
    expect(again.json.payment.action).toEqual(first.json.payment.action);
    const state = await ctx.get('/api/v1/payments/wechat/payer?returnTo=/lines', { token: b.token });
    expect(state.status, state.text).toBe(200);
    expect(state.json).toEqual({ ready: true, authorizeUrl: null });
  });
});

forEachDatabase('payment flows on WeChat Pay and Alipay (fakes on loopback)', (get) => {
  it('JSAPI: 422 wechat_payer_unknown until the snsapi_base step gave the openid; then prepay_id and a paySign the merchant key verifies', async () => {
    const ctx = get();
    const y = await yuanBuyer(ctx, 'cn-flows-jsapi');
    const body = { lineId: y.lineId, planId: y.planId, paymentMethod: 'wechat_pay', paymentFlow: 'jsapi' };
    const place = () => ctx.post('/api/v1/orders', body, { token: y.token, headers: { 'idempotency-key': randomUUID() } });
    const early = await place();
    expect(early.status, early.text).toBe(422);
    expect(early.json.code).toBe('wechat_payer_unknown');

    const state = await ctx.get(`/api/v1/payments/wechat/payer?returnTo=${encodeURIComponent(`/lines/${y.lineId}/checkout?plan=${y.planId}`)}`, { token: y.token });
    expect(state.json.ready).toBe(false);
    const authorize = new URL(state.json.authorizeUrl);
    expect(`${authorize.origin}${authorize.pathname}`).toBe(`${fakeUrl}/connect/oauth2/authorize`);
    expect(authorize.hash).toBe('#wechat_redirect');
    expect(Object.fromEntries(authorize.searchParams)).toMatchObject({ appid: APP_ID, response_type: 'code', scope: 'snsapi_base' });
    expect(authorize.searchParams.get('redirect_uri')).toMatch(new RegExp(`/lines/${y.lineId}/checkout\\?plan=${y.planId}$`));
    const stateParam = authorize.searchParams.get('state') ?? '';
    expect((await ctx.get('/api/v1/payments/wechat/payer?returnTo=//evil.example/x', { token: y.token })).status).toBe(400);

    const other = await ctx.customer();
    const stolen = await ctx.post('/api/v1/payments/wechat/payer', { code: GOOD_CODE, state: stateParam }, { token: other.token });
    expect(stolen.status).toBe(422);
    expect(stolen.json.code).toBe('wechat_authorization_invalid');
    const refused = await ctx.post('/api/v1/payments/wechat/payer', { code: 'used-code', state: stateParam }, { token: y.token });
    expect(refused.status).toBe(422);
    expect(refused.json.code).toBe('wechat_authorization_invalid');
    const ok = await ctx.post('/api/v1/payments/wechat/payer', { code: GOOD_CODE, state: stateParam }, { token: y.token });
    expect(ok.status, ok.text).toBe(200);
    expect(ok.json).toEqual({ ready: true, authorizeUrl: null });

    const placed = await place();
    expect(placed.status, placed.text).toBe(201);
    const sent = JSON.parse(lastTo('/v3/pay/transactions/jsapi').body);
    expect(sent).toMatchObject({ appid: APP_ID, mchid: MCH_ID, out_trade_no: placed.json.payment.id, payer: { openid: OPENID }, amount: { total: 500, currency: 'CNY' } });
    expect(lastTo('/v3/pay/transactions/jsapi').authorization).toMatch(/^WECHATPAY2-SHA256-RSA2048 mchid="1900000109"/);
    const jsapi = placed.json.payment.action.jsapi;
    expect(placed.json.payment.action.type).toBe('jsapi');
    expect(jsapi).toMatchObject({ appId: APP_ID, package: 'prepay_id=wx201410272009395522657a690389285100', signType: 'RSA' });
    expect(createVerify('RSA-SHA256').update(wechatPayJsapiMessage(jsapi), 'utf8').verify(merchant.publicKey, jsapi.paySign, 'base64')).toBe(true);
  });

  it('H5: sends payer_client_ip and h5_info Wap, and redirects to h5_url returning to the order; no flow stays Native', async () => {
    const ctx = get();
    const y = await yuanBuyer(ctx, 'cn-flows-h5');
    const h5 = await ctx.call('POST', '/api/v1/orders', {
      body: { lineId: y.lineId, planId: y.planId, paymentMethod: 'wechat_pay', paymentFlow: 'h5' },
      token: y.token, headers: { 'idempotency-key': randomUUID() }, remoteAddress: '203.0.113.7',
    });
    expect(h5.status, h5.text).toBe(201);
    expect(JSON.parse(lastTo('/v3/pay/transactions/h5').body).scene_info).toEqual({ payer_client_ip: '203.0.113.7', h5_info: { type: 'Wap' } });
    const url = new URL(h5.json.payment.action.url);
    expect(url.origin).toBe('https://wx.tenpay.com');
    expect(url.searchParams.get('redirect_url')).toMatch(new RegExp(`/orders/${h5.json.id}$`));

    const native = await ctx.post('/api/v1/orders', { lineId: y.lineId, planId: y.planId, paymentMethod: 'wechat_pay' }, { token: y.token, headers: { 'idempotency-key': randomUUID() } });
    expect(native.json.payment.action).toEqual({ type: 'qr', qrData: `weixin://wxpay/bizpayurl?pr=${native.json.payment.id}` });
  });

  it('Alipay: h5 is a signed alipay.trade.wap.pay redirect, qr the qr_code of a signed precreate, none the page.pay redirect', async () => {
    const ctx = get();
    const y = await yuanBuyer(ctx, 'cn-flows-alipay');
    const place = (paymentFlow?: string) => ctx.post('/api/v1/orders', { lineId: y.lineId, planId: y.planId, paymentMethod: 'alipay', ...(paymentFlow ? { paymentFlow } : {}) },
      { token: y.token, headers: { 'idempotency-key': randomUUID() } });
    const wap = await place('h5');
    expect(wap.status, wap.text).toBe(201);
    const wapParams = Object.fromEntries(new URL(wap.json.payment.action.url).searchParams);
    expect(wapParams['method']).toBe('alipay.trade.wap.pay');
    expect(JSON.parse(wapParams['biz_content'] ?? '{}')).toMatchObject({ product_code: 'QUICK_WAP_WAY', out_trade_no: wap.json.payment.id, total_amount: '5.00' });
    expect(createVerify('RSA-SHA256').update(alipayRequestSignContent(wapParams), 'utf8').verify(alipayApp.publicKey, wapParams['sign'] ?? '', 'base64')).toBe(true);

    const qr = await place('qr');
    expect(qr.status, qr.text).toBe(201);
    expect(qr.json.payment.action).toEqual({ type: 'qr', qrData: 'https://qr.alipay.com/bax03431ljhokirwl38f00a7' });

    const page = await place();
    expect(new URL(page.json.payment.action.url).searchParams.get('method')).toBe('alipay.trade.page.pay');
    const jsapi = await place('jsapi');
    expect(jsapi.json.code).toBe('payment_flow_unavailable');
  });
}, {
  WECHATPAY_MCH_ID: MCH_ID, WECHATPAY_APP_ID: APP_ID, WECHATPAY_API_V3_KEY: API_V3_KEY,
  WECHATPAY_PRIVATE_KEY: merchant.privateKey, WECHATPAY_CERT_SERIAL: '5157F09EFDC096DE15EBE81A47057A7232F1B8E1',
  WECHATPAY_PLATFORM_PUBLIC_KEY: platform.publicKey, WECHATPAY_BASE_URL: fakeUrl,
  WECHAT_APP_SECRET: 'wechat-app-secret-0123456789', WECHAT_OAUTH_BASE_URL: fakeUrl, WECHAT_API_BASE_URL: fakeUrl,
  ALIPAY_APP_ID, ALIPAY_PRIVATE_KEY: alipayApp.privateKey, ALIPAY_PUBLIC_KEY: alipayGateway.publicKey, ALIPAY_GATEWAY_URL: `${fakeUrl}/gateway.do`,
});

forEachDatabase('payment flows a merchant has not signed up for (ALIPAY_FLOWS=h5, WECHATPAY_FLOWS=qr)', (get) => {
  it('refuses them with 422 payment_flow_unavailable, writing nothing, while the default and the offered flows work', async () => {
    const ctx = get();
    const y = await yuanBuyer(ctx, 'cn-flows-limited');
    const place = (paymentMethod: string, paymentFlow?: string) => ctx.post('/api/v1/orders', { lineId: y.lineId, planId: y.planId, paymentMethod, ...(paymentFlow ? { paymentFlow } : {}) },
      { token: y.token, headers: { 'idempotency-key': randomUUID() } });
    for (const [method, flow] of [['alipay', 'qr'], ['wechat_pay', 'h5'], ['wechat_pay', 'jsapi']] as const) {
      const r = await place(method, flow);
      expect(r.status, `${method}+${flow}: ${r.text}`).toBe(422);
      expect(r.json.code).toBe('payment_flow_unavailable');
    }
    expect(await countOrders(ctx, y.token)).toBe(0);
    expect((await ctx.get('/api/v1/payments/wechat/payer?returnTo=/lines', { token: y.token })).json).toEqual({ ready: false, authorizeUrl: null });
    expect((await place('alipay', 'h5')).json.payment.action.type).toBe('redirect');
    expect((await place('wechat_pay', 'qr')).json.payment.action.type).toBe('qr');
    expect(new URL((await place('alipay')).json.payment.action.url).searchParams.get('method')).toBe('alipay.trade.page.pay');
  });
}, {
  WECHATPAY_MCH_ID: MCH_ID, WECHATPAY_APP_ID: APP_ID, WECHATPAY_API_V3_KEY: API_V3_KEY,
  WECHATPAY_PRIVATE_KEY: merchant.privateKey, WECHATPAY_CERT_SERIAL: '5157F09EFDC096DE15EBE81A47057A7232F1B8E1',
  WECHATPAY_PLATFORM_PUBLIC_KEY: platform.publicKey, WECHATPAY_BASE_URL: fakeUrl, WECHATPAY_FLOWS: 'qr',
  WECHAT_APP_SECRET: 'wechat-app-secret-0123456789', WECHAT_OAUTH_BASE_URL: fakeUrl, WECHAT_API_BASE_URL: fakeUrl,
  ALIPAY_APP_ID, ALIPAY_PRIVATE_KEY: alipayApp.privateKey, ALIPAY_PUBLIC_KEY: alipayGateway.publicKey, ALIPAY_GATEWAY_URL: `${fakeUrl}/gateway.do`, ALIPAY_FLOWS: 'h5',
});
