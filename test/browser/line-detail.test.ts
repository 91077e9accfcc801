import { beforeAll, describe, expect, it } from 'vitest';
import { parseActivationCode } from '../../src/domain/activation-code.ts';
import { horizontalOverflowPx, screenshot, seriousA11yViolations } from './support/audit.ts';
import { describeInChromium } from './support/chromium.ts';
import { usePortalAndChromium } from './support/portal-and-chromium.ts';
import {
  AutoRenewPanel, completeSandboxPayment, EsimInstallPage, esimOf, LineDetailPage, lineTextsOf, linesOf,
  NotificationsPage, placeCardOrder, usageFixture,
} from './support/line-pages.ts';
import type { Locale } from './support/pages.ts';
import { DEMO_CARDS, DEMO_SUBSCRIBER } from './support/portal-server.ts';
import { openSession, VIEWPORTS, type BrowserSession, type ViewportName } from './support/session.ts';
import { createSubscriber, signIn, type Subscriber } from './support/subscribers.ts';

/** Safari on an iPhone with iOS 17.4, the first release that installs an eSIM from a link. */
const IOS_17_4_UA = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1';

describeInChromium('a line in the portal: detail, auto-renew, eSIM install, notifications', () => {
  const portal = usePortalAndChromium();

  async function signedIn(subscriber: Subscriber, locale: Locale = 'en', viewport: ViewportName = 'mobile'): Promise<BrowserSession & { lineId: string }> {
    const session = await openSession(portal.browser, locale, viewport);
    await signIn(session.context, portal.server.baseUrl, subscriber);
    const [line] = await linesOf(session.context, portal.server.baseUrl);
    if (!line) throw new Error('the subscriber has no line');
    return { ...session, lineId: line.id };
  }

  it('shows an eSIM line its install details by device: QR, SM-DP+ address and Matching ID with copy buttons, the once-only warning; the one-tap link on iOS 17.4', async () => {
    const t = lineTextsOf('en');
    const subscriber = await createSubscriber(portal.server.baseUrl, 'en', DEMO_CARDS.ukEsim);
    const session = await signedIn(subscriber);
    await session.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: portal.server.baseUrl });
    const { activationCode, installUrl } = await esimOf(session.context, portal.server.baseUrl, session.lineId);
    const parsed = parseActivationCode(activationCode);
    if (!parsed.ok) throw new Error('the server sent an unreadable activation code');

    const detail = new LineDetailPage(session.page, 'en', portal.server.baseUrl);
    await detail.goto(session.lineId);
    await session.page.getByRole('link', { name: t.lines.detail.installEsim }).click();
    const esim = new EsimInstallPage(session.page, 'en', portal.server.baseUrl);
    await esim.heading.waitFor();
    expect(await esim.warning.isVisible()).toBe(true);
    await esim.qr.waitFor();
    expect(await esim.qr.getAttribute('src')).toMatch(/^data:image\/svg\+xml/);
    expect(await session.page.getByText(parsed.value.smdpAddress, { exact: true }).isVisible()).toBe(true);
    expect(await session.page.getByText(parsed.value.matchingId, { exact: true }).isVisible()).toBe(true);
    await esim.copySmdp.click();
    await session.page.getByText(t.esim.copied).first().waitFor();
    expect(await session.page.evaluate(() => navigator.clipboard.readText())).toBe(parsed.value.smdpAddress);
    await esim.copyMatchingId.click();
    await expect.poll(() => session.page.evaluate(() => navigator.clipboard.readText())).toBe(parsed.value.matchingId);
    expect(await esim.oneTapLink.count()).toBe(0);
    expect(session.problems).toEqual([]);
    await session.close();

    const iphone = await portal.browser.newContext({ userAgent: IOS_17_4_UA, viewport: VIEWPORTS.mobile, locale: 'en' });
    await signIn(iphone, portal.server.baseUrl, subscriber);
    const page = await iphone.newPage();
    const onIphone = new EsimInstallPage(page, 'en', portal.server.baseUrl);
    await onIphone.goto(session.lineId);
    await onIphone.oneTapLink.waitFor();
    expect(await onIphone.oneTapLink.getAttribute('href')).toBe(installUrl);
    expect(await onIphone.qr.isVisible()).toBe(false); // folded under "Install another way"
    await screenshot(page, 'esim-ios-en-mobile');
    await iphone.close();
  });

  it('says a physical SIM has no eSIM to install, in words', async () => {
    const t = lineTextsOf('en');
    const session = await signedIn(await createSubscriber(portal.server.baseUrl, 'en', DEMO_CARDS.usPhysical));
    const esim = new EsimInstallPage(session.page, 'en', portal.server.baseUrl);
    await esim.goto(session.lineId);
    await session.page.getByRole('alert').getByText(t.errors.not_esim).waitFor();
    expect(session.problems).toEqual([]);
    await session.close();
  });

  it('turns auto-renew on with a plan and a cap, keeps it after a reload, and turns it off again', async () => {
    const t = lineTextsOf('en');
    const session = await signedIn(await createSubscriber(portal.server.baseUrl, 'en', DEMO_CARDS.ukPhysical));
    const { page } = session;
    const detail = new LineDetailPage(page, 'en', portal.server.baseUrl);
    await detail.goto(session.lineId);
    await detail.overview.waitFor();
    expect(await page.getByText(t.lines.detail.autoRenewOff).isVisible()).toBe(true);
    await detail.autoRenewLink.click();
    const panel = new AutoRenewPanel(page, 'en', portal.server.baseUrl);
    await panel.enabled.waitFor();
    expect(await panel.enabled.isChecked()).toBe(false); // never pre-ticked
    await page.goBack(); // Back closes the panel
    await panel.heading.waitFor({ state: 'detached' });
    await detail.autoRenewLink.click();

    await panel.enabled.check();
    await panel.save.click();
    await page.getByText(t.lines.autoRenew.planMissing).waitFor(); // no plan chosen: nothing sent
    const plan = (await panel.plan.locator('option').nth(1).getAttribute('value')) ?? '';
    await panel.plan.selectOption(plan);
    await panel.cap.fill('12.5');
    await panel.save.click();
    await page.getByText('On, up to £12.50 a month.').waitFor();
    // The summary behind the panel updates from the saved answer, a moment before the panel closes.
    await page.waitForURL((url) => url.pathname === `/lines/${session.lineId}`);
    const [saved] = await linesOf(session.context, portal.server.baseUrl);
    expect(saved?.autoRenew).toEqual({ enabled: true, planId: plan, monthlyCap: { amount: 1250, currency: 'GBP' } });

    await panel.goto(session.lineId);
    await page.reload();
    await panel.enabled.waitFor();
    expect(await panel.enabled.isChecked()).toBe(true);
    expect(await panel.plan.inputValue()).toBe(plan);
    expect(await panel.cap.inputValue()).toBe('12.50');
    await screenshot(page, 'auto-renew-on-en-mobile');

    await panel.enabled.uncheck();
    await panel.save.click();
    await page.getByText(t.lines.detail.autoRenewOff).waitFor();
    await page.reload();
    await detail.overview.waitFor();
    expect(await page.getByText(t.lines.detail.autoRenewOff).isVisible()).toBe(true);
    expect((await linesOf(session.context, portal.server.baseUrl))[0]?.autoRenew.enabled).toBe(false);
    expect(session.problems).toEqual([]);
    await session.close();
  });

  it('lists an order notice with a link to the order, counts it unread in the header, and marks it read', async () => {
    const t = lineTextsOf('en');
    const subscriber = await createSubscriber(portal.server.baseUrl, 'en', { iccid: '89012609900000000120', pin: '1234' }); // us-paygo physical n=12
    const { orderId, paymentId } = await placeCardOrder(portal.server.baseUrl, subscriber);
    await completeSandboxPayment(portal.server.baseUrl, paymentId, 'succeeded');
    const session = await signedIn(subscriber);
    // The worker is off in the test server: run its due jobs until the order has its notice.
    await expect.poll(async () => {
      await portal.server.app.deps.worker.tick();
      const response = await session.context.request.get(`${portal.server.baseUrl}/api/v1/notifications`);
      return ((await response.json()) as { items: Array<{ kind: string }> }).items.map((n) => n.kind);
    }, { timeout: 60_000, interval: 250 }).toContain('order_completed');

    const notices = new NotificationsPage(session.page, 'en', portal.server.baseUrl);
    await notices.goto();
    await notices.list.waitFor();
    const orderLink = notices.list.getByRole('link', { name: t.notifications.viewOrder }).first();
    expect(await orderLink.getAttribute('href')).toBe(`/orders/${orderId}`);
    expect(await notices.navLink.innerText()).toMatch(/\d/);
    await screenshot(session.page, 'notifications-unread-en-mobile');
    const unread = await notices.markReadButtons().count();
    expect(unread).toBeGreaterThan(0);
    await notices.markReadButtons().first().click();
    await expect.poll(() => notices.markReadButtons().count()).toBe(unread - 1);
    expect(session.problems).toEqual([]);
    await session.close();
  });

  describe.each(['en', 'zh-CN'] as const)('every page of a line in %s', (locale) => {
    let who: { esim: Subscriber; physical: Subscriber };
    beforeAll(async () => {
      // Demo cards no other scenario here binds (src/modules/lines/seed.ts): uk-keep eSIM n=2 and physical n=12, us-paygo physical n=13.
      const [esim, physical] = locale === 'en'
        ? [{ iccid: '89441109900000000027', pin: '1234' }, { iccid: '89441109900000000126', pin: '1234' }]
        : [DEMO_CARDS.travelEsim, { iccid: '89012609900000000138', pin: '1234' }];
      who = { esim: await createSubscriber(portal.server.baseUrl, locale, esim), physical: await createSubscriber(portal.server.baseUrl, locale, physical) };
    });

    it.each(Object.keys(VIEWPORTS) as ViewportName[])('at %s size: no serious accessibility finding, no horizontal scroll, screenshots', async (viewport) => {
      expect(await sweep(locale, viewport, who)).toEqual([]);
    });
  });

  /** Visits each page, waits for its content, audits it (axe and overflow on the phone size) and takes its picture. */
  async function sweep(locale: Locale, viewport: ViewportName, who: { esim: Subscriber; physical: Subscriber }): Promise<string[]> {
    const t = lineTextsOf(locale);
    const findings: string[] = [];
    const check = async (name: string, session: BrowserSession) => {
      if (viewport === 'mobile') {
        findings.push(...(await seriousA11yViolations(session.page)).map((v) => `${name} ${locale}: ${v}`));
        const overflow = await horizontalOverflowPx(session.page);
        if (overflow > 0) findings.push(`${name} ${locale}: ${overflow}px of horizontal scroll at 375 px`);
      }
      await screenshot(session.page, `${name}-${locale}-${viewport}`);
    };
    const visit = async (name: string, path: string, ready: string, session: BrowserSession) => {
      await session.page.goto(`${portal.server.baseUrl}${path}`);
      await session.page.getByText(ready, { exact: false }).first().waitFor();
      await check(name, session);
    };
    const esim = await signedIn(who.esim, locale, viewport);
    const usage = usageFixture();
    await esim.page.route('**/api/v1/lines/*/usage', (route) => route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify(usage) }));
    const detail = new LineDetailPage(esim.page, locale, portal.server.baseUrl);
    await visit('line-detail', `/lines/${esim.lineId}`, t.lines.detail.overview, esim);
    await detail.usageChart.locator('canvas').waitFor();
    await check('line-detail-chart', esim);
    await detail.tableToggle.click();
    await detail.usageTable.waitFor();
    await esim.page.getByRole('button', { name: t.lines.detail.showChart }).waitFor(); // the way back to the chart
    await check('line-detail-table', esim);
    await visit('auto-renew', `/lines/${esim.lineId}/auto-renew`, t.lines.autoRenew.enabled, esim);
    await visit('esim', `/lines/${esim.lineId}/esim`, t.esim.manual.smdp, esim);
    await visit('notifications-empty', '/notifications', t.notifications.empty.title, esim);
    await visit('notification-settings', '/notifications/settings', t.notifications.settings.kinds, esim);
    if (locale === 'en') {
      // The demo subscriber's line has a plan and buckets (its account is in English).
      const demo = await signedIn(DEMO_SUBSCRIBER, locale, viewport);
      await visit('line-detail-active', `/lines/${demo.lineId}`, t.lines.detail.bucketsOrder, demo);
      findings.push(...demo.problems);
      await demo.close();
    }
    const physical = await signedIn(who.physical, locale, viewport);
    await visit('esim-not-esim', `/lines/${physical.lineId}/esim`, t.errors.not_esim, physical);
    await visit('line-detail-no-usage', `/lines/${physical.lineId}`, t.lines.detail.noUsage, physical);
    for (const session of [esim, physical]) {
      findings.push(...session.problems);
      await session.close();
    }
    return findings;
  }
});
