// The line card's "number safe until" with the cheapest act that keeps the number and its price
// (issue 16), from one calendar request for the whole page; the line page says the same.
import { beforeAll, describe, expect, it } from 'vitest';
import { horizontalOverflowPx, screenshot, seriousA11yViolations } from './support/audit.ts';
import { describeInChromium, START_TIMEOUT_MS } from './support/chromium.ts';
import { fill, LinesPage, textsOf, type Locale } from './support/pages.ts';
import { usePortalAndChromium } from './support/portal-and-chromium.ts';
import { DEMO_CARDS, DEMO_SUBSCRIBER } from './support/portal-server.ts';
import { openSession } from './support/session.ts';
import { signIn } from './support/subscribers.ts';

interface ApiLine {
  id: string;
  carrier: string;
  msisdn: string | null;
  safeUntil: string | null;
  actionBy: string | null;
}

/** The demo line's cheapest keeping plan (src/modules/catalog/seed.ts): us-keepalive-30 at $3. */
const KEEPING_PLAN = { code: 'us-keepalive-30', amount: 300, name: { en: 'Keep-alive 30 days, 100 MB', 'zh-CN': '保号 30 天，100 MB' } };

describeInChromium('the line card\'s keeping act and its price', () => {
  const portal = usePortalAndChromium();
  let token: string;
  let usLine: ApiLine;
  let keepingPlanId: string;

  /** The API as a script would call it (bearer token: no CSRF header). */
  async function call<T>(path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
    const response = await fetch(`${portal.server.baseUrl}/api/v1${path}`, {
      method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
      headers: { authorization: `Bearer ${token}`, ...(init.body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
    });
    if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
    return (await response.json()) as T;
  }

  const setAutoRenew = (enabled: boolean) =>
    call(`/lines/${usLine.id}`, { method: 'PATCH', body: { autoRenew: enabled ? { enabled, planId: keepingPlanId } : { enabled } } });

  beforeAll(async () => {
    const login = await fetch(`${portal.server.baseUrl}/api/v1/auth/login`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(DEMO_SUBSCRIBER),
    });
    token = ((await login.json()) as { token: string }).token;
    // A second line (bound, not yet recharged), so the page has two cards and still asks the calendar once.
    await call('/lines/bind', { body: DEMO_CARDS.ukPhysical });
    const lines = (await call<{ items: ApiLine[] }>('/lines')).items;
    const us = lines.find((line) => line.carrier === 'us-paygo');
    if (!us?.actionBy || !us.safeUntil) throw new Error(`the demo subscriber has no active US line: ${JSON.stringify(lines)}`);
    usLine = us;
    const plans = (await call<{ items: Array<{ id: string; code: string }> }>(`/plans?lineId=${us.id}`)).items;
    keepingPlanId = plans.find((plan) => plan.code === KEEPING_PLAN.code)?.id ?? '';
    expect(keepingPlanId).not.toBe('');
  }, START_TIMEOUT_MS);

  describe.each(['en', 'zh-CN'] as const)('in %s', (locale: Locale) => {
    it('shows the plan that keeps the number and its price, then the auto-renew charge once auto-renew is on; the line page agrees', async () => {
      const t = textsOf(locale);
      await call('/me', { method: 'PATCH', body: { locale } });
      const date = (iso: string) => new Intl.DateTimeFormat(locale, { dateStyle: 'medium' }).format(new Date(iso));
      const price = locale === 'en' ? '$3.00' : 'US$3.00'; // en: "$3.00"; zh-CN: "US$3.00"
      expect(new Intl.NumberFormat(locale, { style: 'currency', currency: 'USD' }).format(KEEPING_PLAN.amount / 100)).toBe(price);
      const values = { date: date(usLine.actionBy ?? ''), price, plan: KEEPING_PLAN.name[locale] };
      const renew = fill(t.lines.card.keeping.renew, values);
      const autoRenew = fill(t.lines.card.keeping.auto_renew_scheduled, values);

      const session = await openSession(portal.browser, locale);
      const { page } = session;
      await signIn(session.context, portal.server.baseUrl, DEMO_SUBSCRIBER);
      const asked: string[] = [];
      page.on('request', (request) => {
        const path = new URL(request.url()).pathname;
        if (path === '/api/v1/calendar' || path === '/api/v1/plans') asked.push(path);
      });
      const lines = new LinesPage(page, locale, portal.server.baseUrl);
      await lines.goto();
      const card = lines.cards.filter({ hasText: usLine.msisdn ?? '' });
      await card.getByText(renew).waitFor();
      expect(await card.innerText()).toContain(fill(t.lines.card.safeUntil, { date: date(usLine.safeUntil ?? '') }));
      expect(await lines.cards.count()).toBe(2);
      expect(asked).toEqual(['/api/v1/calendar']); // one request for every card, no per-line plan look-up
      expect(await seriousA11yViolations(page)).toEqual([]);
      expect(await horizontalOverflowPx(page)).toBe(0);
      await screenshot(page, `lines-card-renew-${locale}-mobile`);

      await card.getByRole('link', { name: t.lines.card.details }).click();
      await page.getByText(renew).waitFor(); // the line page: the same sentence from the same source

      await setAutoRenew(true);
      try {
        await lines.goto();
        await card.getByText(autoRenew).waitFor();
        expect(await card.innerText()).not.toContain(renew);
        await screenshot(page, `lines-card-auto-renew-${locale}-mobile`);
        await page.goto(`${portal.server.baseUrl}/lines/${usLine.id}`);
        await page.getByText(autoRenew).waitFor();
      } finally {
        await setAutoRenew(false);
      }
      expect(session.problems).toEqual([]);
      await session.close();
    });
  });

  it('still says what to do and by when, without a price, when the calendar fails', async () => {
    const t = textsOf('en');
    await call('/me', { method: 'PATCH', body: { locale: 'en' } });
    const session = await openSession(portal.browser, 'en');
    const { page } = session;
    await signIn(session.context, portal.server.baseUrl, DEMO_SUBSCRIBER);
    await page.route('**/api/v1/calendar?*', (route) => route.fulfill({
      status: 500, contentType: 'application/problem+json',
      body: JSON.stringify({ type: 'about:blank', title: 'Internal Server Error', status: 500, code: 'internal_error' }),
    }));
    const lines = new LinesPage(page, 'en', portal.server.baseUrl);
    await lines.goto();
    const card = lines.cards.filter({ hasText: usLine.msisdn ?? '' });
    const date = new Intl.DateTimeFormat('en', { dateStyle: 'medium' }).format(new Date(usLine.actionBy ?? ''));
    await card.getByText(fill(t.lines.card.keepAlive.recharge, { date })).waitFor();
    expect(await card.innerText()).not.toContain('$3.00');
    expect(session.problems).toEqual([]);
    await session.close();
  });
});
