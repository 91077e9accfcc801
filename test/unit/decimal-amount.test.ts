import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decimalToMinor, minorToDecimal } from '../../src/adapters/payments/decimal-amount.ts';
import { money } from '../../src/domain/money.ts';

describe('decimal amounts on the providers’ wire', () => {
  it('parses yuan and dollar strings exactly into minor units', () => {
    expect(decimalToMinor('0.10', 'CNY').amountMinor).toBe(10);
    expect(decimalToMinor('5', 'CNY').amountMinor).toBe(500);
    expect(decimalToMinor('5.00', 'USD').amountMinor).toBe(500);
    expect(decimalToMinor('5.1', 'USD').amountMinor).toBe(510);
    expect(decimalToMinor('0.29', 'USD').amountMinor).toBe(29); // 0.29 * 100 is 28.999… in floats
    expect(decimalToMinor('1234567.89', 'EUR').amountMinor).toBe(123456789);
    expect(decimalToMinor('500', 'JPY')).toEqual({ amountMinor: 500, currency: 'JPY' });
  });

  it('refuses amounts with more decimals than the currency has, instead of rounding', () => {
    expect(() => decimalToMinor('1.005', 'CNY')).toThrow(/decimals/);
    expect(() => decimalToMinor('500.0', 'JPY')).toThrow(/decimals/);
  });

  it('refuses anything that is not a plain non-negative decimal', () => {
    for (const bad of ['', '-1.00', '+1', '1e3', ' 1.00', '1.00 ', '1,00', '.5', '5.', '0x10', 'NaN', '99999999999999.00']) {
      expect(() => decimalToMinor(bad, 'USD'), bad).toThrow();
    }
    expect(() => decimalToMinor('1.00', 'XXX')).toThrow(/currency/);
  });

  it('formats minor units with the currency’s exponent', () => {
    expect(minorToDecimal(money(500, 'CNY'))).toBe('5.00');
    expect(minorToDecimal(money(5, 'USD'))).toBe('0.05');
    expect(minorToDecimal(money(0, 'USD'))).toBe('0.00');
    expect(minorToDecimal(money(500, 'JPY'))).toBe('500');
    expect(() => minorToDecimal(money(-1, 'USD'))).toThrow();
  });

  it('round-trips every amount exactly', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e12 }), fc.constantFrom('USD', 'CNY', 'JPY', 'KRW'), (amountMinor, currency) => {
        expect(decimalToMinor(minorToDecimal(money(amountMinor, currency)), currency).amountMinor).toBe(amountMinor);
      }),
    );
  });
});
