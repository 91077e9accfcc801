// One page model per portal page, found the way a user finds things: by role and by label, in the
// page's language (the labels come from the same translation files the app ships).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Locator, Page } from 'playwright-core';

export type Locale = 'en' | 'zh-CN';
type Texts = Record<string, any>;

function namespace(locale: Locale, name: string): Texts {
  return JSON.parse(readFileSync(fileURLToPath(new URL(`../../../web/src/i18n/${locale}/${name}.json`, import.meta.url)), 'utf8'));
}

export function textsOf(locale: Locale): { common: Texts; account: Texts; lines: Texts; orders: Texts; errors: Texts } {
  return {
    common: namespace(locale, 'common'),
    account: namespace(locale, 'account'),
    lines: namespace(locale, 'lines'),
    orders: namespace(locale, 'orders'),
    errors: namespace(locale, 'errors'),
  };
}

/** `{{var}}` placeholders filled, as i18next does. */
export function fill(template: string, values: Record<string, string>): string {
  return template.replace(/\{\{(\w+)\}\}/g, (_, key: string) => values[key] ?? '');
}

abstract class PortalPage {
  protected readonly t;
  constructor(readonly page: Page, readonly locale: Locale, readonly baseUrl: string) {
    this.t = textsOf(locale);
  }
  get languageSwitch(): Locator {
    return this.page.getByLabel(this.t.common.header.language);
  }
  get logoutButton(): Locator {
    return this.page.getByRole('button', { name: this.t.common.header.logout });
  }
  async switchLanguage(to: Locale): Promise<void> {
    await this.languageSwitch.selectOption(to);
  }
}

export class LoginPage extends PortalPage {
  async goto(): Promise<void> {
    await this.page.goto(`${this.baseUrl}/login`);
  }
  get heading(): Locator {
    return this.page.getByRole('heading', { level: 1, name: this.t.account.login.title });
  }
  async logIn(email: string, password: string): Promise<void> {
    await this.page.getByLabel(this.t.account.fields.email).fill(email);
    await this.page.getByLabel(this.t.account.fields.password, { exact: true }).fill(password);
    await this.page.getByRole('button', { name: this.t.account.login.submit }).click();
  }
  get alert(): Locator {
    return this.page.getByRole('alert');
  }
}

export class RegisterPage extends PortalPage {
  async goto(): Promise<void> {
    await this.page.goto(`${this.baseUrl}/register`);
  }
  get heading(): Locator {
    return this.page.getByRole('heading', { level: 1, name: this.t.account.register.title });
  }
  async signUp(input: { email: string; password: string; name?: string }): Promise<void> {
    await this.page.getByLabel(this.t.account.fields.email).fill(input.email);
    await this.page.getByLabel(this.t.account.fields.newPassword).fill(input.password);
    if (input.name) await this.page.getByLabel(this.t.account.fields.name).fill(input.name);
    await this.page.getByRole('button', { name: this.t.account.register.submit }).click();
  }
}

export class LinesPage extends PortalPage {
  async goto(): Promise<void> {
    await this.page.goto(`${this.baseUrl}/lines`);
  }
  get heading(): Locator {
    return this.page.getByRole('heading', { level: 1, name: this.t.lines.title });
  }
  get emptyState(): Locator {
    return this.page.getByRole('heading', { name: this.t.lines.empty.title });
  }
  get bindLink(): Locator {
    return this.page.getByRole('link', { name: this.t.lines.empty.bind });
  }
  get bindAnotherLink(): Locator {
    return this.page.getByRole('link', { name: this.t.lines.bindAnother });
  }
  get cards(): Locator {
    return this.page.getByRole('list', { name: this.t.lines.list.label }).getByRole('article');
  }
  card(name: string): Locator {
    return this.page.getByRole('article', { name });
  }
  gauge(card: Locator, unit: 'data' | 'voice' | 'sms'): Locator {
    return card.getByRole('meter', { name: this.t.lines.card.units[unit] });
  }
}

export class BindCardPage extends PortalPage {
  async goto(): Promise<void> {
    await this.page.goto(`${this.baseUrl}/lines/bind`);
  }
  get heading(): Locator {
    return this.page.getByRole('heading', { name: this.t.lines.bind.title });
  }
  get iccid(): Locator {
    return this.page.getByLabel(this.t.lines.bind.iccid);
  }
  get pin(): Locator {
    return this.page.getByLabel(this.t.lines.bind.pin);
  }
  get submit(): Locator {
    return this.page.getByRole('button', { name: this.t.lines.bind.submit });
  }
  async bind(iccid: string, pin: string, nickname?: string): Promise<void> {
    await this.iccid.fill(iccid);
    await this.pin.fill(pin);
    if (nickname) await this.page.getByLabel(this.t.lines.bind.nickname).fill(nickname);
    await this.submit.click();
  }
}

export class OrderPage extends PortalPage {
  async goto(orderId: string): Promise<void> {
    await this.page.goto(`${this.baseUrl}/orders/${orderId}`);
  }
  get status(): Locator {
    return this.page.getByRole('status');
  }
}
