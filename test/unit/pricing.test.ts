import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { money, type Money } from '../../src/domain/money.ts';
import type { Promotion, PromotionKind } from '../../src/domain/promotion.ts';
import {
  BUNDLE_MAX_BLOCK_PRICE_MINOR,
  BUNDLE_MAX_DATA_MB,
  BUNDLE_MAX_SMS,
  BUNDLE_MAX_VOICE_MIN,
  PLAN_PRICE_MAX_MINOR,
  bonusTotals,
  priceCustomBundle,
  priceQuote,
  type BundleModule,
  type PurchaseKind,
  type QuoteInput,
} from '../../src/domain/pricing.ts';

function promo(id: string, kind: PromotionKind, value: number, extra: Partial<Promotion> = {}): Promotion {
  return {
    id,
    title: { en: `Promo ${id}`, 'zh-CN': `促销 ${id}` },
    kind,
    value,
    couponCode: null,
    planIds: null,
    startsAt: null,
    endsAt: null,
    maxRedemptions: null,
    perUserLimit: null,
    active: true,
    currency: kind === 'amount_off' ? 'USD' : null,
    ...extra,
  };
}

function quote(subtotalMinor: number, promotions: Promotion[], overrides: Partial<QuoteInput> = {}) {
  return priceQuote({
    subtotal: money(subtotalMinor, 'USD'),
    kind: 'base',
    allowances: { dataMb: 1024, voiceMin: 100, sms: 50 },
    validityDays: 30,
    promotions,
    isFirstRecharge: false,
    ...overrides,
  });
}

const amounts = (q: ReturnType<typeof priceQuote>): Array<[string, number]> =>
  q.discounts.map((d) => [d.promotionId, d.amount.amountMinor]);
const sumMinor = (ms: Money[]): bigint => ms.reduce((acc, m) => acc + BigInt(m.amountMinor), 0n);

describe('pricing a quote', () => {
  it('rounds a percentage discount half-up to the minor unit', () => {
    const q = quote(999, [promo('p15', 'percent_off', 15)]); // 149.85 → 150
    expect(amounts(q)).toEqual([['p15', 150]]);
    expect(q.total).toEqual(money(849, 'USD'));
    expect(amounts(quote(5, [promo('p50', 'percent_off', 50)]))).toEqual([['p50', 3]]); // 2.5 → 3
    expect(amounts(quote(1000, [promo('p', 'percent_off', 12.35)]))).toEqual([['p', 124]]); // 123.5 → 124
  });

  it('computes every percentage on the subtotal, so percentages add instead of compounding', () => {
    const q = quote(1000, [promo('p10', 'percent_off', 10), promo('p20', 'percent_off', 20)]);
    expect(amounts(q)).toEqual([['p10', 100], ['p20', 200]]);
    expect(q.total.amountMinor).toBe(700); // not 720 (compounded)
  });

  it('adds amount-off discounts', () => {
    const q = quote(1000, [promo('a1', 'amount_off', 150), promo('a2', 'amount_off', 50), promo('p10', 'percent_off', 10)]);
    expect(amounts(q)).toEqual([['a1', 150], ['a2', 50], ['p10', 100]]);
    expect(q.total.amountMinor).toBe(700);
  });

  it('caps the discounts at the subtotal, taking back amount-off first, then percent-off, each by id', () => {
    // 800 + 500 = 1300 on 1000: the 300 excess comes off the amount-off discount.
    expect(amounts(quote(1000, [promo('p50', 'percent_off', 50), promo('a800', 'amount_off', 800)]))).toEqual([
      ['a800', 500],
      ['p50', 500],
    ]);
    // Two amount-offs: the first by id gives way first.
    expect(amounts(quote(1000, [promo('b', 'amount_off', 700), promo('a', 'amount_off', 700)]))).toEqual([
      ['a', 300],
      ['b', 700],
    ]);
    // A discount taken back to zero disappears from the list.
    const q = quote(1000, [promo('p100', 'percent_off', 100), promo('a500', 'amount_off', 500)]);
    expect(amounts(q)).toEqual([['p100', 1000]]);
    expect(q.total.amountMinor).toBe(0);
  });

  it('omits zero discounts (a free plan, a percentage that rounds to nothing)', () => {
    expect(quote(0, [promo('p', 'percent_off', 10), promo('a', 'amount_off', 100)]).discounts).toEqual([]);
    expect(quote(4, [promo('p', 'percent_off', 10)]).discounts).toEqual([]); // 0.4 → 0
  });

  it('passes the title map through for the caller to localize', () => {
    const q = quote(1000, [promo('p', 'percent_off', 10)]);
    expect(q.discounts[0]?.title).toEqual({ en: 'Promo p', 'zh-CN': '促销 p' });
  });

  describe('bonuses, which never change the price', () => {
    it('grants bonus data as a percent of the plan’s data, half-up to whole MB', () => {
      const q = quote(1000, [promo('d15', 'bonus_data_pct', 15)]);
      expect(q.bonuses).toEqual([{ promotionId: 'd15', title: expect.any(Object), dataMb: 154 }]); // 153.6 → 154
      expect(q.total.amountMinor).toBe(1000);
      const half = quote(1000, [promo('d5', 'bonus_data_pct', 5)], { allowances: { dataMb: 10, voiceMin: 0, sms: 0 } });
      expect(half.bonuses[0]?.dataMb).toBe(1); // 0.5 → 1
      const none = quote(1000, [promo('d4', 'bonus_data_pct', 4)], { allowances: { dataMb: 12, voiceMin: 0, sms: 0 } });
      expect(none.bonuses).toEqual([]); // 0.48 → 0, omitted
    });

    it('grants extra validity days only to purchases that set the line’s validity', () => {
      const days = [promo('v7', 'bonus_validity_days', 7)];
      expect(quote(1000, days).bonuses).toEqual([{ promotionId: 'v7', title: expect.any(Object), validityDays: 7 }]);
      expect(quote(1000, days, { kind: 'bundle' }).bonuses[0]?.validityDays).toBe(7);
      expect(quote(1000, days, { kind: 'addon' }).bonuses).toEqual([]);
      expect(quote(1000, days, { kind: 'topup', allowances: null, validityDays: null }).bonuses).toEqual([]);
    });

    it('grants a first-recharge bonus only on the first recharge: wallet credit for a top-up, data for a plan', () => {
      const first = [promo('f10', 'first_recharge_bonus', 10)];
      const topup = { kind: 'topup' as PurchaseKind, allowances: null, validityDays: null, isFirstRecharge: true };
      expect(quote(2505, first, topup).bonuses).toEqual([
        { promotionId: 'f10', title: expect.any(Object), amount: money(251, 'USD') }, // 250.5 → 251
      ]);
      expect(quote(2505, first, topup).total.amountMinor).toBe(2505);
      expect(quote(1000, first, { isFirstRecharge: true }).bonuses[0]?.dataMb).toBe(102); // 102.4 → 102
      expect(quote(1000, first, { isFirstRecharge: false }).bonuses).toEqual([]);
    });

    it('sums the bonuses for crediting', () => {
      const q = quote(1000, [promo('d10', 'bonus_data_pct', 10), promo('f50', 'first_recharge_bonus', 50), promo('v3', 'bonus_validity_days', 3)], {
        isFirstRecharge: true,
      });
      expect(bonusTotals(q.bonuses, 'USD')).toEqual({ dataMb: 102 + 512, validityDays: 3, amount: money(0, 'USD') });
    });
  });

  describe('properties', () => {
    const kinds: PromotionKind[] = ['percent_off', 'amount_off', 'bonus_data_pct', 'bonus_validity_days', 'first_recharge_bonus'];
    const valueFor = (kind: PromotionKind): fc.Arbitrary<number> => {
      switch (kind) {
        case 'percent_off':
          return fc.integer({ min: 1, max: 10_000 }).map((bp) => bp / 100);
        case 'amount_off':
          return fc.integer({ min: 1, max: 1_000_000 });
        case 'bonus_data_pct':
          return fc.integer({ min: 1, max: 1000 });
        case 'bonus_validity_days':
          return fc.integer({ min: 1, max: 365 });
        case 'first_recharge_bonus':
          return fc.integer({ min: 1, max: 100 });
      }
    };
    const promotionsArb = (allowed: PromotionKind[]): fc.Arbitrary<Promotion[]> =>
      fc
        .array(fc.constantFrom(...allowed).chain((kind) => valueFor(kind).map((value) => ({ kind, value }))), { maxLength: 6 })
        .chain((specs) =>
          fc.shuffledSubarray(
            specs.map((s, i) => promo(`promo_${i}`, s.kind, s.value, i === 0 ? { couponCode: 'ONLY1' } : {})),
            { minLength: specs.length, maxLength: specs.length },
          ),
        );
    const inputArb = (allowed: PromotionKind[]) =>
      fc.record({
        subtotalMinor: fc.integer({ min: 0, max: 1e10 }),
        kind: fc.constantFrom<PurchaseKind>('base', 'addon', 'topup', 'bundle'),
        dataMb: fc.integer({ min: 0, max: 1_048_576 }),
        isFirstRecharge: fc.boolean(),
        promotions: promotionsArb(allowed),
      });
    const toInput = (r: { subtotalMinor: number; kind: PurchaseKind; dataMb: number; isFirstRecharge: boolean; promotions: Promotion[] }): QuoteInput => ({
      subtotal: money(r.subtotalMinor, 'USD'),
      kind: r.kind,
      allowances: r.kind === 'topup' ? null : { dataMb: r.dataMb, voiceMin: 100, sms: 10 },
      validityDays: r.kind === 'topup' ? null : 30,
      promotions: r.promotions,
      isFirstRecharge: r.isFirstRecharge,
    });

    it('never yields a negative total, and total = subtotal − Σ discounts ≤ subtotal exactly', () => {
      fc.assert(
        fc.property(inputArb(kinds), (r) => {
          const q = priceQuote(toInput(r));
          expect(q.total.amountMinor).toBeGreaterThanOrEqual(0);
          expect(q.total.amountMinor).toBeLessThanOrEqual(r.subtotalMinor);
          expect(BigInt(q.total.amountMinor)).toBe(BigInt(r.subtotalMinor) - sumMinor(q.discounts.map((d) => d.amount)));
          for (const d of q.discounts) expect(d.amount.amountMinor).toBeGreaterThan(0);
        }),
      );
    });

    it('with discounts only, each discount is its exact half-up amount unless the cap applies', () => {
      fc.assert(
        fc.property(inputArb(['percent_off', 'amount_off']), (r) => {
          const q = priceQuote(toInput(r));
          const subtotal = BigInt(r.subtotalMinor);
          const reference = r.promotions.map((p) =>
            p.kind === 'amount_off' ? BigInt(p.value) : (subtotal * BigInt(Math.round(p.value * 100)) * 2n + 10_000n) / 20_000n,
          );
          const raw = reference.reduce((a, b) => a + b, 0n);
          const given = sumMinor(q.discounts.map((d) => d.amount));
          expect(given).toBe(raw < subtotal ? raw : subtotal);
          expect(BigInt(q.total.amountMinor)).toBe(subtotal - given);
          if (raw <= subtotal) {
            for (const [i, p] of r.promotions.entries()) {
              const d = q.discounts.find((x) => x.promotionId === p.id);
              expect(BigInt(d?.amount.amountMinor ?? 0)).toBe(reference[i]);
            }
          }
        }),
      );
    });

    it('does not depend on the order of the promotions', () => {
      fc.assert(
        fc.property(
          inputArb(kinds).chain((r) =>
            fc.record({ r: fc.constant(r), reordered: fc.shuffledSubarray(r.promotions, { minLength: r.promotions.length, maxLength: r.promotions.length }) }),
          ),
          ({ r, reordered }) => {
            expect(priceQuote(toInput({ ...r, promotions: reordered }))).toEqual(priceQuote(toInput(r)));
          },
        ),
      );
    });

    it('never lets bonuses change the price, and rounds bonus data half-up exactly', () => {
      fc.assert(
        fc.property(inputArb(['bonus_data_pct', 'bonus_validity_days', 'first_recharge_bonus']), (r) => {
          const q = priceQuote(toInput(r));
          expect(q.discounts).toEqual([]);
          expect(q.total.amountMinor).toBe(r.subtotalMinor);
          for (const b of q.bonuses) {
            const p = r.promotions.find((x) => x.id === b.promotionId);
            if (p === undefined || b.dataMb === undefined) continue;
            expect(BigInt(b.dataMb)).toBe((BigInt(r.dataMb) * BigInt(p.value) * 2n + 100n) / 200n);
          }
        }),
      );
    });
  });
});

describe('pricing a custom bundle', () => {
  const modules: BundleModule[] = [
    { unit: 'data', blockSize: 512, blockPriceMinor: 150 },
    { unit: 'voice', blockSize: 50, blockPriceMinor: 100 },
    { unit: 'sms', blockSize: 100, blockPriceMinor: 80 },
  ];

  it('prices whole blocks: Σ blocks × block price', () => {
    const r = priceCustomBundle(modules, { dataMb: 2048, voiceMin: 100, sms: 0 }, 'USD');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.price).toEqual(money(4 * 150 + 2 * 100, 'USD'));
    expect(r.value.allowances).toEqual({ dataMb: 2048, voiceMin: 100, sms: 0 });
    expect(r.value.blocks.map((b) => [b.unit, b.blockCount])).toEqual([['data', 4], ['voice', 2]]);
  });

  it('refuses quantities that are not whole blocks, empty bundles, excess and unoffered units', () => {
    const invalid = { ok: false, code: 'invalid_bundle' };
    expect(priceCustomBundle(modules, { dataMb: 500, voiceMin: 0, sms: 0 }, 'USD')).toMatchObject(invalid);
    expect(priceCustomBundle(modules, { dataMb: 0, voiceMin: 0, sms: 0 }, 'USD')).toMatchObject(invalid);
    expect(priceCustomBundle(modules, { dataMb: BUNDLE_MAX_DATA_MB + 512, voiceMin: 0, sms: 0 }, 'USD')).toMatchObject(invalid);
    expect(priceCustomBundle(modules, { dataMb: -512, voiceMin: 0, sms: 0 }, 'USD')).toMatchObject(invalid);
    expect(priceCustomBundle(modules.slice(0, 1), { dataMb: 512, voiceMin: 50, sms: 0 }, 'USD')).toMatchObject(invalid);
    expect(priceCustomBundle([...modules, modules[0] as BundleModule], { dataMb: 512, voiceMin: 0, sms: 0 }, 'USD')).toMatchObject(invalid);
  });

  it('equals a bigint reference for any valid selection', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2048 }),
        fc.integer({ min: 0, max: 2000 }),
        fc.integer({ min: 0, max: 1000 }),
        fc.integer({ min: 0, max: 100_000 }),
        (dataBlocks, voiceBlocks, smsBlocks, priceMinor) => {
          const mods: BundleModule[] = [
            { unit: 'data', blockSize: 512, blockPriceMinor: priceMinor },
            { unit: 'voice', blockSize: 50, blockPriceMinor: priceMinor + 1 },
            { unit: 'sms', blockSize: 100, blockPriceMinor: 7 },
          ];
          const r = priceCustomBundle(mods, { dataMb: dataBlocks * 512, voiceMin: voiceBlocks * 50, sms: smsBlocks * 100 }, 'USD');
          if (dataBlocks + voiceBlocks + smsBlocks === 0) return expect(r.ok).toBe(false);
          const expected = BigInt(dataBlocks) * BigInt(priceMinor) + BigInt(voiceBlocks) * BigInt(priceMinor + 1) + BigInt(smsBlocks) * 7n;
          // Above the cap the selection is refused (see the next property); below it, priced exactly.
          if (expected > BigInt(PLAN_PRICE_MAX_MINOR)) {
            expect(r).toMatchObject({ ok: false, code: 'invalid_bundle' });
            return;
          }
          expect(r.ok).toBe(true);
          if (!r.ok) return;
          expect(BigInt(r.value.price.amountMinor)).toBe(expected);
        },
      ),
    );
  });

  it('refuses the audit\'s 1 TB of 1 MB blocks at the maximum block price instead of pricing it at ~$1 trillion', () => {
    const perMb: BundleModule[] = [{ unit: 'data', blockSize: 1, blockPriceMinor: BUNDLE_MAX_BLOCK_PRICE_MINOR }];
    expect(priceCustomBundle(perMb, { dataMb: BUNDLE_MAX_DATA_MB, voiceMin: 0, sms: 0 }, 'USD')).toMatchObject({ ok: false, code: 'invalid_bundle' });
    const cheap: BundleModule[] = [{ unit: 'data', blockSize: 1, blockPriceMinor: 1 }];
    expect(priceCustomBundle(cheap, { dataMb: BUNDLE_MAX_DATA_MB, voiceMin: 0, sms: 0 }, 'USD')).toMatchObject({ ok: true });
  });

  it('prices exactly at the cap and refuses one minor unit above it', () => {
    const mods: BundleModule[] = [
      { unit: 'data', blockSize: 1, blockPriceMinor: 100 },
      { unit: 'sms', blockSize: 1, blockPriceMinor: 1 },
    ];
    const atCap = priceCustomBundle(mods, { dataMb: 999_999, voiceMin: 0, sms: 100 }, 'USD');
    expect(atCap.ok && atCap.value.price.amountMinor).toBe(PLAN_PRICE_MAX_MINOR);
    expect(priceCustomBundle(mods, { dataMb: 999_999, voiceMin: 0, sms: 101 }, 'USD')).toMatchObject({ ok: false, code: 'invalid_bundle' });
  });

  it('never prices a bundle above PLAN_PRICE_MAX_MINOR, whatever the modules and the selection', () => {
    const unitModule = (unit: BundleModule['unit'], maxQuantity: number) =>
      fc.record({
        unit: fc.constant(unit),
        blockSize: fc.integer({ min: 1, max: maxQuantity }),
        blockPriceMinor: fc.integer({ min: 0, max: BUNDLE_MAX_BLOCK_PRICE_MINOR }),
      });
    fc.assert(
      fc.property(
        unitModule('data', BUNDLE_MAX_DATA_MB),
        unitModule('voice', BUNDLE_MAX_VOICE_MIN),
        unitModule('sms', BUNDLE_MAX_SMS),
        fc.integer({ min: 0, max: BUNDLE_MAX_DATA_MB }),
        fc.integer({ min: 0, max: BUNDLE_MAX_VOICE_MIN }),
        fc.integer({ min: 0, max: BUNDLE_MAX_SMS }),
        (data, voice, sms, dataBlocks, voiceBlocks, smsBlocks) => {
          // Whole blocks, clamped into each module's limit, so most selections are well-formed.
          const pick = (m: BundleModule, blocks: number, max: number): number => Math.min(blocks, Math.floor(max / m.blockSize)) * m.blockSize;
          const selection = {
            dataMb: pick(data, dataBlocks, BUNDLE_MAX_DATA_MB),
            voiceMin: pick(voice, voiceBlocks, BUNDLE_MAX_VOICE_MIN),
            sms: pick(sms, smsBlocks, BUNDLE_MAX_SMS),
          };
          const r = priceCustomBundle([data, voice, sms], selection, 'USD');
          const exact = [[data, selection.dataMb], [voice, selection.voiceMin], [sms, selection.sms]] as const;
          const expected = exact.reduce((total, [m, q]) => total + BigInt(q / m.blockSize) * BigInt(m.blockPriceMinor), 0n);
          if (r.ok) {
            expect(r.value.price.amountMinor).toBeLessThanOrEqual(PLAN_PRICE_MAX_MINOR);
            expect(BigInt(r.value.price.amountMinor)).toBe(expected);
          } else {
            expect(r.code).toBe('invalid_bundle');
            // Refused only for a reason: over the cap, or nothing chosen.
            expect(expected > BigInt(PLAN_PRICE_MAX_MINOR) || selection.dataMb + selection.voiceMin + selection.sms === 0).toBe(true);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
