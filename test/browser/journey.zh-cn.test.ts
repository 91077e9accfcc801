import { expect, it } from 'vitest';
import { describeInChromium } from './support/chromium.ts';
import { usePortalAndChromium } from './support/portal-and-chromium.ts';
import { BindCardPage, LinesPage, RegisterPage, textsOf } from './support/pages.ts';
import { DEMO_CARDS } from './support/portal-server.ts';
import { openSession, uniqueEmail } from './support/session.ts';

describeInChromium('a new subscriber in Chinese: sign up, bind a card, see the line', () => {
  const portal = usePortalAndChromium();

  it('signs up in zh-CN (from the browser language), binds the demo card checked as typed, and shows its card', async () => {
    const t = textsOf('zh-CN');
    const session = await openSession(portal.browser, 'zh-CN');
    const { page } = session;
    const register = new RegisterPage(page, 'zh-CN', portal.server.baseUrl);
    await register.goto();
    await register.heading.waitFor();
    expect(await page.getAttribute('html', 'lang')).toBe('zh-CN');

    const email = uniqueEmail('zh');
    await register.signUp({ email, password: 'keep-my-number-zh-2026', name: '王小明' });
    const lines = new LinesPage(page, 'zh-CN', portal.server.baseUrl);
    await lines.emptyState.waitFor();
    await expect(page.getByText(t.lines.empty.body).isVisible()).resolves.toBe(true);

    await lines.bindLink.click();
    const bind = new BindCardPage(page, 'zh-CN', portal.server.baseUrl);
    await bind.heading.waitFor();
    expect(new URL(page.url()).pathname).toBe('/lines/bind');
    // A wrong check digit is caught while typing, before anything is sent.
    await bind.iccid.fill(DEMO_CARDS.usPhysical.iccid.slice(0, -1) + '9');
    await expect(page.getByText(t.lines.bind.iccidInvalid).isVisible()).resolves.toBe(true);
    expect(await bind.iccid.getAttribute('aria-invalid')).toBe('true');
    expect(await bind.submit.isDisabled()).toBe(true);
    // A wrong PIN comes back from the server as a sentence on the PIN field.
    await bind.bind(DEMO_CARDS.usPhysical.iccid, '9999');
    await page.getByText(t.errors.card_not_found_or_wrong_pin).waitFor();
    expect(await bind.pin.getAttribute('aria-invalid')).toBe('true');

    await bind.pin.fill(DEMO_CARDS.usPhysical.pin);
    await bind.submit.click();
    await lines.cards.first().waitFor();
    expect(new URL(page.url()).pathname).toBe('/lines');
    expect(await lines.cards.count()).toBe(1);
    const card = lines.cards.first();
    const text = await card.innerText();
    expect(text).toContain('US$0.00'); // the wallet, formatted by Intl in zh-CN
    expect(text).toMatch(new RegExp(`${t.lines.status.bound}|${t.lines.status.active}`));
    expect(await lines.gauge(card, 'data').count()).toBe(1);
    expect(session.problems).toEqual([]);
    await session.close();
  });
});
