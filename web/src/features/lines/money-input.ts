// The auto-renew cap typed as a decimal ("12.50") turned into integer minor units from its digits,
// never through a float (12.5 * 100 is not always 1250 for every amount).
import { minorUnitDigits } from '../../../../src/domain/money';

const DECIMAL = /^(\d{1,9})(?:[.,](\d*))?$/;

/** Minor units of `text` in `currency`, or null when it is not a plain non-negative amount with at most the currency's decimals. */
export function parseMoneyInput(text: string, currency: string): number | null {
  const match = DECIMAL.exec(text.trim());
  if (!match) return null;
  const digits = minorUnitDigits(currency);
  const whole = match[1] ?? '0';
  const fraction = match[2] ?? '';
  if (fraction.length > digits) return null;
  return Number(`${whole}${fraction.padEnd(digits, '0')}`);
}

/** The inverse, for pre-filling the field with a saved cap: digits only, no locale grouping. */
export function moneyInputText(amountMinor: number, currency: string): string {
  const digits = minorUnitDigits(currency);
  if (digits === 0) return String(amountMinor);
  const padded = String(amountMinor).padStart(digits + 1, '0');
  return `${padded.slice(0, -digits)}.${padded.slice(-digits)}`;
}
