// Orders: a subscriber buys a plan or a wallet top-up for one of their lines and pays by a hosted
// provider (card, PayPal, Alipay, WeChat Pay), the wallet or a voucher. Owns `orders`,
// `order_events`, `vouchers`, `reconciliation_reports`; decides when a payment or refund changes,
// through the payments module's operations (payments owns `payments` and `refunds`) and posts
// money only through the ledger's. Invariants: one order per
// (user, Idempotency-Key) (unique index); credit only for a captured payment, once (settlement.ts);
// wallet and voucher orders are paid in the transaction that creates them or not created at all;
// no transaction is held open across a provider call; unpaid orders expire after 30 min (app clock).
import type { Logger } from 'pino';
import {
  ProviderRejectedError, ProviderUnavailableError, type CreatedPayment, type PaymentFlow, type PaymentProvider, type PayerContext, type ProviderName,
} from '../../adapters/payments/types.ts';
import { clampPageLimit, keysetPage } from '../../db/keyset-page.ts';
import { settleInSendOrder, type Db, type Queryable } from '../../db/types.ts';
import { DomainError, conflict, validation } from '../../domain/errors.ts';
import { newId } from '../../domain/ids.ts';
import { toJson, type Money } from '../../domain/money.ts';
import { enqueue } from '../../jobs/queue.ts';
import type { Actor } from '../audit/service.ts';
import { markQuoteUsed, priceForOrder, reservePromotions, type PricedPurchase } from '../catalog/service.ts';
import type { Clock } from '../clock/service.ts';
import { assertLineRechargeable } from '../lines/service.ts';
import {
  assertFlowOffered, createCapturedPayment, createPayment, isExternalMethod, jsapiOpenid, paymentOfOrder, recordPaymentAction,
  type ExternalMethod, type PaymentMethod, type PaymentProviders,
} from '../payments/service.ts';
import { loadOrder, orderNotFound, orderView, toOrderView, type OrderEventRow, type OrderRow, type OrderStatus, type OrderView } from './records.ts';
import { settlePaidOrder } from './settlement.ts';
import type { OrderPage } from './schemas.ts';
import { closeUnpaidOrder } from './unpaid.ts';
import { redeemVoucher } from './vouchers.ts';

/** SPEC: unpaid orders expire after 30 minutes of application-clock time. */
export const ORDER_PAYMENT_WINDOW_SECONDS = 30 * 60;
export const ORDER_EXPIRY_QUEUE = 'order_expiry';
declare module '../../jobs/queue.ts' {
  interface JobPayloads {
    /** Expire an unpaid order when its payment window closes. */
    order_expiry: { orderId: string };
  }
}
export const EXPIRY_SWEEP_BATCH_MAX = 200;
/**
 * Orders one user may hold waiting for payment at once; the next is refused (429
 * too_many_unpaid_orders, Retry-After until the oldest one's window closes). Each holds a provider
 * payment, reserved promotions and an expiry job: without a bound one account could open them without end.
 */
export const UNPAID_ORDERS_PER_USER_MAX = 10;

/** What placing, paying and closing orders need from the composition root. */
export interface OrderDeps {
  db: Db;
  clock: Clock;
  /** Voucher codes are looked up by their keyed hash. */
  secretKey: Buffer;
  log: Logger;
  providers: PaymentProviders;
  /** The base URL payers and providers reach (return and notification URLs); known once the server listens. */
  publicUrl: () => string;
}

export interface PlaceOrderInput {
  userId: string;
  lineId: string;
  planId?: string;
  topupAmount?: Money;
  bundle?: { dataMb: number; voiceMin: number; sms: number };
  quoteId?: string;
  couponCode?: string;
  paymentMethod: PaymentMethod;
  /** The channel asked of the provider (API: paymentFlow); undefined = the provider's default, as before the field existed. */
  paymentFlow?: PaymentFlow;
  /** The payer's address as the server sees it (WeChat Pay H5 orders report it as payer_client_ip). */
  clientIp?: string;
  /**
   * A card order to be charged off-session on a saved method (auto-renewal): its payment belongs
   * to the provider that holds the method, and no payment page is opened for it.
   */
  offSessionProvider?: ProviderName;
  voucherCode?: string;
  idempotencyKey: string | null;
  locale: string;
  actor: Actor;
  /**
   * The idempotency layer's record of this request's answer, for an order paid at once: called in
   * the order's transaction with the answer (so the key is answered exactly when the order
   * commits); it throws, rolling the order back, when the key was answered already. With it, the
   * key is not looked up first: the (user, key) unique index still finds an order placed with it.
   */
  answerInTransaction?: (tx: Queryable, order: OrderView) => Promise<void>;
}

/** Wallet and voucher orders are paid (or refused) in the transaction that creates them. */
export const isPaidAtOnce = (method: PaymentMethod): boolean => !isExternalMethod(method);

function checkMethod(input: PlaceOrderInput): void {
  if (input.paymentMethod === 'voucher' && !input.voucherCode) {
    throw validation('invalid_voucher', 'paymentMethod "voucher" needs a voucherCode', [{ path: 'voucherCode', message: 'required' }]);
  }
  if (input.paymentMethod === 'wallet' && input.topupAmount !== undefined) throw walletTopup();
}

const walletTopup = (): DomainError =>
  validation('invalid_payment_method', 'a wallet top-up cannot be paid from the wallet', [{ path: 'paymentMethod', message: 'not for top-ups' }]);

/**
 * Places an order (API.md POST /orders). Idempotent by the (user, key) unique index: a retry —
 * even after a crash between this commit and the stored HTTP response — returns the same order.
 */
export async function placeOrder(deps: OrderDeps, input: PlaceOrderInput): Promise<OrderView> {
  if (input.idempotencyKey !== null && input.answerInTransaction === undefined) {
    const existing = await findOrderByKey(deps.db, input.userId, input.idempotencyKey);
    if (existing) return startProviderPayment(deps, existing, input.locale, input.clientIp);
  }
  checkMethod(input);
  const now = deps.clock.now();
  // The line is read once (with its carrier and credit state): checked as this user's and rechargeable, then priced against.
  const { line, creditState } = await assertLineRechargeable(deps.db, input.lineId, now, { userId: input.userId });
  const priced = await priceForOrder(deps.db, now, {
    userId: input.userId, lineId: input.lineId, quoteId: input.quoteId, planId: input.planId,
    topupAmount: input.topupAmount, bundle: input.bundle, couponCode: input.couponCode,
  }, { line, creditState });
  // A top-up plan (planId of kind topup) is a top-up too: paid from the wallet it would fill, its
  // journal would net to nothing and the line would get a recharge (and maybe validity) for free.
  if (priced.kind === 'topup' && input.paymentMethod === 'wallet') throw walletTopup();
  // Refuse an unconfigured method, or a currency its provider cannot settle, before anything is written.
  const provider = isExternalMethod(input.paymentMethod) ? providerFor(deps, input.paymentMethod, input.offSessionProvider) : null;
  if (provider) assertProviderSettles(provider, priced.total.currency);
  // A flow the method or its provider cannot honour, or JSAPI without the payer's openid: refused before anything is written.
  assertFlowOffered(input.paymentMethod, input.paymentFlow, provider);
  if (input.paymentFlow === 'jsapi' && provider) await jsapiOpenid(deps.db, deps.providers, input.userId, provider.name);
  const created = await deps.db.transaction((tx) => createOrderRecords(tx, deps, input, priced, provider, now));
  return created.paid?.view ?? startProviderPayment(deps, created.order, input.locale, input.clientIp);
}

function providerFor(deps: OrderDeps, method: ExternalMethod, offSessionProvider: ProviderName | undefined): PaymentProvider {
  if (offSessionProvider === undefined) return deps.providers.forMethod(method);
  const holder = deps.providers.byName(offSessionProvider);
  if (!holder) throw validation('payment_method_unavailable', `payment provider ${offSessionProvider} is not configured`);
  return holder;
}

/**
 * Refuses before anything is written an order in a currency the provider does not settle (Alipay
 * and WeChat Pay: yuan only), which the adapter would refuse at creation anyway. Any other refusal
 * still arrives as the adapter's error (startProviderPayment).
 */
function assertProviderSettles(provider: PaymentProvider, currency: string): void {
  const only = provider.currencies;
  if (only !== null && !only.includes(currency)) {
    throw validation('currency_not_supported', `${provider.name} settles ${only.join(', ')} only; this order is in ${currency}: choose another payment method`);
  }
}

async function findOrderByKey(q: Queryable, userId: string, key: string): Promise<OrderRow | null> {
  const { rows } = await q.query<OrderRow>('SELECT * FROM orders WHERE user_id = $1 AND idempotency_key = $2', [userId, key]);
  return rows[0] ?? null;
}

/** What the order's transaction returns: the order, and for one paid at once the answer (its view). */
interface CreatedOrder {
  order: OrderRow;
  paid: { view: OrderView } | null;
}

async function createOrderRecords(
  tx: Queryable, deps: OrderDeps, input: PlaceOrderInput, priced: PricedPurchase, provider: PaymentProvider | null, now: Date,
): Promise<CreatedOrder> {
  // Wallet, voucher (and free) orders are paid at once, in this transaction — or not created.
  const paidAtOnce = provider === null || priced.total.amountMinor === 0;
  if (!paidAtOnce) await assertRoomForUnpaidOrder(tx, input.userId, now);
  const order = await insertOrder(tx, input, priced, paidAtOnce ? 'paid' : 'awaiting_payment', now);
  if (!order) {
    // Another request with this key committed first (the idempotency layer normally prevents it).
    const existing = input.idempotencyKey === null ? null : await findOrderByKey(tx, input.userId, input.idempotencyKey);
    if (!existing) throw conflict('idempotency_key_in_use', 'a request with this Idempotency-Key is still being processed; retry shortly');
    return { order: existing, paid: null };
  }
  await reservePromotions(tx, { orderId: order.id, userId: input.userId, lineId: priced.lineId, promotionIds: priced.promotionIds, now });
  await markQuoteUsed(tx, { quoteId: priced.quoteId, orderId: order.id, now });
  if (!paidAtOnce) {
    const offSession = input.offSessionProvider === undefined ? {} : { action: { type: 'none' as const } };
    const flow = input.paymentFlow === undefined ? {} : { flow: input.paymentFlow };
    await createPayment(tx, { orderId: order.id, provider: provider.name, amount: priced.total, now, ...offSession, ...flow });
    await enqueue(tx, { queue: ORDER_EXPIRY_QUEUE, payload: { orderId: order.id }, runAt: order.expires_at, dedupeKey: `expire:${order.id}` });
    return { order, paid: null };
  }
  if (input.paymentMethod === 'voucher' && input.voucherCode) {
    await redeemVoucher(tx, { secretKey: deps.secretKey, code: input.voucherCode, orderId: order.id, userId: input.userId, total: priced.total, now, actor: input.actor });
  }
  const paidBy = provider?.name ?? (input.paymentMethod === 'wallet' ? 'wallet' : 'voucher');
  const payment = await createCapturedPayment(tx, { orderId: order.id, provider: paidBy, amount: priced.total, now });
  const events: OrderEventRow[] = ORDER_STATUSES_AT_CREATION.paid.map((status) => ({ at: now, status, detail: null }));
  const view = toOrderView(order, payment, events, input.locale);
  // The answer is complete before the money moves (settling changes neither row). It is sent with
  // the settlement, not awaited first: a key known already fails its statement, which aborts the
  // transaction on the server and so everything sent behind it. The journals are the last statement
  // of the order's transaction (placeOrder owns it) and carry its COMMIT.
  await settleInSendOrder([
    input.answerInTransaction?.(tx, view),
    settlePaidOrder(tx, order, payment, { now, actor: input.actor }, { endsTransaction: true }),
  ]);
  return { order, paid: { view } };
}

/**
 * Refuses a user's next unpaid order beyond UNPAID_ORDERS_PER_USER_MAX. A transaction-scoped
 * advisory lock on the user serialises their placements, so parallel requests cannot all see room
 * for one more; orders past their window count no more (the expiry sweep is about to close them).
 */
async function assertRoomForUnpaidOrder(tx: Queryable, userId: string, now: Date): Promise<void> {
  await tx.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`unpaid-orders:${userId}`]);
  const { rows } = await tx.query<{ n: number; soonest: Date | null }>(
    `SELECT count(*)::int AS n, min(expires_at) AS soonest FROM orders
      WHERE user_id = $1 AND status = 'awaiting_payment' AND expires_at > $2`,
    [userId, now],
  );
  const unpaid = rows[0]?.n ?? 0;
  if (unpaid < UNPAID_ORDERS_PER_USER_MAX) return;
  const soonestMs = rows[0]?.soonest ? new Date(rows[0].soonest).getTime() : now.getTime() + ORDER_PAYMENT_WINDOW_SECONDS * 1000;
  const retryAfterSeconds = Math.max(1, Math.ceil((soonestMs - now.getTime()) / 1000));
  throw new DomainError('rate_limited', 'too_many_unpaid_orders',
    `${unpaid} orders are waiting for payment (at most ${UNPAID_ORDERS_PER_USER_MAX}): pay or cancel one, or wait until the oldest expires`,
    { retryAfterSeconds });
}

/** The events an order is created with: a paid-at-once order passed through awaiting payment. */
const ORDER_STATUSES_AT_CREATION = { awaiting_payment: ['awaiting_payment'], paid: ['awaiting_payment', 'paid'] } as const;

/** Inserts the order with its creation events (one statement); null when (user, key) exists already. */
async function insertOrder(
  tx: Queryable, input: PlaceOrderInput, priced: PricedPurchase, status: 'awaiting_payment' | 'paid', now: Date,
): Promise<OrderRow | null> {
  const discountMinor = priced.subtotal.amountMinor - priced.total.amountMinor;
  const { rows } = await tx.query<OrderRow>(
    `WITH o AS (
       INSERT INTO orders (id, user_id, line_id, kind, status, plan, quote_id, subtotal_minor, discount_minor, total_minor, currency,
                           discounts, bonus, promotion_ids, payment_method, idempotency_key, expires_at, created_at, updated_at, paid_at)
       VALUES ($1, $2, $3, $4, $18, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $17, CASE WHEN $18 = 'paid' THEN $17::timestamptz END)
       ON CONFLICT (user_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING RETURNING *),
     e AS (
       INSERT INTO order_events (order_id, at, status)
       SELECT o.id, o.created_at, s.status FROM o, unnest($19::text[]) WITH ORDINALITY AS s(status, n) ORDER BY s.n)
     SELECT * FROM o`,
    [
      // A top-up order carries no plan (orders CHECK): a top-up plan only names the amount.
      newId('ord'), input.userId, priced.lineId, priced.kind, priced.kind === 'plan' && priced.plan ? JSON.stringify(priced.plan) : null, priced.quoteId,
      priced.subtotal.amountMinor, discountMinor, priced.total.amountMinor, priced.total.currency,
      JSON.stringify(priced.discounts.map((d) => ({ promotionId: d.promotionId, title: d.title, amount: toJson(d.amount) }))),
      JSON.stringify({ dataMb: priced.bonus.dataMb, validityDays: priced.bonus.validityDays, walletCreditMinor: priced.bonus.walletCredit.amountMinor }),
      priced.promotionIds, input.paymentMethod, input.idempotencyKey, new Date(now.getTime() + ORDER_PAYMENT_WINDOW_SECONDS * 1000), now,
      status, ORDER_STATUSES_AT_CREATION[status],
    ],
  );
  return rows[0] ?? null;
}

/**
 * Asks the provider for the payer's action, after the order committed (no transaction spans the
 * network call). Idempotent: a payment that already has its action is left alone, and providers
 * key their create calls by our payment id. Any provider error fails the order before payment
 * (promotions released, key freed): unreachable → 503 provider_unavailable (safe to retry);
 * anything else is final → 422 currency_not_supported / payment_method_unavailable, which the
 * idempotency record keeps for the key. Never a 500, never an order left waiting with no action.
 */
async function startProviderPayment(deps: OrderDeps, order: OrderRow, locale: string, clientIp: string | undefined): Promise<OrderView> {
  const payment = await paymentOfOrder(deps.db, order.id);
  if (!payment || payment.action !== null || order.status !== 'awaiting_payment' || payment.provider === 'wallet' || payment.provider === 'voucher') {
    return orderView(deps.db, order, locale, { payment });
  }
  const provider = deps.providers.byName(payment.provider);
  if (!provider) {
    const refusal = new DomainError('validation', 'payment_method_unavailable', `payment provider ${payment.provider} is not configured`);
    await failBeforePayment(deps, order.id, refusal.message);
    throw refusal;
  }
  const publicUrl = deps.publicUrl();
  let created: CreatedPayment;
  try {
    const flow = payment.flow ?? undefined;
    created = await provider.createPayment({
      paymentId: payment.id, orderId: order.id, amount: { amountMinor: payment.amount_minor, currency: payment.currency },
      description: order.plan ? (order.plan.name['en'] ?? order.plan.code) : 'Wallet top-up',
      returnUrl: `${publicUrl}/orders/${order.id}`, notifyUrl: `${publicUrl}/api/v1/webhooks/${provider.name}`,
      ...(flow === undefined ? {} : { flow, payer: await payerOf(deps, order.user_id, flow, provider.name, clientIp) }),
    });
  } catch (error) {
    if (error instanceof ProviderUnavailableError) {
      await failBeforePayment(deps, order.id, 'payment provider unavailable');
      throw new DomainError('unavailable', 'provider_unavailable', 'the payment provider cannot be reached; nothing was charged, retry');
    }
    const refusal = paymentRefusal(provider.name, error);
    if (!(error instanceof DomainError || error instanceof ProviderRejectedError)) {
      deps.log.error({ err: error, orderId: order.id, provider: provider.name }, 'payment adapter failed unexpectedly: order failed before payment');
    }
    await failBeforePayment(deps, order.id, refusal.message);
    throw refusal;
  }
  // Outside the try: the provider has the payment now, so a database error here must not fail the
  // order — the client's retry with the key finds it and asks the provider again (deduped by id).
  const withAction = await recordPaymentAction(deps.db, payment.id, created.providerRef, created.action, deps.clock.now());
  return orderView(deps.db, await loadOrder(deps.db, order.id), locale, { payment: withAction ?? undefined });
}

/** What the flow needs to know about the payer: H5 the client's address, JSAPI the openid (read again at each attempt). */
async function payerOf(deps: OrderDeps, userId: string, flow: PaymentFlow, providerName: string, clientIp: string | undefined): Promise<PayerContext> {
  const openid = flow === 'jsapi' ? await jsapiOpenid(deps.db, deps.providers, userId, providerName) : undefined;
  return { ...(clientIp === undefined ? {} : { clientIp }), ...(openid === undefined ? {} : { wechatOpenid: openid }) };
}

/** A provider's final "no" at payment creation, as the stable code the subscriber's client can act on. */
function paymentRefusal(provider: string, error: unknown): DomainError {
  if (error instanceof DomainError && error.code === 'currency_not_supported') return validation('currency_not_supported', error.message);
  const why = error instanceof ProviderRejectedError ? `: ${error.message.slice(0, 200)}` : '';
  return validation('payment_method_unavailable', `the payment provider ${provider} refused this payment${why}; nothing was charged — choose another method`);
}

async function failBeforePayment(deps: OrderDeps, orderId: string, detail: string): Promise<void> {
  await deps.db.transaction(async (tx) => {
    const failed = await closeUnpaidOrder(tx, { orderId, to: 'failed', now: deps.clock.now(), detail });
    // The key is freed so the client's retry (the 503 says "safe to retry") places a fresh order;
    // after a final refusal (422) the idempotency record answers the key's retries instead.
    if (failed) await tx.query('UPDATE orders SET idempotency_key = NULL WHERE id = $1', [orderId]);
  });
}

export async function getOrder(q: Queryable, userId: string | null, orderId: string, locale = 'en'): Promise<OrderView> {
  return orderView(q, await loadOrder(q, orderId, userId === null ? {} : { userId }), locale);
}

export type { OrderPage };

/** Newest first; the cursor is the last id of the previous page (ids are time-ordered). */
export async function listOrders(
  q: Queryable,
  filter: { userId?: string; lineId?: string; status?: OrderStatus; limit: number; cursor?: string; locale?: string },
): Promise<OrderPage> {
  const limit = clampPageLimit(filter.limit);
  const { rows } = await q.query<OrderRow>(
    `SELECT * FROM orders
      WHERE ($1::text IS NULL OR user_id = $1) AND ($2::text IS NULL OR line_id = $2)
        AND ($3::text IS NULL OR status = $3) AND ($4::text IS NULL OR id < $4)
      ORDER BY id DESC LIMIT $5`,
    [filter.userId ?? null, filter.lineId ?? null, filter.status ?? null, filter.cursor ?? null, limit + 1],
  );
  const page = keysetPage(rows, limit, (row) => row.id);
  const items: OrderView[] = [];
  for (const row of page.items) items.push(await orderView(q, row, filter.locale));
  return { items, nextCursor: page.nextCursor };
}

/** Only while awaiting payment (409 order_not_cancellable otherwise); releases promotions. Guarded UPDATE. */
export async function cancelOrder(deps: Pick<OrderDeps, 'db' | 'clock'>, userId: string, orderId: string, locale: string): Promise<OrderView> {
  const now = deps.clock.now();
  await deps.db.transaction(async (tx) => {
    const order = await loadOrder(tx, orderId, { userId });
    const cancelled = await closeUnpaidOrder(tx, { orderId: order.id, to: 'cancelled', now });
    if (!cancelled) throw conflict('order_not_cancellable', `an order that is ${order.status} cannot be cancelled`);
  });
  return getOrder(deps.db, userId, orderId, locale);
}

/** Expires one unpaid order whose window has passed; a no-op otherwise (guarded UPDATE). */
export async function expireOrder(db: Db, orderId: string, now: Date): Promise<boolean> {
  return db.transaction(async (tx) => {
    const due = await tx.query('SELECT 1 FROM orders WHERE id = $1 AND status = $2 AND expires_at <= $3', [orderId, 'awaiting_payment', now]);
    if (due.rowCount === 0) return false;
    return (await closeUnpaidOrder(tx, { orderId, to: 'expired', now })) !== null;
  });
}

/** The periodic sweep behind the per-order expiry jobs (catches orders whose job was lost). */
export async function expireDueOrders(db: Db, now: Date): Promise<number> {
  const { rows } = await db.query<{ id: string }>(
    `SELECT id FROM orders WHERE status = 'awaiting_payment' AND expires_at <= $1 ORDER BY expires_at LIMIT $2`,
    [now, EXPIRY_SWEEP_BATCH_MAX],
  );
  let expired = 0;
  for (const { id } of rows) if (await expireOrder(db, id, now)) expired++;
  return expired;
}

export { orderNotFound };

// What the carrier-adapters module needs to settle a carrier's callback: whether the order waits on
// that carrier, its completion (in the callback's transaction) and the refund when the carrier refuses.
export { completeProvisioning, isAwaitingCarrier } from './provisioning.ts';
export { compensateFailedProvisioning, type RefundDeps } from './refunds.ts';
