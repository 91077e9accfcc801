// Money is an integer count of minor units with an ISO 4217 currency. All arithmetic on money
// lives here; nothing else adds, multiplies or rounds amounts. Amounts are JS numbers that must
// stay safe integers (|x| < 2^53, far beyond any prepaid balance), checked on every operation.
import { invariant } from './invariant.ts';

export interface Money {
  readonly amountMinor: number;
  readonly currency: string;
}

/** The wire shape of money (API.md): `{amount, currency}`. */
export interface MoneyJson {
  amount: number;
  currency: string;
}

/** Minor-unit exponent per currency (ISO 4217). Only the currencies simkeep accepts. */
const MINOR_UNIT_DIGITS: Readonly<Record<string, number>> = {
  USD: 2, EUR: 2, GBP: 2, CNY: 2, HKD: 2, JPY: 0, CAD: 2, AUD: 2, SGD: 2, CHF: 2, MXN: 2, KRW: 0, TWD: 2,
};

export const SUPPORTED_CURRENCIES: readonly string[] = Object.keys(MINOR_UNIT_DIGITS);

export function isKnownCurrency(code: string): boolean {
  return Object.prototype.hasOwnProperty.call(MINOR_UNIT_DIGITS, code);
}

export function minorUnitDigits(currency: string): number {
  const digits = MINOR_UNIT_DIGITS[currency];
  invariant(digits !== undefined, `unknown currency ${currency}`);
  return digits;
}

export function money(amountMinor: number, currency: string): Money {
  invariant(Number.isSafeInteger(amountMinor), `amount ${amountMinor} is not a safe integer`);
  invariant(isKnownCurrency(currency), `unknown currency ${currency}`);
  return { amountMinor, currency };
}

export const zero = (currency: string): Money => money(0, currency);

function sameCurrency(a: Money, b: Money): void {
  invariant(a.currency === b.currency, `currency mismatch ${a.currency} vs ${b.currency}`);
}

export function add(a: Money, b: Money): Money {
  sameCurrency(a, b);
  return money(a.amountMinor + b.amountMinor, a.currency);
}

export function subtract(a: Money, b: Money): Money {
  sameCurrency(a, b);
  return money(a.amountMinor - b.amountMinor, a.currency);
}

export function sum(items: readonly Money[], currency: string): Money {
  return items.reduce((acc, m) => add(acc, m), zero(currency));
}

export const isZero = (a: Money): boolean => a.amountMinor === 0;
const compare = (a: Money, b: Money): number => (sameCurrency(a, b), Math.sign(a.amountMinor - b.amountMinor));
export const min = (a: Money, b: Money): Money => (compare(a, b) <= 0 ? a : b);
export const max = (a: Money, b: Money): Money => (compare(a, b) >= 0 ? a : b);

/**
 * `amount × numerator / denominator`, rounded half-up (half away from zero) to the minor unit.
 * Done in bigint so no intermediate product loses precision. This is the one rounding rule for
 * percentage discounts (SPEC: half-up to the minor unit).
 */
export function mulDivHalfUp(a: Money, numerator: number, denominator: number): Money {
  invariant(Number.isSafeInteger(numerator) && Number.isSafeInteger(denominator) && denominator > 0, 'bad ratio');
  const product = BigInt(a.amountMinor) * BigInt(numerator);
  const d = BigInt(denominator);
  const negative = product < 0n;
  const abs = negative ? -product : product;
  const rounded = (abs * 2n + d) / (2n * d);
  return money(Number(negative ? -rounded : rounded), a.currency);
}

/** A percentage (0–100, up to two decimals given as basis points) of an amount, half-up. */
export function percentOf(a: Money, basisPoints: number): Money {
  return mulDivHalfUp(a, basisPoints, 10_000);
}

export function toJson(m: Money): MoneyJson {
  return { amount: m.amountMinor, currency: m.currency };
}

/** The wire shape of stored columns (`amount_minor`, `currency`), as read: the row was valid when written. */
export function moneyJson(amountMinor: number, currency: string): MoneyJson {
  return { amount: amountMinor, currency };
}

export function fromJson(m: MoneyJson): Money {
  return money(m.amount, m.currency);
}

/**
 * The wire shape as the client sent it, not yet judged: the use case answers a fraction of a minor
 * unit or an unknown currency with 422 invalid_amount (API.md), where fromJson would assert.
 */
export function fromRequestJson(m: MoneyJson): Money {
  return { amountMinor: m.amount, currency: m.currency };
}

/**
 * Formatters by locale and currency: building an Intl.NumberFormat costs far more than using one
 * (a notice formats an amount per order). Locales are few (i18n) and currencies a fixed list; the
 * bound keeps an odd Accept-Language from growing it without end.
 */
const FORMATTERS_MAX = 256;
const formatters = new Map<string, Intl.NumberFormat>();

function formatterFor(locale: string, currency: string, digits: number): Intl.NumberFormat {
  const key = `${locale}|${currency}`;
  const known = formatters.get(key);
  if (known) return known;
  const made = new Intl.NumberFormat(locale, { style: 'currency', currency, minimumFractionDigits: digits });
  if (formatters.size < FORMATTERS_MAX) formatters.set(key, made);
  return made;
}

/** Human display, e.g. `$5.00` / `¥5.00`; locale-aware through Intl. */
export function format(m: Money, locale = 'en'): string {
  const digits = minorUnitDigits(m.currency);
  return formatterFor(locale, m.currency, digits).format(m.amountMinor / 10 ** digits);
}
