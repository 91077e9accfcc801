// Payment flows chosen from the browser (issue 16), each walked to a paid order through the sandbox:
// a desktop gets a QR code to scan (the "phone" here opens the code's address), a phone's browser
// is sent to the provider's mobile page — after an answer lost to the network, retried with the
// same Idempotency-Key and flow — and inside WeChat, WeChat Pay's cashier opens through a
// WeixinJSBridge the test injects (late, as WeChat sometimes does), whose first answer is a cancel.
// Success is seen only when the server says so: the bridge's "ok" alone changes nothing. Then the
// same inside WeChat with WeChat Pay itself (a fake of its API and of WeChat's authorisation on
// 127.0.0.1): the checkout passes through WeChat's silent authorisation, comes back with the code,
// opens the JSAPI cashier, and the order is paid by WeChat Pay's signed notification.
import { createCipheriv, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { BrowserContext, Page, Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withLuhnCheckDigit } from '../../src/domain/luhn.ts';
import { upsertCarrier } from '../../src/modules/lines/service.ts';
import { ADMIN } from '../support/harness.ts';
import { closeServer, listenOnLoopback } from '../support/loopback.ts';
import { screenshot, seriousA11yViolations } from './support/audit.ts';
import { buyingTextsOf, CheckoutPage, OrderPage, PlansPage, SandboxPages } from './support/buying-pages.ts';
import { describeInChromium } from './support/chromium.ts';
import type { Locale } from './support/pages.ts';
import { usePortalAndChromium } from './support/portal-and-chromium.ts';
import { VIEWPORTS, type ViewportName } from './support/session.ts';
import { createSubscriber, signIn } from './support/subscribers.ts';
import { rsaPemPair, wechatPlatformHeaders } from '../support/provider-keys.ts';

const KEEPALIVE = { 'zh-CN': '保号 30 天，100 MB', en: 'Keep-alive 30 days, 100 MB' } as const;
const US_CARDS = ['89012609900000000021', '89012609900000000039', '89012609900000000047', '89012609900000000054', '89012609900000000062'];
const USER_AGENTS = {
  desktop: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36',
  phone: 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36',
  wechat: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.47(0x18002f2c) NetType/WIFI Language/zh_CN',
} as const;
const SETTLE_TIMEOUT_MS = 60_000;

/**
 * WeChat's bridge as a page inside WeChat meets it: injected 300 ms after the page's scripts, then
 * announced by `WeixinJSBridgeReady`. Its first payment is cancelled by the payer; later ones pay on
 * the sandbox (as WeChat Pay's cashier would) and answer ok. Every call is kept for the test.
 */
const INJECTED_BRIDGE = `
  window.__bridgeCalls = [];
  setTimeout(() => {
    window.WeixinJSBridge = {
      invoke(name, args, callback) {
        window.__bridgeCalls.push({ name, args });
        if (window.__bridgeCalls.length === 1) return callback({ err_msg: 'get_brand_wcpay_request:cancel' });
        const paymentId = String(args.package).replace('prepay_id=sandbox_', '');
        fetch('/api/v1/sandbox/payments/' + encodeURIComponent(paymentId) + '/complete', {
          method: 'POST', credentials: 'omit', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ outcome: 'succeeded' }),
        }).then(() => callback({ err_msg: 'get_brand_wcpay_request:ok' }));
      },
    };
    document.dispatchEvent(new Event('WeixinJSBridgeReady'));
  }, 300);
`;

interface FlowSession {
  context: BrowserContext;
  page: Page;
  problems: string[];
  /** The bodies and Idempotency-Keys of every POST /api/v1/orders the page sent. */
  orderRequests: Array<{ key: string; body: Record<string, unknown> }>;
}

describeInChromium('payment flows chosen from the browser', () => {
  const portal = usePortalAndChromium({ worker: true });
  const cards: string[] = [...US_CARDS];

  async function flowSession(locale: Locale, viewport: ViewportName, browser: keyof typeof USER_AGENTS): Promise<FlowSession> {
    const subscriber = await createSubscriber(portal.server.baseUrl, locale, { iccid: cards.shift() ?? '', pin: '1234' });
    const context = await portal.browser.newContext({ locale, viewport: VIEWPORTS[viewport], userAgent: USER_AGENTS[browser], reducedMotion: 'reduce' });
    await signIn(context, portal.server.baseUrl, subscriber);
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error' && /Content Security Policy/i.test(message.text())) problems.push(message.text());
    });
    const orderRequests: FlowSession['orderRequests'] = [];
    page.on('request', (request: Request) => {
      if (request.method() === 'POST' && new URL(request.url()).pathname === '/api/v1/orders') {
        orderRequests.push({ key: request.headers()['idempotency-key'] ?? '', body: request.postDataJSON() as Record<string, unknown> });
      }
    });
    return { context, page, problems, orderRequests };
  }

  async function checkoutWith(s: FlowSession, locale: Locale, method: string): Promise<CheckoutPage> {
    const lines = await (await s.context.request.get(`${portal.server.baseUrl}/api/v1/lines`)).json() as { items: Array<{ id: string }> };
    const plans = new PlansPage(s.page, locale, portal.server.baseUrl);
    await plans.goto(lines.items[0]?.id ?? '');
    await plans.buy(KEEPALIVE[locale]).click();
    const checkout = new CheckoutPage(s.page, locale, portal.server.baseUrl);
    await checkout.summary.waitFor();
    await checkout.method(method).check();
    await checkout.summary.waitFor();
    return checkout;
  }

  async function orderOf(s: FlowSession, orderId: string): Promise<{ status: string; payment: { id: string; action: { type: string; qrData?: string } } }> {
    return (await s.context.request.get(`${portal.server.baseUrl}/api/v1/orders/${orderId}`)).json();
  }

  it('en, desktop: WeChat Pay is a QR code to scan; the order turns completed when the phone that scanned it pays', async () => {
    const t = buyingTextsOf('en');
    const s = await flowSession('en', 'desktop', 'desktop');
    const checkout = await checkoutWith(s, 'en', 'wechat_pay');
    await checkout.pay.click();
    await s.page.waitForURL(/\/orders\/ord_/);
    const qr = s.page.getByRole('img', { name: t.orders.pay.qrAlt });
    await qr.waitFor();
    expect(await qr.getAttribute('src')).toMatch(/^data:image\/png;base64,/);
    await s.page.getByText(t.orders.pay.qrHint.desktop).waitFor();
    expect(s.orderRequests.map((r) => r.body['paymentFlow'])).toEqual(['qr']);
    expect(await seriousA11yViolations(s.page)).toEqual([]);
    await screenshot(s.page, 'payment-qr-desktop-en');

    const orderId = new URL(s.page.url()).pathname.split('/').pop() ?? '';
    const placed = await orderOf(s, orderId);
    expect(placed.payment.action.type).toBe('qr');
    // The phone that scanned the code opens what it holds: the sandbox's pay page for this payment.
    expect(placed.payment.action.qrData).toBe(`${portal.server.baseUrl}/sandbox/pay/${placed.payment.id}`);
    const phone = await s.context.newPage();
    await phone.goto(placed.payment.action.qrData ?? '');
    await phone.getByRole('button', { name: 'Pay', exact: true }).click();
    await new OrderPage(s.page, 'en', portal.server.baseUrl).status.getByText(t.orders.status.completed).waitFor({ timeout: SETTLE_TIMEOUT_MS });
    expect(s.problems).toEqual([]);
    await s.context.close();
  });

  it('zh-CN, a phone browser: a lost answer is retried with the same key and flow, then WeChat Pay\'s mobile page is opened and pays', async () => {
    const t = buyingTextsOf('zh-CN');
    const s = await flowSession('zh-CN', 'mobile', 'phone');
    const checkout = await checkoutWith(s, 'zh-CN', 'wechat_pay');
    let answered = 0;
    await s.page.route('**/api/v1/orders', async (route) => {
      answered += 1;
      if (answered > 1) return route.continue();
      await route.fetch(); // the server makes the order…
      return route.abort('connectionreset'); // …and its answer is lost
    });
    await checkout.pay.click();
    await checkout.alert.getByText(t.errors.network_error).waitFor();
    expect(await checkout.pay.innerText()).toBe(t.plans.checkout.retry);
    await checkout.pay.click();
    await s.page.waitForURL(/\/sandbox\/pay\//);
    await s.page.unrouteAll();
    expect(s.orderRequests).toHaveLength(2);
    expect(s.orderRequests[1]?.key).toBe(s.orderRequests[0]?.key);
    expect(s.orderRequests.map((r) => r.body['paymentFlow'])).toEqual(['h5', 'h5']);

    await new SandboxPages(s.page).pay('Pay');
    await s.page.waitForURL(/\/orders\/ord_/);
    await new OrderPage(s.page, 'zh-CN', portal.server.baseUrl).status.getByText(t.orders.status.completed).waitFor({ timeout: SETTLE_TIMEOUT_MS });
    const orders = await (await s.context.request.get(`${portal.server.baseUrl}/api/v1/orders`)).json() as { items: unknown[] };
    expect(orders.items).toHaveLength(1);
    expect(s.problems).toEqual([]);
    await s.context.close();
  });

  it('zh-CN inside WeChat: WeChat Pay opens through the bridge; a cancel says so and offers it again; paid only when the server says so', async () => {
    const t = buyingTextsOf('zh-CN');
    const s = await flowSession('zh-CN', 'mobile', 'wechat');
    await s.context.addInitScript({ content: INJECTED_BRIDGE });
    const checkout = await checkoutWith(s, 'zh-CN', 'wechat_pay');
    await checkout.pay.click();
    await s.page.waitForURL(/\/orders\/ord_/);
    expect(s.orderRequests.map((r) => r.body['paymentFlow'])).toEqual(['jsapi']);

    await s.page.getByText(t.orders.pay.jsapi.cancel).waitFor();
    const orderId = new URL(s.page.url()).pathname.split('/').pop() ?? '';
    const placed = await orderOf(s, orderId);
    expect(placed.status).toBe('awaiting_payment');
    const calls = await s.page.evaluate(() => (window as unknown as { __bridgeCalls: Array<{ name: string; args: Record<string, string> }> }).__bridgeCalls);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.name).toBe('getBrandWCPayRequest');
    expect(calls[0]?.args).toMatchObject({ appId: 'sandbox', package: `prepay_id=sandbox_${placed.payment.id}`, signType: 'RSA', timeStamp: expect.stringMatching(/^\d+$/) });
    expect(calls[0]?.args['paySign']).toBeTruthy();
    expect(await seriousA11yViolations(s.page)).toEqual([]);
    await screenshot(s.page, 'payment-wechat-jsapi-zh-CN-mobile');

    await s.page.getByRole('button', { name: t.orders.pay.jsapi.retry }).click();
    await new OrderPage(s.page, 'zh-CN', portal.server.baseUrl).status.getByText(t.orders.status.completed).waitFor({ timeout: SETTLE_TIMEOUT_MS });
    expect((await orderOf(s, orderId)).status).toBe('completed');
    expect(s.problems).toEqual([]);
    await s.context.close();
  });

  it('en, desktop: a flow the merchant does not offer (422 payment_flow_unavailable) is placed again, as a new attempt, on the provider\'s default page', async () => {
    const s = await flowSession('en', 'desktop', 'desktop');
    const checkout = await checkoutWith(s, 'en', 'alipay');
    // Standing for a merchant without Alipay's 当面付 (ALIPAY_FLOWS=h5): the server's documented refusal.
    await s.page.route('**/api/v1/orders', (route) => {
      const asked = (route.request().postDataJSON() as Record<string, unknown>)['paymentFlow'];
      if (asked === undefined) return route.continue();
      return route.fulfill({
        status: 422, contentType: 'application/problem+json',
        body: JSON.stringify({ type: 'about:blank', title: 'Unprocessable Entity', status: 422, code: 'payment_flow_unavailable', detail: 'paymentMethod alipay cannot be paid with paymentFlow qr' }),
      });
    });
    await checkout.pay.click();
    await s.page.waitForURL(/\/sandbox\/pay\//);
    await s.page.unrouteAll();
    expect(s.orderRequests.map((r) => r.body['paymentFlow'])).toEqual(['qr', undefined]);
    expect(s.orderRequests[1]?.key).not.toBe(s.orderRequests[0]?.key);
    expect(s.problems).toEqual([]);
    await s.context.close();
  });

  it('zh-CN inside WeChat: Alipay asks for its mobile page and shows it as a link to open in a browser', async () => {
    const t = buyingTextsOf('zh-CN');
    const s = await flowSession('zh-CN', 'mobile', 'wechat');
    const checkout = await checkoutWith(s, 'zh-CN', 'alipay');
    await checkout.pay.click();
    await s.page.waitForURL(/\/orders\/ord_/);
    await s.page.getByText(t.orders.pay.openInBrowser).waitFor();
    expect(s.orderRequests.map((r) => r.body['paymentFlow'])).toEqual(['h5']);
    expect(await s.page.getByText(/\/sandbox\/pay\//).isVisible()).toBe(true);
    expect(s.problems).toEqual([]);
    await s.context.close();
  });
});

// ---------------------------------------------------------------------------------------------
// WeChat Pay itself, faked on loopback: its order API and WeChat's web authorisation.

const merchant = rsaPemPair();
const platform = rsaPemPair();
const API_V3_KEY = 'abcdefghijklmnopqrstuvwxyz012345';
const MCH_ID = '1900000109';
const APP_ID = 'wxd678efh567hg6787';
const APP_SECRET = 'wechat-app-secret-0123456789';
const OPENID = 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o';
const CODE = 'code-from-wechat';
const PREPAY_ID = 'wx201410272009395522657a690389285100';
const PLAN_PRICE_FEN = 300;

function platformSigned(res: ServerResponse, body: string): void {
  res.writeHead(200, wechatPlatformHeaders(platform.privateKey, body));
  res.end(body);
}

/** WeChat's authorisation page (which sends the payer straight back with a code), the code exchange and the JSAPI order. */
function fakeWechat(req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  req.resume();
  if (url.pathname === '/connect/oauth2/authorize' && url.searchParams.get('scope') === 'snsapi_base' && url.searchParams.get('appid') === APP_ID) {
    const back = url.searchParams.get('redirect_uri') ?? '';
    const state = encodeURIComponent(url.searchParams.get('state') ?? '');
    res.writeHead(302, { location: `${back}${back.includes('?') ? '&' : '?'}code=${CODE}&state=${state}` }).end();
    return;
  }
  if (url.pathname === '/sns/oauth2/access_token') {
    const ok = url.searchParams.get('code') === CODE && url.searchParams.get('secret') === APP_SECRET;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(ok ? { access_token: 'AT', expires_in: 7200, refresh_token: 'RT', openid: OPENID, scope: 'snsapi_base' } : { errcode: 40029, errmsg: 'invalid code' }));
    return;
  }
  if (url.pathname === '/v3/pay/transactions/jsapi') return platformSigned(res, JSON.stringify({ prepay_id: PREPAY_ID }));
  res.writeHead(404).end();
}

/** TRANSACTION.SUCCESS for our payment, encrypted with the APIv3 key and signed by the platform key, as WeChat Pay sends it. */
function paidNotification(paymentId: string): { body: string; headers: Record<string, string> } {
  const transaction = {
    mchid: MCH_ID, appid: APP_ID, out_trade_no: paymentId, transaction_id: `4200${Date.now()}`, trade_type: 'JSAPI', trade_state: 'SUCCESS',
    success_time: '2026-12-06T12:00:00+08:00', payer: { openid: OPENID }, amount: { total: PLAN_PRICE_FEN, payer_total: PLAN_PRICE_FEN, currency: 'CNY', payer_currency: 'CNY' },
  };
  const nonce = randomBytes(6).toString('hex');
  const cipher = createCipheriv('aes-256-gcm', Buffer.from(API_V3_KEY, 'utf8'), Buffer.from(nonce, 'utf8'));
  cipher.setAAD(Buffer.from('transaction', 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(JSON.stringify(transaction), 'utf8'), cipher.final(), cipher.getAuthTag()]).toString('base64');
  const body = JSON.stringify({
    id: `EV-${randomBytes(6).toString('hex')}`, create_time: '2026-12-06T12:00:01+08:00', resource_type: 'encrypt-resource', event_type: 'TRANSACTION.SUCCESS',
    summary: '支付成功', resource: { original_type: 'transaction', algorithm: 'AEAD_AES_256_GCM', ciphertext, associated_data: 'transaction', nonce },
  });
  return { body, headers: wechatPlatformHeaders(platform.privateKey, body) };
}

/** A bridge that pays by having "WeChat Pay" notify simkeep (the test's part, through an exposed function), then answers ok. */
const BRIDGE_PAYING_THROUGH_WECHAT = `
  window.__bridgeCalls = [];
  window.WeixinJSBridge = {
    invoke(name, args, callback) {
      window.__bridgeCalls.push({ name, args });
      window.__wechatPays(args.package).then(() => callback({ err_msg: 'get_brand_wcpay_request:ok' }));
    },
  };
`;

async function api(baseUrl: string, method: string, path: string, token: string, body: unknown, contentType = 'application/json'): Promise<Record<string, unknown>> {
  const response = await fetch(`${baseUrl}${path}`, {
    method, headers: { authorization: `Bearer ${token}`, 'content-type': contentType }, body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as Record<string, unknown>;
}

describeInChromium('WeChat Pay inside WeChat, with WeChat\'s authorisation (fakes on loopback)', () => {
  const fake = createServer(fakeWechat);
  // Filled before the portal starts (this beforeAll is registered first): the fakes' address.
  const env: Record<string, string> = {};
  beforeAll(async () => {
    const fakeUrl = await listenOnLoopback(fake);
    Object.assign(env, {
      WECHATPAY_MCH_ID: MCH_ID, WECHATPAY_APP_ID: APP_ID, WECHATPAY_API_V3_KEY: API_V3_KEY, WECHATPAY_PRIVATE_KEY: merchant.privateKey,
      WECHATPAY_CERT_SERIAL: '5157F09EFDC096DE15EBE81A47057A7232F1B8E1', WECHATPAY_PLATFORM_PUBLIC_KEY: platform.publicKey, WECHATPAY_BASE_URL: fakeUrl,
      WECHAT_APP_SECRET: APP_SECRET, WECHAT_OAUTH_BASE_URL: fakeUrl, WECHAT_API_BASE_URL: fakeUrl,
    });
  });
  afterAll(() => closeServer(fake));
  const portal = usePortalAndChromium({ worker: true, env });

  /** A subscriber with a line of a yuan carrier (WeChat Pay settles CNY only) and a 3.00 CNY plan for it. */
  async function yuanSubscriber(): Promise<{ email: string; password: string; lineId: string; planName: string }> {
    await upsertCarrier(portal.server.app.deps.db, {
      code: 'cn-wechat', name: 'CN WeChat', country: 'CN', currency: 'CNY', validityDays: 30, graceDays: 0, suspendDays: 30,
      keepAlive: { rule: 'recharge', everyDays: 30 }, topupGrantsValidity: false,
      paygRates: { default: { dataPerMbMinor: 10, voicePerMinuteMinor: 10, smsPerMessageMinor: 5 } },
    } as Parameters<typeof upsertCarrier>[1]);
    const admin = String((await (await fetch(`${portal.server.baseUrl}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ADMIN) })).json()).token);
    const serial = String(Date.now() % 1e9).padStart(9, '0');
    const iccid = withLuhnCheckDigit(`898601${serial}123`);
    await api(portal.server.baseUrl, 'POST', '/api/v1/admin/sims/import', admin, `iccid,imsi,msisdn,pin,form,carrier\n${iccid},460001${serial},+86138${serial.slice(0, 8)},4321,physical,cn-wechat\n`, 'text/csv');
    const planName = '微信保号 30 天';
    await api(portal.server.baseUrl, 'POST', '/api/v1/admin/plans', admin, {
      code: `cn-wx-${serial}`, name: { en: 'WeChat keep-alive 30 days', 'zh-CN': planName }, kind: 'base', carriers: ['cn-wechat'], regions: ['CN'],
      price: { amount: PLAN_PRICE_FEN, currency: 'CNY' }, validityDays: 30, allowances: { dataMb: 100, voiceMin: 0, sms: 0 }, autoRenewable: false,
    });
    const subscriber = await createSubscriber(portal.server.baseUrl, 'zh-CN', { iccid, pin: '4321' });
    const token = String((await (await fetch(`${portal.server.baseUrl}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(subscriber) })).json()).token);
    const lines = await (await fetch(`${portal.server.baseUrl}/api/v1/lines`, { headers: { authorization: `Bearer ${token}` } })).json() as { items: Array<{ id: string }> };
    return { ...subscriber, lineId: lines.items[0]?.id ?? '', planName };
  }

  describe('zh-CN', () => {
    it('passes once through WeChat\'s authorisation, comes back to checkout with WeChat Pay chosen, pays in the JSAPI cashier, and is paid by the notification', async () => {
      const t = buyingTextsOf('zh-CN');
      const who = await yuanSubscriber();
      const context = await portal.browser.newContext({ locale: 'zh-CN', viewport: VIEWPORTS.mobile, userAgent: USER_AGENTS.wechat, reducedMotion: 'reduce' });
      await signIn(context, portal.server.baseUrl, who);
      const notified: string[] = [];
      await context.exposeFunction('__wechatPays', async (pkg: string) => {
        expect(pkg).toBe(`prepay_id=${PREPAY_ID}`);
        const orders = await (await context.request.get(`${portal.server.baseUrl}/api/v1/orders`)).json() as { items: Array<{ payment: { id: string } }> };
        const paymentId = orders.items[0]?.payment.id ?? '';
        const n = paidNotification(paymentId);
        const r = await fetch(`${portal.server.baseUrl}/api/v1/webhooks/wechat_pay`, { method: 'POST', headers: n.headers, body: n.body });
        notified.push(`${r.status}`);
      });
      await context.addInitScript({ content: BRIDGE_PAYING_THROUGH_WECHAT });
      const page = await context.newPage();
      const problems: string[] = [];
      page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));

      const plans = new PlansPage(page, 'zh-CN', portal.server.baseUrl);
      await plans.goto(who.lineId);
      await plans.buy(who.planName).click();
      const checkout = new CheckoutPage(page, 'zh-CN', portal.server.baseUrl);
      await checkout.summary.waitFor();
      await checkout.method('wechat_pay').check();
      await checkout.summary.waitFor();
      await checkout.pay.click();
      // Off to WeChat and straight back, with WeChat's code, which the page hands to the server.
      await page.getByText(t.plans.checkout.wechatConfirmed).waitFor();
      expect(new URL(page.url()).searchParams.get('code')).toBeNull();
      expect(await checkout.method('wechat_pay').isChecked()).toBe(true);
      await checkout.summary.waitFor();
      await checkout.pay.click();

      await page.waitForURL(/\/orders\/ord_/);
      await new OrderPage(page, 'zh-CN', portal.server.baseUrl).status.getByText(t.orders.status.completed).waitFor({ timeout: SETTLE_TIMEOUT_MS });
      expect(notified).toEqual(['200']);
      const calls = await page.evaluate(() => (window as unknown as { __bridgeCalls: Array<{ args: Record<string, string> }> }).__bridgeCalls);
      expect(calls.map((c) => c.args['appId'])).toEqual([APP_ID]);
      expect(problems).toEqual([]);
      await context.close();
    });
  });
});
