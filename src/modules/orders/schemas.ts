// Request shapes of the order, wallet, refund, voucher and reconciliation routes. Structure and
// protective bounds only; business rules (currency of the line, a plan that exists…) are the
// use cases', answering 422 with their own codes.
import { z } from 'zod';
import { isKnownCurrency } from '../../domain/money.ts';
import { PAYMENT_METHODS } from '../payments/service.ts';
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
