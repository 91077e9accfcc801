import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { money, mulDivHalfUp, percentOf, add, subtract } from '../../src/domain/money.ts';

describe('money', () => {
  it('rounds percentages half-up to the minor unit', () => {
    expect(percentOf(money(5, 'USD'), 5000).amountMinor).toBe(3); // 2.5 → 3
    expect(percentOf(money(1, 'USD'), 5000).amountMinor).toBe(1); // 0.5 → 1
    expect(percentOf(money(1, 'USD'), 4999).amountMinor).toBe(0);
    expect(percentOf(money(999, 'USD'), 1500).amountMinor).toBe(150); // 149.85 → 150
    expect(percentOf(money(-5, 'USD'), 5000).amountMinor).toBe(-3); // half away from zero
  });

  it('refuses mixed currencies and unsafe integers', () => {
    expect(() => add(money(1, 'USD'), money(1, 'EUR'))).toThrow(/currency/);
    expect(() => money(0.5, 'USD')).toThrow();
    expect(() => money(1, 'XXX')).toThrow();
  });

  it('mulDivHalfUp is exact against a bigint reference', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e12 }), fc.integer({ min: 0, max: 10_000 }), (amount, bp) => {
        const got = mulDivHalfUp(money(amount, 'USD'), bp, 10_000).amountMinor;
        const exact = (BigInt(amount) * BigInt(bp) * 2n + 10_000n) / 20_000n;
        expect(BigInt(got)).toBe(exact);
        expect(subtract(add(money(amount, 'USD'), money(got, 'USD')), money(got, 'USD')).amountMinor).toBe(amount);
      }),
    );
  });
});
