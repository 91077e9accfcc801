import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  BYTES_PER_MB,
  bucketPreview,
  planCredit,
  toBaseUnits,
  toWholeUnits,
  type ExpiryPolicy,
  type LineBucket,
  type PlanCredit,
  type PlanCreditInput,
  type PlanKind,
} from '../../src/domain/plan-credit.ts';

const DAY_MS = 86_400_000;
const NOW = new Date('2025-06-15T12:00:00Z');
const inDays = (days: number, from: Date = NOW): Date => new Date(from.getTime() + days * DAY_MS);

function bucket(id: string, expiresAt: Date, overrides: Partial<LineBucket> = {}): LineBucket {
  return { id, unit: 'data', remaining: 100 * BYTES_PER_MB, total: 500 * BYTES_PER_MB, expiresAt, source: 'plan', ...overrides };
}

function input(overrides: {
  kind?: PlanKind;
  policy?: ExpiryPolicy;
  validityDays?: number;
  lineExpiresAt?: Date | null;
  buckets?: LineBucket[];
  allowances?: { dataMb: number; voiceMin: number; sms: number };
  bonus?: { dataMb: number; validityDays: number };
  now?: Date;
} = {}): PlanCreditInput {
  return {
    now: overrides.now ?? NOW,
    line: { expiresAt: overrides.lineExpiresAt === undefined ? inDays(10) : overrides.lineExpiresAt, buckets: overrides.buckets ?? [] },
    plan: {
      kind: overrides.kind ?? 'base',
      validityDays: overrides.validityDays ?? 30,
      allowances: overrides.allowances ?? { dataMb: 1024, voiceMin: 100, sms: 50 },
      expiryPolicy: overrides.policy ?? 'extend',
    },
    bonus: overrides.bonus ?? { dataMb: 0, validityDays: 0 },
  };
}

function credit(i: PlanCreditInput): PlanCredit {
  const r = planCredit(i);
  if (!r.ok) throw new Error(`unexpected ${r.code}`);
  return r.value;
}

describe('crediting a plan to a line', () => {
  it('grants buckets in exact base units: bytes, seconds, messages', () => {
    const c = credit(input());
    expect(c.newBuckets.map((b) => [b.unit, b.quantity, b.source])).toEqual([
      ['data', 1024 * 1_048_576, 'plan'],
      ['voice', 100 * 60, 'plan'],
      ['sms', 50, 'plan'],
    ]);
  });

  it('creates no bucket for a zero allowance', () => {
    const c = credit(input({ allowances: { dataMb: 0, voiceMin: 30, sms: 0 } }));
    expect(c.newBuckets.map((b) => b.unit)).toEqual(['voice']);
  });

  it('puts bonus data in its own bonus bucket with the plan buckets’ expiry', () => {
    const c = credit(input({ bonus: { dataMb: 154, validityDays: 0 } }));
    const bonus = c.newBuckets.filter((b) => b.source === 'bonus');
    expect(bonus).toEqual([{ unit: 'data', quantity: 154 * BYTES_PER_MB, expiresAt: inDays(40), source: 'bonus' }]);
  });

  describe('with the extend policy', () => {
    it('adds the validity to the current expiry and extends live buckets to it', () => {
      const live = bucket('b_live', inDays(10));
      const later = bucket('b_later', inDays(90));
      const expired = bucket('b_expired', inDays(-1));
      const c = credit(input({ buckets: [live, later, expired] }));
      expect(c.expiresAt).toEqual(inDays(40));
      expect(c.extendBuckets).toEqual([{ id: 'b_live', expiresAt: inDays(40) }]); // never shortens b_later
      expect(c.expireBuckets).toEqual([]);
      expect(c.newBuckets.every((b) => b.expiresAt.getTime() === inDays(40).getTime())).toBe(true);
    });

    it('adds bonus validity days on top', () => {
      expect(credit(input({ bonus: { dataMb: 0, validityDays: 7 } })).expiresAt).toEqual(inDays(47));
    });

    it('starts from now when the line has lapsed or never had an expiry', () => {
      expect(credit(input({ lineExpiresAt: inDays(-5) })).expiresAt).toEqual(inDays(30));
      expect(credit(input({ lineExpiresAt: null })).expiresAt).toEqual(inDays(30));
    });
  });

  describe('with the stack policy', () => {
    it('gives the new buckets their own expiry and leaves existing buckets alone', () => {
      const c = credit(input({ policy: 'stack', buckets: [bucket('b1', inDays(10))] }));
      expect(c.newBuckets.every((b) => b.expiresAt.getTime() === inDays(30).getTime())).toBe(true);
      expect(c.expiresAt).toEqual(inDays(30));
      expect(c.extendBuckets).toEqual([]);
      expect(c.expireBuckets).toEqual([]);
    });

    it('keeps a later line expiry', () => {
      const c = credit(input({ policy: 'stack', lineExpiresAt: inDays(60), validityDays: 7, bonus: { dataMb: 0, validityDays: 3 } }));
      expect(c.expiresAt).toEqual(inDays(60));
      expect(c.newBuckets[0]?.expiresAt).toEqual(inDays(10));
    });
  });

  describe('with the reset policy', () => {
    it('ends every live bucket now and restarts the line’s validity from now, even if shorter', () => {
      const c = credit(
        input({ policy: 'reset', lineExpiresAt: inDays(60), buckets: [bucket('b1', inDays(10)), bucket('b2', inDays(60)), bucket('old', inDays(-2))] }),
      );
      expect(c.expireBuckets).toEqual([{ id: 'b1' }, { id: 'b2' }]); // 'old' already ended; the expiry job recorded it
      expect(c.expiresAt).toEqual(inDays(30));
      expect(c.newBuckets.every((b) => b.expiresAt.getTime() === inDays(30).getTime())).toBe(true);
    });
  });

  describe('an add-on', () => {
    it('never extends the line; its buckets last their validity, capped at the line’s expiry', () => {
      const capped = credit(input({ kind: 'addon', validityDays: 30, lineExpiresAt: inDays(10) }));
      expect(capped.expiresAt).toEqual(inDays(10));
      expect(capped.newBuckets.every((b) => b.expiresAt.getTime() === inDays(10).getTime())).toBe(true);
      const short = credit(input({ kind: 'addon', validityDays: 7, lineExpiresAt: inDays(10), bonus: { dataMb: 0, validityDays: 5 } }));
      expect(short.expiresAt).toEqual(inDays(10));
      expect(short.newBuckets[0]?.expiresAt).toEqual(inDays(7)); // bonus days do not apply to add-ons
    });

    it('is refused without an active plan (addon_requires_active_plan)', () => {
      expect(planCredit(input({ kind: 'addon', lineExpiresAt: null }))).toMatchObject({ ok: false, code: 'addon_requires_active_plan' });
      expect(planCredit(input({ kind: 'addon', lineExpiresAt: NOW }))).toMatchObject({ ok: false, code: 'addon_requires_active_plan' });
    });
  });

  it('a top-up grants no buckets and leaves the expiry as it was', () => {
    expect(credit(input({ kind: 'topup', buckets: [bucket('b1', inDays(3))] }))).toEqual({
      expiresAt: inDays(10),
      newBuckets: [],
      extendBuckets: [],
      expireBuckets: [],
    });
  });

  it('a custom bundle follows its expiry policy like a base plan', () => {
    expect(credit(input({ kind: 'bundle', policy: 'extend' })).expiresAt).toEqual(inDays(40));
  });
});

describe('units shown by the API', () => {
  it('rounds base units down to whole MB, minutes and messages', () => {
    expect(toWholeUnits('data', BYTES_PER_MB - 1)).toBe(0);
    expect(toWholeUnits('data', 3 * BYTES_PER_MB + 5)).toBe(3);
    expect(toWholeUnits('voice', 119)).toBe(1);
    expect(toWholeUnits('sms', 7)).toBe(7);
  });

  it('round-trips whole units exactly', () => {
    fc.assert(
      fc.property(fc.constantFrom('data' as const, 'voice' as const, 'sms' as const), fc.integer({ min: 0, max: 1e9 }), (unit, whole) => {
        expect(toWholeUnits(unit, toBaseUnits(unit, whole))).toBe(whole);
      }),
    );
  });
});

describe('previewing the resulting buckets', () => {
  it('lists live buckets after the purchase in draw order: soonest expiry, bonus first at equal expiry', () => {
    const i = input({
      policy: 'stack',
      validityDays: 10,
      buckets: [bucket('b_old', inDays(-1)), bucket('b_week', inDays(7)), bucket('b_later', inDays(20), { unit: 'voice', remaining: 100 * 60, total: 300 * 60 })],
      bonus: { dataMb: 10, validityDays: 0 },
      allowances: { dataMb: 100, voiceMin: 0, sms: 0 },
    });
    const p = bucketPreview(i, credit(i));
    expect(p.expiresAt).toEqual(inDays(10));
    expect(p.buckets.map((b) => [b.id, b.source, toWholeUnits(b.unit, b.remaining), b.expiresAt.getTime()])).toEqual([
      ['b_week', 'plan', 100, inDays(7).getTime()],
      [null, 'bonus', 10, inDays(10).getTime()],
      [null, 'plan', 100, inDays(10).getTime()],
      ['b_later', 'plan', 100, inDays(20).getTime()],
    ]);
  });

  it('shows extended and reset buckets as they will be', () => {
    const buckets = [bucket('b1', inDays(5))];
    const extend = input({ buckets, allowances: { dataMb: 0, voiceMin: 0, sms: 1 } });
    expect(bucketPreview(extend, credit(extend)).buckets.find((b) => b.id === 'b1')?.expiresAt).toEqual(inDays(40));
    const reset = input({ policy: 'reset', buckets });
    expect(bucketPreview(reset, credit(reset)).buckets.some((b) => b.id === 'b1')).toBe(false);
  });
});

describe('plan crediting properties', () => {
  const scenario = fc.record({
    nowOffsetMs: fc.integer({ min: -400 * DAY_MS, max: 400 * DAY_MS }),
    lineOffsetDays: fc.option(fc.integer({ min: -60, max: 400 }), { nil: null }),
    policy: fc.constantFrom<ExpiryPolicy>('extend', 'stack', 'reset'),
    kind: fc.constantFrom<PlanKind>('base', 'bundle', 'addon'),
    validityDays: fc.integer({ min: 1, max: 365 }),
    dataMb: fc.integer({ min: 0, max: 1_048_576 }),
    voiceMin: fc.integer({ min: 0, max: 100_000 }),
    sms: fc.integer({ min: 0, max: 10_000 }),
    bonusMb: fc.integer({ min: 0, max: 100_000 }),
    bonusDays: fc.integer({ min: 0, max: 30 }),
    bucketOffsetsDays: fc.array(fc.integer({ min: -30, max: 400 }), { maxLength: 6 }),
  });
  type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;
  const toInput = (s: Scenario): PlanCreditInput => {
    const now = new Date(NOW.getTime() + s.nowOffsetMs);
    return input({
      now,
      kind: s.kind,
      policy: s.policy,
      validityDays: s.validityDays,
      lineExpiresAt: s.lineOffsetDays === null ? null : inDays(s.lineOffsetDays, now),
      buckets: s.bucketOffsetsDays.map((d, i) => bucket(`b${i}`, inDays(d, now))),
      allowances: { dataMb: s.dataMb, voiceMin: s.voiceMin, sms: s.sms },
      bonus: { dataMb: s.bonusMb, validityDays: s.kind === 'addon' ? 0 : s.bonusDays },
    });
  };

  it('extend never shortens the line’s expiry, and past expiry it starts from now', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const i = toInput({ ...s, kind: 'base', policy: 'extend' });
        const c = credit(i);
        const days = s.validityDays + s.bonusDays;
        const from = i.line.expiresAt !== null && i.line.expiresAt > i.now ? i.line.expiresAt : i.now;
        expect(c.expiresAt).toEqual(inDays(days, from));
        if (i.line.expiresAt !== null) expect(c.expiresAt?.getTime()).toBeGreaterThan(i.line.expiresAt.getTime());
        for (const e of c.extendBuckets) {
          const before = i.line.buckets.find((b) => b.id === e.id);
          expect(before !== undefined && before.expiresAt > i.now && e.expiresAt > before.expiresAt).toBe(true);
        }
      }),
    );
  });

  it('add-ons never change the line’s expiry, and their buckets never outlive it', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const i = toInput({ ...s, kind: 'addon' });
        const r = planCredit(i);
        const active = i.line.expiresAt !== null && i.line.expiresAt > i.now;
        expect(r.ok).toBe(active);
        if (!r.ok || i.line.expiresAt === null) return;
        expect(r.value.expiresAt).toEqual(i.line.expiresAt);
        expect(r.value.extendBuckets).toEqual([]);
        expect(r.value.expireBuckets).toEqual([]);
        for (const b of r.value.newBuckets) expect(b.expiresAt.getTime()).toBeLessThanOrEqual(i.line.expiresAt.getTime());
      }),
    );
  });

  it('reset ends every live old bucket and only those', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const i = toInput({ ...s, kind: 'base', policy: 'reset' });
        const c = credit(i);
        const live = i.line.buckets.filter((b) => b.expiresAt > i.now).map((b) => ({ id: b.id }));
        expect(c.expireBuckets).toEqual(live);
        expect(c.expiresAt).toEqual(inDays(s.validityDays + s.bonusDays, i.now));
        expect(bucketPreview(i, c).buckets.every((b) => b.id === null)).toBe(true);
      }),
    );
  });

  it('grants exactly the allowances and bonus in base units, all expiring together and in the future', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const i = toInput(s);
        const r = planCredit(i);
        if (!r.ok) return;
        const total = (unit: string, source: string): number =>
          r.value.newBuckets.filter((b) => b.unit === unit && b.source === source).reduce((a, b) => a + b.quantity, 0);
        expect(total('data', 'plan')).toBe(s.dataMb * 1_048_576);
        expect(total('data', 'bonus')).toBe(s.bonusMb * 1_048_576);
        expect(total('voice', 'plan')).toBe(s.voiceMin * 60);
        expect(total('sms', 'plan')).toBe(s.sms);
        expect(r.value.newBuckets.every((b) => b.quantity > 0 && b.expiresAt > i.now)).toBe(true);
        expect(new Set(r.value.newBuckets.map((b) => b.expiresAt.getTime())).size).toBeLessThanOrEqual(1);
      }),
    );
  });

  it('the line’s expiry is never before the new buckets expire (base, bundle)', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const i = toInput({ ...s, kind: s.kind === 'addon' ? 'base' : s.kind });
        const c = credit(i);
        for (const b of c.newBuckets) expect(b.expiresAt.getTime()).toBeLessThanOrEqual(c.expiresAt?.getTime() ?? 0);
      }),
    );
  });
});
