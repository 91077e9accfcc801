// How a stored plan is listed and sold: its price and allowances as the catalog shows them (a
// bundle's are those of its minimum selection), the offer a bundle makes, and the snapshot an
// order and a quote keep of the plan as it was bought.
import { money, zero, type Money } from '../../domain/money.ts';
import type { ExpiryPolicy, PlanKind } from '../../domain/plan-credit.ts';
import {
  BUNDLE_MAX_DATA_MB, BUNDLE_MAX_SMS, BUNDLE_MAX_VOICE_MIN, PLAN_PRICE_MAX_MINOR, minimumBundleSelection,
  type AllowanceUnit, type Allowances, type BundlePrice,
} from '../../domain/pricing.ts';
import type { BundleModuleJson } from './schemas.ts';
import type { Plan } from './store.ts';
import type { BundleOffer } from './schemas.ts';

/** The plan as bought, kept on the quote and the order: later edits of the plan change neither. */
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

export function bundleModulesJson(plan: Plan): BundleModuleJson[] | null {
  return plan.bundleModules?.map((m) => ({ unit: m.unit, blockSize: m.blockSize, blockPrice: { amount: m.blockPriceMinor, currency: plan.currency } })) ?? null;
}

/** A bundle's minimum selection (stored bundles are validated, so it exists), or null for other plans. */
function bundleMinimum(plan: Plan): BundlePrice | null {
  if (plan.bundleModules === null) return null;
  const minimum = minimumBundleSelection(plan.bundleModules, plan.currency);
  return minimum.ok ? minimum.value : null;
}

/** The listed price: the plan's, or for a bundle its minimum selection's (one block of the cheapest module). */
export function listedPrice(plan: Plan): Money {
  if (plan.priceMinor !== null) return money(plan.priceMinor, plan.currency);
  return bundleMinimum(plan)?.price ?? zero(plan.currency);
}

/** The listed allowances: the plan's, or for a bundle its minimum selection's. */
export function listedAllowances(plan: Plan): Allowances {
  return bundleMinimum(plan)?.allowances ?? plan.allowances;
}

const SELECTION_MAX_BY_UNIT: Readonly<Record<AllowanceUnit, number>> = { data: BUNDLE_MAX_DATA_MB, voice: BUNDLE_MAX_VOICE_MIN, sms: BUNDLE_MAX_SMS };

export function bundleOffer(plan: Plan): BundleOffer | null {
  const modules = bundleModulesJson(plan);
  if (modules === null) return null;
  return {
    modules: modules.map((m) => ({ ...m, maxQuantity: SELECTION_MAX_BY_UNIT[m.unit] })),
    minimumSelection: listedAllowances(plan),
    maxPrice: { amount: PLAN_PRICE_MAX_MINOR, currency: plan.currency },
  };
}

export function snapshotOf(plan: Plan, bundle: { price: Money; allowances: Allowances } | null): PlanSnapshot {
  return {
    id: plan.id, code: plan.code, name: { ...plan.name }, kind: plan.kind, validityDays: plan.validityDays,
    allowances: { ...(bundle?.allowances ?? plan.allowances) }, expiryPolicy: plan.expiryPolicy,
    price: bundle?.price ?? listedPrice(plan), autoRenewable: plan.autoRenewable,
  };
}
