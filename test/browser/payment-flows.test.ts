// Payment flows chosen from the browser (issue 16), each walked to a paid order through the sandbox:
// a desktop gets a QR code to scan (the "phone" here opens the code's address), a phone's browser
// is sent to the provider's mobile page — after an answer lost to the network, retried with the
// same Idempotency-Key and flow — and inside WeChat, WeChat Pay's cashier opens through a
// WeixinJSBridge the test injects (late, as WeChat sometimes does), whose first answer is a cancel.
// Success is seen only when the server says so: the bridge's "ok" alone changes nothing.
import type { BrowserContext, Page, Request } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { screenshot, seriousA11yViolations } from './support/audit.ts';
import { buyingTextsOf, CheckoutPage, OrderPage, PlansPage, SandboxPages } from './support/buying-pages.ts';
import { describeInChromium, launchChromium, START_TIMEOUT_MS } from './support/chromium.ts';
import type { Locale } from './support/pages.ts';
import { startPortalServer, type PortalServer } from './support/portal-server.ts';
import { VIEWPORTS, type ViewportName } from './support/session.ts';
import { createSubscriber, signIn } from './support/subscribers.ts';

const KEEPALIVE = { 'zh-CN': '保号 30 天，100 MB', en: 'Keep-alive 30 days, 100 MB' } as const;
const US_CARDS = ['89012609900000000021', '89012609900000000039', '89012609900000000047', '89012609900000000054'];
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
  let server: PortalServer;
  let chromium: Awaited<ReturnType<typeof launchChromium>>;
  let cards: string[];
  beforeAll(async () => {
    cards = [...US_CARDS];
    [server, chromium] = await Promise.all([startPortalServer({ worker: true }), launchChromium()]);
  }, START_TIMEOUT_MS);
  afterAll(async () => {
    await chromium?.close();
    await server?.stop();
  });

  async function flowSession(locale: Locale, viewport: ViewportName, browser: keyof typeof USER_AGENTS): Promise<FlowSession> {
    const subscriber = await createSubscriber(server.baseUrl, locale, { iccid: cards.shift() ?? '', pin: '1234' });
    const context = await chromium.browser.newContext({ locale, viewport: VIEWPORTS[viewport], userAgent: USER_AGENTS[browser], reducedMotion: 'reduce' });
    await signIn(context, server.baseUrl, subscriber);
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
    const lines = await (await s.context.request.get(`${server.baseUrl}/api/v1/lines`)).json() as { items: Array<{ id: string }> };
    const plans = new PlansPage(s.page, locale, server.baseUrl);
    await plans.goto(lines.items[0]?.id ?? '');
    await plans.buy(KEEPALIVE[locale]).click();
    const checkout = new CheckoutPage(s.page, locale, server.baseUrl);
    await checkout.summary.waitFor();
    await checkout.method(method).check();
    await checkout.summary.waitFor();
    return checkout;
  }

  async function orderOf(s: FlowSession, orderId: string): Promise<{ status: string; payment: { id: string; action: { type: string; qrData?: string } } }> {
    return (await s.context.request.get(`${server.baseUrl}/api/v1/orders/${orderId}`)).json();
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
    expect(placed.payment.action.qrData).toBe(`${server.baseUrl}/sandbox/pay/${placed.payment.id}`);
    const phone = await s.context.newPage();
    await phone.goto(placed.payment.action.qrData ?? '');
    await phone.getByRole('button', { name: 'Pay', exact: true }).click();
    await new OrderPage(s.page, 'en', server.baseUrl).status.getByText(t.orders.status.completed).waitFor({ timeout: SETTLE_TIMEOUT_MS });
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
    await new OrderPage(s.page, 'zh-CN', server.baseUrl).status.getByText(t.orders.status.completed).waitFor({ timeout: SETTLE_TIMEOUT_MS });
    const orders = await (await s.context.request.get(`${server.baseUrl}/api/v1/orders`)).json() as { items: unknown[] };
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
    await new OrderPage(s.page, 'zh-CN', server.baseUrl).status.getByText(t.orders.status.completed).waitFor({ timeout: SETTLE_TIMEOUT_MS });
    expect((await orderOf(s, orderId)).status).toBe('completed');
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
