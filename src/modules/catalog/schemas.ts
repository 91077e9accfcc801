// Request shapes of the catalog routes. These check structure only (types, lengths, bounds that
// protect the server); business rules — positive integer prices, known currencies and carriers,
// an English name — are the service's, so they answer 422 with the catalog's own codes
// (`invalid_plan`, `invalid_promotion`, `unknown_carrier`…) and every field error at once.
import { z } from 'zod';

const TEXT_MAX_LENGTH = 2000;
const LIST_MAX_ITEMS = 500;
const ID_MAX_LENGTH = 100;

export const moneyBody = z.object({ amount: z.number(), currency: z.string().max(3) });

const localizedText = z.record(z.string().max(35), z.string().max(TEXT_MAX_LENGTH));

const allowancesBody = z.object({ dataMb: z.number(), voiceMin: z.number(), sms: z.number() });

const bundleModuleBody = z.object({
  unit: z.enum(['data', 'voice', 'sms']),
  blockSize: z.number(),
  blockPrice: moneyBody,
});

const planFields = {
  code: z.string().max(64),
  name: localizedText,
  description: localizedText.optional(),
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
  title: localizedText,
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
  limit: z.coerce.number().int().min(1).max(500).default(50),
  // The last id of the previous page (plan_… or promo_…).
  cursor: z.string().max(ID_MAX_LENGTH).regex(/^(plan|promo)_[A-Za-z0-9_]{1,64}$/, 'must be a nextCursor from a previous page').optional(),
});

export const bundleSelectionBody = z.object({
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
