// Plan crediting: what one purchase does to a line's expiry and allowance buckets. The quote's
// preview and the actual crediting both call planCredit, so what the subscriber is shown is what
// they get. Invariants: buckets hold exact base units (data bytes, 1 MB = 1,048,576 B; voice
// seconds; sms messages); a day is exactly 86,400 s (expiries are instants, not calendar dates);
// `extend` never shortens the line's expiry; add-ons and top-ups never change it; `reset` ends
// every live bucket now (its remainder is then recorded as expired, never dropped).
//
// Expiry policies for `base` and `bundle` (days = plan validityDays + bonus validityDays):
//  - extend: newExpiry = max(line expiry, now) + days; every live bucket expiring earlier is
//    extended to newExpiry; the new buckets expire at newExpiry.
//  - stack:  new buckets expire at now + days; line expiry = max(line expiry, that); existing
//    buckets are untouched.
//  - reset:  every live bucket ends now; new buckets and the line expire at now + days.
// `addon`: buckets expire at min(now + validityDays, line expiry); the line must have an
//   unexpired expiry (else `addon_requires_active_plan`); bonus validity days are ignored (pricing
//   never grants them to add-ons — there is no validity to extend).
// `topup`: no buckets, expiry unchanged (validity from top-ups is the carrier profile's call).
// Bonus data is its own bucket (source 'bonus') with the plan buckets' expiry. Zero quantities
// create no bucket.
import { invariant } from './invariant.ts';
import { fail, ok, type Result } from './result.ts';

// Declared once: the TS types, the zod enums of the API and the SQL CHECK constraints list these.
export const BUCKET_UNITS = ['data', 'voice', 'sms'] as const;
export type BucketUnit = (typeof BUCKET_UNITS)[number];
/** What a plan grants: `base` a period of service, `addon` allowances on it, `topup` wallet credit, `bundle` modules picked per purchase. */
export const PLAN_KINDS = ['base', 'addon', 'topup', 'bundle'] as const;
export type PlanKind = (typeof PLAN_KINDS)[number];
/** How a plan's validity meets the line's current one (see planCredit). */
export const EXPIRY_POLICIES = ['extend', 'stack', 'reset'] as const;
export type ExpiryPolicy = (typeof EXPIRY_POLICIES)[number];
/** Where a bucket's credit came from: a plan, a promotion's bonus, or an add-on plan. */
export const BUCKET_SOURCES = ['plan', 'bonus', 'addon'] as const;

export const BYTES_PER_MB = 1_048_576;
export const SECONDS_PER_MINUTE = 60;
export const MS_PER_DAY = 86_400_000;
/** Longest validity one purchase may carry (plan + bonus); a bound, not a business rule. */
export const CREDIT_MAX_VALIDITY_DAYS = 3_650;

export interface LineBucket {
  readonly id: string;
  readonly unit: BucketUnit;
  /** Base units (bytes, seconds, messages). */
  readonly remaining: number;
  readonly total: number;
  readonly expiresAt: Date;
  readonly source: string;
}

export interface PlanCreditInput {
  readonly now: Date;
  readonly line: { readonly expiresAt: Date | null; readonly buckets: readonly LineBucket[] };
  readonly plan: {
    readonly kind: PlanKind;
    readonly validityDays: number;
    readonly allowances: { readonly dataMb: number; readonly voiceMin: number; readonly sms: number };
    readonly expiryPolicy: ExpiryPolicy;
  };
  readonly bonus: { readonly dataMb: number; readonly validityDays: number };
}

interface NewBucket {
  readonly unit: BucketUnit;
  /** Base units. */
  readonly quantity: number;
  readonly expiresAt: Date;
  readonly source: 'plan' | 'bonus';
}

export interface PlanCredit {
  /** The line's expiry after the purchase. */
  readonly expiresAt: Date | null;
  readonly newBuckets: NewBucket[];
  readonly extendBuckets: Array<{ readonly id: string; readonly expiresAt: Date }>;
  /** Buckets that end now; their remainder is recorded as expired. */
  readonly expireBuckets: Array<{ readonly id: string }>;
}

export type PlanCreditError = 'addon_requires_active_plan';

/** Whole MB, minutes or messages into base units. */
export function toBaseUnits(unit: BucketUnit, wholeQuantity: number): number {
  invariant(Number.isSafeInteger(wholeQuantity) && wholeQuantity >= 0, `bad quantity ${wholeQuantity}`);
  const base = unit === 'data' ? wholeQuantity * BYTES_PER_MB : unit === 'voice' ? wholeQuantity * SECONDS_PER_MINUTE : wholeQuantity;
  invariant(Number.isSafeInteger(base), `quantity ${wholeQuantity} ${unit} overflows`);
  return base;
}

/** Base units into whole MB, minutes or messages, rounded down (the API's dataMb, voiceMin, sms). */
export function toWholeUnits(unit: BucketUnit, baseQuantity: number): number {
  invariant(Number.isSafeInteger(baseQuantity), `bad base quantity ${baseQuantity}`);
  if (unit === 'data') return Math.floor(baseQuantity / BYTES_PER_MB);
  if (unit === 'voice') return Math.floor(baseQuantity / SECONDS_PER_MINUTE);
  return baseQuantity;
}

export const addDays = (at: Date, days: number): Date => new Date(at.getTime() + days * MS_PER_DAY);
const later = (a: Date, b: Date): Date => (a.getTime() >= b.getTime() ? a : b);
const earlier = (a: Date, b: Date): Date => (a.getTime() <= b.getTime() ? a : b);
const isLive = (b: LineBucket, now: Date): boolean => b.expiresAt.getTime() > now.getTime();

function checkInput(input: PlanCreditInput): void {
  const { plan, bonus } = input;
  const wholes = [plan.allowances.dataMb, plan.allowances.voiceMin, plan.allowances.sms, bonus.dataMb, bonus.validityDays];
  invariant(wholes.every((n) => Number.isSafeInteger(n) && n >= 0), 'allowances and bonuses are whole, non-negative');
  if (plan.kind !== 'topup') {
    // The catalog validates validityDays ≥ 1; a plan that expires as it is bought is a bug.
    invariant(Number.isSafeInteger(plan.validityDays) && plan.validityDays >= 1, `bad validityDays ${plan.validityDays}`);
    invariant(plan.validityDays + bonus.validityDays <= CREDIT_MAX_VALIDITY_DAYS, 'validity beyond the limit');
  } else {
    invariant(bonus.dataMb === 0 && bonus.validityDays === 0, 'a top-up carries no data or validity bonus');
  }
}

function bucketsFor(input: PlanCreditInput, expiresAt: Date): NewBucket[] {
  const { allowances } = input.plan;
  const plan: Array<[BucketUnit, number]> = [
    ['data', allowances.dataMb],
    ['voice', allowances.voiceMin],
    ['sms', allowances.sms],
  ];
  const buckets: NewBucket[] = plan
    .filter(([, whole]) => whole > 0)
    .map(([unit, whole]) => ({ unit, quantity: toBaseUnits(unit, whole), expiresAt, source: 'plan' as const }));
  if (input.bonus.dataMb > 0) {
    buckets.push({ unit: 'data', quantity: toBaseUnits('data', input.bonus.dataMb), expiresAt, source: 'bonus' });
  }
  return buckets;
}

function creditAddon(input: PlanCreditInput): Result<PlanCredit, PlanCreditError> {
  const lineExpiry = input.line.expiresAt;
  // An add-on rides on a plan's validity; with none (or a lapsed one) it would expire unused.
  if (lineExpiry === null || lineExpiry.getTime() <= input.now.getTime()) {
    return fail('addon_requires_active_plan', 'an add-on needs a line with an active plan');
  }
  const bucketExpiry = earlier(addDays(input.now, input.plan.validityDays), lineExpiry);
  return ok({ expiresAt: lineExpiry, newBuckets: bucketsFor(input, bucketExpiry), extendBuckets: [], expireBuckets: [] });
}

function creditValidity(input: PlanCreditInput): PlanCredit {
  const { now, line, plan } = input;
  const days = plan.validityDays + input.bonus.validityDays;
  const live = line.buckets.filter((b) => isLive(b, now));
  switch (plan.expiryPolicy) {
    case 'extend': {
      const expiresAt = addDays(later(line.expiresAt ?? now, now), days);
      const extendBuckets = live.filter((b) => b.expiresAt.getTime() < expiresAt.getTime()).map((b) => ({ id: b.id, expiresAt }));
      return { expiresAt, newBuckets: bucketsFor(input, expiresAt), extendBuckets, expireBuckets: [] };
    }
    case 'stack': {
      const bucketExpiry = addDays(now, days);
      const expiresAt = line.expiresAt === null ? bucketExpiry : later(line.expiresAt, bucketExpiry);
      return { expiresAt, newBuckets: bucketsFor(input, bucketExpiry), extendBuckets: [], expireBuckets: [] };
    }
    case 'reset': {
      const expiresAt = addDays(now, days);
      const expireBuckets = live.map((b) => ({ id: b.id }));
      return { expiresAt, newBuckets: bucketsFor(input, expiresAt), extendBuckets: [], expireBuckets };
    }
  }
}

/** What a purchase does to a line; see the rules at the top of this file. */
export function planCredit(input: PlanCreditInput): Result<PlanCredit, PlanCreditError> {
  checkInput(input);
  switch (input.plan.kind) {
    case 'topup':
      return ok({ expiresAt: input.line.expiresAt, newBuckets: [], extendBuckets: [], expireBuckets: [] });
    case 'addon':
      return creditAddon(input);
    case 'base':
    case 'bundle':
      return ok(creditValidity(input));
  }
}

export interface PreviewBucket {
  /** null for a bucket the purchase creates. */
  readonly id: string | null;
  readonly unit: BucketUnit;
  /** Base units. */
  readonly remaining: number;
  readonly total: number;
  readonly expiresAt: Date;
  readonly source: string;
}

/**
 * The line's live buckets after `credit` is applied, in the order usage draws from them
 * (soonest expiry first, bonus before paid at equal expiry) — the quote's preview. Use
 * toWholeUnits to show the quantities.
 */
export function bucketPreview(input: PlanCreditInput, credit: PlanCredit): { expiresAt: Date | null; buckets: PreviewBucket[] } {
  const { now } = input;
  const ended = new Set(credit.expireBuckets.map((b) => b.id));
  const extended = new Map(credit.extendBuckets.map((b) => [b.id, b.expiresAt]));
  const existing: PreviewBucket[] = input.line.buckets
    .filter((b) => isLive(b, now) && !ended.has(b.id))
    .map((b) => ({ ...b, expiresAt: extended.get(b.id) ?? b.expiresAt }));
  const created: PreviewBucket[] = credit.newBuckets.map((b) => ({
    id: null,
    unit: b.unit,
    remaining: b.quantity,
    total: b.quantity,
    expiresAt: b.expiresAt,
    source: b.source,
  }));
  const buckets = [...existing, ...created].filter((b) => b.expiresAt.getTime() > now.getTime());
  return { expiresAt: credit.expiresAt, buckets: buckets.sort(drawOrder) };
}

function drawOrder(a: PreviewBucket, b: PreviewBucket): number {
  const byExpiry = a.expiresAt.getTime() - b.expiresAt.getTime();
  if (byExpiry !== 0) return byExpiry;
  const bonusFirst = Number(b.source === 'bonus') - Number(a.source === 'bonus');
  if (bonusFirst !== 0) return bonusFirst;
  // Existing buckets (by id) before the ones this purchase creates.
  const idA = a.id ?? '\uffff';
  const idB = b.id ?? '\uffff';
  return idA < idB ? -1 : idA > idB ? 1 : 0;
}
