// The operator's promotions: create, edit (a PATCH merged onto the stored promotion and validated
// whole), list. Every change is audited; an active coupon code is unique (409 coupon_code_taken);
// maxRedemptions never drops below what is already redeemed.
import { clampPageLimit, keysetPage, type Page } from '../../db/keyset-page.ts';
import type { Db, Queryable } from '../../db/types.ts';
import { PG_UNIQUE_VIOLATION, pgErrorCode } from '../../db/types.ts';
import { DomainError, conflict, notFound, validation, type FieldError } from '../../domain/errors.ts';
import { newId } from '../../domain/ids.ts';
import { validatePromotionInput, type Promotion } from '../../domain/promotion.ts';
import { recordAudit, type Actor } from '../audit/service.ts';
import { fieldChanges, mergePatch } from './changes.ts';
import type { AdminPage } from './plans.ts';
import { findPlans, findPromotion, listPromotionRows, type StoredPromotion } from './store.ts';
import type { PromotionView } from './schemas.ts';
import { changeCatalog } from './cache.ts';

function promotionView(p: StoredPromotion): PromotionView {
  return {
    id: p.id, title: { ...p.title }, kind: p.kind, value: p.value, currency: p.currency, couponCode: p.couponCode,
    planIds: p.planIds === null ? null : [...p.planIds], startsAt: p.startsAt?.toISOString() ?? null, endsAt: p.endsAt?.toISOString() ?? null,
    maxRedemptions: p.maxRedemptions, perUserLimit: p.perUserLimit, active: p.active, redemptionCount: p.redemptionCount,
    isDemo: p.isDemo, createdAt: p.createdAt.toISOString(), updatedAt: p.updatedAt.toISOString(),
  };
}

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
    return await changeCatalog(db, async (tx) => {
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
    return await changeCatalog(db, async (tx) => {
      // The row lock orders this change with concurrent reservations (maxRedemptions vs the count).
      const current = await findPromotion(tx, id, { lock: true });
      if (!current) throw notFound('promotion_not_found', 'no such promotion');
      const base = promotionBodyOf(current);
      if (patch.kind !== undefined && patch.kind !== current.kind) assertKindChangeComplete(current.kind, patch);
      if (patch.kind !== undefined && patch.kind !== 'amount_off' && patch.currency === undefined) base.currency = null;
      const promotion = await validPromotion(tx, mergePatch(base, patch), current.redemptionCount);
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

export async function listPromotionsForStaff(db: Queryable, page: AdminPage): Promise<Page<PromotionView>> {
  const limit = clampPageLimit(page.limit);
  const { items, nextCursor } = keysetPage(await listPromotionRows(db, { limit: limit + 1, after: page.cursor ?? null, active: page.active ?? null }), limit, (p) => p.id);
  return { items: items.map(promotionView), nextCursor };
}
