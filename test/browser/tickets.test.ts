// Support tickets and the account in a browser: the en journey (a subscriber asks about their line,
// an operator answers through the admin API, the subscriber reads the answer, the ticket_reply
// notification points at the ticket, they answer back and close it; then the account page), and every
// page of this part in both languages at phone and desktop size: axe, no horizontal scroll, screenshots.
import { beforeAll, describe, expect, it } from 'vitest';
import { horizontalOverflowPx, screenshot, seriousA11yViolations } from './support/audit.ts';
import { describeInChromium } from './support/chromium.ts';
import { usePortalAndChromium } from './support/portal-and-chromium.ts';
import { fill, type Locale } from './support/pages.ts';
import { DEMO_CARDS } from './support/portal-server.ts';
import { openSession, VIEWPORTS, type BrowserSession, type ViewportName } from './support/session.ts';
import { createSubscriber, signIn, type Subscriber } from './support/subscribers.ts';
import { AccountPage, NewTicketPage, operatorReply, operatorToken, supportTextsOf, TicketPage, TicketsPage } from './support/ticket-pages.ts';

const LINE_NICKNAME = 'Travel phone';

async function notificationsOf(session: BrowserSession, baseUrl: string): Promise<Array<{ kind: string; ticketId?: string; title: string }>> {
  const response = await session.context.request.get(`${baseUrl}/api/v1/notifications`);
  expect(response.status()).toBe(200);
  return ((await response.json()) as { items: Array<{ kind: string; ticketId?: string; title: string }> }).items;
}

describeInChromium('support tickets and the account in the portal', () => {
  const portal = usePortalAndChromium();

  it('in English: asks about a line, reads the operator\'s reply and its notification, answers, closes, then edits the account', async () => {
    const t = supportTextsOf('en');
    const subscriber = await createSubscriber(portal.server.baseUrl, 'en', { ...DEMO_CARDS.ukEsim, nickname: LINE_NICKNAME } as typeof DEMO_CARDS.ukEsim);
    const session = await openSession(portal.browser, 'en');
    const { page } = session;
    await signIn(session.context, portal.server.baseUrl, subscriber);

    const tickets = new TicketsPage(page, 'en', portal.server.baseUrl);
    await tickets.goto();
    await tickets.emptyState.waitFor();
    await tickets.newTicketLink.click();
    const form = new NewTicketPage(page, 'en', portal.server.baseUrl);
    await form.heading.waitFor();
    // Nothing is sent while the form is empty: the subject's sentence shows on its field.
    let sent = 0;
    page.on('request', (request) => {
      if (request.method() === 'POST' && new URL(request.url()).pathname === '/api/v1/tickets') sent += 1;
    });
    await form.submit.click();
    await page.getByText(t.tickets.form.subjectRequired).waitFor();
    expect(await form.subject.getAttribute('aria-invalid')).toBe('true');
    expect(sent).toBe(0);

    await form.subject.fill('No signal abroad');
    await form.line.selectOption({ label: LINE_NICKNAME });
    await form.body.fill('Since this morning in Lisbon\nthe phone shows no service.');
    await form.submit.click();
    const ticket = new TicketPage(page, 'en', portal.server.baseUrl);
    await ticket.heading('No signal abroad').waitFor();
    expect(sent).toBe(1);
    const ticketId = new URL(page.url()).pathname.split('/').pop() ?? '';
    expect(ticketId).toMatch(/^tkt_/);
    await expect(page.getByRole('main').getByText(t.tickets.status.open, { exact: true }).isVisible()).resolves.toBe(true);
    await expect(page.getByText(LINE_NICKNAME, { exact: true }).isVisible()).resolves.toBe(true);
    expect(await ticket.messages.count()).toBe(1);
    expect(await ticket.messages.first().innerText()).toContain(t.tickets.ticket.from.customer);

    await operatorReply(portal.server.baseUrl, await operatorToken(portal.server.baseUrl), ticketId, 'Please turn data roaming on: Settings → Mobile data.');
    await page.reload();
    await page.getByText('Please turn data roaming on').waitFor();
    await screenshot(page, 'ticket-journey-answered-en-mobile');
    expect(await ticket.messages.count()).toBe(2);
    expect(await ticket.messages.nth(1).innerText()).toContain(t.tickets.ticket.from.operator);
    await expect(page.getByRole('main').getByText(t.tickets.status.answered, { exact: true }).isVisible()).resolves.toBe(true);
    const notices = await notificationsOf(session, portal.server.baseUrl);
    expect(notices).toEqual([expect.objectContaining({ kind: 'ticket_reply', ticketId, title: 'New reply: No signal abroad' })]);

    await ticket.reply.fill('That was it, thank you!');
    await ticket.send.click();
    await page.getByText('That was it, thank you!').waitFor();
    expect(await ticket.messages.count()).toBe(3);
    expect(await ticket.reply.inputValue()).toBe('');
    await ticket.close.click();
    await ticket.closedNotice.waitFor();
    expect(await ticket.reply.count()).toBe(0);
    expect(await ticket.send.count()).toBe(0);

    await page.getByRole('link', { name: t.tickets.ticket.back }).click();
    await tickets.rows.first().waitFor();
    expect(await tickets.rows.first().innerText()).toContain(t.tickets.status.closed);
    await tickets.chip(t.tickets.status.open).click();
    await tickets.filteredEmptyState.waitFor();
    expect(new URL(page.url()).search).toBe('?status=open');
    await tickets.chip(t.tickets.status.closed).click();
    await tickets.rows.first().waitFor();
    expect(await tickets.rows.count()).toBe(1);

    await page.getByRole('link', { name: t.common.header.account }).click();
    const account = new AccountPage(page, 'en', portal.server.baseUrl);
    await account.heading.waitFor();
    await expect(page.getByText(subscriber.email).isVisible()).resolves.toBe(true);
    await account.name.fill('Ada Lovelace');
    await account.saveName.click();
    await page.getByText(t.account.settings.nameSaved).waitFor();
    const saved = page.waitForResponse((r) => r.url().endsWith('/api/v1/me') && r.request().method() === 'PATCH');
    await account.language.selectOption('zh-CN');
    expect((await saved).status()).toBe(200);
    await new AccountPage(page, 'zh-CN', portal.server.baseUrl).heading.waitFor();
    expect(await page.getAttribute('html', 'lang')).toBe('zh-CN');
    const me = await (await session.context.request.get(`${portal.server.baseUrl}/api/v1/me`)).json() as { name: string; locale: string };
    expect(me).toMatchObject({ name: 'Ada Lovelace', locale: 'zh-CN' });
    expect(session.problems).toEqual([]);
    await session.close();
  });

  it('shows a failing ticket list as a translated sentence with a retry that works', async () => {
    const t = supportTextsOf('zh-CN');
    const subscriber = await createSubscriber(portal.server.baseUrl, 'zh-CN');
    const session = await openSession(portal.browser, 'zh-CN');
    const { page } = session;
    await signIn(session.context, portal.server.baseUrl, subscriber);
    const failing = (route: { fulfill: (r: object) => Promise<void> }) => route.fulfill({
      status: 500, contentType: 'application/problem+json', headers: { 'x-request-id': 'req-tickets-500' },
      body: JSON.stringify({ type: 'about:blank', title: 'Internal Server Error', status: 500, code: 'internal_error', detail: 'boom' }),
    });
    await page.route('**/api/v1/tickets?*', failing);
    const tickets = new TicketsPage(page, 'zh-CN', portal.server.baseUrl);
    await tickets.goto();
    await page.getByText(t.errors.internal_error).waitFor();
    expect(await page.getByText('req-tickets-500').isVisible()).toBe(true);
    expect(await page.getByText('boom').count()).toBe(0);
    await screenshot(page, 'tickets-error-zh-CN-mobile');
    await page.unroute('**/api/v1/tickets?*', failing);
    await page.getByRole('button', { name: t.common.error.retry }).click();
    await tickets.emptyState.waitFor();
    await session.close();
  });

  describe.each(['en', 'zh-CN'] as const)('every support and account page in %s', (locale) => {
    let who: { empty: Subscriber; asking: Subscriber; openId: string; closedId: string };
    beforeAll(async () => {
      const card = locale === 'en' ? DEMO_CARDS.ukPhysical : DEMO_CARDS.travelEsim;
      const [empty, asking] = await Promise.all([createSubscriber(portal.server.baseUrl, locale), createSubscriber(portal.server.baseUrl, locale, card)]);
      const [openId, closedId] = await ticketsOf(asking, locale);
      who = { empty, asking, openId, closedId };
    });

    it.each(Object.keys(VIEWPORTS) as ViewportName[])('at %s size: no serious accessibility finding, no horizontal scroll, screenshots', async (viewport) => {
      expect(await sweep(locale, viewport, who)).toEqual([]);
    });
  });

  /** Two tickets made through the API: one about the line and answered by an operator, one closed. */
  async function ticketsOf(subscriber: Subscriber, locale: Locale): Promise<[string, string]> {
    const api = `${portal.server.baseUrl}/api/v1`;
    const post = async (path: string, body: unknown, token: string) => {
      const response = await fetch(`${api}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(body) });
      if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
      return (await response.json()) as { id: string; token: string };
    };
    const { token } = await fetch(`${api}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(subscriber) })
      .then((r) => r.json() as Promise<{ token: string }>);
    const lines = await fetch(`${api}/lines`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.json() as Promise<{ items: Array<{ id: string }> }>);
    const zh = locale === 'zh-CN';
    const asked = await post('/tickets', { lineId: lines.items[0]?.id, subject: zh ? '出国后没有信号' : 'No signal since I landed in a new country yesterday evening', body: zh ? '今天早上到了里斯本，手机一直显示无服务。' : 'Since this morning the phone shows no service at all.' }, token);
    await operatorReply(portal.server.baseUrl, await operatorToken(portal.server.baseUrl), asked.id, zh ? '请在设置中打开数据漫游。' : 'Please turn data roaming on: Settings → Mobile data → Roaming.');
    const done = await post('/tickets', { subject: zh ? '发票' : 'Receipt for March', body: zh ? '请问在哪里下载发票？' : 'Where do I find the receipt?' }, token);
    await post(`/tickets/${done.id}/close`, {}, token);
    return [asked.id, done.id];
  }

  /** Visits each page, waits for its content, audits it (axe on the phone size) and takes its picture. */
  async function sweep(locale: Locale, viewport: ViewportName, who: { empty: Subscriber; asking: Subscriber; openId: string; closedId: string }): Promise<string[]> {
    const t = supportTextsOf(locale);
    const findings: string[] = [];
    const visit = async (name: string, path: string, ready: string, session: BrowserSession) => {
      await session.page.goto(`${portal.server.baseUrl}${path}`);
      await session.page.getByText(ready, { exact: false }).first().waitFor();
      if (viewport === 'mobile') {
        findings.push(...(await seriousA11yViolations(session.page)).map((v) => `${name} ${locale}: ${v}`));
        const overflow = await horizontalOverflowPx(session.page);
        if (overflow > 0) findings.push(`${name} ${locale}: ${overflow}px of horizontal scroll at 375 px`);
      }
      await screenshot(session.page, `${name}-${locale}-${viewport}`);
    };
    const empty = await openSession(portal.browser, locale, viewport);
    await signIn(empty.context, portal.server.baseUrl, who.empty);
    await visit('tickets-empty', '/tickets', t.tickets.empty.body, empty);
    await visit('ticket-new-no-line', '/tickets/new', t.tickets.form.intro, empty);
    const asking = await openSession(portal.browser, locale, viewport);
    await signIn(asking.context, portal.server.baseUrl, who.asking);
    // The answered ticket's row: two messages.
    await visit('tickets', '/tickets', fill(t.tickets.list.messages_other, { count: '2' }), asking);
    await visit('ticket-new', '/tickets/new', t.tickets.form.line, asking);
    await visit('ticket-answered', `/tickets/${who.openId}`, t.tickets.ticket.replyTitle, asking);
    await visit('ticket-closed', `/tickets/${who.closedId}`, t.tickets.ticket.closedTitle, asking);
    await visit('account', '/account', t.account.settings.sessionHint, asking);
    for (const session of [empty, asking]) {
      findings.push(...session.problems);
      await session.close();
    }
    return findings;
  }
});
