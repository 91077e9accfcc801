// Page models for a line's own pages (detail, auto-renew, eSIM install) and the notifications, found
// by role and label in the page's language, plus the API calls their scenarios set up with.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { BrowserContext, Locator, Page } from 'playwright-core';
import type { Locale } from './pages.ts';
import type { Subscriber } from './subscribers.ts';

type Texts = Record<string, any>;

function namespace(locale: Locale, name: string): Texts {
  return JSON.parse(readFileSync(fileURLToPath(new URL(`../../../web/src/i18n/${locale}/${name}.json`, import.meta.url)), 'utf8'));
}

export function lineTextsOf(locale: Locale): { lines: Texts; esim: Texts; notifications: Texts; errors: Texts; orders: Texts } {
  return {
    lines: namespace(locale, 'lines'), esim: namespace(locale, 'esim'), notifications: namespace(locale, 'notifications'),
    errors: namespace(locale, 'errors'), orders: namespace(locale, 'orders'),
  };
}

abstract class Model {
  protected readonly t;
  constructor(readonly page: Page, readonly locale: Locale, readonly baseUrl: string) {
    this.t = lineTextsOf(locale);
  }
}

export class LineDetailPage extends Model {
  async goto(lineId: string): Promise<void> {
    await this.page.goto(`${this.baseUrl}/lines/${lineId}`);
  }
  get overview(): Locator {
    return this.page.getByRole('heading', { name: this.t.lines.detail.overview });
  }
  get autoRenewLink(): Locator {
    return this.page.getByRole('link', { name: this.t.lines.detail.changeAutoRenew });
  }
  get tableToggle(): Locator {
    return this.page.getByRole('button', { name: this.t.lines.detail.showTable });
  }
  get usageTable(): Locator {
    return this.page.getByRole('table', { name: this.t.lines.detail.usageCaption });
  }
  get usageChart(): Locator {
    return this.page.getByRole('img', { name: this.t.lines.detail.usageChartLabel });
  }
}

export class AutoRenewPanel extends Model {
  async goto(lineId: string): Promise<void> {
    await this.page.goto(`${this.baseUrl}/lines/${lineId}/auto-renew`);
  }
  get heading(): Locator {
    return this.page.getByRole('heading', { name: this.t.lines.autoRenew.title, exact: true });
  }
  get enabled(): Locator {
    return this.page.getByRole('checkbox', { name: this.t.lines.autoRenew.enabled });
  }
  get plan(): Locator {
    return this.page.getByLabel(this.t.lines.autoRenew.plan);
  }
  get cap(): Locator {
    return this.page.getByLabel(this.t.lines.autoRenew.cap);
  }
  get save(): Locator {
    return this.page.getByRole('button', { name: this.t.lines.autoRenew.save });
  }
}

export class EsimInstallPage extends Model {
  async goto(lineId: string): Promise<void> {
    await this.page.goto(`${this.baseUrl}/lines/${lineId}/esim`);
  }
  get heading(): Locator {
    return this.page.getByRole('heading', { level: 1, name: this.t.esim.title });
  }
  get warning(): Locator {
    return this.page.getByText(this.t.esim.once.title);
  }
  get qr(): Locator {
    return this.page.getByRole('img', { name: this.t.esim.qr.alt });
  }
  get copySmdp(): Locator {
    return this.page.getByRole('button', { name: this.t.esim.manual.copySmdp });
  }
  get copyMatchingId(): Locator {
    return this.page.getByRole('button', { name: this.t.esim.manual.copyMatchingId });
  }
  get oneTapLink(): Locator {
    return this.page.getByRole('link', { name: this.t.esim.ios.install });
  }
}

export class NotificationsPage extends Model {
  async goto(): Promise<void> {
    await this.page.goto(`${this.baseUrl}/notifications`);
  }
  get heading(): Locator {
    return this.page.getByRole('heading', { level: 1, name: this.t.notifications.title });
  }
  get list(): Locator {
    return this.page.getByRole('list', { name: this.t.notifications.listLabel });
  }
  get navLink(): Locator {
    return this.page.getByRole('navigation').getByRole('link', { name: new RegExp(`^${this.t.notifications.nav}`) });
  }
  markReadButtons(): Locator {
    return this.page.getByRole('button', { name: this.t.notifications.markRead });
  }
}

export interface LineView {
  id: string;
  form: string;
  autoRenew: { enabled: boolean; planId: string | null; monthlyCap: { amount: number; currency: string } | null };
}

/** The signed-in context's lines, read with its own session cookie (a GET needs no CSRF header). */
export async function linesOf(context: BrowserContext, baseUrl: string): Promise<LineView[]> {
  const response = await context.request.get(`${baseUrl}/api/v1/lines`);
  if (!response.ok()) throw new Error(`lines: ${response.status()}`);
  return ((await response.json()) as { items: LineView[] }).items;
}

export async function esimOf(context: BrowserContext, baseUrl: string, lineId: string): Promise<{ activationCode: string; installUrl: string }> {
  const response = await context.request.get(`${baseUrl}/api/v1/lines/${lineId}/esim`);
  if (!response.ok()) throw new Error(`esim: ${response.status()}`);
  return (await response.json()) as { activationCode: string; installUrl: string };
}

async function json<T>(response: Response): Promise<T> {
  if (!response.ok) throw new Error(`${response.url}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

/** A card order for the subscriber's first line's cheapest fixed-price base plan, as checkout makes it. */
export async function placeCardOrder(baseUrl: string, login: Subscriber): Promise<{ orderId: string; paymentId: string }> {
  const api = `${baseUrl}/api/v1`;
  const { token } = await json<{ token: string }>(await fetch(`${api}/auth/login`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(login),
  }));
  const auth = { authorization: `Bearer ${token}` };
  const lines = await json<{ items: Array<{ id: string }> }>(await fetch(`${api}/lines`, { headers: auth }));
  const lineId = lines.items[0]?.id;
  const plans = await json<{ items: Array<{ id: string; kind: string; bundle: unknown; price: { amount: number } }> }>(await fetch(`${api}/plans?lineId=${lineId}`, { headers: auth }));
  const plan = plans.items.filter((p) => p.kind === 'base' && p.bundle === null).sort((a, b) => a.price.amount - b.price.amount)[0];
  if (!lineId || !plan) throw new Error('no line or no base plan to order');
  const order = await json<{ id: string; payment: { id: string } | null }>(await fetch(`${api}/orders`, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json', 'idempotency-key': randomUUID() },
    body: JSON.stringify({ lineId, planId: plan.id, paymentMethod: 'card' }),
  }));
  if (!order.payment) throw new Error('a card order has a payment');
  return { orderId: order.id, paymentId: order.payment.id };
}

/** The payer on the sandbox provider's page. */
export async function completeSandboxPayment(baseUrl: string, paymentId: string, outcome: 'succeeded' | 'failed'): Promise<void> {
  const response = await fetch(`${baseUrl}/api/v1/sandbox/payments/${paymentId}/complete`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ outcome }),
  });
  if (response.status !== 202) throw new Error(`sandbox complete: ${response.status} ${await response.text()}`);
}

/** Thirty days of made-up usage, so the chart and its table have something to draw. */
export function usageFixture(now = new Date()): { items: Array<{ at: string; dataBytes: number; voiceSec: number; sms: number; charged: { amount: number; currency: string } }> } {
  const day = 86_400_000;
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  return {
    items: Array.from({ length: 30 }, (_, i) => ({
      at: new Date(today - (29 - i) * day).toISOString(),
      dataBytes: ((i * 37) % 300) * 1_048_576,
      voiceSec: ((i * 53) % 40) * 60,
      sms: (i * 7) % 12,
      charged: { amount: 0, currency: 'GBP' },
    })),
  };
}
