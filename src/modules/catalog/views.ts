// The shapes the catalog answers with (API.md "Plans", "Promotions", "Quotes").
import type { MoneyJson } from '../../domain/money.ts';
import type { BucketUnit, ExpiryPolicy, PlanKind } from '../../domain/plan-credit.ts';
import type { Allowances } from '../../domain/pricing.ts';
import type { BundleModuleJson } from './plan-input.ts';

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
