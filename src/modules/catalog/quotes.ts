// Quotes: a price promised for QUOTE_TTL_SECONDS (POST /quotes), and the order placed on one
// (priceForOrder). A quote's row keeps the plan snapshot and every amount, so the order costs what
// was quoted even if the plan changed meanwhile. Quotes are throttled per user, and deleted a day
// after they expire unless an order used them (used_at, set by markQuoteUsed).
import type { Queryable } from '../../db/types.ts';
import { DomainError, notFound, validation, type FieldError } from '../../domain/errors.ts';
import { newId } from '../../domain/ids.ts';
import { pickLocalized } from '../../domain/localized-text.ts';
import { money, toJson, type Money, type MoneyJson } from '../../domain/money.ts';
import { bonusTotals, type Allowances, type BundlePrice, type OrderKind } from '../../domain/pricing.ts';
import { normalizeCouponCode } from '../../domain/promotion.ts';
import { hitThrottle, type ThrottleRule } from '../throttle/service.ts';
import type { LineCreditState, OwnedLine } from '../lines/service.ts';
import type { PlanSnapshot } from './listed-plan.ts';
import { creditPreview, ownedLine, priceAfresh, type PricedPurchase, type PurchaseRequest } from './pricing.ts';
import type { QuotedBundle, QuoteView } from './schemas.ts';

/** How long a quote's price is promised (on the application clock). */
export const QUOTE_TTL_SECONDS = 15 * 60;
/** Quotes one user may ask for per window: each is a stored row, and a client looping on POST /quotes is a bug. Generous: a subscriber comparing plans asks for a handful. */
export const QUOTES_PER_USER_MAX = 200;
export const QUOTES_WINDOW_SECONDS = 60;
const QUOTE_THROTTLE: ThrottleRule = { maxAttempts: QUOTES_PER_USER_MAX, windowSeconds: QUOTES_WINDOW_SECONDS };
/** An expired quote is kept this long (support can still read what was offered), then deleted unless an order names it. */
const QUOTE_RETENTION_AFTER_EXPIRY_SECONDS = 24 * 60 * 60;
/** Quotes one cleanup statement deletes at most. */
export const QUOTE_CLEANUP_BATCH_MAX = 500;

interface QuoteRow {
  id: string;
  user_id: string;
  line_id: string;
  kind: OrderKind;
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
    discounts: priced.discounts.map((d) => ({ promotionId: d.promotionId, title: pickLocalized(d.title, locale), amount: json(d.amount) })),
    bonuses: priced.bonuses.map(({ amount, ...b }) => ({ ...b, title: pickLocalized(b.title, locale), ...(amount ? { amount: json(amount) } : {}) })),
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
 * QUOTE_CLEANUP_BATCH_MAX, oldest first; returns how many. A quote an order used is kept (an order
 * records which promise it was placed on). Idempotent: a second run, or another worker's, deletes
 * nothing twice. An expired quote can no longer be ordered on, so none becomes used while deleted.
 */
export async function deleteExpiredQuotes(db: Queryable, now: Date): Promise<number> {
  const cutoff = new Date(now.getTime() - QUOTE_RETENTION_AFTER_EXPIRY_SECONDS * 1000);
  const { rowCount } = await db.query(
    `DELETE FROM quotes WHERE id IN (
       SELECT id FROM quotes WHERE expires_at < $1 AND used_at IS NULL ORDER BY expires_at LIMIT $2)`,
    [cutoff, QUOTE_CLEANUP_BATCH_MAX],
  );
  return rowCount;
}

/**
 * Marks the quote an order was placed on as used, in the order's transaction (so a rolled-back
 * order leaves it unused); the cleanup then keeps it. Idempotent: the first order keeps the mark.
 */
export async function markQuoteUsed(tx: Queryable, input: { quoteId: string | null; orderId: string; now: Date }): Promise<void> {
  if (input.quoteId === null) return;
  await tx.query('UPDATE quotes SET used_at = $3, used_by_order_id = $2 WHERE id = $1 AND used_at IS NULL', [input.quoteId, input.orderId, input.now]);
}

/**
 * Prices a purchase for an order: from a still-valid quote of this user and line when `quoteId` is
 * given (410 `quote_expired` after expiresAt, 404 `quote_not_found` for another user's), else
 * afresh exactly like POST /quotes.
 */
export async function priceForOrder(
  db: Queryable, now: Date, input: PurchaseRequest, known: { line?: OwnedLine; creditState?: LineCreditState } = {},
): Promise<PricedPurchase> {
  if (input.quoteId !== undefined) {
    await ownedLine(db, input, known.line);
    return pricedFromQuoteId(db, now, { ...input, quoteId: input.quoteId });
  }
  const { priced, line } = await priceAfresh(db, now, input, 'topupAmount', known);
  // Refuse now, before payment, what crediting would refuse later (an add-on without a plan).
  await creditPreview(db, now, line, priced, line === known.line ? known.creditState : undefined);
  return priced;
}
