// Pricing one purchase — a plan (a bundle with its selection) or a wallet top-up — for a quote or
// an order: the plan must be for sale to this line, the promotions are selected by the domain
// rules (a coupon that gives nothing is refused), and the preview is what crediting will do,
// computed by the very same pure function.
import type { Queryable } from '../../db/types.ts';
import { DomainError, notFound, validation, type FieldError } from '../../domain/errors.ts';
import { isKnownCurrency, money, type Money } from '../../domain/money.ts';
import { bucketPreview, planCredit, toWholeUnits } from '../../domain/plan-credit.ts';
import {
  PLAN_PRICE_MAX_MINOR, bonusTotals, priceCustomBundle, priceQuote, type Allowances, type BundlePrice, type PriceQuote,
} from '../../domain/pricing.ts';
import { normalizeCouponCode, selectPromotions, type CouponError, type Promotion } from '../../domain/promotion.ts';
import { getCarrier, getLineCreditState, getOwnedLine, topupExpiry, type LineCreditState, type OwnedLine } from '../lines/service.ts';
import { snapshotOf, type PlanSnapshot } from './listed-plan.ts';
import { isFirstRecharge } from './redemptions.ts';
import { cachedPlanAndPromotions } from './cache.ts';
import { findCandidatePromotions, findPlan, findPlanAndCandidatePromotions, redemptionCounts, type Plan, type StoredPromotion } from './store.ts';
import type { QuoteView } from './schemas.ts';

export interface PricedPurchase {
  quoteId: string | null;
  lineId: string;
  kind: 'plan' | 'topup';
  plan: PlanSnapshot | null;
  subtotal: Money;
  discounts: Array<{ promotionId: string; title: Record<string, string>; amount: Money }>;
  bonuses: Array<{ promotionId: string; title: Record<string, string>; dataMb?: number; validityDays?: number; amount?: Money }>;
  total: Money;
  promotionIds: string[];
  bonus: { dataMb: number; validityDays: number; walletCredit: Money };
}

export interface PurchaseRequest {
  userId: string;
  lineId: string;
  quoteId?: string;
  planId?: string;
  topupAmount?: Money;
  bundle?: { dataMb: number; voiceMin: number; sms: number };
  couponCode?: string;
}

const COUPON_ERROR_KIND: Readonly<Record<CouponError, 'validation' | 'conflict'>> = {
  invalid_coupon: 'validation',
  coupon_expired: 'validation',
  coupon_exhausted: 'conflict',
  coupon_not_applicable: 'validation',
};

interface PurchaseItem {
  kind: 'plan' | 'topup';
  plan: PlanSnapshot | null;
  subtotal: Money;
  /** A custom bundle's blocks, for the quote's breakdown. */
  bundle: BundlePrice | null;
}

function assertApplicable(plan: Plan, line: OwnedLine): void {
  if (plan.carriers !== null && !plan.carriers.includes(line.carrierCode)) {
    throw validation('plan_not_applicable', `this plan is not sold for ${line.carrierCode} lines`);
  }
  // The catalog hides a plan whose coverage misses the line's region; buying it by id is refused too.
  if (!plan.regions.includes(line.region)) {
    throw validation('plan_not_applicable', `this plan does not cover ${line.region}, this line's region`);
  }
  // A top-up plan credits the wallet, which is kept in the line's currency.
  if (plan.kind === 'topup' && plan.currency !== line.currency) {
    throw validation('currency_mismatch', `this line's wallet is in ${line.currency}, the top-up in ${plan.currency}`);
  }
}

function bundleSnapshot(plan: Plan, selection: Allowances | undefined): { snapshot: PlanSnapshot; bundle: BundlePrice | null } {
  if (plan.kind !== 'bundle') {
    if (selection !== undefined) throw validation('invalid_bundle', 'only a bundle plan takes a bundle selection');
    return { snapshot: snapshotOf(plan, null), bundle: null };
  }
  if (selection === undefined) throw validation('bundle_selection_required', 'choose the bundle\'s dataMb, voiceMin and sms');
  const priced = priceCustomBundle(plan.bundleModules ?? [], selection, plan.currency);
  if (!priced.ok) throw validation(priced.code, priced.message, [{ path: 'bundle', message: priced.message }]);
  return { snapshot: snapshotOf(plan, { price: priced.value.price, allowances: priced.value.allowances }), bundle: priced.value };
}

/** Where a top-up amount sits in the request body: `amount` on POST /quotes, `topupAmount` on POST /orders. */
export type AmountField = 'amount' | 'topupAmount';

function amountErrors(amount: Money, field: AmountField): FieldError[] {
  const errors: FieldError[] = [];
  if (!Number.isSafeInteger(amount.amountMinor) || amount.amountMinor <= 0 || amount.amountMinor > PLAN_PRICE_MAX_MINOR) {
    errors.push({ path: `${field}.amount`, message: `must be a positive integer of minor units, at most ${PLAN_PRICE_MAX_MINOR}` });
  }
  if (!isKnownCurrency(amount.currency)) errors.push({ path: `${field}.currency`, message: 'is not a supported ISO 4217 currency' });
  return errors;
}

/** The plan and candidate promotions when they were read together (findPlanAndCandidatePromotions). */
type Prefetched = { plan: Plan | null; promotions: StoredPromotion[] } | null;

async function purchaseItem(
  db: Queryable, line: OwnedLine, request: PurchaseRequest, amountField: AmountField, prefetched: Prefetched,
): Promise<PurchaseItem> {
  if (request.planId !== undefined) {
    if (request.topupAmount !== undefined) throw validation('invalid_purchase', 'give a planId or a top-up amount, not both');
    const plan = prefetched ? prefetched.plan : await findPlan(db, request.planId);
    // An inactive plan is not for sale: to a subscriber it does not exist.
    if (!plan || !plan.active) throw notFound('plan_not_found', 'no such plan');
    assertApplicable(plan, line);
    const { snapshot, bundle } = bundleSnapshot(plan, request.bundle);
    return { kind: plan.kind === 'topup' ? 'topup' : 'plan', plan: snapshot, subtotal: snapshot.price, bundle };
  }
  const amount = request.topupAmount;
  if (amount === undefined) throw validation('invalid_purchase', 'give a planId or a top-up amount');
  const errors = amountErrors(amount, amountField);
  if (errors.length > 0) throw validation('invalid_amount', 'a top-up is a positive integer of minor units in a supported currency', errors);
  if (amount.currency !== line.currency) {
    throw validation('currency_mismatch', `this line's wallet is in ${line.currency}, not ${amount.currency}`);
  }
  return { kind: 'topup', plan: null, subtotal: money(amount.amountMinor, amount.currency), bundle: null };
}

/** The coupon code as candidates are looked up by: normalized, and none when empty. */
function couponLookup(request: PurchaseRequest): string | null {
  const code = request.couponCode === undefined ? null : normalizeCouponCode(request.couponCode);
  return code === '' ? null : code;
}

async function selectFor(
  db: Queryable, now: Date, item: PurchaseItem, request: PurchaseRequest, firstRecharge: boolean, prefetched: Prefetched,
): Promise<Promotion[]> {
  const code = request.couponCode === undefined ? null : normalizeCouponCode(request.couponCode);
  const candidates = prefetched ? prefetched.promotions : await findCandidatePromotions(db, couponLookup(request));
  const selected = selectPromotions(candidates, {
    planId: item.plan?.id ?? null, couponCode: code, now, isFirstRecharge: firstRecharge,
    redemptions: await redemptionCounts(db, request.userId, candidates), currency: item.subtotal.currency,
    storedValue: item.plan === null || item.plan.kind === 'topup',
  });
  if (!selected.ok) throw new DomainError(COUPON_ERROR_KIND[selected.code], selected.code, selected.message);
  return selected.value;
}

function pricedPurchase(quoteId: string | null, lineId: string, item: PurchaseItem, quote: PriceQuote): PricedPurchase {
  const currency = quote.subtotal.currency;
  const totals = bonusTotals(quote.bonuses, currency);
  const copyTitle = (t: Readonly<Record<string, string>>): Record<string, string> => ({ ...t });
  const discounts = quote.discounts.map((d) => ({ promotionId: d.promotionId, title: copyTitle(d.title), amount: d.amount }));
  const bonuses = quote.bonuses.map((b) => ({ ...b, title: copyTitle(b.title) }));
  // Only promotions that gave something are redeemed: a coupon that changed nothing is not used up.
  const promotionIds = [...new Set([...discounts, ...bonuses].map((x) => x.promotionId))].sort();
  return {
    quoteId, lineId, kind: item.kind, plan: item.plan, subtotal: quote.subtotal, discounts, bonuses, total: quote.total, promotionIds,
    bonus: { dataMb: totals.dataMb, validityDays: totals.validityDays, walletCredit: totals.amount },
  };
}

export async function priceAfresh(
  db: Queryable, now: Date, request: PurchaseRequest, amountField: AmountField, known: { line?: OwnedLine } = {},
): Promise<{ priced: PricedPurchase; line: OwnedLine; bundle: BundlePrice | null }> {
  const line = await ownedLine(db, request, known.line);
  // Buying a plan: the plan and the candidate promotions in one read, or none (the catalog cache).
  const planId = request.topupAmount === undefined ? request.planId : undefined;
  const couponCode = couponLookup(request);
  const prefetched = planId === undefined
    ? null
    : await cachedPlanAndPromotions(db, planId, couponCode, () => findPlanAndCandidatePromotions(db, planId, couponCode));
  const item = await purchaseItem(db, line, request, amountField, prefetched);
  const firstRecharge = await isFirstRecharge(db, line);
  const promotions = await selectFor(db, now, item, request, firstRecharge, prefetched);
  const quote = priceQuote({
    subtotal: item.subtotal, kind: item.plan?.kind ?? 'topup', allowances: item.plan?.allowances ?? null,
    validityDays: item.plan?.validityDays ?? null, promotions, isFirstRecharge: firstRecharge,
  });
  const priced = pricedPurchase(null, line.id, item, quote);
  // selectPromotions scopes by plan, not by what a kind can act on: a validity coupon on an
  // add-on would be accepted and silently give nothing. The subscriber is told instead.
  const coupon = promotions.find((p) => p.couponCode !== null);
  if (coupon && !priced.promotionIds.includes(coupon.id)) {
    throw validation('coupon_not_applicable', 'the coupon gives nothing on this purchase');
  }
  return { priced, line, bundle: item.bundle };
}

/** The request's line, unless the caller read it (as this user's) in this request already. */
export async function ownedLine(db: Queryable, request: PurchaseRequest, known: OwnedLine | undefined): Promise<OwnedLine> {
  if (known !== undefined && known.id === request.lineId && known.userId === request.userId) return known;
  return getOwnedLine(db, request.userId, request.lineId);
}

/** A top-up's effect on the expiry, by the very rule crediting applies (lines' topupExpiry). */
async function expiryAfterTopup(db: Queryable, line: OwnedLine, expiresAt: Date | null, now: Date): Promise<Date | null> {
  return topupExpiry(await getCarrier(db, line.carrierCode), expiresAt, now) ?? expiresAt;
}

/**
 * What the purchase does to the line, exactly as crediting will compute it (same pure function).
 * `known`: the line's credit state, read in this request with the line (assertLineRechargeable).
 */
export async function creditPreview(
  db: Queryable, now: Date, line: OwnedLine, priced: PricedPurchase, known?: LineCreditState,
): Promise<QuoteView['preview']> {
  const sameLine = priced.lineId === line.id;
  const state = sameLine && known ? known : await getLineCreditState(db, priced.lineId, now, sameLine ? { expiresAt: line.expiresAt } : undefined);
  const plan = priced.plan;
  const input = {
    now,
    line: { expiresAt: state.expiresAt, buckets: state.buckets },
    plan: plan && plan.kind !== 'topup'
      ? { kind: plan.kind, validityDays: plan.validityDays, allowances: plan.allowances, expiryPolicy: plan.expiryPolicy }
      : { kind: 'topup' as const, validityDays: 0, allowances: { dataMb: 0, voiceMin: 0, sms: 0 }, expiryPolicy: 'extend' as const },
    bonus: { dataMb: priced.bonus.dataMb, validityDays: priced.bonus.validityDays },
  };
  const credit = planCredit(input);
  if (!credit.ok) throw validation(credit.code, credit.message);
  const preview = bucketPreview(input, credit.value);
  const expiresAt = input.plan.kind === 'topup' ? await expiryAfterTopup(db, line, state.expiresAt, now) : preview.expiresAt;
  return {
    expiresAt: expiresAt?.toISOString() ?? null,
    buckets: preview.buckets.map((b) => ({
      unit: b.unit, quantity: toWholeUnits(b.unit, b.remaining), expiresAt: b.expiresAt.toISOString(), source: b.source,
    })),
  };
}
