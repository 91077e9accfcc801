// Request and answer shapes of the catalog routes. These check structure only (types, lengths, bounds that
// protect the server); business rules — positive integer prices, known currencies and carriers,
// an English name — are the service's, so they answer 422 with the catalog's own codes
// (`invalid_plan`, `invalid_promotion`, `unknown_carrier`…) and every field error at once.
import { z } from 'zod';
import { idCursorParam, pageLimitParam } from '../../db/keyset-page.ts';
import { BUCKET_UNITS, EXPIRY_POLICIES, PLAN_KINDS, type PlanKind } from '../../domain/plan-credit.ts';
import { PROMOTION_KINDS } from '../../domain/promotion.ts';

const TEXT_MAX_LENGTH = 2000;
const LIST_MAX_ITEMS = 500;
const ID_MAX_LENGTH = 100;

const moneyBody = z.object({ amount: z.number(), currency: z.string().max(3) });

const localizedTextBody = z.record(z.string().max(35), z.string().max(TEXT_MAX_LENGTH));

const allowancesBody = z.object({ dataMb: z.number(), voiceMin: z.number(), sms: z.number() });

const bundleModuleBody = z.object({
  unit: z.enum(BUCKET_UNITS),
  blockSize: z.number(),
  blockPrice: moneyBody,
});

const planFields = {
  code: z.string().max(64),
  name: localizedTextBody,
  description: localizedTextBody.optional(),
  kind: z.string().max(20),
  carriers: z.array(z.string().max(64)).max(LIST_MAX_ITEMS).nullable().optional(),
  regions: z.array(z.string().max(8)).max(LIST_MAX_ITEMS),
  price: moneyBody.optional(),
  validityDays: z.number(),
  allowances: allowancesBody,
  autoRenewable: z.boolean(),
  expiryPolicy: z.string().max(20).optional(),
  bundleModules: z.array(bundleModuleBody).max(3).nullable().optional(),
};

export const createPlanBody = z.object(planFields);

export const updatePlanBody = createPlanBody.partial().extend({ active: z.boolean().optional() });

const isoTime = z.iso.datetime({ offset: true });

const promotionFields = {
  title: localizedTextBody,
  kind: z.string().max(40),
  value: z.number(),
  currency: z.string().max(3).nullable().optional(),
  couponCode: z.string().max(64).nullable().optional(),
  planIds: z.array(z.string().max(ID_MAX_LENGTH)).max(LIST_MAX_ITEMS).nullable().optional(),
  startsAt: isoTime.nullable().optional(),
  endsAt: isoTime.nullable().optional(),
  maxRedemptions: z.number().nullable().optional(),
  perUserLimit: z.number().nullable().optional(),
  active: z.boolean().optional(),
};

export const createPromotionBody = z.object(promotionFields);

export const updatePromotionBody = createPromotionBody.partial();

export const idParams = z.object({ id: z.string().min(1).max(ID_MAX_LENGTH) });

export const listPlansQuery = z.object({
  region: z.string().regex(/^[A-Za-z]{2}$/).optional(),
  lineId: z.string().min(1).max(ID_MAX_LENGTH).optional(),
});

export const adminListQuery = z.object({
  active: z.enum(['true', 'false']).optional(),
  limit: pageLimitParam(),
  // The last id of the previous page (plan_… or promo_…).
  cursor: idCursorParam('plan', 'promo').optional(),
});

const bundleSelectionBody = z.object({
  dataMb: z.number().int().min(0),
  voiceMin: z.number().int().min(0),
  sms: z.number().int().min(0),
});

export const createQuoteBody = z
  .object({
    lineId: z.string().min(1).max(ID_MAX_LENGTH),
    planId: z.string().min(1).max(ID_MAX_LENGTH).optional(),
    amount: moneyBody.optional(),
    bundle: bundleSelectionBody.optional(),
    couponCode: z.string().max(64).optional(),
    paymentMethod: z.enum(['card', 'paypal', 'alipay', 'wechat_pay', 'wallet', 'voucher']).optional(),
  })
  // What is bought: a plan (a bundle plan with its selection) or a wallet top-up amount.
  .refine((b) => (b.planId === undefined) !== (b.amount === undefined), {
    message: 'give exactly one of planId or amount',
    path: ['planId'],
  })
  .refine((b) => b.bundle === undefined || b.planId !== undefined, {
    message: 'a bundle selection needs the planId of a bundle plan',
    path: ['bundle'],
  });

// ---- Answers ------------------------------------------------------------------------------------
// Every answer of the catalog routes; the view types the use cases build are inferred from these.

const moneyJson = z.object({ amount: z.number().int(), currency: z.string() });

const allowancesJson = z.object({ dataMb: z.number().int(), voiceMin: z.number().int(), sms: z.number().int() });

const bundleModuleJson = z.object({ unit: z.enum(BUCKET_UNITS), blockSize: z.number().int(), blockPrice: moneyJson });
export type BundleModuleJson = z.infer<typeof bundleModuleJson>;

/**
 * How a custom bundle is composed: its modules with their block prices and the most one bundle may
 * hold of each unit, and the minimum selection that the plan's `price` and `allowances` describe.
 * A quote or an order for it sends `bundle: {dataMb, voiceMin, sms}` in whole blocks.
 */
const bundleOfferSchema = z.object({
  modules: z.array(bundleModuleJson.extend({ maxQuantity: z.number().int() })),
  minimumSelection: allowancesJson,
  maxPrice: moneyJson,
});
export type BundleOffer = z.infer<typeof bundleOfferSchema>;

/** API.md's plan kinds. A custom bundle is sold as a base plan whose allowances the subscriber picks. */
const CATALOG_PLAN_KINDS = ['base', 'addon', 'topup'] as const satisfies readonly PlanKind[];

const catalogPlanFields = {
  id: z.string(),
  code: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  regions: z.array(z.string()),
  price: moneyJson,
  validityDays: z.number().int(),
  allowances: allowancesJson,
  autoRenewable: z.boolean(),
  expiryPolicy: z.enum(EXPIRY_POLICIES),
  bundle: bundleOfferSchema.nullable(),
  promotions: z.array(z.object({ id: z.string(), title: z.string(), endsAt: z.string().nullable() })),
};

/**
 * A plan in the subscriber's catalog (API.md). `kind` stays within API.md's enum: a custom bundle is
 * `base`, with `bundle` saying how it is composed; its `price` and `allowances` are those of its
 * minimum selection (one block of its cheapest module), the least it can cost. `bundle` is null for
 * every other plan.
 */
const catalogPlanSchema = z.object({ ...catalogPlanFields, kind: z.enum(CATALOG_PLAN_KINDS) });
export type CatalogPlanView = z.infer<typeof catalogPlanSchema>;

/**
 * The operator's view of a plan (API.md: "as in the catalog, plus active"): the catalog fields in the
 * caller's language, plus `active` and what operators edit — every language (`names`,
 * `descriptions`), the carriers, and bookkeeping. Unlike the subscriber's catalog, it shows the plan
 * as stored: kind `bundle`, the bundle's own (zero) allowances and its `bundleModules`, since that is
 * what a PATCH edits.
 */
export const planSchema = z.object({
  ...catalogPlanFields,
  kind: z.enum(PLAN_KINDS),
  bundleModules: z.array(bundleModuleJson).nullable(),
  active: z.boolean(),
  carriers: z.array(z.string()).nullable(),
  names: z.record(z.string(), z.string()),
  descriptions: z.record(z.string(), z.string()),
  isDemo: z.boolean(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type PlanView = z.infer<typeof planSchema>;

export const promotionSchema = z.object({
  id: z.string(),
  title: z.record(z.string(), z.string()),
  kind: z.enum(PROMOTION_KINDS),
  value: z.number(),
  currency: z.string().nullable(),
  couponCode: z.string().nullable(),
  planIds: z.array(z.string()).nullable(),
  startsAt: z.string().nullable(),
  endsAt: z.string().nullable(),
  maxRedemptions: z.number().int().nullable(),
  perUserLimit: z.number().int().nullable(),
  active: z.boolean(),
  redemptionCount: z.number().int(),
  isDemo: z.boolean(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type PromotionView = z.infer<typeof promotionSchema>;

/** For a custom bundle: what was chosen and the price of each module's blocks (summing to `subtotal`). */
const quotedBundleSchema = z.object({
  selection: allowancesJson,
  blocks: z.array(z.object({
    unit: z.enum(BUCKET_UNITS), blockSize: z.number().int(), blockCount: z.number().int(), blockPrice: moneyJson, price: moneyJson,
  })),
});
export type QuotedBundle = z.infer<typeof quotedBundleSchema>;

export const quoteSchema = z.object({
  id: z.string(),
  lineId: z.string(),
  kind: z.enum(['plan', 'topup']),
  planId: z.string().nullable(),
  subtotal: moneyJson,
  discounts: z.array(z.object({ promotionId: z.string(), title: z.string(), amount: moneyJson })),
  bonuses: z.array(z.object({
    promotionId: z.string(), title: z.string(), dataMb: z.number().int().optional(), validityDays: z.number().int().optional(), amount: moneyJson.optional(),
  })),
  total: moneyJson,
  currency: z.string(),
  expiresAt: z.string(),
  createdAt: z.string(),
  preview: z.object({
    expiresAt: z.string().nullable(),
    buckets: z.array(z.object({ unit: z.enum(BUCKET_UNITS), quantity: z.number(), expiresAt: z.string(), source: z.string() })),
  }),
  bundle: quotedBundleSchema.optional(),
});
export type QuoteView = z.infer<typeof quoteSchema>;

const pageOf = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item), nextCursor: z.string().nullable() });
export const planPageSchema = pageOf(planSchema);
export const promotionPageSchema = pageOf(promotionSchema);
export const catalogPageSchema = z.object({ items: z.array(catalogPlanSchema), nextCursor: z.null().describe('the whole catalog of a line or region is one page') });
