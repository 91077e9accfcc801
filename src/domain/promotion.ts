// Promotions: what an operator may define (validatePromotionInput) and which promotions apply to
// one purchase (selectPromotions). Invariants: a stored coupon code is trimmed upper-case; a title
// always has an 'en' text; `value` is interpreted per kind (see PromotionKind) and only through
// integer math; at most ONE coupon promotion is ever selected for a purchase, and the selection is
// independent of the order of the input array (it is returned sorted by id).
import { z } from 'zod';
import { fieldErrorsOf, type FieldError } from './errors.ts';
import { localizedTextRule } from './localized-text.ts';
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
const PROMOTION_TITLE_MAX_LENGTH = 120;
const PROMOTION_TITLE_MAX_LOCALES = 20;
const COUPON_CODE_MIN_LENGTH = 3;
const COUPON_CODE_MAX_LENGTH = 32;
const PROMOTION_MAX_PLAN_IDS = 200;
const PROMOTION_AMOUNT_OFF_MAX_MINOR = 100_000_000;
const BONUS_DATA_PCT_MAX = 1000;
const BONUS_VALIDITY_DAYS_MAX = 365;
const PROMOTION_MAX_REDEMPTIONS_MAX = 100_000_000;
const BASIS_POINTS_PER_PERCENT = 100;

const COUPON_CODE_PATTERN = /^[A-Z0-9][A-Z0-9_-]*$/;
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

type PromotionDraft = Omit<Promotion, 'id'>;

export type PromotionValidation =
  | { readonly ok: true; readonly value: PromotionDraft }
  | { readonly ok: false; readonly code: 'invalid_promotion'; readonly message: string; readonly errors: FieldError[] };

const isSafeInteger = (v: number): boolean => Number.isSafeInteger(v);
const wholeIn = (min: number, max: number, message: string): z.ZodNumber =>
  z.number().refine(isSafeInteger, message).refine((v) => v >= min && v <= max, message);
const noCurrency = z.null({ error: 'only amount_off promotions carry a currency' });

/** What `value` means per kind (see PromotionKind), and the currency only an amount_off carries. */
const promotionValueRule = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('percent_off'),
    value: z.number().refine((v) => percentToBasisPoints(v) !== null, 'must be a percent 0 < v ≤ 100 with at most 2 decimals'),
    currency: noCurrency,
  }),
  z.object({
    kind: z.literal('amount_off'),
    value: wholeIn(1, PROMOTION_AMOUNT_OFF_MAX_MINOR, 'must be a positive integer of minor units'),
    currency: z.string({ error: 'a supported currency is required for amount_off' }).refine(isKnownCurrency, 'a supported currency is required for amount_off'),
  }),
  z.object({ kind: z.literal('bonus_data_pct'), value: wholeIn(1, BONUS_DATA_PCT_MAX, `must be an integer percent 1..${BONUS_DATA_PCT_MAX}`), currency: noCurrency }),
  z.object({ kind: z.literal('bonus_validity_days'), value: wholeIn(1, BONUS_VALIDITY_DAYS_MAX, `must be an integer 1..${BONUS_VALIDITY_DAYS_MAX} days`), currency: noCurrency }),
  z.object({ kind: z.literal('first_recharge_bonus'), value: wholeIn(1, 100, 'must be an integer percent 1..100'), currency: noCurrency }),
], { error: `must be one of ${PROMOTION_KINDS.join(', ')}` });

const redemptionLimit = wholeIn(1, PROMOTION_MAX_REDEMPTIONS_MAX, 'must be a positive integer or null').nullable();

/** Every field but the kind-dependent ones and the window. */
const promotionFieldsRule = z.object({
  title: localizedTextRule({ maxLength: PROMOTION_TITLE_MAX_LENGTH, maxLocales: PROMOTION_TITLE_MAX_LOCALES, required: true }),
  // Stored, and compared, in its canonical form.
  couponCode: z.string().trim().toUpperCase()
    .refine((c) => c.length >= COUPON_CODE_MIN_LENGTH && c.length <= COUPON_CODE_MAX_LENGTH, `must be ${COUPON_CODE_MIN_LENGTH}..${COUPON_CODE_MAX_LENGTH} characters`)
    .refine((c) => COUPON_CODE_PATTERN.test(c), 'may contain only letters, digits, "-" and "_"')
    .nullable(),
  // An empty list would be a promotion that applies to nothing: almost surely a mistake for null.
  planIds: z.array(z.string().refine((id) => id.trim() !== '', 'must be a plan id'))
    .min(1, 'must not be empty (use null for all plans)').max(PROMOTION_MAX_PLAN_IDS, `at most ${PROMOTION_MAX_PLAN_IDS}`)
    .transform((ids) => [...new Set(ids)])
    .nullable(),
  maxRedemptions: redemptionLimit,
  perUserLimit: redemptionLimit,
  active: z.boolean(),
});

const validTime = z.date().refine((d) => !Number.isNaN(d.getTime()), 'is not a valid time').nullable();

/** The half-open window [startsAt, endsAt): it must not be empty. */
const promotionWindowRule = z.object({ startsAt: validTime, endsAt: validTime }).refine(
  (w) => w.startsAt === null || w.endsAt === null || w.endsAt > w.startsAt,
  { path: ['endsAt'], message: 'must be after startsAt' },
);

/**
 * Checks every rule at once so the operator sees all field errors together: the common fields, the
 * kind's value and currency, and the window are three rules, each reporting all its issues.
 */
export function validatePromotionInput(input: PromotionInput): PromotionValidation {
  const fields = promotionFieldsRule.safeParse({
    title: input.title, couponCode: input.couponCode ?? null, planIds: input.planIds ?? null,
    maxRedemptions: input.maxRedemptions ?? null, perUserLimit: input.perUserLimit ?? null, active: input.active ?? true,
  });
  const value = promotionValueRule.safeParse({ kind: input.kind, value: input.value, currency: input.currency ?? null });
  const window = promotionWindowRule.safeParse({ startsAt: input.startsAt ?? null, endsAt: input.endsAt ?? null });
  if (!fields.success || !value.success || !window.success) {
    const issues = [fields, value, window].flatMap((r) => r.error?.issues ?? []);
    return { ok: false, code: 'invalid_promotion', message: 'the promotion is invalid', errors: fieldErrorsOf(issues) };
  }
  return ok({ ...fields.data, title: { ...fields.data.title }, ...value.data, ...window.data });
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
   * The purchase is stored value (a wallet top-up, by amount or as a top-up plan). No discount
   * applies to it, automatic or coupon: 10 % off must not turn $9 into $10 of balance, and a wallet
   * credited the discounted total would make the coupon a silent loss to the subscriber. A discount
   * coupon on a top-up is refused (coupon_not_applicable) and not used up; bonus kinds still apply.
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
  if (ctx.storedValue && isDiscount(p)) return fail('coupon_not_applicable', 'a discount coupon does not apply to a wallet top-up: balance is sold at face value');
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
