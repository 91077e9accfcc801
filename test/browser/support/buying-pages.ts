// Page models of the buying pages (plans, checkout, the sandbox provider's pages, order, orders,
// wallet, saved payment methods), found by role and label in the page's language.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Locator, Page } from 'playwright-core';
import { textsOf, type Locale } from './pages.ts';

type Texts = Record<string, any>;

function namespace(locale: Locale, name: string): Texts {
  return JSON.parse(readFileSync(fileURLToPath(new URL(`../../../web/src/i18n/${locale}/${name}.json`, import.meta.url)), 'utf8'));
}

export function buyingTextsOf(locale: Locale) {
  return { ...textsOf(locale), plans: namespace(locale, 'plans'), wallet: namespace(locale, 'wallet'), paymentMethods: namespace(locale, 'payment-methods') };
}

abstract class BuyingPage {
  protected readonly t;
  constructor(readonly page: Page, readonly locale: Locale, readonly baseUrl: string) {
    this.t = buyingTextsOf(locale);
  }
  get heading(): Locator {
    return this.page.getByRole('heading', { level: 1 });
  }
}

export class PlansPage extends BuyingPage {
  async goto(lineId: string): Promise<void> {
    await this.page.goto(`${this.baseUrl}/lines/${lineId}/plans`);
  }
  plan(name: string): Locator {
    return this.page.getByRole('article', { name });
  }
  buy(name: string): Locator {
    return this.plan(name).getByRole('link', { name: this.t.plans.buy });
  }
}

export class CheckoutPage extends BuyingPage {
  get summary(): Locator {
    return this.page.getByRole('region', { name: this.t.plans.checkout.summary });
  }
  get coupon(): Locator {
    return this.page.getByLabel(this.t.plans.checkout.coupon);
  }
  get applyCoupon(): Locator {
    return this.page.getByRole('button', { name: this.t.plans.checkout.applyCoupon });
  }
  method(method: string): Locator {
    return this.page.getByRole('radio', { name: this.t.plans.methods[method] });
  }
  /** The confirm button: "Pay $3.00", or "Retry" after a lost answer. */
  get pay(): Locator {
    return this.page.getByRole('button', { name: new RegExp(`^(${this.t.plans.checkout.confirmNoTotal}|${this.t.plans.checkout.retry})`) });
  }
  get alert(): Locator {
    return this.page.getByRole('alert');
  }
}

/** The sandbox provider's hosted pages (English only: they stand for a provider's own page). */
export class SandboxPages {
  constructor(readonly page: Page) {}
  async pay(outcome: 'Pay' | 'Decline'): Promise<void> {
    await this.page.getByRole('button', { name: outcome, exact: true }).click();
    await this.page.getByRole('link', { name: 'Back to the order' }).click();
  }
  async saveCard(): Promise<void> {
    await this.page.getByRole('button', { name: /succeeds/ }).click();
    await this.page.getByRole('link', { name: 'Back to your payment methods' }).click();
  }
}

export class OrderPage extends BuyingPage {
  get status(): Locator {
    return this.page.getByRole('status');
  }
  get timeline(): Locator {
    return this.page.getByRole('list', { name: this.t.orders.events });
  }
  get receipt(): Locator {
    return this.page.getByRole('link', { name: this.t.orders.receipt });
  }
  get tryAgain(): Locator {
    return this.page.getByRole('link', { name: this.t.orders.tryAgain });
  }
}

export class PaymentMethodsPage extends BuyingPage {
  async goto(): Promise<void> {
    await this.page.goto(`${this.baseUrl}/payment-methods`);
  }
  get add(): Locator {
    return this.page.getByRole('button', { name: this.t.paymentMethods.add });
  }
  get methods(): Locator {
    return this.page.getByRole('list', { name: this.t.paymentMethods.listLabel }).getByRole('listitem');
  }
}
