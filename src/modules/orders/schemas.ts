// Request and response shapes of the order, wallet, refund, voucher and reconciliation routes.
// Requests: structure and protective bounds only; business rules (currency of the line, a plan that
// exists…) are the use cases', answering 422 with their own codes. Responses: API.md's shapes; the
// view types (OrderView, WalletView, RefundView…) are inferred from them, never written twice.
import { z } from 'zod';
import { ORDER_KINDS } from '../../domain/pricing.ts';
import { isKnownCurrency } from '../../domain/money.ts';
import { PAYMENT_FLOWS } from '../../adapters/payments/types.ts';
import { moneyJsonSchema, paymentViewSchema } from '../payments/schemas.ts';
import { PAYMENT_METHODS, REFUND_DESTINATIONS, REFUND_STATUSES } from '../payments/service.ts';
import { RECONCILIATION_ISSUE_KINDS } from './reconciliation.ts';
import { ORDER_STATUSES } from './records.ts';
import { VOUCHER_BATCH_MAX } from './vouchers.ts';

const ID_MAX_LENGTH = 100;
const CURSOR_MAX_LENGTH = 100;
export const PAGE_LIMIT_MAX = 500;
export const PAGE_LIMIT_DEFAULT = 50;

export const moneyBody = z.object({
  amount: z.number().int().safe(),
  currency: z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 code').refine(isKnownCurrency, 'a currency simkeep accepts'),
});

export const createOrderBody = z
  .object({
    lineId: z.string().min(1).max(ID_MAX_LENGTH),
    planId: z.string().min(1).max(ID_MAX_LENGTH).optional(),
    // Structure only, as on POST /quotes: the amount's rules answer 422 invalid_amount from the catalog.
    topupAmount: z.object({ amount: z.number(), currency: z.string().max(3) }).optional(),
    bundle: z.object({ dataMb: z.number().int().min(0), voiceMin: z.number().int().min(0), sms: z.number().int().min(0) }).optional(),
    quoteId: z.string().min(1).max(ID_MAX_LENGTH).optional(),
    couponCode: z.string().max(64).optional(),
    paymentMethod: z.enum(PAYMENT_METHODS),
    paymentFlow: z.enum(PAYMENT_FLOWS).optional().describe(
      'the channel to ask the provider for, from where the payer is: `qr` a code to scan (desktop), `h5` the mobile page (a phone\'s browser), ' +
      '`jsapi` WeChat Pay inside WeChat (answers action `jsapi`). alipay: qr, h5; wechat_pay: qr, h5, jsapi; others none (422 payment_flow_unavailable). ' +
      "Absent: the provider's default page or code",
    ),
    voucherCode: z.string().min(1).max(64).optional(),
  })
  .refine((b) => b.quoteId !== undefined || (b.planId === undefined) !== (b.topupAmount === undefined), {
    message: 'give exactly one of planId or topupAmount (or a quoteId)',
    path: ['planId'],
  });

export const orderIdParams = z.object({ id: z.string().min(1).max(ID_MAX_LENGTH) });

const limit = z.coerce.number().int().min(1).max(PAGE_LIMIT_MAX).default(PAGE_LIMIT_DEFAULT);
/** A page cursor is the last order id of the previous page; anything else is a client error, not an empty page. */
const orderCursor = z.string().max(CURSOR_MAX_LENGTH).regex(/^ord_[A-Za-z0-9_]{1,64}$/, 'must be a nextCursor from a previous page');

export const listOrdersQuery = z.object({
  lineId: z.string().min(1).max(ID_MAX_LENGTH).optional(),
  limit,
  cursor: orderCursor.optional(),
});

export const adminOrdersQuery = z.object({
  status: z.enum(ORDER_STATUSES).optional(),
  limit,
  cursor: orderCursor.optional(),
});

export const walletQuery = z.object({ currency: z.string().regex(/^[A-Z]{3}$/).optional() });

/** `pdf` is a known format that is not produced: the route answers 406 pdf_not_available, not a 400. */
export const receiptQuery = z.object({ format: z.enum(['html', 'pdf']).optional() });

export const refundBody = z.object({
  amount: moneyBody.optional(),
  reason: z.string().min(1).max(500),
  destination: z.enum(['provider', 'wallet']).optional(),
});

export const voucherBody = z.object({
  count: z.number().int().min(1).max(VOUCHER_BATCH_MAX),
  amount: moneyBody,
});

export const reconciliationQuery = z.object({ limit, cursor: z.string().regex(/^\d{1,15}$/, 'must be a nextCursor from a previous page').optional() });

// ---------------------------------------------------------------------------------------------
// Responses.

export const orderSchema = z.object({
  id: z.string(),
  lineId: z.string(),
  kind: z.enum(ORDER_KINDS),
  status: z.enum(ORDER_STATUSES),
  plan: z.object({
    id: z.string(),
    code: z.string(),
    name: z.string().describe("in the request's locale"),
    validityDays: z.number().int(),
    allowances: z.object({ dataMb: z.number().int(), voiceMin: z.number().int(), sms: z.number().int() }),
  }).nullable().describe('the plan as sold (a snapshot); null for a top-up'),
  subtotal: moneyJsonSchema,
  discount: moneyJsonSchema,
  total: moneyJsonSchema,
  discounts: z.array(z.object({ promotionId: z.string(), title: z.string(), amount: moneyJsonSchema })),
  bonus: z.object({ dataMb: z.number().int(), validityDays: z.number().int(), walletCredit: moneyJsonSchema }),
  paymentMethod: z.enum(PAYMENT_METHODS),
  payment: paymentViewSchema.nullable(),
  createdAt: z.string(),
  expiresAt: z.string().describe('an unpaid order expires then'),
  paidAt: z.string().nullable(),
  completedAt: z.string().nullable(),
  events: z.array(z.object({ at: z.string(), status: z.string(), detail: z.string().nullable() })),
})
  // Registered by id: the document holds it once, in components (it is in five answers).
  .meta({ id: 'Order' });
export type OrderView = z.infer<typeof orderSchema>;

export const orderPageSchema = z.object({ items: z.array(orderSchema), nextCursor: z.string().nullable() });
export type OrderPage = z.infer<typeof orderPageSchema>;

export const walletSchema = z.object({
  balance: moneyJsonSchema,
  entries: z.array(z.object({ at: z.string(), amount: moneyJsonSchema, reason: z.string(), orderId: z.string().optional() })).describe('newest first'),
});
export type WalletView = z.infer<typeof walletSchema>;

export const refundSchema = z.object({
  id: z.string(),
  orderId: z.string(),
  paymentId: z.string(),
  amount: moneyJsonSchema,
  destination: z.enum(REFUND_DESTINATIONS),
  status: z.enum(REFUND_STATUSES),
  reason: z.string(),
  bonusReversed: moneyJsonSchema.optional().describe("the order's wallet bonus taken back with this refund"),
  bonusShortfall: moneyJsonSchema.optional().describe('the part of that bonus the wallet could not cover'),
  createdAt: z.string(),
  updatedAt: z.string(),
}).meta({ id: 'Refund' });
export type RefundView = z.infer<typeof refundSchema>;

export const issuedVoucherSchema = z.object({ id: z.string(), code: z.string().describe('shown once'), amount: moneyJsonSchema });
export type IssuedVoucher = z.infer<typeof issuedVoucherSchema>;
export const issuedVouchersSchema = z.object({ items: z.array(issuedVoucherSchema) });

export const reconciliationIssueSchema = z.object({
  kind: z.enum(RECONCILIATION_ISSUE_KINDS),
  paymentId: z.string().optional(),
  orderId: z.string().optional(),
  refundId: z.string().optional(),
  detail: z.string(),
});
export type ReconciliationIssue = z.infer<typeof reconciliationIssueSchema>;

export const reconciliationReportSchema = z.object({
  id: z.number().int(),
  ranAt: z.string(),
  checked: z.number().int(),
  repaired: z.number().int(),
  issues: z.array(reconciliationIssueSchema),
}).meta({ id: 'ReconciliationReport' });
export type ReconciliationReport = z.infer<typeof reconciliationReportSchema>;

export const reconciliationPageSchema = z.object({ items: z.array(reconciliationReportSchema), nextCursor: z.string().nullable() });

/** The receipt: a printable HTML page. */
export const receiptResponse = { description: 'The receipt as an HTML page (print it to PDF)', content: { 'text/html': { schema: z.string() } } };
