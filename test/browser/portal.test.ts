import { beforeAll, describe, expect, it } from 'vitest';
import { horizontalOverflowPx, screenshot, seriousA11yViolations } from './support/audit.ts';
import { describeInChromium } from './support/chromium.ts';
import { usePortalAndChromium } from './support/portal-and-chromium.ts';
import { placeOrder } from './support/orders.ts';
import { fill, LinesPage, LoginPage, textsOf, type Locale } from './support/pages.ts';
import { DEMO_CARDS, DEMO_SUBSCRIBER } from './support/portal-server.ts';
import { openSession, VIEWPORTS, type ViewportName } from './support/session.ts';
import { createSubscriber, signIn, type Subscriber } from './support/subscribers.ts';

describeInChromium('the portal in a browser', () => {
  const portal = usePortalAndChromium();

  it('logs the demo subscriber in and out in English, and sends a signed-out visit back to the login page with `from`', async () => {
    const t = textsOf('en');
    const session = await openSession(portal.browser, 'en');
    const { page } = session;
    await page.goto(`${portal.server.baseUrl}/lines`);
    const login = new LoginPage(page, 'en', portal.server.baseUrl);
    await login.heading.waitFor();
    expect(new URL(page.url()).searchParams.get('from')).toBe('/lines');

    await login.logIn(DEMO_SUBSCRIBER.email, 'not-the-password-at-all');
    await page.getByText(t.errors.invalid_credentials).waitFor();
    await login.logIn(DEMO_SUBSCRIBER.email, DEMO_SUBSCRIBER.password);
    const lines = new LinesPage(page, 'en', portal.server.baseUrl);
    await lines.cards.first().waitFor();
    expect(new URL(page.url()).pathname).toBe('/lines');
    const card = await lines.cards.first().innerText();
    expect(card).toMatch(/\$\d+\.\d\d/); // the wallet in en: "$5.00", not "US$5.00"
    expect(card).not.toContain('US$');
    expect(card).toContain(fill(t.lines.card.safeUntil, { date: '' }).trim());
    await screenshot(page, 'lines-active-en-mobile'); // an active line: plan, buckets, gauges

    await login.logoutButton.click();
    await login.heading.waitFor();
    await page.goto(`${portal.server.baseUrl}/lines`);
    await login.heading.waitFor();
    expect(session.problems).toEqual([]);
    await session.close();
  });

  it('switches the language from the header, saves it on the account and keeps it after a reload', async () => {
    const subscriber = await createSubscriber(portal.server.baseUrl, 'en', DEMO_CARDS.ukEsim);
    const session = await openSession(portal.browser, 'en');
    const { page } = session;
    await signIn(session.context, portal.server.baseUrl, subscriber);
    const en = new LinesPage(page, 'en', portal.server.baseUrl);
    await en.goto();
    await en.cards.first().waitFor();
    const saved = page.waitForResponse((r) => r.url().endsWith('/api/v1/me') && r.request().method() === 'PATCH');
    await en.switchLanguage('zh-CN');
    const zh = new LinesPage(page, 'zh-CN', portal.server.baseUrl);
    await zh.heading.waitFor();
    expect(await page.getAttribute('html', 'lang')).toBe('zh-CN');
    expect((await saved).status()).toBe(200); // cookie session + CSRF header accepted
    await page.reload();
    await zh.cards.first().waitFor();
    expect(await page.getAttribute('html', 'lang')).toBe('zh-CN');
    expect(session.problems).toEqual([]);
    await session.close();
  });

  it('shows a server failure as a translated sentence with a retry that works', async () => {
    const t = textsOf('zh-CN');
    const subscriber = await createSubscriber(portal.server.baseUrl, 'zh-CN');
    const session = await openSession(portal.browser, 'zh-CN');
    const { page } = session;
    await signIn(session.context, portal.server.baseUrl, subscriber);
    const failing = (route: { fulfill: (r: object) => Promise<void> }) => route.fulfill({
      status: 500, contentType: 'application/problem+json', headers: { 'x-request-id': 'req-test-500' },
      body: JSON.stringify({ type: 'about:blank', title: 'Internal Server Error', status: 500, code: 'internal_error', detail: 'boom' }),
    });
    await page.route('**/api/v1/lines?*', failing);
    const lines = new LinesPage(page, 'zh-CN', portal.server.baseUrl);
    await lines.goto();
    await page.getByText(t.errors.internal_error).waitFor();
    expect(await page.getByText('req-test-500').isVisible()).toBe(true);
    expect(await page.getByText('boom').count()).toBe(0);
    await screenshot(page, 'lines-error-zh-CN-mobile');
    await page.unroute('**/api/v1/lines?*', failing);
    await page.getByRole('button', { name: t.common.error.retry }).click();
    await lines.emptyState.waitFor();
    await session.close();
  });

  describe.each(['en', 'zh-CN'] as const)('every page in %s', (locale) => {
    let who: { withLine: Subscriber; withoutLine: Subscriber; orderId: string };
    beforeAll(async () => {
      const [withLine, withoutLine] = await Promise.all([
        createSubscriber(portal.server.baseUrl, locale, locale === 'en' ? DEMO_CARDS.ukPhysical : DEMO_CARDS.travelEsim),
        createSubscriber(portal.server.baseUrl, locale),
      ]);
      who = { withLine, withoutLine, orderId: await placeOrder(portal.server.baseUrl, withLine) };
    });

    it.each(Object.keys(VIEWPORTS) as ViewportName[])('at %s size: no serious accessibility finding, no horizontal scroll, screenshots', async (viewport) => {
      expect(await sweep(locale, viewport, who)).toEqual([]);
    });
  });

  /** Visits each page, waits for its content, audits it (axe on the phone size) and takes its picture. */
  async function sweep(locale: Locale, viewport: ViewportName, who: { withLine: Subscriber; withoutLine: Subscriber; orderId: string }): Promise<string[]> {
    const t = textsOf(locale);
    const findings: string[] = [];
    const visit = async (name: string, path: string, ready: string, session: Awaited<ReturnType<typeof openSession>>) => {
      await session.page.goto(`${portal.server.baseUrl}${path}`);
      await session.page.getByText(ready, { exact: false }).first().waitFor();
      if (viewport === 'mobile') {
        findings.push(...(await seriousA11yViolations(session.page)).map((v) => `${name} ${locale}: ${v}`));
        const overflow = await horizontalOverflowPx(session.page);
        if (overflow > 0) findings.push(`${name} ${locale}: ${overflow}px of horizontal scroll at 375 px`);
      }
      await screenshot(session.page, `${name}-${locale}-${viewport}`);
    };
    const visitor = await openSession(portal.browser, locale, viewport);
    await visit('login', '/login', t.account.login.title, visitor);
    await visit('register', '/register', t.account.register.title, visitor);
    await visit('not-found', '/no-such-page', t.common.notFound.title, visitor);
    const empty = await openSession(portal.browser, locale, viewport);
    await signIn(empty.context, portal.server.baseUrl, who.withoutLine);
    await visit('lines-empty', '/lines', t.lines.empty.title, empty);
    const subscriber = await openSession(portal.browser, locale, viewport);
    await signIn(subscriber.context, portal.server.baseUrl, who.withLine);
    await visit('lines', '/lines', t.lines.card.plan, subscriber);
    await visit('bind-card', '/lines/bind', t.lines.bind.intro, subscriber);
    await visit('order', `/orders/${who.orderId}`, t.orders.events, subscriber);
    for (const session of [visitor, empty, subscriber]) {
      findings.push(...session.problems);
      await session.close();
    }
    return findings;
  }
});
