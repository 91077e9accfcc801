import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { paygPriceMinor, rateRecord, ratedQuantity, type LineRatingState, type RatingBucket, type UsageType } from '../../src/domain/rating.ts';

const RATES = { default: { dataPerMbMinor: 10, voicePerMinuteMinor: 7, smsPerMessageMinor: 5 }, roaming: { dataPerMbMinor: 200, voicePerMinuteMinor: 100, smsPerMessageMinor: 25 } };
const T0 = new Date('2026-01-01T00:00:00Z');
const day = (n: number) => new Date(T0.getTime() + n * 86_400_000);

describe('rating units', () => {
  it('rounds data up to whole KB, voice to started minutes, SMS per message', () => {
    expect(ratedQuantity('data', 0)).toBe(0);
    expect(ratedQuantity('data', 1)).toBe(1024);
    expect(ratedQuantity('data', 1024)).toBe(1024);
    expect(ratedQuantity('data', 1025)).toBe(2048);
    expect(ratedQuantity('voice', 1)).toBe(60);
    expect(ratedQuantity('voice', 60)).toBe(60);
    expect(ratedQuantity('voice', 61)).toBe(120);
    expect(ratedQuantity('sms', 3)).toBe(3);
  });

  it('prices the wallet part at the zone rate, rounded up to the minor unit', () => {
    expect(paygPriceMinor('data', 1_048_576, RATES.default)).toBe(10);
    expect(paygPriceMinor('data', 1024, RATES.default)).toBe(1); // 10/1024 of a cent → 1
    expect(paygPriceMinor('voice', 120, RATES.default)).toBe(14);
    expect(paygPriceMinor('sms', 2, RATES.roaming)).toBe(50);
  });
});

describe('rateRecord', () => {
  const state = (buckets: RatingBucket[], wallet: number): LineRatingState => ({ buckets, wallet: { balanceMinor: wallet }, paygRates: RATES });

  it('draws soonest expiry first, bonus before paid at equal expiry, then the wallet, else unfunded', () => {
    const s = state([
      { id: 'b-late', unit: 'sms', remaining: 5, expiresAt: day(20), source: 'plan' },
      { id: 'b-paid', unit: 'sms', remaining: 2, expiresAt: day(10), source: 'plan' },
      { id: 'b-bonus', unit: 'sms', remaining: 2, expiresAt: day(10), source: 'bonus' },
    ], 10);
    const first = rateRecord(s, { type: 'sms', quantity: 3, startedAt: day(1) });
    expect(first.draws).toEqual([{ bucketId: 'b-bonus', units: 2 }, { bucketId: 'b-paid', units: 1 }]);
    const second = rateRecord(s, { type: 'sms', quantity: 7, startedAt: day(1), zone: 'nowhere' });
    expect(second).toMatchObject({ status: 'rated', walletUnits: 1, chargedMinor: 5 });
    const third = rateRecord(s, { type: 'sms', quantity: 2, startedAt: day(1), zone: 'roaming' });
    expect(third).toMatchObject({ status: 'unfunded', walletUnits: 0, chargedMinor: 0, unfundedUnits: 2 });
    expect(s.wallet.balanceMinor).toBe(5);
  });

  it('skips buckets that had expired when the record started', () => {
    const s = state([{ id: 'old', unit: 'data', remaining: 10_000, expiresAt: day(1), source: 'plan' }], 0);
    expect(rateRecord(s, { type: 'data', quantity: 10, startedAt: day(2) })).toMatchObject({ status: 'unfunded', unfundedUnits: 1024 });
  });

  // A simple reference rater: per record, units one at a time from the first bucket in use order.
  function reference(buckets: RatingBucket[], wallet: number, records: Array<{ type: UsageType; quantity: number }>) {
    const bs = buckets.map((b) => ({ ...b })).sort((a, b) => a.expiresAt.getTime() - b.expiresAt.getTime() || Number(b.source === 'bonus') - Number(a.source === 'bonus') || (a.id < b.id ? -1 : 1));
    let w = wallet;
    let unfunded = 0;
    for (const r of records) {
      const step = r.type === 'data' ? 1024 : r.type === 'voice' ? 60 : 1;
      let left = Math.ceil(r.quantity / step) * step;
      for (const b of bs) while (b.unit === r.type && b.remaining > 0 && left > 0) { b.remaining -= 1; left -= 1; }
      if (left > 0) {
        const rate = r.type === 'data' ? RATES.default.dataPerMbMinor : r.type === 'voice' ? RATES.default.voicePerMinuteMinor : RATES.default.smsPerMessageMinor;
        const per = r.type === 'data' ? 1_048_576 : r.type === 'voice' ? 60 : 1;
        const price = Math.ceil((left * rate) / per);
        if (price <= w) w -= price; else unfunded += left;
      }
    }
    return { buckets: Object.fromEntries(bs.map((b) => [b.id, b.remaining])), wallet: w, unfunded };
  }

  it('agrees with the reference rater on random streams', () => {
    const unit = fc.constantFrom<UsageType>('data', 'voice', 'sms');
    fc.assert(fc.property(
      fc.array(fc.record({ unit, remaining: fc.integer({ min: 1, max: 5000 }), days: fc.integer({ min: 1, max: 3 }), bonus: fc.boolean() }), { maxLength: 5 }),
      fc.integer({ min: 0, max: 100 }),
      fc.array(fc.record({ type: unit, quantity: fc.integer({ min: 0, max: 3000 }) }), { maxLength: 30 }),
      (spec, wallet, records) => {
        const buckets = spec.map((b, i): RatingBucket => ({ id: `b${i}`, unit: b.unit, remaining: b.remaining, expiresAt: day(b.days), source: b.bonus ? 'bonus' : 'plan' }));
        const expected = reference(buckets, wallet, records);
        const s = state(buckets.map((b) => ({ ...b })), wallet);
        let unfunded = 0;
        for (const r of records) unfunded += rateRecord(s, { ...r, startedAt: T0 }).unfundedUnits;
        expect(Object.fromEntries(s.buckets.map((b) => [b.id, b.remaining]))).toEqual(expected.buckets);
        expect(s.wallet.balanceMinor).toBe(expected.wallet);
        expect(unfunded).toBe(expected.unfunded);
      },
    ), { numRuns: 300 });
  });
});
