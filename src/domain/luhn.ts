// Owns the Luhn (mod 10) check digit used by ICCIDs (ITU-T E.118) and card-like numbers.
// Works on decimal digit strings only; callers normalise separators first.
import { invariant } from './invariant.ts';

const DIGITS_ONLY = /^[0-9]+$/;

/**
 * The check digit to append to `payloadDigits`. Doubling starts at the rightmost payload digit,
 * because once the check digit is appended that digit sits in an even position from the right.
 */
export function luhnCheckDigit(payloadDigits: string): number {
  invariant(DIGITS_ONLY.test(payloadDigits), 'luhnCheckDigit expects a non-empty digit string');
  let total = 0;
  for (let i = 0; i < payloadDigits.length; i += 1) {
    const digit = payloadDigits.charCodeAt(payloadDigits.length - 1 - i) - 48;
    total += i % 2 === 0 ? doubled(digit) : digit;
  }
  return (10 - (total % 10)) % 10;
}

/** True when the last digit is the Luhn check digit of the digits before it. */
export function isLuhnValid(digitsWithCheck: string): boolean {
  if (digitsWithCheck.length < 2 || !DIGITS_ONLY.test(digitsWithCheck)) return false;
  const payload = digitsWithCheck.slice(0, -1);
  const check = digitsWithCheck.charCodeAt(digitsWithCheck.length - 1) - 48;
  return luhnCheckDigit(payload) === check;
}

/** `payloadDigits` followed by its check digit. */
export function withLuhnCheckDigit(payloadDigits: string): string {
  return `${payloadDigits}${luhnCheckDigit(payloadDigits)}`;
}

function doubled(digit: number): number {
  const d = digit * 2;
  return d > 9 ? d - 9 : d;
}
