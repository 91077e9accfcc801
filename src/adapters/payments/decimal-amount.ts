// Exact conversion between simkeep money (integer minor units) and the decimal strings providers
// put on the wire (Alipay `total_amount` "5.00" yuan, PayPal `value` "10.00"). Pure string/integer
// arithmetic on the ISO 4217 exponent from domain/money.ts — never floats, never rounding: an
// amount with more decimals than the currency has is refused, not rounded.
import { DomainError } from '../../domain/errors.ts';
import { minorUnitDigits, money, type Money } from '../../domain/money.ts';

const DECIMAL_PATTERN = /^(\d+)(?:\.(\d+))?$/;
/** Far above any prepaid amount; keeps every intermediate value a safe integer. */
const INTEGER_DIGITS_MAX = 13;

function invalidAmount(message: string): DomainError {
  return new DomainError('validation', 'invalid_amount', message);
}

/** "5.00" CNY → 500, "0.10" → 10, "5" → 500, "500" JPY → 500; "1.005" CNY, "-1", "1e3", " 1" are refused. */
export function decimalToMinor(decimal: string, currency: string): Money {
  const digits = minorUnitDigits(currency);
  const match = DECIMAL_PATTERN.exec(decimal);
  if (!match) throw invalidAmount(`"${decimal}" is not a plain non-negative decimal amount`);
  const integerPart = match[1] ?? '';
  const fractionPart = match[2] ?? '';
  if (fractionPart.length > digits) {
    throw invalidAmount(`"${decimal}" has more than ${digits} decimals for ${currency}`);
  }
  const integerDigits = integerPart.replace(/^0+(?=\d)/, '');
  if (integerDigits.length > INTEGER_DIGITS_MAX) throw invalidAmount(`"${decimal}" is too large`);
  const minorText = integerDigits + fractionPart.padEnd(digits, '0');
  return money(Number.parseInt(minorText, 10), currency);
}

/** 500 CNY → "5.00", 5 USD → "0.05", 500 JPY → "500". Negative amounts never go to a provider. */
export function minorToDecimal(amount: Money): string {
  const digits = minorUnitDigits(amount.currency);
  if (!Number.isSafeInteger(amount.amountMinor) || amount.amountMinor < 0) {
    throw invalidAmount(`amount ${amount.amountMinor} cannot be sent to a provider`);
  }
  const text = String(amount.amountMinor).padStart(digits + 1, '0');
  if (digits === 0) return text;
  return `${text.slice(0, -digits)}.${text.slice(-digits)}`;
}
