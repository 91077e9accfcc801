// The subscriber's catalog (GET /plans): the active plans a line (or a region) may buy, each in the
// caller's language with the automatic promotions that would give it something now.
import type { Queryable } from '../../db/types.ts';
import { pickLocalized } from '../../domain/localized-text.ts';
import { toJson } from '../../domain/money.ts';
import { priceQuote } from '../../domain/pricing.ts';
import { selectPromotions } from '../../domain/promotion.ts';
import { getOwnedLine } from '../lines/service.ts';
import { bundleOffer, listedAllowances, listedPrice } from './listed-plan.ts';
import { isFirstRecharge } from './redemptions.ts';
import { findActivePlans, findCandidatePromotions, redemptionCounts, type Plan, type StoredPromotion } from './store.ts';
import type { CatalogPlanView } from './schemas.ts';

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

export interface PromotionScope {
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

export function catalogPlanView(plan: Plan, promotions: readonly StoredPromotion[], scope: PromotionScope, locale: string): CatalogPlanView {
  return {
    id: plan.id, code: plan.code, name: pickLocalized(plan.name, locale),
    description: Object.keys(plan.description).length === 0 ? null : pickLocalized(plan.description, locale),
    kind: plan.kind === 'bundle' ? 'base' : plan.kind, regions: plan.regions, price: toJson(listedPrice(plan)), validityDays: plan.validityDays,
    allowances: listedAllowances(plan), autoRenewable: plan.autoRenewable, expiryPolicy: plan.expiryPolicy, bundle: bundleOffer(plan),
    promotions: planPromotions(plan, promotions, scope).map((p) => ({
      id: p.id, title: pickLocalized(p.title, locale), endsAt: p.endsAt?.toISOString() ?? null,
    })),
  };
}

