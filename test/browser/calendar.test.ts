import { describe, expect, it } from 'vitest';
import { horizontalOverflowPx, screenshot, seriousA11yViolations } from './support/audit.ts';
import { CalendarPage, calendarOf, calendarTextsOf } from './support/calendar-pages.ts';
import { describeInChromium } from './support/chromium.ts';
import { usePortalAndChromium } from './support/portal-and-chromium.ts';
import { fill, type Locale } from './support/pages.ts';
import { DEMO_SUBSCRIBER } from './support/portal-server.ts';
import { openSession, type BrowserSession, type ViewportName } from './support/session.ts';
import { createSubscriber, signIn, type Subscriber } from './support/subscribers.ts';

describeInChromium('the deadline calendar in the portal', () => {
  const portal = usePortalAndChromium();

  async function signedIn(subscriber: Subscriber, locale: Locale, viewport: ViewportName = 'mobile'): Promise<BrowserSession & { calendar: CalendarPage }> {
    const session = await openSession(portal.browser, locale, viewport);
    await signIn(session.context, portal.server.baseUrl, subscriber);
    const calendar = new CalendarPage(session.page, locale, portal.server.baseUrl);
    await calendar.goto();
    await calendar.heading.waitFor();
    await calendar.useLanguage();
    return { ...session, calendar };
  }

  async function audit(session: BrowserSession, name: string): Promise<string[]> {
    const findings = (await seriousA11yViolations(session.page)).map((v) => `${name}: ${v}`);
    const overflow = await horizontalOverflowPx(session.page);
    if (overflow > 0) findings.push(`${name}: ${overflow}px of horizontal scroll at 375 px`);
    await screenshot(session.page, name);
    return findings;
  }

  describe.each(['en', 'zh-CN'] as const)('in %s', (locale) => {
    it('lists the demo line\'s expiry with its price and a way to act, serves the .ics feed, and a new link retires the old one', async () => {
      const session = await signedIn(DEMO_SUBSCRIBER, locale);
      const { page, calendar } = session;
      const t = calendar.t.calendar;
      const { items, feedUrl } = await calendarOf(session.context, portal.server.baseUrl);
      const expiry = items.find((item) => item.kind === 'expiry' && item.price !== undefined);
      if (!expiry?.price) throw new Error(`the demo line has no priced expiry in 90 days: ${JSON.stringify(items)}`);

      await calendar.deadlines.first().waitFor();
      expect(await calendar.deadlines.count()).toBe(items.length);
      const row = calendar.deadlines.filter({ hasText: t.kinds.expiry });
      const price = new Intl.NumberFormat(locale, { style: 'currency', currency: expiry.price.currency }).format(expiry.price.amount / 100); // cents: the demo sells in US$
      const sentence = expiry.action === 'recharge' ? t.actions.recharge : t.actions.renew;
      expect(await row.innerText()).toContain(fill(sentence, { price }));
      expect(await row.innerText()).toContain(new Intl.DateTimeFormat(locale, { dateStyle: 'medium' }).format(new Date(expiry.at)));
      expect(await row.getByRole('link', { name: expiry.nickname ?? expiry.msisdn ?? '' }).getAttribute('href')).toBe(`/lines/${expiry.lineId}`);
      const act = row.getByRole('link', { name: expiry.action === 'recharge' ? t.act.recharge : t.act.renew });
      expect(await act.getAttribute('href')).toBe(`/lines/${expiry.lineId}/plans`);
      if (locale === 'zh-CN') expect(price).toMatch(/^US\$/);
      expect(await calendar.navLink.getAttribute('aria-current')).toBe('page');

      expect(await calendar.feedUrl.inputValue()).toBe(feedUrl);
      const feed = await fetch(feedUrl); // a calendar app: no cookie, no header
      expect(feed.status).toBe(200);
      expect(feed.headers.get('content-type')).toMatch(/^text\/calendar/);
      expect(await feed.text()).toContain('BEGIN:VCALENDAR');
      const findings = await audit(session, `calendar-${locale}-mobile`);

      await calendar.rotate.click();
      await calendar.confirmRotate.waitFor();
      findings.push(...(await audit(session, `calendar-rotate-confirm-${locale}-mobile`)));
      await calendar.confirmRotate.click();
      await page.getByText(t.feed.rotated).waitFor();
      const rotated = await calendar.feedUrl.inputValue();
      expect(rotated).not.toBe(feedUrl);
      expect((await calendarOf(session.context, portal.server.baseUrl)).feedUrl).toBe(rotated);
      expect((await fetch(feedUrl)).status).toBe(404);
      expect((await fetch(rotated)).status).toBe(200);
      await session.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: portal.server.baseUrl });
      await calendar.copyFeed.click();
      await page.getByText(t.feed.copied).waitFor();
      expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(rotated);

      expect(findings).toEqual([]);
      expect(session.problems).toEqual([]);
      await session.close();
    });

    it('says when there is nothing to keep, shows a failure in words with a retry, and keeps the period in the address', async () => {
      const session = await signedIn(await createSubscriber(portal.server.baseUrl, locale), locale);
      const { page, calendar } = session;
      const t = calendarTextsOf(locale);
      await calendar.empty.waitFor();
      expect(await page.getByText(fill(t.calendar.empty.body_other, { count: '90' })).isVisible()).toBe(true);
      const findings = await audit(session, `calendar-empty-${locale}-mobile`);

      await calendar.period.selectOption('365');
      await page.waitForURL((url) => url.searchParams.get('days') === '365');
      await page.getByText(fill(t.calendar.empty.body_other, { count: '365' })).waitFor();

      await page.route('**/api/v1/calendar?*', (route) => route.fulfill({
        status: 500, contentType: 'application/problem+json', headers: { 'x-request-id': 'req-calendar-test' },
        body: JSON.stringify({ type: 'about:blank', title: 'Internal Server Error', status: 500, code: 'internal_error' }),
      }));
      await page.reload();
      const alert = page.getByRole('alert').filter({ hasText: 'req-calendar-test' });
      await alert.waitFor();
      expect(await alert.innerText()).toContain(t.errors.internal_error);
      findings.push(...(await audit(session, `calendar-error-${locale}-mobile`)));
      await page.unroute('**/api/v1/calendar?*');
      await alert.getByRole('button', { name: t.common.error.retry }).click();
      await calendar.empty.waitFor();
      expect(new URL(page.url()).searchParams.get('days')).toBe('365');

      expect(findings).toEqual([]);
      expect(session.problems).toEqual([]);
      await session.close();
    });

    it('at desktop size: the data and the loading skeleton, screenshots', async () => {
      const session = await signedIn(DEMO_SUBSCRIBER, locale, 'desktop');
      const { page, calendar } = session;
      await calendar.deadlines.first().waitFor();
      await screenshot(page, `calendar-${locale}-desktop`);
      let release = (): void => undefined;
      const held = new Promise<void>((resolve) => { release = resolve; });
      await page.route('**/api/v1/calendar?*', async (route) => { await held; await route.continue(); });
      await calendar.goto(30);
      await page.getByRole('status', { name: calendar.t.calendar.loading }).waitFor();
      await screenshot(page, `calendar-loading-${locale}-desktop`);
      release();
      await calendar.heading.waitFor();
      await page.getByRole('status', { name: calendar.t.calendar.loading }).waitFor({ state: 'detached' });
      expect(session.problems).toEqual([]);
      await session.close();
    });
  });
});
