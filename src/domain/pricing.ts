// Pricing: the quote for one purchase (priceQuote) and the computed price of a custom bundle
// (priceCustomBundle). Invariants: total = subtotal − Σ discounts exactly, 0 ≤ total ≤ subtotal;
// every amount is integer minor units through money.ts (percentages half-up to the minor unit);
// the result does not depend on the order of the promotions array; bonuses never change the price.
//
// Stacking rules:
//  1. At most one coupon is present (selectPromotions guarantees it); automatic promotions stack.
//  2. Every percent_off is computed on the SUBTOTAL, never on an already discounted amount, so
//     percentages add up instead of compounding and their order cannot matter.
//  3. amount_off discounts add up (same currency as the subtotal, checked by selectPromotions).
//  4. The discount sum is capped at the subtotal. The excess is taken back in the canonical
//     order — amount_off before percent_off, then by promotion id — so the capped result is
//     deterministic. Discounts reduced to zero (or zero from the start) are omitted.
//  5. Bonuses (data, validity days, first-recharge credit) are listed separately and never
//     change the price. first_recharge_bonus counts only when isFirstRecharge.
//  Titles pass through as the promotion's locale map; the caller localizes with pickLocalized,
//  so a stored quote can be shown in any language.
import { invariant } from './invariant.ts';
import { isZero, max, min, money, mulDivHalfUp, percentOf, subtract, sum, zero, type Money } from './money.ts';
import { percentToBasisPoints, type Promotion, type PromotionKind } from './promotion.ts';
import { fail, ok, type Result } from './result.ts';

export type PurchaseKind = 'base' | 'addon' | 'topup' | 'bundle';
/** What a quote or an order buys: a plan (base, add-on or bundle) or a wallet top-up (orders.kind, quotes.kind). */
export const ORDER_KINDS = ['plan', 'topup'] as const;
export type OrderKind = (typeof ORDER_KINDS)[number];

export interface Allowances {
  readonly dataMb: number;
  readonly voiceMin: number;
  readonly sms: number;
}

export interface QuoteInput {
  readonly subtotal: Money;
  readonly kind: PurchaseKind;
  /** null for a top-up. */
  readonly allowances: Allowances | null;
  /** null for a top-up. */
  readonly validityDays: number | null;
  /** As returned by selectPromotions. */
  readonly promotions: readonly Promotion[];
  readonly isFirstRecharge: boolean;
}

interface QuoteDiscount {
  readonly promotionId: string;
  readonly title: Readonly<Record<string, string>>;
  readonly amount: Money;
}

export interface QuoteBonus {
  readonly promotionId: string;
  readonly title: Readonly<Record<string, string>>;
  readonly dataMb?: number;
  readonly validityDays?: number;
  /** Bonus wallet credit (first recharge of a top-up). */
  readonly amount?: Money;
}

export interface PriceQuote {
  readonly subtotal: Money;
  readonly discounts: QuoteDiscount[];
  readonly bonuses: QuoteBonus[];
  readonly total: Money;
}

// The canonical order: discounts capped in this order, and both lists returned in it.
const KIND_RANK: Readonly<Record<PromotionKind, number>> = {
  amount_off: 0,
  percent_off: 1,
  bonus_data_pct: 2,
  bonus_validity_days: 3,
  first_recharge_bonus: 4,
};

function canonicalOrder(a: Promotion, b: Promotion): number {
  const rank = KIND_RANK[a.kind] - KIND_RANK[b.kind];
  if (rank !== 0) return rank;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** `percent` % of `quantity`, rounded half-up to a whole unit; integer math in bigint. */
function percentOfQuantityHalfUp(quantity: number, percent: number): number {
  invariant(Number.isSafeInteger(quantity) && quantity >= 0, `bad quantity ${quantity}`);
  invariant(Number.isSafeInteger(percent) && percent >= 0, `bad percent ${percent}`);
  return Number((BigInt(quantity) * BigInt(percent) * 2n + 100n) / 200n);
}

function rawDiscount(p: Promotion, subtotal: Money): Money | null {
  if (p.kind === 'percent_off') {
    const basisPoints = percentToBasisPoints(p.value);
    invariant(basisPoints !== null, `promotion ${p.id} has an invalid percent ${p.value}`);
    return percentOf(subtotal, basisPoints);
  }
  if (p.kind === 'amount_off') {
    invariant(p.currency === subtotal.currency, `promotion ${p.id} is in ${p.currency}, not ${subtotal.currency}`);
    return money(p.value, subtotal.currency);
  }
  return null;
}

/** Takes the excess over the subtotal back from the discounts in their (canonical) order. */
function capDiscounts(discounts: readonly QuoteDiscount[], subtotal: Money): QuoteDiscount[] {
  let excess = subtract(sum(discounts.map((d) => d.amount), subtotal.currency), subtotal);
  const capped: QuoteDiscount[] = [];
  for (const d of discounts) {
    const takeBack = min(max(excess, zero(subtotal.currency)), d.amount);
    excess = subtract(excess, takeBack);
    capped.push({ ...d, amount: subtract(d.amount, takeBack) });
  }
  return capped.filter((d) => !isZero(d.amount));
}

function bonusFor(p: Promotion, input: QuoteInput): QuoteBonus | null {
  const base = { promotionId: p.id, title: p.title };
  const planDataMb = input.kind === 'topup' ? 0 : (input.allowances?.dataMb ?? 0);
  switch (p.kind) {
    case 'bonus_data_pct': {
      const dataMb = percentOfQuantityHalfUp(planDataMb, p.value);
      return dataMb > 0 ? { ...base, dataMb } : null;
    }
    case 'bonus_validity_days':
      // Only a purchase that sets the line's validity can be extended; add-ons never do.
      return (input.kind === 'base' || input.kind === 'bundle') && input.validityDays !== null
        ? { ...base, validityDays: p.value }
        : null;
    case 'first_recharge_bonus': {
      if (!input.isFirstRecharge) return null;
      if (input.kind === 'topup') {
        const amount = percentOf(input.subtotal, p.value * 100);
        return amount.amountMinor > 0 ? { ...base, amount } : null;
      }
      const dataMb = percentOfQuantityHalfUp(planDataMb, p.value);
      return dataMb > 0 ? { ...base, dataMb } : null;
    }
    default:
      return null;
  }
}

/** The price breakdown of one purchase; see the stacking rules at the top of this file. */
export function priceQuote(input: QuoteInput): PriceQuote {
  const { subtotal } = input;
  invariant(subtotal.amountMinor >= 0, 'a subtotal is never negative');
  const ids = new Set(input.promotions.map((p) => p.id));
  invariant(ids.size === input.promotions.length, 'a promotion is listed twice');
  invariant(input.promotions.filter((p) => p.couponCode !== null).length <= 1, 'at most one coupon applies');

  const ordered = [...input.promotions].sort(canonicalOrder);
  const discounts: QuoteDiscount[] = [];
  const bonuses: QuoteBonus[] = [];
  for (const p of ordered) {
    const amount = rawDiscount(p, subtotal);
    if (amount !== null) discounts.push({ promotionId: p.id, title: p.title, amount });
    const bonus = bonusFor(p, input);
    if (bonus !== null) bonuses.push(bonus);
  }
  const capped = capDiscounts(discounts, subtotal);
  const total = subtract(subtotal, sum(capped.map((d) => d.amount), subtotal.currency));
  invariant(total.amountMinor >= 0 && total.amountMinor <= subtotal.amountMinor, 'total out of range');
  return { subtotal, discounts: capped, bonuses, total };
}

/** The bonuses of a quote summed, as plan crediting and wallet crediting need them. */
export function bonusTotals(
  bonuses: readonly QuoteBonus[],
  currency: string,
): { dataMb: number; validityDays: number; amount: Money } {
  let dataMb = 0;
  let validityDays = 0;
  const amounts: Money[] = [];
  for (const b of bonuses) {
    dataMb += b.dataMb ?? 0;
    validityDays += b.validityDays ?? 0;
    if (b.amount !== undefined) amounts.push(b.amount);
  }
  return { dataMb, validityDays, amount: amounts.length > 0 ? sum(amounts, currency) : zero(currency) };
}

// ---- Custom bundles ---------------------------------------------------------------------------

export type AllowanceUnit = 'data' | 'voice' | 'sms';

export interface BundleModule {
  readonly unit: AllowanceUnit;
  /** MB, minutes or messages per block. */
  readonly blockSize: number;
  readonly blockPriceMinor: number;
}

interface BundleBlock {
  readonly unit: AllowanceUnit;
  readonly blockSize: number;
  readonly blockCount: number;
  readonly blockPriceMinor: number;
  readonly price: Money;
}

export interface BundlePrice {
  readonly price: Money;
  readonly allowances: Allowances;
  readonly blocks: BundleBlock[];
}

/**
 * The most any plan may cost, a fixed price or a custom bundle's computed one (1,000,000.00 in a
 * two-decimal currency): a bound on every amount a catalog purchase can put on an order.
 */
export const PLAN_PRICE_MAX_MINOR = 100_000_000;

// Upper bounds on what one bundle may hold, per module (they also bound the block count).
export const BUNDLE_MAX_DATA_MB = 1_048_576; // 1 TB
export const BUNDLE_MAX_VOICE_MIN = 100_000;
export const BUNDLE_MAX_SMS = 100_000;
export const BUNDLE_MAX_BLOCK_PRICE_MINOR = 100_000_000;

const SELECTION_FIELD: Readonly<Record<AllowanceUnit, keyof Allowances>> = { data: 'dataMb', voice: 'voiceMin', sms: 'sms' };
const SELECTION_MAX: Readonly<Record<AllowanceUnit, number>> = {
  data: BUNDLE_MAX_DATA_MB,
  voice: BUNDLE_MAX_VOICE_MIN,
  sms: BUNDLE_MAX_SMS,
};
const UNITS: readonly AllowanceUnit[] = ['data', 'voice', 'sms'];

function moduleError(m: BundleModule): string | null {
  if (!Number.isSafeInteger(m.blockSize) || m.blockSize <= 0) return `${m.unit} module: block size must be a positive integer`;
  if (!Number.isSafeInteger(m.blockPriceMinor) || m.blockPriceMinor < 0 || m.blockPriceMinor > BUNDLE_MAX_BLOCK_PRICE_MINOR) {
    return `${m.unit} module: block price must be a non-negative integer of minor units`;
  }
  return null;
}

/**
 * The price of a custom bundle: Σ blocks × block price. Computed on every quote, never stored,
 * so a module price change applies to the next quote. Each selected quantity must be a whole
 * number of its module's blocks, within its limit (BUNDLE_MAX_DATA_MB, BUNDLE_MAX_VOICE_MIN,
 * BUNDLE_MAX_SMS), the bundle must hold something, and the total is at most PLAN_PRICE_MAX_MINOR.
 */
export function priceCustomBundle(
  modules: readonly BundleModule[],
  selection: Allowances,
  currency: string,
): Result<BundlePrice, 'invalid_bundle'> {
  const byUnit = new Map<AllowanceUnit, BundleModule>();
  for (const m of modules) {
    if (byUnit.has(m.unit)) return fail('invalid_bundle', `two modules for ${m.unit}`);
    const error = moduleError(m);
    if (error !== null) return fail('invalid_bundle', error);
    byUnit.set(m.unit, m);
  }
  const blocks: BundleBlock[] = [];
  for (const unit of UNITS) {
    const field = SELECTION_FIELD[unit];
    const quantity = selection[field];
    if (!Number.isSafeInteger(quantity) || quantity < 0) return fail('invalid_bundle', `${field} must be a whole number`);
    if (quantity === 0) continue;
    if (quantity > SELECTION_MAX[unit]) return fail('invalid_bundle', `${field} is at most ${SELECTION_MAX[unit]}`);
    const module = byUnit.get(unit);
    if (module === undefined) return fail('invalid_bundle', `${unit} is not offered in bundles`);
    if (quantity % module.blockSize !== 0) {
      return fail('invalid_bundle', `${field} must be a multiple of ${module.blockSize}`);
    }
    const blockCount = quantity / module.blockSize;
    const price = mulDivHalfUp(money(module.blockPriceMinor, currency), blockCount, 1); // exact: ÷ 1
    blocks.push({ unit, blockSize: module.blockSize, blockCount, blockPriceMinor: module.blockPriceMinor, price });
  }
  if (blocks.length === 0) return fail('invalid_bundle', 'a bundle holds at least one unit');
  const price = sum(blocks.map((b) => b.price), currency);
  // Each block price and quantity is bounded, their product is not: 1 TB of 1 MB blocks would be a
  // trillion-dollar order.
  if (price.amountMinor > PLAN_PRICE_MAX_MINOR) {
    return fail('invalid_bundle', `a bundle costs at most ${PLAN_PRICE_MAX_MINOR} minor units; choose less`);
  }
  return ok({
    price,
    allowances: { dataMb: selection.dataMb, voiceMin: selection.voiceMin, sms: selection.sms },
    blocks,
  });
}

/**
 * The smallest selection a bundle sells: one block of its cheapest module (ties go to data, then
 * voice, then SMS). The catalog lists a bundle at this selection's price and allowances.
 */
export function minimumBundleSelection(modules: readonly BundleModule[], currency: string): Result<BundlePrice, 'invalid_bundle'> {
  let cheapest: BundleModule | null = null;
  for (const unit of UNITS) {
    const m = modules.find((x) => x.unit === unit);
    if (m !== undefined && (cheapest === null || m.blockPriceMinor < cheapest.blockPriceMinor)) cheapest = m;
  }
  if (cheapest === null) return fail('invalid_bundle', 'a bundle needs at least one module');
  const selection = { dataMb: 0, voiceMin: 0, sms: 0, [SELECTION_FIELD[cheapest.unit]]: cheapest.blockSize };
  return priceCustomBundle(modules, selection, currency);
}
