import { describe, expect, it } from 'vitest';
import { LOCALES } from '../../src/modules/accounts/service.ts';
import { NOTIFICATION_KINDS } from '../../src/modules/notifications/kinds.ts';
import { TEMPLATES, renderEmail, renderNotification } from '../../src/modules/notifications/templates.ts';

const FULL = {
  data: {
    msisdn: '+19175550100', amount: { amount: 1299, currency: 'USD' }, balance: { amount: 120, currency: 'USD' }, expiresAt: '2027-01-31T00:00:00Z',
    chargeAt: '2027-01-29T00:00:00Z', deadline: '2027-02-01T00:00:00Z', at: '2027-01-01T00:00:00Z', recycleAt: '2027-03-01T00:00:00Z',
    unit: 'data', subject: 'SIM', orderNumber: 'A-1', reason: 'card declined', payUrl: 'https://simkeep.test/pay',
  },
  daysBefore: 3,
  percent: 90,
};

describe('notification templates', () => {
  it('has a template for every kind in every locale', () => {
    for (const locale of LOCALES) expect(Object.keys(TEMPLATES[locale]).sort()).toEqual([...NOTIFICATION_KINDS].sort());
  });

  it.each(LOCALES.flatMap((locale) => NOTIFICATION_KINDS.map((kind) => [locale, kind] as const)))('%s %s renders with full and with empty data', (locale, kind) => {
    for (const input of [FULL, { data: {}, daysBefore: null, percent: null }]) {
      const { title, body } = renderNotification(kind, locale, input);
      expect(title.length).toBeGreaterThan(0);
      expect(body.length).toBeGreaterThan(0);
      expect(`${title} ${body}`).not.toMatch(/undefined|null|NaN|\[object/);
      expect(`${title} ${body}`).not.toMatch(/ {2}| [.,]/);
    }
  });

  it('falls back to English for a locale without templates', () => {
    expect(renderNotification('low_balance', 'fr', FULL)).toEqual(renderNotification('low_balance', 'en', FULL));
  });

  it('escapes the HTML of an email', () => {
    const email = renderEmail({ title: '<b>x</b>', body: 'a & "b"', locale: 'en', linkUrl: 'https://s.test/lines/1', settingsUrl: 'https://s.test/settings' });
    expect(email.html).toContain('<h1>&lt;b&gt;x&lt;/b&gt;</h1>');
    expect(email.html).toContain('a &amp; &quot;b&quot;');
    expect(email.text).toContain('https://s.test/lines/1');
  });
});
