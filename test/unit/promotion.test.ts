import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  normalizeCouponCode,
  percentToBasisPoints,
  selectPromotions,
  STACKED_PROMOTIONS_MAX,
  validatePromotionInput,
  type Promotion,
  type PromotionContext,
  type PromotionInput,
  type PromotionKind,
} from '../../src/domain/promotion.ts';

const NOW = new Date('2025-06-15T12:00:00Z');
const DAY_MS = 86_400_000;

function promo(overrides: Partial<Promotion> & { id: string }): Promotion {
  return {
    title: { en: `Promo ${overrides.id}` },
    kind: 'percent_off',
    value: 10,
    couponCode: null,
    planIds: null,
    startsAt: null,
    endsAt: null,
    maxRedemptions: null,
    perUserLimit: null,
    active: true,
    currency: null,
    ...overrides,
  };
}

function ctx(overrides: Partial<PromotionContext> = {}): PromotionContext {
  return {
    planId: 'plan_basic',
    couponCode: null,
    now: NOW,
    isFirstRecharge: false,
    redemptions: new Map(),
    currency: 'USD',
    ...overrides,
  };
}

const ids = (r: ReturnType<typeof selectPromotions>): string[] => (r.ok ? r.value.map((p) => p.id) : []);

function input(overrides: Partial<PromotionInput> = {}): PromotionInput {
  return { title: { en: 'Summer sale' }, kind: 'percent_off', value: 12.5, ...overrides };
}

function errorPaths(i: PromotionInput): string[] {
  const r = validatePromotionInput(i);
  return r.ok ? [] : r.errors.map((e) => e.path);
}

describe('defining a promotion', () => {
  it('accepts a percent with two decimals and stores the coupon code trimmed upper-case', () => {
    const r = validatePromotionInput(input({ couponCode: '  summer-25 ', planIds: ['p1', 'p1', 'p2'] }));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.couponCode).toBe('SUMMER-25');
    expect(r.value.planIds).toEqual(['p1', 'p2']);
    expect(r.value.active).toBe(true);
    expect(r.value.currency).toBeNull();
  });

  it('reads percent_off value as a percent 0 < v ≤ 100 with at most two decimals', () => {
    expect(errorPaths(input({ value: 100 }))).toEqual([]);
    expect(errorPaths(input({ value: 0.01 }))).toEqual([]);
    expect(errorPaths(input({ value: 12.345 }))).toEqual(['value']);
    expect(errorPaths(input({ value: 0 }))).toEqual(['value']);
    expect(errorPaths(input({ value: 100.01 }))).toEqual(['value']);
    expect(errorPaths(input({ value: Number.NaN }))).toEqual(['value']);
  });

  it('requires a supported currency and whole minor units for amount_off, and a currency only there', () => {
    expect(errorPaths(input({ kind: 'amount_off', value: 500, currency: 'USD' }))).toEqual([]);
    expect(errorPaths(input({ kind: 'amount_off', value: 500 }))).toEqual(['currency']);
    expect(errorPaths(input({ kind: 'amount_off', value: 500, currency: 'XXX' }))).toEqual(['currency']);
    expect(errorPaths(input({ kind: 'amount_off', value: 5.5, currency: 'USD' }))).toEqual(['value']);
    expect(errorPaths(input({ kind: 'percent_off', value: 10, currency: 'USD' }))).toEqual(['currency']);
  });

  it('bounds bonus kinds: data 1..1000 %, first recharge 1..100 %, validity whole days', () => {
    const cases: Array<[PromotionKind, number, boolean]> = [
      ['bonus_data_pct', 1000, true],
      ['bonus_data_pct', 1001, false],
      ['bonus_data_pct', 2.5, false],
      ['first_recharge_bonus', 100, true],
      ['first_recharge_bonus', 101, false],
      ['bonus_validity_days', 7, true],
      ['bonus_validity_days', 0, false],
    ];
    for (const [kind, value, valid] of cases) {
      expect(errorPaths(input({ kind, value })).length === 0, `${kind} ${value}`).toBe(valid);
    }
  });

  it('reports every broken field at once with the code invalid_promotion', () => {
    const r = validatePromotionInput({
      title: { fr: 'Soldes' },
      kind: 'percent_off',
      value: 150,
      couponCode: 'a b',
      planIds: [],
      startsAt: new Date('2025-07-01T00:00:00Z'),
      endsAt: new Date('2025-06-01T00:00:00Z'),
      maxRedemptions: 0,
      perUserLimit: 1.5,
    });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.code).toBe('invalid_promotion');
    expect(r.errors.map((e) => e.path).sort()).toEqual(
      ['couponCode', 'endsAt', 'maxRedemptions', 'perUserLimit', 'planIds', 'title.en', 'value'].sort(),
    );
  });

  it('rejects an unknown kind', () => {
    expect(errorPaths(input({ kind: 'free_lunch' }))).toEqual(['kind']);
  });

  it('converts every two-decimal percent to exact integer basis points', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10_000 }), (bp) => {
        expect(percentToBasisPoints(bp / 100)).toBe(bp);
      }),
    );
  });
});

describe('choosing the promotions for a purchase', () => {
  it('applies active automatic promotions inside their half-open window [startsAt, endsAt)', () => {
    const all = [
      promo({ id: 'a_open' }),
      promo({ id: 'b_starts_now', startsAt: NOW }),
      promo({ id: 'c_ends_now', endsAt: NOW }),
      promo({ id: 'd_future', startsAt: new Date(NOW.getTime() + DAY_MS) }),
      promo({ id: 'e_inactive', active: false }),
      promo({ id: 'f_ends_later', endsAt: new Date(NOW.getTime() + 1) }),
    ];
    expect(ids(selectPromotions(all, ctx()))).toEqual(['a_open', 'b_starts_now', 'f_ends_later']);
  });

  it('limits a promotion with planIds to those plans, and gives top-ups only all-plan promotions', () => {
    const all = [
      promo({ id: 'all' }),
      promo({ id: 'scoped', planIds: ['plan_basic'] }),
      promo({ id: 'other', planIds: ['plan_max'] }),
    ];
    expect(ids(selectPromotions(all, ctx()))).toEqual(['all', 'scoped']);
    expect(ids(selectPromotions(all, ctx({ planId: null })))).toEqual(['all']);
  });

  it('gives top-ups no bonus data or validity promotions, since a top-up has neither', () => {
    const all = [promo({ id: 'data', kind: 'bonus_data_pct', value: 20 }), promo({ id: 'days', kind: 'bonus_validity_days', value: 7 })];
    expect(ids(selectPromotions(all, ctx({ planId: null })))).toEqual([]);
    expect(ids(selectPromotions(all, ctx()))).toEqual(['data', 'days']);
  });

  it('silently skips exhausted automatic promotions (total or per user)', () => {
    const all = [
      promo({ id: 'total', maxRedemptions: 100 }),
      promo({ id: 'per_user', perUserLimit: 1 }),
      promo({ id: 'fresh', maxRedemptions: 100, perUserLimit: 1 }),
    ];
    const redemptions = new Map([
      ['total', { total: 100, byUser: 0 }],
      ['per_user', { total: 5, byUser: 1 }],
      ['fresh', { total: 99, byUser: 0 }],
    ]);
    expect(ids(selectPromotions(all, ctx({ redemptions })))).toEqual(['fresh']);
  });

  it('applies amount_off only in its own currency', () => {
    const all = [promo({ id: 'usd', kind: 'amount_off', value: 100, currency: 'USD' }), promo({ id: 'eur', kind: 'amount_off', value: 100, currency: 'EUR' })];
    expect(ids(selectPromotions(all, ctx()))).toEqual(['usd']);
  });

  it('applies a first-recharge bonus only on the line’s first paid order', () => {
    const all = [promo({ id: 'first', kind: 'first_recharge_bonus', value: 10 })];
    expect(ids(selectPromotions(all, ctx({ isFirstRecharge: true })))).toEqual(['first']);
    expect(ids(selectPromotions(all, ctx({ isFirstRecharge: false })))).toEqual([]);
    expect(ids(selectPromotions(all, ctx({ isFirstRecharge: true, planId: null })))).toEqual(['first']);
  });

  describe('with a coupon code', () => {
    const coupon = promo({ id: 'c1', couponCode: 'SAVE10', perUserLimit: 1, maxRedemptions: 10, planIds: ['plan_basic'] });
    const auto = promo({ id: 'a1' });

    it('matches the code trimmed and case-insensitively, on top of automatic promotions', () => {
      expect(ids(selectPromotions([coupon, auto], ctx({ couponCode: '  save10 ' })))).toEqual(['a1', 'c1']);
    });

    it('never applies a coupon that was not entered', () => {
      expect(ids(selectPromotions([coupon, auto], ctx()))).toEqual(['a1']);
      expect(ids(selectPromotions([coupon, auto], ctx({ couponCode: '   ' })))).toEqual(['a1']);
    });

    it('answers invalid_coupon for an unknown or withdrawn code', () => {
      expect(selectPromotions([coupon], ctx({ couponCode: 'NOPE' }))).toMatchObject({ ok: false, code: 'invalid_coupon' });
      const withdrawn = { ...coupon, active: false };
      expect(selectPromotions([withdrawn], ctx({ couponCode: 'SAVE10' }))).toMatchObject({ ok: false, code: 'invalid_coupon' });
    });

    it('answers coupon_expired outside its window, before it starts too', () => {
      const ended = { ...coupon, endsAt: NOW };
      const notYet = { ...coupon, startsAt: new Date(NOW.getTime() + 1) };
      expect(selectPromotions([ended], ctx({ couponCode: 'save10' }))).toMatchObject({ ok: false, code: 'coupon_expired' });
      expect(selectPromotions([notYet], ctx({ couponCode: 'save10' }))).toMatchObject({ ok: false, code: 'coupon_expired' });
    });

    it('answers coupon_exhausted when the total or the per-user limit is reached', () => {
      const total = new Map([['c1', { total: 10, byUser: 0 }]]);
      const perUser = new Map([['c1', { total: 3, byUser: 1 }]]);
      expect(selectPromotions([coupon], ctx({ couponCode: 'SAVE10', redemptions: total }))).toMatchObject({ ok: false, code: 'coupon_exhausted' });
      expect(selectPromotions([coupon], ctx({ couponCode: 'SAVE10', redemptions: perUser }))).toMatchObject({ ok: false, code: 'coupon_exhausted' });
    });

    it('answers coupon_not_applicable for another plan, a top-up, another currency or a later recharge', () => {
      const notApplicable = { ok: false, code: 'coupon_not_applicable' };
      expect(selectPromotions([coupon], ctx({ couponCode: 'SAVE10', planId: 'plan_max' }))).toMatchObject(notApplicable);
      expect(selectPromotions([coupon], ctx({ couponCode: 'SAVE10', planId: null }))).toMatchObject(notApplicable);
      const eur = promo({ id: 'c2', couponCode: 'EURO', kind: 'amount_off', value: 100, currency: 'EUR' });
      expect(selectPromotions([eur], ctx({ couponCode: 'EURO' }))).toMatchObject(notApplicable);
      const first = promo({ id: 'c3', couponCode: 'WELCOME', kind: 'first_recharge_bonus', value: 20 });
      expect(selectPromotions([first], ctx({ couponCode: 'WELCOME' }))).toMatchObject(notApplicable);
    });

    it('prefers a usable promotion if two active ones share a code, whatever their order', () => {
      const stale = promo({ id: 'c0', couponCode: 'DUP', endsAt: NOW });
      const live = promo({ id: 'c9', couponCode: 'DUP' });
      expect(ids(selectPromotions([stale, live], ctx({ couponCode: 'dup' })))).toEqual(['c9']);
      expect(ids(selectPromotions([live, stale], ctx({ couponCode: 'dup' })))).toEqual(['c9']);
    });
  });

  describe('properties', () => {
    const kinds: PromotionKind[] = ['percent_off', 'amount_off', 'bonus_data_pct', 'bonus_validity_days', 'first_recharge_bonus'];
    const codes = ['SAVE10', 'WELCOME', 'VIP'];
    const promotionArb = (id: string): fc.Arbitrary<Promotion> =>
      fc.record({
        kind: fc.constantFrom(...kinds),
        coupon: fc.option(fc.constantFrom(...codes), { nil: null }),
        planIds: fc.option(fc.subarray(['plan_basic', 'plan_max']), { nil: null }),
        startOffsetDays: fc.option(fc.integer({ min: -5, max: 5 }), { nil: null }),
        lengthDays: fc.option(fc.integer({ min: 1, max: 10 }), { nil: null }),
        maxRedemptions: fc.option(fc.integer({ min: 1, max: 5 }), { nil: null }),
        perUserLimit: fc.option(fc.integer({ min: 1, max: 2 }), { nil: null }),
        active: fc.boolean(),
        currency: fc.constantFrom('USD', 'EUR'),
      }).map((r) => {
        const startsAt = r.startOffsetDays === null ? null : new Date(NOW.getTime() + r.startOffsetDays * DAY_MS);
        return promo({
          id,
          kind: r.kind,
          value: 10,
          couponCode: r.coupon,
          planIds: r.planIds,
          startsAt,
          endsAt: r.lengthDays === null ? null : new Date((startsAt ?? NOW).getTime() + r.lengthDays * DAY_MS),
          maxRedemptions: r.maxRedemptions,
          perUserLimit: r.perUserLimit,
          active: r.active,
          currency: r.kind === 'amount_off' ? r.currency : null,
        });
      });
    const scenario = fc
      .integer({ min: 0, max: 8 })
      .chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => promotionArb(`promo_${i}`))))
      .chain((all) =>
        fc.record({
          all: fc.constant(all),
          shuffled: fc.shuffledSubarray(all, { minLength: all.length, maxLength: all.length }),
          planId: fc.constantFrom('plan_basic', 'plan_max', null),
          couponCode: fc.option(fc.constantFrom('save10', ' Welcome ', 'VIP', 'bogus'), { nil: null }),
          isFirstRecharge: fc.boolean(),
          used: fc.array(fc.tuple(fc.integer({ min: 0, max: 6 }), fc.integer({ min: 0, max: 3 })), { minLength: 8, maxLength: 8 }),
        }),
      );
    interface Scenario {
      planId: string | null;
      couponCode: string | null;
      isFirstRecharge: boolean;
      used: Array<[number, number]>;
    }
    const contextOf = (s: Scenario): PromotionContext =>
      ctx({
        planId: s.planId,
        couponCode: s.couponCode,
        isFirstRecharge: s.isFirstRecharge,
        redemptions: new Map(s.used.map(([total, byUser], i) => [`promo_${i}`, { total, byUser }])),
      });

    it('selects at most one coupon, and only the one entered', () => {
      fc.assert(
        fc.property(scenario, (s) => {
          const r = selectPromotions(s.all, contextOf(s));
          if (!r.ok) return;
          const coupons = r.value.filter((p) => p.couponCode !== null);
          expect(coupons.length).toBeLessThanOrEqual(1);
          for (const c of coupons) expect(c.couponCode).toBe(normalizeCouponCode(s.couponCode ?? ''));
        }),
      );
    });

    it('gives the same answer whatever the order of the promotions', () => {
      fc.assert(
        fc.property(scenario, (s) => {
          expect(selectPromotions(s.shuffled, contextOf(s))).toEqual(selectPromotions(s.all, contextOf(s)));
        }),
      );
    });

    it('selects only active, in-window, in-scope promotions under their limits', () => {
      fc.assert(
        fc.property(scenario, (s) => {
          const c = contextOf(s);
          const r = selectPromotions(s.all, c);
          if (!r.ok) return;
          for (const p of r.value) {
            const used = c.redemptions.get(p.id) ?? { total: 0, byUser: 0 };
            expect(p.active).toBe(true);
            expect(p.startsAt === null || p.startsAt <= NOW).toBe(true);
            expect(p.endsAt === null || NOW < p.endsAt).toBe(true);
            expect(p.planIds === null || (c.planId !== null && p.planIds.includes(c.planId))).toBe(true);
            expect(p.maxRedemptions === null || used.total < p.maxRedemptions).toBe(true);
            expect(p.perUserLimit === null || used.byUser < p.perUserLimit).toBe(true);
            expect(p.kind !== 'amount_off' || p.currency === 'USD').toBe(true);
            expect(p.kind !== 'first_recharge_bonus' || c.isFirstRecharge).toBe(true);
          }
        }),
      );
    });
  });
});

describe('bounds on what applies to a purchase', () => {
  it('never applies a discount to stored value: automatic ones are skipped, a discount coupon is refused', () => {
    const all = [
      promo({ id: 'p1', kind: 'percent_off', value: 10 }),
      promo({ id: 'p2', kind: 'amount_off', value: 100, currency: 'USD' }),
      promo({ id: 'p3', kind: 'first_recharge_bonus', value: 20 }),
      promo({ id: 'p4', kind: 'amount_off', value: 500, currency: 'USD', couponCode: 'WELCOME5' }),
    ];
    expect(ids(selectPromotions(all, ctx({ planId: null, storedValue: true, isFirstRecharge: true })))).toEqual(['p3']);
    const coupon = selectPromotions(all, ctx({ planId: null, storedValue: true, couponCode: 'welcome5' }));
    expect(coupon.ok ? 'applied' : coupon.code).toBe('coupon_not_applicable');
    expect(ids(selectPromotions(all, ctx({ storedValue: false })))).toEqual(['p1', 'p2']);
  });

  it(`stacks at most ${STACKED_PROMOTIONS_MAX} promotions, the oldest automatic ones and the coupon`, () => {
    const automatic = Array.from({ length: 25 }, (_, i) => promo({ id: `p${String(i).padStart(2, '0')}`, value: 1 }));
    const coupon = promo({ id: 'pz', couponCode: 'EXTRA', value: 5 });
    const without = ids(selectPromotions([...automatic, coupon].reverse(), ctx()));
    expect(without).toEqual(automatic.slice(0, STACKED_PROMOTIONS_MAX).map((p) => p.id));
    const withCoupon = ids(selectPromotions([...automatic, coupon], ctx({ couponCode: 'extra' })));
    expect(withCoupon).toHaveLength(STACKED_PROMOTIONS_MAX);
    expect(withCoupon).toContain('pz');
    expect(withCoupon.slice(0, STACKED_PROMOTIONS_MAX - 1)).toEqual(automatic.slice(0, STACKED_PROMOTIONS_MAX - 1).map((p) => p.id));
  });
});
