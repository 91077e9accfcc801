// Promotions: what an operator may define (validatePromotionInput) and which promotions apply to
// one purchase (selectPromotions). Invariants: a stored coupon code is trimmed upper-case; a title
// always has an 'en' text; `value` is interpreted per kind (see PromotionKind) and only through
// integer math; at most ONE coupon promotion is ever selected for a purchase, and the selection is
// independent of the order of the input array (it is returned sorted by id).
import type { FieldError } from './errors.ts';
import { isKnownCurrency } from './money.ts';
import { fail, ok, type Result } from './result.ts';

/**
 * - `percent_off`: `value` is a percent, 0 < v ≤ 100, at most 2 decimals (12.5 = 12.5 %).
 * - `amount_off`: `value` is minor units (integer > 0) in the promotion's `currency`.
 * - `bonus_data_pct`: `value` is an integer percent 1..1000 of the plan's data allowance.
 * - `bonus_validity_days`: `value` is an integer count of extra days.
 * - `first_recharge_bonus`: `value` is an integer percent 1..100 granted on the line's first paid
 *   order: bonus data for a plan, bonus wallet credit for a top-up.
 */
export const PROMOTION_KINDS = ['percent_off', 'amount_off', 'bonus_data_pct', 'bonus_validity_days', 'first_recharge_bonus'] as const;
export type PromotionKind = (typeof PROMOTION_KINDS)[number];

export interface Promotion {
  readonly id: string;
  /** locale → text; 'en' is always present. The caller localizes (pickLocalized). */
  readonly title: Readonly<Record<string, string>>;
  readonly kind: PromotionKind;
  readonly value: number;
  /** Stored trimmed and upper-case; null for an automatic promotion. */
  readonly couponCode: string | null;
  /** null = every plan (and top-ups); a list = only those plans, never top-ups. */
  readonly planIds: readonly string[] | null;
  /** The window is half-open: [startsAt, endsAt). null = unbounded on that side. */
  readonly startsAt: Date | null;
  readonly endsAt: Date | null;
  readonly maxRedemptions: number | null;
  readonly perUserLimit: number | null;
  readonly active: boolean;
  /** Required for amount_off (the currency of `value`), null for every other kind. */
  readonly currency: string | null;
}

// Limits on what an operator can define; generous, but every field has one.
export const PROMOTION_TITLE_MAX_LENGTH = 120;
export const PROMOTION_TITLE_MAX_LOCALES = 20;
export const COUPON_CODE_MIN_LENGTH = 3;
export const COUPON_CODE_MAX_LENGTH = 32;
export const PROMOTION_MAX_PLAN_IDS = 200;
export const PROMOTION_AMOUNT_OFF_MAX_MINOR = 100_000_000;
export const BONUS_DATA_PCT_MAX = 1000;
export const BONUS_VALIDITY_DAYS_MAX = 365;
export const PROMOTION_MAX_REDEMPTIONS_MAX = 100_000_000;
export const BASIS_POINTS_PER_PERCENT = 100;

const COUPON_CODE_PATTERN = /^[A-Z0-9][A-Z0-9_-]*$/;
const LOCALE_PATTERN = /^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/;
// A percent with at most 2 decimals times 100 lands within float noise of an integer; anything
// further away had a third decimal.
const BASIS_POINT_TOLERANCE = 1e-6;

/** Upper-case, trimmed: the one canonical form used to store and to compare coupon codes. */
export function normalizeCouponCode(code: string): string {
  return code.trim().toUpperCase();
}

/**
 * A percent with at most two decimals as integer basis points (12.5 → 1250), or null when the
 * value is not such a percent in (0, 100]. Discounts are computed only from these integers.
 */
export function percentToBasisPoints(percent: number): number | null {
  if (!Number.isFinite(percent)) return null;
  const scaled = percent * BASIS_POINTS_PER_PERCENT;
  const basisPoints = Math.round(scaled);
  if (Math.abs(scaled - basisPoints) > BASIS_POINT_TOLERANCE) return null;
  if (basisPoints <= 0 || basisPoints > 100 * BASIS_POINTS_PER_PERCENT) return null;
  return basisPoints;
}

/** What an operator sends (POST, or a PATCH merged onto the stored promotion); types already parsed. */
export interface PromotionInput {
  readonly title: Readonly<Record<string, string>>;
  readonly kind: string;
  readonly value: number;
  readonly couponCode?: string | null;
  readonly planIds?: readonly string[] | null;
  readonly startsAt?: Date | null;
  readonly endsAt?: Date | null;
  readonly maxRedemptions?: number | null;
  readonly perUserLimit?: number | null;
  readonly active?: boolean;
  readonly currency?: string | null;
}

export type PromotionDraft = Omit<Promotion, 'id'>;

export type PromotionValidation =
  | { readonly ok: true; readonly value: PromotionDraft }
  | { readonly ok: false; readonly code: 'invalid_promotion'; readonly message: string; readonly errors: FieldError[] };

function isPromotionKind(kind: string): kind is PromotionKind {
  return (PROMOTION_KINDS as readonly string[]).includes(kind);
}

const isIntegerIn = (v: number, min: number, max: number): boolean => Number.isSafeInteger(v) && v >= min && v <= max;

function valueError(kind: PromotionKind, value: number): string | null {
  switch (kind) {
    case 'percent_off':
      return percentToBasisPoints(value) === null ? 'must be a percent 0 < v ≤ 100 with at most 2 decimals' : null;
    case 'amount_off':
      return isIntegerIn(value, 1, PROMOTION_AMOUNT_OFF_MAX_MINOR) ? null : 'must be a positive integer of minor units';
    case 'bonus_data_pct':
      return isIntegerIn(value, 1, BONUS_DATA_PCT_MAX) ? null : `must be an integer percent 1..${BONUS_DATA_PCT_MAX}`;
    case 'bonus_validity_days':
      return isIntegerIn(value, 1, BONUS_VALIDITY_DAYS_MAX) ? null : `must be an integer 1..${BONUS_VALIDITY_DAYS_MAX} days`;
    case 'first_recharge_bonus':
      return isIntegerIn(value, 1, 100) ? null : 'must be an integer percent 1..100';
  }
}

function titleErrors(title: Readonly<Record<string, string>>): FieldError[] {
  const errors: FieldError[] = [];
  const entries = Object.entries(title);
  if (typeof title.en !== 'string' || title.en.trim() === '') errors.push({ path: 'title.en', message: 'is required' });
  if (entries.length > PROMOTION_TITLE_MAX_LOCALES) {
    errors.push({ path: 'title', message: `at most ${PROMOTION_TITLE_MAX_LOCALES} locales` });
  }
  for (const [locale, text] of entries.slice(0, PROMOTION_TITLE_MAX_LOCALES)) {
    if (!LOCALE_PATTERN.test(locale)) errors.push({ path: `title.${locale}`, message: 'is not a locale tag' });
    else if (typeof text !== 'string' || text.trim() === '' || text.length > PROMOTION_TITLE_MAX_LENGTH) {
      errors.push({ path: `title.${locale}`, message: `must be 1..${PROMOTION_TITLE_MAX_LENGTH} characters` });
    }
  }
  return errors;
}

function couponError(code: string): string | null {
  if (code.length < COUPON_CODE_MIN_LENGTH || code.length > COUPON_CODE_MAX_LENGTH) {
    return `must be ${COUPON_CODE_MIN_LENGTH}..${COUPON_CODE_MAX_LENGTH} characters`;
  }
  return COUPON_CODE_PATTERN.test(code) ? null : 'may contain only letters, digits, "-" and "_"';
}

function planIdsErrors(planIds: readonly string[]): FieldError[] {
  // An empty list would be a promotion that applies to nothing: almost surely a mistake for null.
  if (planIds.length === 0) return [{ path: 'planIds', message: 'must not be empty (use null for all plans)' }];
  if (planIds.length > PROMOTION_MAX_PLAN_IDS) return [{ path: 'planIds', message: `at most ${PROMOTION_MAX_PLAN_IDS}` }];
  return planIds.flatMap((id, i) =>
    typeof id === 'string' && id.trim() !== '' ? [] : [{ path: `planIds.${i}`, message: 'must be a plan id' }],
  );
}

function limitError(limit: number | null): string | null {
  return limit === null || isIntegerIn(limit, 1, PROMOTION_MAX_REDEMPTIONS_MAX) ? null : 'must be a positive integer or null';
}

const isValidDate = (d: Date | null): boolean => d === null || (d instanceof Date && !Number.isNaN(d.getTime()));

/** Checks every rule at once so the operator sees all field errors together. */
export function validatePromotionInput(input: PromotionInput): PromotionValidation {
  const errors: FieldError[] = [...titleErrors(input.title)];
  const kind = isPromotionKind(input.kind) ? input.kind : null;
  if (kind === null) errors.push({ path: 'kind', message: `must be one of ${PROMOTION_KINDS.join(', ')}` });
  else {
    const message = valueError(kind, input.value);
    if (message !== null) errors.push({ path: 'value', message });
  }

  const currency = input.currency ?? null;
  if (kind === 'amount_off' && (currency === null || !isKnownCurrency(currency))) {
    errors.push({ path: 'currency', message: 'a supported currency is required for amount_off' });
  } else if (kind !== 'amount_off' && currency !== null) {
    errors.push({ path: 'currency', message: 'only amount_off promotions carry a currency' });
  }

  const rawCoupon = input.couponCode ?? null;
  const couponCode = rawCoupon === null ? null : normalizeCouponCode(rawCoupon);
  const couponMessage = couponCode === null ? null : couponError(couponCode);
  if (couponMessage !== null) errors.push({ path: 'couponCode', message: couponMessage });

  const planIds = input.planIds ?? null;
  if (planIds !== null) errors.push(...planIdsErrors(planIds));

  const startsAt = input.startsAt ?? null;
  const endsAt = input.endsAt ?? null;
  if (!isValidDate(startsAt)) errors.push({ path: 'startsAt', message: 'is not a valid time' });
  if (!isValidDate(endsAt)) errors.push({ path: 'endsAt', message: 'is not a valid time' });
  if (startsAt !== null && endsAt !== null && isValidDate(startsAt) && isValidDate(endsAt) && endsAt <= startsAt) {
    errors.push({ path: 'endsAt', message: 'must be after startsAt' });
  }

  const maxRedemptions = input.maxRedemptions ?? null;
  const perUserLimit = input.perUserLimit ?? null;
  const maxMessage = limitError(maxRedemptions);
  if (maxMessage !== null) errors.push({ path: 'maxRedemptions', message: maxMessage });
  const perUserMessage = limitError(perUserLimit);
  if (perUserMessage !== null) errors.push({ path: 'perUserLimit', message: perUserMessage });

  if (errors.length > 0 || kind === null) {
    return { ok: false, code: 'invalid_promotion', message: 'the promotion is invalid', errors };
  }
  return ok({
    title: { ...input.title },
    kind,
    value: input.value,
    couponCode,
    planIds: planIds === null ? null : [...new Set(planIds)],
    startsAt,
    endsAt,
    maxRedemptions,
    perUserLimit,
    active: input.active ?? true,
    currency,
  });
}

export type CouponError = 'invalid_coupon' | 'coupon_expired' | 'coupon_exhausted' | 'coupon_not_applicable';

export interface RedemptionCount {
  /** Redemptions of the promotion by everyone. */
  readonly total: number;
  /** Redemptions by the purchasing user. */
  readonly byUser: number;
}

export interface PromotionContext {
  /** null for a wallet top-up. */
  readonly planId: string | null;
  readonly couponCode: string | null;
  readonly now: Date;
  /** The line has no earlier paid order. */
  readonly isFirstRecharge: boolean;
  /** By promotion id; a missing entry means never redeemed. */
  readonly redemptions: ReadonlyMap<string, RedemptionCount>;
  /** The currency of the purchase. */
  readonly currency: string;
  /**
   * The purchase is stored value (a wallet top-up, by amount or as a top-up plan). Automatic
   * discounts never apply to it: 10 % off every purchase must not turn $9 into $10 of balance. A
   * coupon the operator scoped and limited still may.
   */
  readonly storedValue?: boolean;
}

/**
 * At most this many promotions shape one purchase, a coupon included; beyond it the oldest automatic
 * promotions (by id) win. The bound keeps a quote and the order placed with it identical, and the
 * redemptions an order reserves bounded.
 */
export const STACKED_PROMOTIONS_MAX = 10;

const isDiscount = (p: Promotion): boolean => p.kind === 'percent_off' || p.kind === 'amount_off';

const NO_REDEMPTIONS: RedemptionCount = { total: 0, byUser: 0 };

const inWindow = (p: Promotion, now: Date): boolean =>
  (p.startsAt === null || p.startsAt.getTime() <= now.getTime()) && (p.endsAt === null || now.getTime() < p.endsAt.getTime());

function inScope(p: Promotion, ctx: PromotionContext): boolean {
  if (p.planIds !== null && (ctx.planId === null || !p.planIds.includes(ctx.planId))) return false;
  // A top-up has no allowances and grants no validity, so these kinds have nothing to act on.
  if (ctx.planId === null && (p.kind === 'bonus_data_pct' || p.kind === 'bonus_validity_days')) return false;
  if (p.kind === 'first_recharge_bonus' && !ctx.isFirstRecharge) return false;
  return p.kind !== 'amount_off' || p.currency === ctx.currency;
}

function isExhausted(p: Promotion, ctx: PromotionContext): boolean {
  const used = ctx.redemptions.get(p.id) ?? NO_REDEMPTIONS;
  return (
    (p.maxRedemptions !== null && used.total >= p.maxRedemptions) ||
    (p.perUserLimit !== null && used.byUser >= p.perUserLimit)
  );
}

const byId = (a: Promotion, b: Promotion): number => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

function checkCoupon(p: Promotion, ctx: PromotionContext): Result<Promotion, CouponError> {
  // Precedence: a code outside its window is "expired" even if it would not fit this plan, since
  // that is the more useful answer; scope before limits, since an exhausted code for another plan
  // could never have worked.
  if (!inWindow(p, ctx.now)) {
    const notYet = p.startsAt !== null && ctx.now.getTime() < p.startsAt.getTime();
    return fail('coupon_expired', notYet ? 'the coupon is not valid yet' : 'the coupon has expired');
  }
  if (!inScope(p, ctx)) return fail('coupon_not_applicable', 'the coupon does not apply to this purchase');
  if (isExhausted(p, ctx)) return fail('coupon_exhausted', 'the coupon has been used up');
  return ok(p);
}

function selectCoupon(all: readonly Promotion[], code: string, ctx: PromotionContext): Result<Promotion, CouponError> {
  // A deactivated coupon answers like an unknown one: the operator withdrew it.
  const candidates = all.filter((p) => p.active && p.couponCode !== null && normalizeCouponCode(p.couponCode) === code);
  if (candidates.length === 0) return fail('invalid_coupon', 'unknown coupon code');
  // The catalog keeps codes unique among active promotions; should two share one anyway, the
  // first usable by id wins so the answer never depends on input order.
  const checks = [...candidates].sort(byId).map((p) => checkCoupon(p, ctx));
  const usable = checks.find((c) => c.ok);
  return usable ?? checks[0] ?? fail('invalid_coupon', 'unknown coupon code');
}

/**
 * The promotions that apply to one purchase, sorted by id: every automatic promotion (active, no
 * coupon, in its window, in scope, under its limits — exhausted ones are silently skipped) plus
 * at most one coupon promotion matching `ctx.couponCode` (trimmed, case-insensitive). A coupon
 * that does not apply fails the whole selection with a specific code so the subscriber is told.
 */
export function selectPromotions(
  all: readonly Promotion[],
  ctx: PromotionContext,
): Result<Promotion[], CouponError> {
  const automatic = all
    .filter((p) => p.active && p.couponCode === null && inWindow(p, ctx.now) && inScope(p, ctx) && !isExhausted(p, ctx))
    .filter((p) => !(ctx.storedValue && isDiscount(p)))
    .sort(byId);
  const code = ctx.couponCode === null ? '' : normalizeCouponCode(ctx.couponCode);
  if (code === '') return ok(automatic.slice(0, STACKED_PROMOTIONS_MAX));
  const coupon = selectCoupon(all, code, ctx);
  if (!coupon.ok) return coupon;
  return ok([...automatic.slice(0, STACKED_PROMOTIONS_MAX - 1), coupon.value].sort(byId));
}
