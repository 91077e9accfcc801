// Money, numbers and dates through Intl in the active locale: `US$5.00` in zh-CN, `$5.00` in en.
import { useTranslation } from 'react-i18next';

export interface Money {
  /** integer minor units, as the API sends them */
  amount: number;
  currency: string;
}

/** The decimal string of an amount in minor units, built from digits so no float rounding creeps in. */
function decimalOf(money: Money, locale: string): string {
  const digits = new Intl.NumberFormat(locale, { style: 'currency', currency: money.currency }).resolvedOptions().maximumFractionDigits ?? 2;
  const sign = money.amount < 0 ? '-' : '';
  const units = String(Math.abs(money.amount)).padStart(digits + 1, '0');
  if (digits === 0) return `${sign}${units}`;
  return `${sign}${units.slice(0, -digits)}.${units.slice(-digits)}`;
}

export function formatMoney(money: Money, locale: string): string {
  const format = new Intl.NumberFormat(locale, { style: 'currency', currency: money.currency });
  return format.format(decimalOf(money, locale) as Intl.StringNumericLiteral);
}

export function formatDate(iso: string, locale: string): string {
  return new Intl.DateTimeFormat(locale, { dateStyle: 'medium' }).format(new Date(iso));
}

export function formatDateTime(iso: string, locale: string): string {
  return new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(iso));
}

export function formatNumber(value: number, locale: string): string {
  return new Intl.NumberFormat(locale).format(value);
}

/** The formatters bound to the active language; components re-render when it changes. */
export function useFormat(): {
  money: (money: Money) => string;
  date: (iso: string) => string;
  dateTime: (iso: string) => string;
  number: (value: number) => string;
} {
  const { i18n } = useTranslation();
  const locale = i18n.language;
  return {
    money: (money) => formatMoney(money, locale),
    date: (iso) => formatDate(iso, locale),
    dateTime: (iso) => formatDateTime(iso, locale),
    number: (value) => formatNumber(value, locale),
  };
}
