// The deadline calendar page, found by role and label in the page's language, plus the API reads its
// scenarios compare the page with.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { BrowserContext, Locator, Page } from 'playwright-core';
import type { Locale } from './pages.ts';

type Texts = Record<string, any>;

function namespace(locale: Locale, name: string): Texts {
  return JSON.parse(readFileSync(fileURLToPath(new URL(`../../../web/src/i18n/${locale}/${name}.json`, import.meta.url)), 'utf8'));
}

export function calendarTextsOf(locale: Locale): { calendar: Texts; common: Texts; errors: Texts } {
  return { calendar: namespace(locale, 'calendar'), common: namespace(locale, 'common'), errors: namespace(locale, 'errors') };
}

export class CalendarPage {
  readonly t;
  constructor(readonly page: Page, readonly locale: Locale, readonly baseUrl: string) {
    this.t = calendarTextsOf(locale);
  }
  async goto(days?: number): Promise<void> {
    await this.page.goto(`${this.baseUrl}/calendar${days ? `?days=${days}` : ''}`);
  }
  /** The interface language, chosen the way a user does (the header's switch, saved on the account). */
  async useLanguage(): Promise<void> {
    // The account's saved language (another test's choice) arrives with /me after the first paint, the
    // browser's until then: a choice made before that answer would be undone by it, and the switch is
    // labelled in whichever language the page settled on.
    await this.page.waitForLoadState('networkidle');
    const labels = [calendarTextsOf('en'), calendarTextsOf('zh-CN')].map((t) => t.common.header.language);
    await this.page.getByLabel(new RegExp(`^(${labels.join('|')})$`)).selectOption(this.locale);
    await this.page.waitForFunction((lang) => document.documentElement.lang === lang, this.locale);
  }
  get heading(): Locator {
    return this.page.getByRole('heading', { level: 1, name: this.t.calendar.title });
  }
  get navLink(): Locator {
    return this.page.getByRole('navigation').getByRole('link', { name: this.t.common.header.calendar });
  }
  get period(): Locator {
    return this.page.getByLabel(this.t.calendar.period.label);
  }
  get deadlines(): Locator {
    return this.page.getByRole('region', { name: new RegExp(this.t.calendar.monthLabel.replace('{{month}}', '.+')) }).getByRole('listitem');
  }
  get empty(): Locator {
    return this.page.getByRole('heading', { name: this.t.calendar.empty.title });
  }
  get feedUrl(): Locator {
    return this.page.getByLabel(this.t.calendar.feed.label);
  }
  get copyFeed(): Locator {
    return this.page.getByRole('button', { name: this.t.calendar.feed.copy });
  }
  get rotate(): Locator {
    return this.page.getByRole('button', { name: this.t.calendar.feed.rotate });
  }
  get confirmRotate(): Locator {
    return this.page.getByRole('group', { name: this.t.calendar.feed.confirmLabel }).getByRole('button', { name: this.t.calendar.feed.confirm });
  }
}

export interface CalendarItem {
  lineId: string;
  msisdn: string | null;
  nickname: string | null;
  kind: string;
  at: string;
  action: string;
  price?: { amount: number; currency: string };
}

/** The signed-in context's deadlines and feed URL, read with its own session cookie. */
export async function calendarOf(context: BrowserContext, baseUrl: string, days = 90): Promise<{ items: CalendarItem[]; feedUrl: string }> {
  const [calendar, me] = await Promise.all([
    context.request.get(`${baseUrl}/api/v1/calendar?days=${days}`),
    context.request.get(`${baseUrl}/api/v1/me`),
  ]);
  if (!calendar.ok() || !me.ok()) throw new Error(`calendar ${calendar.status()}, me ${me.status()}`);
  return {
    items: ((await calendar.json()) as { items: CalendarItem[] }).items,
    feedUrl: ((await me.json()) as { calendarFeedUrl: string }).calendarFeedUrl,
  };
}
