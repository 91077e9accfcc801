// Catalog: plans, promotions, their redemptions and quotes. Owns `plans`, `promotions`,
// `promotion_redemptions` and `quotes`. Invariants: prices are positive integer minor units in a
// known currency, at most PLAN_PRICE_MAX_MINOR (a bundle's price is computed from its modules, never
// stored); every operator change is audited, with its before and after, in its own transaction; a
// quote is a promise — an order placed with it before it expires costs its total, priced from the
// plan snapshot taken at quote time; redemptions never exceed maxRedemptions or a user's
// perUserLimit, and a line's first-recharge bonus is granted once (redemptions.ts).
import type { Db, Queryable } from '../../db/types.ts';
import { PG_UNIQUE_VIOLATION, pgErrorCode } from '../../db/types.ts';
import { DomainError, conflict, notFound, validation, type FieldError } from '../../domain/errors.ts';
import { newId } from '../../domain/ids.ts';
import { isKnownCurrency, money, toJson, zero, type Money, type MoneyJson } from '../../domain/money.ts';
import { bucketPreview, planCredit, toWholeUnits, type BucketUnit, type ExpiryPolicy, type PlanKind } from '../../domain/plan-credit.ts';
import {
  BUNDLE_MAX_DATA_MB, BUNDLE_MAX_SMS, BUNDLE_MAX_VOICE_MIN, PLAN_PRICE_MAX_MINOR, bonusTotals, minimumBundleSelection, priceCustomBundle, priceQuote,
  type AllowanceUnit, type Allowances, type BundlePrice, type PriceQuote,
} from '../../domain/pricing.ts';
import { normalizeCouponCode, selectPromotions, validatePromotionInput, type CouponError, type Promotion } from '../../domain/promotion.ts';
import { recordAudit, type Actor } from '../audit/service.ts';
import { hitThrottle, type ThrottleRule } from '../throttle/service.ts';
import { getCarrier, getLineCreditState, getOwnedLine, listCarrierCodes, topupExpiry, type OwnedLine } from '../lines/service.ts';
import { localizedText } from './locale.ts';
import { fieldChanges } from './changes.ts';
import { firstRechargeTaken } from './redemptions.ts';
import { validatePlanInput, type BundleModuleJson, type PlanDraft, type PlanInput } from './plan-input.ts';
import {
  findActivePlans, findCandidatePromotions, findLiveAmountOffForPlan, findPlan, findPlans, findPromotion, listPlanRows, listPromotionRows,
  redemptionCounts,
  type Plan, type StoredPromotion,
} from './store.ts';

export { localizedText } from './locale.ts';
export type { Plan } from './store.ts';

/** How long a quote's price is promised (on the application clock). */
export const QUOTE_TTL_SECONDS = 15 * 60;
/** Quotes one user may ask for per window: each is a stored row, and a client looping on POST /quotes is a bug. Generous: a subscriber comparing plans asks for a handful. */
export const QUOTES_PER_USER_MAX = 200;
export const QUOTES_WINDOW_SECONDS = 60;
const QUOTE_THROTTLE: ThrottleRule = { maxAttempts: QUOTES_PER_USER_MAX, windowSeconds: QUOTES_WINDOW_SECONDS };
/** An expired quote is kept this long (support can still read what was offered), then deleted unless an order names it. */
export const QUOTE_RETENTION_AFTER_EXPIRY_SECONDS = 24 * 60 * 60;
/** Quotes one cleanup statement deletes at most. */
export const QUOTE_CLEANUP_BATCH_MAX = 500;
export const ADMIN_PAGE_DEFAULT = 50;
export const ADMIN_PAGE_MAX = 500;

// ---- Shapes shared with the orders module ------------------------------------------------------

export interface PlanSnapshot {
  id: string;
  code: string;
  name: Record<string, string>;
  kind: PlanKind;
  validityDays: number;
  allowances: Allowances;
  expiryPolicy: ExpiryPolicy;
  price: Money;
  autoRenewable: boolean;
}

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

// ---- Views -------------------------------------------------------------------------------------

/**
 * The operator's view of a plan (API.md: "as in the catalog, plus active"): the catalog fields in the
 * caller's language, plus `active` and what operators edit — every language (`names`,
 * `descriptions`), the carriers, and bookkeeping. Unlike the subscriber's catalog, it shows the plan
 * as stored: kind `bundle`, the bundle's own (zero) allowances and its `bundleModules`, since that is
 * what a PATCH edits.
 */
export interface PlanView extends Omit<CatalogPlanView, 'kind'> {
  kind: PlanKind;
  bundleModules: BundleModuleJson[] | null;
  active: boolean;
  carriers: string[] | null;
  names: Record<string, string>;
  descriptions: Record<string, string>;
  isDemo: boolean;
  createdAt: string;
  updatedAt: string;
}

/** API.md's plan kinds. A custom bundle is sold as a base plan whose allowances the subscriber picks. */
export type CatalogPlanKind = 'base' | 'addon' | 'topup';

/**
 * How a custom bundle is composed: its modules with their block prices and the most one bundle may
 * hold of each unit, and the minimum selection that the plan's `price` and `allowances` describe.
 * A quote or an order for it sends `bundle: {dataMb, voiceMin, sms}` in whole blocks.
 */
export interface BundleOffer {
  modules: Array<BundleModuleJson & { maxQuantity: number }>;
  minimumSelection: Allowances;
  maxPrice: MoneyJson;
}

/**
 * A plan in the subscriber's catalog (API.md). `kind` stays within API.md's enum: a custom bundle is
 * `base`, with `bundle` saying how it is composed; its `price` and `allowances` are those of its
 * minimum selection (one block of its cheapest module), the least it can cost. `bundle` is null for
 * every other plan.
 */
export interface CatalogPlanView {
  id: string;
  code: string;
  name: string;
  description: string | null;
  kind: CatalogPlanKind;
  regions: string[];
  price: MoneyJson;
  validityDays: number;
  allowances: Allowances;
  autoRenewable: boolean;
  expiryPolicy: ExpiryPolicy;
  bundle: BundleOffer | null;
  promotions: Array<{ id: string; title: string; endsAt: string | null }>;
}

export interface PromotionView {
  id: string;
  title: Record<string, string>;
  kind: string;
  value: number;
  currency: string | null;
  couponCode: string | null;
  planIds: string[] | null;
  startsAt: string | null;
  endsAt: string | null;
  maxRedemptions: number | null;
  perUserLimit: number | null;
  active: boolean;
  redemptionCount: number;
  isDemo: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface QuoteView {
  id: string;
  lineId: string;
  kind: 'plan' | 'topup';
  planId: string | null;
  subtotal: MoneyJson;
  discounts: Array<{ promotionId: string; title: string; amount: MoneyJson }>;
  bonuses: Array<{ promotionId: string; title: string; dataMb?: number; validityDays?: number; amount?: MoneyJson }>;
  total: MoneyJson;
  currency: string;
  expiresAt: string;
  createdAt: string;
  preview: { expiresAt: string | null; buckets: Array<{ unit: BucketUnit; quantity: number; expiresAt: string; source: string }> };
  /** For a custom bundle: what was chosen and the price of each module's blocks (summing to `subtotal`). */
  bundle?: QuotedBundle;
}

export interface QuotedBundle {
  selection: Allowances;
  blocks: Array<{ unit: 'data' | 'voice' | 'sms'; blockSize: number; blockCount: number; blockPrice: MoneyJson; price: MoneyJson }>;
}

function bundleModulesJson(plan: Plan): BundleModuleJson[] | null {
  return plan.bundleModules?.map((m) => ({ unit: m.unit, blockSize: m.blockSize, blockPrice: { amount: m.blockPriceMinor, currency: plan.currency } })) ?? null;
}

/** A bundle's minimum selection (stored bundles are validated, so it exists), or null for other plans. */
function bundleMinimum(plan: Plan): BundlePrice | null {
  if (plan.bundleModules === null) return null;
  const minimum = minimumBundleSelection(plan.bundleModules, plan.currency);
  return minimum.ok ? minimum.value : null;
}

/** The listed price: the plan's, or for a bundle its minimum selection's (one block of the cheapest module). */
function listedPrice(plan: Plan): Money {
  if (plan.priceMinor !== null) return money(plan.priceMinor, plan.currency);
  return bundleMinimum(plan)?.price ?? zero(plan.currency);
}

/** The listed allowances: the plan's, or for a bundle its minimum selection's. */
function listedAllowances(plan: Plan): Allowances {
  return bundleMinimum(plan)?.allowances ?? plan.allowances;
}

const SELECTION_MAX_BY_UNIT: Readonly<Record<AllowanceUnit, number>> = { data: BUNDLE_MAX_DATA_MB, voice: BUNDLE_MAX_VOICE_MIN, sms: BUNDLE_MAX_SMS };

function bundleOffer(plan: Plan): BundleOffer | null {
  const modules = bundleModulesJson(plan);
  if (modules === null) return null;
  return {
    modules: modules.map((m) => ({ ...m, maxQuantity: SELECTION_MAX_BY_UNIT[m.unit] })),
    minimumSelection: listedAllowances(plan),
    maxPrice: { amount: PLAN_PRICE_MAX_MINOR, currency: plan.currency },
  };
}

/** Staff views of plans, with the automatic promotions a new line would get on each. */
async function staffPlanViews(db: Queryable, now: Date, plans: readonly Plan[], locale: string): Promise<PlanView[]> {
  const promotions = (await findCandidatePromotions(db, null)).filter((p) => p.couponCode === null);
  const scope: PromotionScope = { now, isFirstRecharge: true, redemptions: new Map() };
  return plans.map((plan) => ({
    ...catalogPlanView(plan, promotions, scope, locale),
    kind: plan.kind, allowances: plan.allowances, bundleModules: bundleModulesJson(plan), active: plan.active, carriers: plan.carriers, names: plan.name, descriptions: plan.description, isDemo: plan.isDemo,
    createdAt: plan.createdAt.toISOString(), updatedAt: plan.updatedAt.toISOString(),
  }));
}

async function staffPlanView(db: Queryable, now: Date, plan: Plan, locale: string): Promise<PlanView> {
  const [view] = await staffPlanViews(db, now, [plan], locale);
  if (!view) throw new Error('plan view missing');
  return view;
}

export function promotionView(p: StoredPromotion): PromotionView {
  return {
    id: p.id, title: { ...p.title }, kind: p.kind, value: p.value, currency: p.currency, couponCode: p.couponCode,
    planIds: p.planIds === null ? null : [...p.planIds], startsAt: p.startsAt?.toISOString() ?? null, endsAt: p.endsAt?.toISOString() ?? null,
    maxRedemptions: p.maxRedemptions, perUserLimit: p.perUserLimit, active: p.active, redemptionCount: p.redemptionCount,
    isDemo: p.isDemo, createdAt: p.createdAt.toISOString(), updatedAt: p.updatedAt.toISOString(),
  };
}

// ---- Operator: plans ---------------------------------------------------------------------------

const invalidPlan = (errors: FieldError[]): DomainError => validation('invalid_plan', 'the plan is invalid', errors);

async function checkCarriers(db: Queryable, carriers: readonly string[] | null): Promise<void> {
  if (carriers === null) return;
  const known = new Set(await listCarrierCodes(db));
  const errors = carriers.flatMap((c, i) => (known.has(c) ? [] : [{ path: `carriers.${i}`, message: `no carrier "${c}"` }]));
  if (errors.length > 0) throw validation('unknown_carrier', `unknown carrier ${errors.map((e) => e.path).join(', ')}`, errors);
}

async function validPlanDraft(db: Queryable, input: PlanInput): Promise<PlanDraft> {
  const checked = validatePlanInput(input);
  if (!checked.ok) throw invalidPlan(checked.errors);
  await checkCarriers(db, checked.value.carriers);
  return checked.value;
}

const planCodeTaken = (): DomainError => conflict('plan_code_taken', 'another plan already has this code');

function draftParams(d: PlanDraft): unknown[] {
  return [
    d.code, JSON.stringify(d.name), JSON.stringify(d.description), d.kind, d.carriers, d.regions, d.priceMinor, d.currency,
    d.validityDays, d.allowances.dataMb, d.allowances.voiceMin, d.allowances.sms, d.autoRenewable, d.expiryPolicy, d.active,
    d.bundleModules === null ? null : JSON.stringify(d.bundleModules),
  ];
}

export async function createPlan(
  db: Db, now: Date, actor: Actor, input: PlanInput, options: { isDemo?: boolean; id?: string; locale?: string } = {},
): Promise<PlanView> {
  const draft = await validPlanDraft(db, input);
  try {
    const plan = await db.transaction(async (tx) => {
      const id = options.id ?? newId('plan');
      await tx.query(
        `INSERT INTO plans (code, name, description, kind, carriers, regions, price_minor, currency, validity_days, data_mb, voice_min,
                            sms, auto_renewable, expiry_policy, active, bundle_modules, id, is_demo, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $19)`,
        [...draftParams(draft), id, options.isDemo ?? false, now],
      );
      const plan = await findPlan(tx, id);
      if (!plan) throw new Error('inserted plan not found');
      await recordAudit(tx, actor, { action: 'plan.create', targetType: 'plan', targetId: id, at: now, details: { code: draft.code, kind: draft.kind } });
      return plan;
    });
    return await staffPlanView(db, now, plan, options.locale ?? 'en');
  } catch (error) {
    if (pgErrorCode(error) === PG_UNIQUE_VIOLATION) throw planCodeTaken();
    throw error;
  }
}

function planInputOf(plan: Plan): PlanInput {
  return {
    code: plan.code, name: plan.name, description: plan.description, kind: plan.kind, carriers: plan.carriers, regions: plan.regions,
    price: plan.priceMinor === null ? undefined : { amount: plan.priceMinor, currency: plan.currency },
    validityDays: plan.validityDays, allowances: plan.allowances, autoRenewable: plan.autoRenewable, expiryPolicy: plan.expiryPolicy,
    bundleModules: bundleModulesJson(plan), active: plan.active,
  };
}

/** Fields present in `patch` (undefined = unchanged) replace the stored ones; the result is validated whole. */
function merged<T extends object>(base: T, patch: Partial<T>): T {
  const defined = Object.entries(patch).filter(([, v]) => v !== undefined);
  return { ...base, ...Object.fromEntries(defined) } as T;
}

/** What a plan.update audit entry compares and records (money as it is on the wire). */
function auditedPlanFields(p: PlanDraft): Record<string, unknown> {
  return {
    code: p.code, name: p.name, description: p.description, kind: p.kind, carriers: p.carriers, regions: p.regions,
    price: p.priceMinor === null ? null : { amount: p.priceMinor, currency: p.currency }, currency: p.currency,
    validityDays: p.validityDays, allowances: p.allowances, autoRenewable: p.autoRenewable, expiryPolicy: p.expiryPolicy,
    bundleModules: p.bundleModules, active: p.active,
  };
}

/**
 * A plan's currency may change only while no live amount_off promotion scoped to it is in another
 * currency: that promotion would silently stop applying (selectPromotions matches currencies).
 * The operator ends or re-scopes those first (409 currency_in_use names them). See ADR 0001.
 */
async function assertCurrencyFree(tx: Queryable, now: Date, planId: string, currency: string): Promise<void> {
  const blocking = await findLiveAmountOffForPlan(tx, now, planId, currency);
  if (blocking.length === 0) return;
  throw new DomainError('conflict', 'currency_in_use', `amount_off promotions in another currency apply to this plan: ${blocking.join(', ')}`, {
    promotionIds: blocking,
    errors: [{ path: 'price.currency', message: 'end or re-scope the amount_off promotions of this plan first' }],
  });
}

export async function updatePlan(
  db: Db, now: Date, actor: Actor, planId: string, patch: Partial<PlanInput>, locale = 'en',
): Promise<PlanView> {
  try {
    const plan = await db.transaction(async (tx) => {
      const current = await findPlan(tx, planId, { lock: true });
      if (!current) throw notFound('plan_not_found', 'no such plan');
      const base = planInputOf(current);
      // Switching to a bundle drops the fixed price; switching away drops the modules.
      if (patch.kind === 'bundle' && patch.price === undefined) delete base.price;
      if (patch.kind !== undefined && patch.kind !== 'bundle' && patch.bundleModules === undefined) base.bundleModules = null;
      const draft = await validPlanDraft(tx, merged(base, patch));
      const changes = fieldChanges(auditedPlanFields(current), auditedPlanFields(draft));
      // Nothing changes: no write, no audit entry, the plan as it is.
      if (changes.changed.length === 0) return current;
      if (draft.currency !== current.currency) await assertCurrencyFree(tx, now, planId, draft.currency);
      await tx.query(
        `UPDATE plans SET code = $1, name = $2, description = $3, kind = $4, carriers = $5, regions = $6, price_minor = $7, currency = $8,
                validity_days = $9, data_mb = $10, voice_min = $11, sms = $12, auto_renewable = $13, expiry_policy = $14, active = $15,
                bundle_modules = $16, updated_at = $18
          WHERE id = $17`,
        [...draftParams(draft), planId, now],
      );
      const plan = await findPlan(tx, planId);
      if (!plan) throw new Error('updated plan not found');
      await recordAudit(tx, actor, { action: 'plan.update', targetType: 'plan', targetId: planId, at: now, details: { ...changes, code: plan.code } });
      return plan;
    });
    return await staffPlanView(db, now, plan, locale);
  } catch (error) {
    if (pgErrorCode(error) === PG_UNIQUE_VIOLATION) throw planCodeTaken();
    throw error;
  }
}

export interface AdminPage {
  limit?: number;
  cursor?: string;
  active?: boolean;
}

export async function listPlansForStaff(
  db: Queryable, now: Date, page: AdminPage, locale: string,
): Promise<{ items: PlanView[]; nextCursor: string | null }> {
  const limit = Math.min(page.limit ?? ADMIN_PAGE_DEFAULT, ADMIN_PAGE_MAX);
  const rows = await listPlanRows(db, { limit: limit + 1, after: page.cursor ?? null, active: page.active ?? null });
  const items = rows.slice(0, limit);
  return { items: await staffPlanViews(db, now, items, locale), nextCursor: rows.length > limit ? (items[items.length - 1]?.id ?? null) : null };
}

export async function getPlanSnapshot(db: Queryable, planId: string): Promise<PlanSnapshot> {
  const plan = await findPlan(db, planId);
  if (!plan) throw notFound('plan_not_found', 'no such plan');
  return snapshotOf(plan, null);
}

function snapshotOf(plan: Plan, bundle: { price: Money; allowances: Allowances } | null): PlanSnapshot {
  return {
    id: plan.id, code: plan.code, name: { ...plan.name }, kind: plan.kind, validityDays: plan.validityDays,
    allowances: { ...(bundle?.allowances ?? plan.allowances) }, expiryPolicy: plan.expiryPolicy,
    price: bundle?.price ?? listedPrice(plan), autoRenewable: plan.autoRenewable,
  };
}

// ---- Operator: promotions ----------------------------------------------------------------------

export interface PromotionInputBody {
  title: Record<string, string>;
  kind: string;
  value: number;
  currency?: string | null;
  couponCode?: string | null;
  planIds?: string[] | null;
  startsAt?: string | null;
  endsAt?: string | null;
  maxRedemptions?: number | null;
  perUserLimit?: number | null;
  active?: boolean;
}

const toDate = (s: string | null | undefined): Date | null => (s === null || s === undefined ? null : new Date(s));

/**
 * Plans named by the promotion must exist (422 `unknown_plan`). An amount_off without a currency
 * takes the one currency its plans share; with no plans or mixed currencies it must be given.
 */
async function resolvePromotionPlans(db: Queryable, body: PromotionInputBody): Promise<PromotionInputBody> {
  if (!body.planIds || body.planIds.length === 0) return body;
  const plans = await findPlans(db, body.planIds);
  const known = new Set(plans.map((p) => p.id));
  const errors = body.planIds.flatMap((id, i) => (known.has(id) ? [] : [{ path: `planIds.${i}`, message: `no plan "${id}"` }]));
  if (errors.length > 0) throw validation('unknown_plan', 'the promotion names plans that do not exist', errors);
  const currencies = [...new Set(plans.map((p) => p.currency))];
  if (body.kind !== 'amount_off') return body;
  const currency = body.currency ?? (currencies.length === 1 ? currencies[0] : null);
  if (currency && currencies.some((c) => c !== currency)) {
    throw validation('invalid_promotion', 'the promotion is invalid', [{ path: 'currency', message: `its plans are priced in ${currencies.join(', ')}` }]);
  }
  return { ...body, currency: currency ?? null };
}

async function validPromotion(db: Queryable, raw: PromotionInputBody, redemptionCount: number): Promise<Promotion & { id: '' }> {
  const body = await resolvePromotionPlans(db, raw);
  const checked = validatePromotionInput({
    ...body, startsAt: toDate(body.startsAt), endsAt: toDate(body.endsAt),
  });
  if (!checked.ok) throw validation(checked.code, checked.message, checked.errors);
  const max = checked.value.maxRedemptions;
  if (max !== null && max < redemptionCount) {
    throw validation('invalid_promotion', 'the promotion is invalid', [{ path: 'maxRedemptions', message: `${redemptionCount} are already redeemed` }]);
  }
  return { ...checked.value, id: '' };
}

const couponTaken = (): DomainError => conflict('coupon_code_taken', 'an active promotion already uses this coupon code');

function promotionParams(p: Promotion): unknown[] {
  return [
    JSON.stringify(p.title), p.kind, p.value, p.currency, p.couponCode, p.planIds, p.startsAt, p.endsAt, p.maxRedemptions,
    p.perUserLimit, p.active,
  ];
}

export async function createPromotion(
  db: Db, now: Date, actor: Actor, body: PromotionInputBody, options: { isDemo?: boolean; id?: string } = {},
): Promise<PromotionView> {
  const promotion = await validPromotion(db, body, 0);
  try {
    return await db.transaction(async (tx) => {
      const id = options.id ?? newId('promo');
      await tx.query(
        `INSERT INTO promotions (title, kind, value, currency, coupon_code, plan_ids, starts_at, ends_at, max_redemptions, per_user_limit,
                                 active, id, is_demo, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14)`,
        [...promotionParams(promotion), id, options.isDemo ?? false, now],
      );
      const stored = await findPromotion(tx, id);
      if (!stored) throw new Error('inserted promotion not found');
      await recordAudit(tx, actor, {
        action: 'promotion.create', targetType: 'promotion', targetId: id, at: now, details: { kind: promotion.kind, couponCode: promotion.couponCode },
      });
      return promotionView(stored);
    });
  } catch (error) {
    if (pgErrorCode(error) === PG_UNIQUE_VIOLATION) throw couponTaken();
    throw error;
  }
}

function promotionBodyOf(p: StoredPromotion): PromotionInputBody {
  return {
    title: { ...p.title }, kind: p.kind, value: p.value, currency: p.currency, couponCode: p.couponCode,
    planIds: p.planIds === null ? null : [...p.planIds], startsAt: p.startsAt?.toISOString() ?? null,
    endsAt: p.endsAt?.toISOString() ?? null, maxRedemptions: p.maxRedemptions, perUserLimit: p.perUserLimit, active: p.active,
  };
}

/**
 * A value means something else under another kind (100 minor units off → 100 % off): a PATCH that
 * changes `kind` must say the new `value`, and the `currency` when it becomes an amount_off.
 */
function assertKindChangeComplete(currentKind: string, patch: Partial<PromotionInputBody>): void {
  const errors: FieldError[] = [];
  if (patch.value === undefined) errors.push({ path: 'value', message: `is required when kind changes from ${currentKind} to ${patch.kind}` });
  if (patch.kind === 'amount_off' && (patch.currency === undefined || patch.currency === null)) {
    errors.push({ path: 'currency', message: 'is required when kind changes to amount_off' });
  }
  if (errors.length > 0) throw validation('invalid_promotion', 'a change of kind needs the new value', errors);
}

/** What a promotion.update audit entry compares and records. */
function auditedPromotionFields(p: Omit<Promotion, 'id'>): Record<string, unknown> {
  return {
    title: p.title, kind: p.kind, value: p.value, currency: p.currency, couponCode: p.couponCode, planIds: p.planIds,
    startsAt: p.startsAt?.toISOString() ?? null, endsAt: p.endsAt?.toISOString() ?? null, maxRedemptions: p.maxRedemptions,
    perUserLimit: p.perUserLimit, active: p.active,
  };
}

export async function updatePromotion(db: Db, now: Date, actor: Actor, id: string, patch: Partial<PromotionInputBody>): Promise<PromotionView> {
  try {
    return await db.transaction(async (tx) => {
      // The row lock orders this change with concurrent reservations (maxRedemptions vs the count).
      const current = await findPromotion(tx, id, { lock: true });
      if (!current) throw notFound('promotion_not_found', 'no such promotion');
      const base = promotionBodyOf(current);
      if (patch.kind !== undefined && patch.kind !== current.kind) assertKindChangeComplete(current.kind, patch);
      if (patch.kind !== undefined && patch.kind !== 'amount_off' && patch.currency === undefined) base.currency = null;
      const promotion = await validPromotion(tx, merged(base, patch), current.redemptionCount);
      const changes = fieldChanges(auditedPromotionFields(current), auditedPromotionFields(promotion));
      // Nothing changes: no write, no audit entry, the promotion as it is.
      if (changes.changed.length === 0) return promotionView(current);
      await tx.query(
        `UPDATE promotions SET title = $1, kind = $2, value = $3, currency = $4, coupon_code = $5, plan_ids = $6, starts_at = $7,
                ends_at = $8, max_redemptions = $9, per_user_limit = $10, active = $11, updated_at = $13
          WHERE id = $12`,
        [...promotionParams(promotion), id, now],
      );
      const stored = await findPromotion(tx, id);
      if (!stored) throw new Error('updated promotion not found');
      await recordAudit(tx, actor, { action: 'promotion.update', targetType: 'promotion', targetId: id, at: now, details: { ...changes } });
      return promotionView(stored);
    });
  } catch (error) {
    if (pgErrorCode(error) === PG_UNIQUE_VIOLATION) throw couponTaken();
    throw error;
  }
}

export async function listPromotionsForStaff(db: Queryable, page: AdminPage): Promise<{ items: PromotionView[]; nextCursor: string | null }> {
  const limit = Math.min(page.limit ?? ADMIN_PAGE_DEFAULT, ADMIN_PAGE_MAX);
  const rows = await listPromotionRows(db, { limit: limit + 1, after: page.cursor ?? null, active: page.active ?? null });
  const items = rows.slice(0, limit);
  return { items: items.map(promotionView), nextCursor: rows.length > limit ? (items[items.length - 1]?.id ?? null) : null };
}

// ---- Subscribers: the catalog ------------------------------------------------------------------

/** Automatic promotions that give this plan something now (a discount or a bonus). */
function planPromotions(plan: Plan, promotions: readonly StoredPromotion[], ctx: PromotionScope): StoredPromotion[] {
  const selected = selectPromotions(promotions, {
    ...ctx, planId: plan.id, couponCode: null, currency: plan.currency, storedValue: plan.kind === 'topup',
  });
  if (!selected.ok) return [];
  const quote = priceQuote({
    subtotal: listedPrice(plan), kind: plan.kind, allowances: listedAllowances(plan), validityDays: plan.validityDays,
    promotions: selected.value, isFirstRecharge: ctx.isFirstRecharge,
  });
  const effective = new Set([...quote.discounts, ...quote.bonuses].map((x) => x.promotionId));
  return promotions.filter((p) => effective.has(p.id));
}

interface PromotionScope {
  now: Date;
  isFirstRecharge: boolean;
  redemptions: Map<string, { total: number; byUser: number }>;
}

export async function listCatalog(
  db: Queryable, now: Date, input: { userId: string; locale: string; region?: string; lineId?: string },
): Promise<{ items: CatalogPlanView[] }> {
  const line = input.lineId === undefined ? null : await getOwnedLine(db, input.userId, input.lineId);
  const region = input.region?.toUpperCase() ?? line?.region ?? null;
  const plans = await findActivePlans(db, { carrierCode: line?.carrierCode ?? null, region });
  const promotions = (await findCandidatePromotions(db, null)).filter((p) => p.couponCode === null);
  // Without a line we cannot know; a first-recharge bonus is shown, since any new line gets it.
  const scope: PromotionScope = {
    now, isFirstRecharge: line === null || (await isFirstRecharge(db, line)), redemptions: await redemptionCounts(db, input.userId, promotions),
  };
  return { items: plans.map((plan) => catalogPlanView(plan, promotions, scope, input.locale)) };
}

function catalogPlanView(plan: Plan, promotions: readonly StoredPromotion[], scope: PromotionScope, locale: string): CatalogPlanView {
  return {
    id: plan.id, code: plan.code, name: localizedText(plan.name, locale),
    description: Object.keys(plan.description).length === 0 ? null : localizedText(plan.description, locale),
    kind: plan.kind === 'bundle' ? 'base' : plan.kind, regions: plan.regions, price: toJson(listedPrice(plan)), validityDays: plan.validityDays,
    allowances: listedAllowances(plan), autoRenewable: plan.autoRenewable, expiryPolicy: plan.expiryPolicy, bundle: bundleOffer(plan),
    promotions: planPromotions(plan, promotions, scope).map((p) => ({
      id: p.id, title: localizedText(p.title, locale), endsAt: p.endsAt?.toISOString() ?? null,
    })),
  };
}

// ---- Pricing a purchase --------------------------------------------------------------------------

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
type AmountField = 'amount' | 'topupAmount';

function amountErrors(amount: Money, field: AmountField): FieldError[] {
  const errors: FieldError[] = [];
  if (!Number.isSafeInteger(amount.amountMinor) || amount.amountMinor <= 0 || amount.amountMinor > PLAN_PRICE_MAX_MINOR) {
    errors.push({ path: `${field}.amount`, message: `must be a positive integer of minor units, at most ${PLAN_PRICE_MAX_MINOR}` });
  }
  if (!isKnownCurrency(amount.currency)) errors.push({ path: `${field}.currency`, message: 'is not a supported ISO 4217 currency' });
  return errors;
}

async function purchaseItem(db: Queryable, line: OwnedLine, request: PurchaseRequest, amountField: AmountField): Promise<PurchaseItem> {
  if (request.planId !== undefined) {
    if (request.topupAmount !== undefined) throw validation('invalid_purchase', 'give a planId or a top-up amount, not both');
    const plan = await findPlan(db, request.planId);
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

/**
 * A line's first recharge: it was never recharged, and no order of it (awaiting payment, paid or
 * done) already holds a first-recharge promotion — the bonus is granted once per line. Reservation
 * re-checks it under the promotion's row lock (redemptions.ts).
 */
async function isFirstRecharge(db: Queryable, line: OwnedLine): Promise<boolean> {
  return line.lastRechargeAt === null && !(await firstRechargeTaken(db, line.id));
}

async function selectFor(
  db: Queryable, now: Date, item: PurchaseItem, request: PurchaseRequest, firstRecharge: boolean,
): Promise<Promotion[]> {
  const code = request.couponCode === undefined ? null : normalizeCouponCode(request.couponCode);
  const candidates = await findCandidatePromotions(db, code === '' ? null : code);
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

async function priceAfresh(
  db: Queryable, now: Date, request: PurchaseRequest, amountField: AmountField,
): Promise<{ priced: PricedPurchase; line: OwnedLine; bundle: BundlePrice | null }> {
  const line = await getOwnedLine(db, request.userId, request.lineId);
  const item = await purchaseItem(db, line, request, amountField);
  const firstRecharge = await isFirstRecharge(db, line);
  const promotions = await selectFor(db, now, item, request, firstRecharge);
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

/** A top-up's effect on the expiry, by the very rule crediting applies (lines' topupExpiry). */
async function expiryAfterTopup(db: Queryable, line: OwnedLine, expiresAt: Date | null, now: Date): Promise<Date | null> {
  return topupExpiry(await getCarrier(db, line.carrierCode), expiresAt, now) ?? expiresAt;
}

/** What the purchase does to the line, exactly as crediting will compute it (same pure function). */
async function creditPreview(db: Queryable, now: Date, line: OwnedLine, priced: PricedPurchase): Promise<QuoteView['preview']> {
  const state = await getLineCreditState(db, priced.lineId, now);
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

// ---- Quotes ------------------------------------------------------------------------------------

interface QuoteRow {
  id: string;
  user_id: string;
  line_id: string;
  kind: 'plan' | 'topup';
  plan_id: string | null;
  coupon_code: string | null;
  topup_amount_minor: number | null;
  bundle: Allowances | null;
  currency: string;
  subtotal_minor: number;
  total_minor: number;
  discounts: Array<{ promotionId: string; title: Record<string, string>; amountMinor: number }>;
  bonuses: Array<{ promotionId: string; title: Record<string, string>; dataMb?: number; validityDays?: number; amountMinor?: number }>;
  plan_snapshot: (Omit<PlanSnapshot, 'price'> & { priceMinor: number; currency: string }) | null;
  promotion_ids: string[];
  expires_at: Date;
  created_at: Date;
}

async function storeQuote(db: Queryable, now: Date, request: PurchaseRequest, priced: PricedPurchase): Promise<QuoteRow> {
  const currency = priced.subtotal.currency;
  const snapshot = priced.plan === null ? null : (() => {
    const { price, ...rest } = priced.plan;
    return { ...rest, priceMinor: price.amountMinor, currency: price.currency };
  })();
  const { rows } = await db.query<QuoteRow>(
    `INSERT INTO quotes (id, user_id, line_id, kind, plan_id, topup_amount_minor, bundle, coupon_code, currency, subtotal_minor,
                         discount_minor, total_minor, discounts, bonuses, plan_snapshot, promotion_ids, expires_at, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18) RETURNING *`,
    [
      newId('quote'), request.userId, priced.lineId, priced.kind, priced.plan?.id ?? null,
      priced.plan === null ? priced.subtotal.amountMinor : null, request.bundle ? JSON.stringify(request.bundle) : null,
      request.couponCode === undefined ? null : normalizeCouponCode(request.couponCode), currency, priced.subtotal.amountMinor,
      priced.subtotal.amountMinor - priced.total.amountMinor, priced.total.amountMinor,
      JSON.stringify(priced.discounts.map((d) => ({ promotionId: d.promotionId, title: d.title, amountMinor: d.amount.amountMinor }))),
      JSON.stringify(priced.bonuses.map(({ amount, ...b }) => ({ ...b, ...(amount ? { amountMinor: amount.amountMinor } : {}) }))),
      snapshot === null ? null : JSON.stringify(snapshot), priced.promotionIds, new Date(now.getTime() + QUOTE_TTL_SECONDS * 1000), now,
    ],
  );
  const row = rows[0];
  if (!row) throw new Error('quote insert returned no row');
  return row;
}

async function throttleQuotes(db: Queryable, userId: string, now: Date): Promise<void> {
  const state = await hitThrottle(db, `quotes:user:${userId}`, QUOTE_THROTTLE, now);
  if (state.count <= QUOTE_THROTTLE.maxAttempts) return;
  throw new DomainError('rate_limited', 'too_many_quotes', `at most ${QUOTES_PER_USER_MAX} quotes per ${QUOTES_WINDOW_SECONDS} s; retry later`, {
    retryAfterSeconds: state.retryAfterSeconds,
  });
}

export async function createQuote(db: Queryable, now: Date, request: PurchaseRequest, locale: string): Promise<QuoteView> {
  await throttleQuotes(db, request.userId, now);
  const { priced, line, bundle } = await priceAfresh(db, now, request, 'amount');
  const preview = await creditPreview(db, now, line, priced);
  const row = await storeQuote(db, now, request, priced);
  const json = (m: Money): MoneyJson => toJson(m);
  return {
    id: row.id, lineId: priced.lineId, kind: priced.kind, planId: priced.plan?.id ?? null, subtotal: json(priced.subtotal),
    discounts: priced.discounts.map((d) => ({ promotionId: d.promotionId, title: localizedText(d.title, locale), amount: json(d.amount) })),
    bonuses: priced.bonuses.map(({ amount, ...b }) => ({ ...b, title: localizedText(b.title, locale), ...(amount ? { amount: json(amount) } : {}) })),
    total: json(priced.total), currency: priced.total.currency, expiresAt: row.expires_at.toISOString(), createdAt: row.created_at.toISOString(),
    preview, ...(bundle === null ? {} : { bundle: quotedBundle(bundle) }),
  };
}

function quotedBundle(bundle: BundlePrice): QuotedBundle {
  return {
    selection: { ...bundle.allowances },
    blocks: bundle.blocks.map((b) => ({
      unit: b.unit, blockSize: b.blockSize, blockCount: b.blockCount, blockPrice: toJson(money(b.blockPriceMinor, b.price.currency)), price: toJson(b.price),
    })),
  };
}

function pricedFromQuote(row: QuoteRow): PricedPurchase {
  const m = (amountMinor: number): Money => money(Number(amountMinor), row.currency);
  const snap = row.plan_snapshot;
  const plan: PlanSnapshot | null = snap === null ? null : (() => {
    const { priceMinor, currency, ...rest } = snap;
    return { ...rest, price: money(priceMinor, currency) };
  })();
  const discounts = row.discounts.map((d) => ({ promotionId: d.promotionId, title: d.title, amount: m(d.amountMinor) }));
  const bonuses = row.bonuses.map(({ amountMinor, ...b }) => ({ ...b, ...(amountMinor === undefined ? {} : { amount: m(amountMinor) }) }));
  const totals = bonusTotals(bonuses, row.currency);
  return {
    quoteId: row.id, lineId: row.line_id, kind: row.kind, plan, subtotal: m(row.subtotal_minor), discounts, bonuses,
    total: m(row.total_minor), promotionIds: [...row.promotion_ids],
    bonus: { dataMb: totals.dataMb, validityDays: totals.validityDays, walletCredit: totals.amount },
  };
}

function sameSelection(a: Allowances, b: Allowances | null): boolean {
  return b !== null && a.dataMb === b.dataMb && a.voiceMin === b.voiceMin && a.sms === b.sms;
}

/** What the order repeats of its quote must be what was quoted: the quote's price is for that purchase only. */
function assertQuoteMatches(row: QuoteRow, request: PurchaseRequest): void {
  const errors: FieldError[] = [];
  if (request.planId !== undefined && request.planId !== row.plan_id) errors.push({ path: 'planId', message: 'differs from the quote' });
  if (request.topupAmount !== undefined && (request.topupAmount.amountMinor !== Number(row.topup_amount_minor) || request.topupAmount.currency !== row.currency)) {
    errors.push({ path: 'topupAmount', message: 'differs from the quote' });
  }
  if (request.couponCode !== undefined && normalizeCouponCode(request.couponCode) !== (row.coupon_code ?? '')) {
    errors.push({ path: 'couponCode', message: 'differs from the quote' });
  }
  if (request.bundle !== undefined && !sameSelection(request.bundle, row.bundle)) errors.push({ path: 'bundle', message: 'differs from the quote' });
  if (errors.length > 0) throw validation('quote_mismatch', 'the order does not match its quote', errors);
}

async function pricedFromQuoteId(db: Queryable, now: Date, request: PurchaseRequest & { quoteId: string }): Promise<PricedPurchase> {
  const { rows } = await db.query<QuoteRow>('SELECT * FROM quotes WHERE id = $1', [request.quoteId]);
  const row = rows[0];
  // Another user's quote, or one for another line, answers like a missing one.
  if (!row || row.user_id !== request.userId || row.line_id !== request.lineId) throw notFound('quote_not_found', 'no such quote');
  if (now.getTime() >= row.expires_at.getTime()) throw new DomainError('gone', 'quote_expired', 'the quote has expired; ask for a new one');
  assertQuoteMatches(row, request);
  return pricedFromQuote(row);
}

/**
 * Deletes quotes that expired more than QUOTE_RETENTION_AFTER_EXPIRY_SECONDS ago, at most
 * QUOTE_CLEANUP_BATCH_MAX, oldest first; returns how many. A quote an order names is kept (an order
 * records which promise it was placed on; orders.quote_id has no foreign key, so this query is the
 * guard). Idempotent: a second run, or another worker's, deletes nothing twice. An expired quote
 * can no longer be ordered on, so no order can start naming one that is being deleted.
 */
export async function deleteExpiredQuotes(db: Queryable, now: Date): Promise<number> {
  const cutoff = new Date(now.getTime() - QUOTE_RETENTION_AFTER_EXPIRY_SECONDS * 1000);
  const { rowCount } = await db.query(
    `DELETE FROM quotes WHERE id IN (
       SELECT q.id FROM quotes q
        WHERE q.expires_at < $1 AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.quote_id = q.id)
        ORDER BY q.expires_at LIMIT $2)`,
    [cutoff, QUOTE_CLEANUP_BATCH_MAX],
  );
  return rowCount;
}

/**
 * Prices a purchase for an order: from a still-valid quote of this user and line when `quoteId` is
 * given (410 `quote_expired` after expiresAt, 404 `quote_not_found` for another user's), else
 * afresh exactly like POST /quotes.
 */
export async function priceForOrder(db: Queryable, now: Date, input: PurchaseRequest): Promise<PricedPurchase> {
  if (input.quoteId !== undefined) {
    await getOwnedLine(db, input.userId, input.lineId);
    return pricedFromQuoteId(db, now, { ...input, quoteId: input.quoteId });
  }
  const { priced, line } = await priceAfresh(db, now, input, 'topupAmount');
  // Refuse now, before payment, what crediting would refuse later (an add-on without a plan).
  await creditPreview(db, now, line, priced);
  return priced;
}

// ---- Redemptions ---------------------------------------------------------------------------------

export { RESERVE_PROMOTIONS_MAX, releasePromotions, reservePromotions } from './redemptions.ts';
