// Page models of the support and account pages, found by role and label in the page's language (the
// same translation files the app ships), and the operator's side of a ticket, through the admin API.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Locator, Page } from 'playwright-core';
import { ADMIN } from '../../support/harness.ts';
import { textsOf, type Locale } from './pages.ts';
import { uniqueEmail } from './session.ts';

type Texts = Record<string, any>;

export function supportTextsOf(locale: Locale): ReturnType<typeof textsOf> & { tickets: Texts } {
  const tickets = JSON.parse(readFileSync(fileURLToPath(new URL(`../../../web/src/i18n/${locale}/tickets.json`, import.meta.url)), 'utf8')) as Texts;
  return { ...textsOf(locale), tickets };
}

abstract class SupportPage {
  protected readonly t;
  constructor(readonly page: Page, readonly locale: Locale, readonly baseUrl: string) {
    this.t = supportTextsOf(locale);
  }
}

export class TicketsPage extends SupportPage {
  async goto(status?: string): Promise<void> {
    await this.page.goto(`${this.baseUrl}/tickets${status ? `?status=${status}` : ''}`);
  }
  get heading(): Locator {
    return this.page.getByRole('heading', { level: 1, name: this.t.tickets.title });
  }
  get emptyState(): Locator {
    return this.page.getByRole('heading', { name: this.t.tickets.empty.title });
  }
  get filteredEmptyState(): Locator {
    return this.page.getByRole('heading', { name: this.t.tickets.empty.filteredTitle });
  }
  get newTicketLink(): Locator {
    return this.page.getByRole('link', { name: this.t.tickets.new });
  }
  get rows(): Locator {
    return this.page.getByRole('list', { name: this.t.tickets.list.label }).getByRole('listitem');
  }
  chip(name: string): Locator {
    return this.page.getByRole('navigation', { name: this.t.tickets.filter.label }).getByRole('link', { name, exact: true });
  }
}

export class NewTicketPage extends SupportPage {
  get heading(): Locator {
    return this.page.getByRole('heading', { level: 1, name: this.t.tickets.form.title });
  }
  get subject(): Locator {
    return this.page.getByLabel(this.t.tickets.form.subject, { exact: true });
  }
  get line(): Locator {
    return this.page.getByLabel(this.t.tickets.form.line);
  }
  get body(): Locator {
    return this.page.getByLabel(this.t.tickets.form.body, { exact: true });
  }
  get submit(): Locator {
    return this.page.getByRole('button', { name: this.t.tickets.form.submit });
  }
}

export class TicketPage extends SupportPage {
  async goto(ticketId: string): Promise<void> {
    await this.page.goto(`${this.baseUrl}/tickets/${ticketId}`);
  }
  heading(subject: string): Locator {
    return this.page.getByRole('heading', { level: 1, name: subject });
  }
  get messages(): Locator {
    return this.page.getByRole('region', { name: this.t.tickets.ticket.thread }).getByRole('listitem');
  }
  get reply(): Locator {
    return this.page.getByLabel(this.t.tickets.ticket.reply, { exact: true });
  }
  get send(): Locator {
    return this.page.getByRole('button', { name: this.t.tickets.ticket.send });
  }
  get close(): Locator {
    return this.page.getByRole('button', { name: this.t.tickets.ticket.close });
  }
  get closedNotice(): Locator {
    return this.page.getByRole('heading', { name: this.t.tickets.ticket.closedTitle });
  }
}

export class AccountPage extends SupportPage {
  async goto(): Promise<void> {
    await this.page.goto(`${this.baseUrl}/account`);
  }
  get heading(): Locator {
    return this.page.getByRole('heading', { level: 1, name: this.t.account.settings.title });
  }
  get name(): Locator {
    return this.page.getByLabel(this.t.account.settings.name, { exact: true });
  }
  get saveName(): Locator {
    return this.page.getByRole('button', { name: this.t.account.settings.saveName });
  }
  /** The account's language select (the header has one too, labelled the same: this one is in <main>). */
  get language(): Locator {
    return this.page.getByRole('main').getByRole('combobox', { name: this.t.account.settings.language, exact: true });
  }
}

async function postJson<T>(url: string, body: unknown, token?: string): Promise<T> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${url}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

/** An operator user made by the configured admin (the harness's SIMKEEP_ADMIN_*), logged in: its bearer token. */
export async function operatorToken(baseUrl: string): Promise<string> {
  const api = `${baseUrl}/api/v1`;
  const { token: admin } = await postJson<{ token: string }>(`${api}/auth/login`, ADMIN);
  const operator = { email: uniqueEmail('operator'), password: `Op-${Math.random().toString(36).slice(2)}-long-enough` };
  await postJson(`${api}/admin/users`, { ...operator, role: 'operator' }, admin);
  return (await postJson<{ token: string }>(`${api}/auth/login`, operator)).token;
}

export async function operatorReply(baseUrl: string, token: string, ticketId: string, body: string): Promise<void> {
  await postJson(`${baseUrl}/api/v1/admin/tickets/${encodeURIComponent(ticketId)}/messages`, { body }, token);
}
