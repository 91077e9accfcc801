// Payments: one payment record per order (`payments`), its refunds (`refunds`), the provider events
// that changed them (`payment_events`, deduplicated by provider event id) and the sandbox provider's
// own books. This module is the only one that reads or writes those tables; orders decides WHEN a
// payment or refund changes (settlement, refunds) and calls the operations below in its transaction.
// Invariants: a payment is captured at most once (markPaymentCaptured is one guarded UPDATE);
// refunded_minor — captured money reserved by refunds, pending ones included — never exceeds
// amount_minor (CHECK); a refund leaves `pending` once (guarded UPDATE); an event id takes effect
// once (payment_events PK, inserted in the same transaction as the effect).
import type { z } from 'zod';
import { PROVIDER_NAMES, type PaymentAction, type PaymentFlow } from '../../adapters/payments/types.ts';
import type { Queryable } from '../../db/types.ts';
import { DomainError } from '../../domain/errors.ts';
import { newId } from '../../domain/ids.ts';
import { toJson, type Money } from '../../domain/money.ts';
import type { paymentViewSchema } from './schemas.ts';

export { PAYMENT_METHODS, PaymentProviders, assertFlowOffered, isExternalMethod, type ExternalMethod, type PaymentMethod } from './registry.ts';
export { jsapiOpenid } from './wechat-payers.ts';
export type { PaymentOutcomes } from './webhooks.ts';
export { defaultSavedMethod } from './saved-methods.ts';

/** payments.provider: a hosted provider, or simkeep's own wallet and vouchers. */
export const PAYMENT_PROVIDER_NAMES = [...PROVIDER_NAMES, 'wallet', 'voucher'] as const;
export type PaymentProviderName = (typeof PAYMENT_PROVIDER_NAMES)[number];
export const PAYMENT_STATUSES = ['pending', 'succeeded', 'failed', 'cancelled', 'refunded', 'partially_refunded'] as const;
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];

export interface PaymentRow {
  id: string;
  order_id: string;
  provider: PaymentProviderName;
  provider_ref: string | null;
  status: PaymentStatus;
  amount_minor: number;
  currency: string;
  refunded_minor: number;
  action: PaymentAction | null;
  /** The channel the client asked for (migration 0025); null = the provider's default. */
  flow: PaymentFlow | null;
  captured_at: Date | null;
  created_at: Date;
}

export type PaymentView = z.infer<typeof paymentViewSchema>;

export function toPaymentView(p: PaymentRow): PaymentView {
  return {
    id: p.id, provider: p.provider, status: p.status,
    amount: toJson({ amountMinor: p.amount_minor, currency: p.currency }),
    refunded: toJson({ amountMinor: p.refunded_minor, currency: p.currency }),
    // Until the provider answered (or for wallet/voucher payments) there is nothing to do.
    action: p.action ?? { type: 'none' },
  };
}

/**
 * A new pending payment for an order; its id. `action` is set for a payment no hosted page will
 * take (an off-session charge of a saved method): with one, nobody asks the provider for a page.
 */
export async function createPayment(
  tx: Queryable,
  input: { orderId: string; provider: PaymentProviderName; amount: Money; now: Date; action?: PaymentAction; flow?: PaymentFlow },
): Promise<string> {
  const id = newId('pay');
  await tx.query(
    `INSERT INTO payments (id, order_id, provider, status, amount_minor, currency, action, flow, created_at, updated_at)
     VALUES ($1, $2, $3, 'pending', $4, $5, $7, $8, $6, $6)`,
    [id, input.orderId, input.provider, input.amount.amountMinor, input.amount.currency, input.now, input.action ? JSON.stringify(input.action) : null,
      input.flow ?? null],
  );
  return id;
}

/**
 * A wallet, voucher or free order's payment, captured as it is created (in the transaction that
 * creates the order as paid): there is no pending state to guard, the insert is the one capture.
 */
export async function createCapturedPayment(
  tx: Queryable,
  input: { orderId: string; provider: PaymentProviderName; amount: Money; now: Date },
): Promise<PaymentRow> {
  const { rows } = await tx.query<PaymentRow>(
    `INSERT INTO payments (id, order_id, provider, status, amount_minor, currency, captured_at, created_at, updated_at)
     VALUES ($1, $2, $3, 'succeeded', $4, $5, $6, $6, $6) RETURNING *`,
    [newId('pay'), input.orderId, input.provider, input.amount.amountMinor, input.amount.currency, input.now],
  );
  const row = rows[0];
  if (!row) throw new Error(`payment of order ${input.orderId} not inserted`);
  return row;
}

export async function getPayment(q: Queryable, paymentId: string, options: { lock?: boolean } = {}): Promise<PaymentRow | null> {
  const { rows } = await q.query<PaymentRow>(`SELECT * FROM payments WHERE id = $1${options.lock ? ' FOR UPDATE' : ''}`, [paymentId]);
  return rows[0] ?? null;
}

export async function paymentOfOrder(q: Queryable, orderId: string, options: { lock?: boolean } = {}): Promise<PaymentRow | null> {
  const { rows } = await q.query<PaymentRow>(`SELECT * FROM payments WHERE order_id = $1${options.lock ? ' FOR UPDATE' : ''}`, [orderId]);
  return rows[0] ?? null;
}

/** Stores the provider's answer to createPayment; idempotent (a retry stores the same answer again). */
export async function recordPaymentAction(q: Queryable, paymentId: string, providerRef: string, action: PaymentAction, now: Date): Promise<PaymentRow | null> {
  const { rows } = await q.query<PaymentRow>(
    `UPDATE payments SET provider_ref = COALESCE(provider_ref, $2), action = $3, updated_at = $4 WHERE id = $1 RETURNING *`,
    [paymentId, providerRef, JSON.stringify(action), now],
  );
  return rows[0] ?? null;
}

/** The order closed before any money arrived: its pending payment becomes `cancelled` or `failed` (no-op otherwise). */
export async function closePendingPayment(tx: Queryable, input: { orderId: string; status: 'cancelled' | 'failed'; now: Date }): Promise<void> {
  await tx.query(
    `UPDATE payments SET status = $2, updated_at = $3 WHERE order_id = $1 AND status = 'pending' AND captured_at IS NULL`,
    [input.orderId, input.status, input.now],
  );
}

/** The provider declined: pending → failed. False when it was not pending (captured, closed): nothing changed. */
export async function markPaymentFailed(tx: Queryable, paymentId: string, now: Date): Promise<boolean> {
  const { rowCount } = await tx.query(
    `UPDATE payments SET status = 'failed', updated_at = $2 WHERE id = $1 AND status = 'pending' AND captured_at IS NULL`,
    [paymentId, now],
  );
  return rowCount > 0;
}

/** The money arrived: one guarded UPDATE, so a payment is captured once. False = captured before. */
export async function markPaymentCaptured(tx: Queryable, input: { paymentId: string; providerRef?: string | null; now: Date }): Promise<boolean> {
  const { rowCount } = await tx.query(
    `UPDATE payments SET status = 'succeeded', captured_at = $2, provider_ref = COALESCE(provider_ref, $3), updated_at = $2
      WHERE id = $1 AND captured_at IS NULL`,
    [input.paymentId, input.now, input.providerRef ?? null],
  );
  return rowCount > 0;
}

// ---------------------------------------------------------------------------------------------
// Refunds: rows in `refunds`, each reserving its amount on the payment (refunded_minor) while it is
// pending or succeeded, releasing it if it fails.

export const REFUND_DESTINATIONS = ['provider', 'wallet'] as const;
export type RefundDestination = (typeof REFUND_DESTINATIONS)[number];
export const REFUND_STATUSES = ['pending', 'succeeded', 'failed'] as const;
export type RefundStatus = (typeof REFUND_STATUSES)[number];
export const REFUNDS_PER_PAYMENT_MAX = 100;

/** What a refund did besides moving its amount (refunds.detail). */
export interface RefundDetail {
  /** The share of the order's wallet bonus this refund took back, and what the wallet could not cover. */
  bonusReversedMinor?: number;
  bonusShortfallMinor?: number;
  /** Why the provider refused (the refund was reversed). */
  rejectedReason?: string;
}

export interface RefundRow {
  id: string;
  order_id: string;
  payment_id: string;
  amount_minor: number;
  currency: string;
  destination: RefundDestination;
  status: RefundStatus;
  reason: string;
  idempotency: string;
  provider_refund_ref: string | null;
  created_by: string | null;
  detail: RefundDetail;
  created_at: Date;
  updated_at: Date;
}

export const newRefundId = (): string => newId('ref');

/** Reserves `amountMinor` of the payment's captured money for a refund (the CHECK refuses more than captured). */
export async function reserveRefund(tx: Queryable, paymentId: string, amountMinor: number, now: Date): Promise<void> {
  await tx.query('UPDATE payments SET refunded_minor = refunded_minor + $2, updated_at = $3 WHERE id = $1', [paymentId, amountMinor, now]);
}

/** Gives back the reservation of a refund that did not happen. */
export async function releaseRefund(tx: Queryable, paymentId: string, amountMinor: number, now: Date): Promise<void> {
  await tx.query('UPDATE payments SET refunded_minor = refunded_minor - $2, updated_at = $3 WHERE id = $1', [paymentId, amountMinor, now]);
}

export interface NewRefund {
  id: string;
  orderId: string;
  paymentId: string;
  amount: Money;
  destination: RefundDestination;
  status: RefundStatus;
  reason: string;
  idempotency: string;
  createdBy: string | null;
  detail: RefundDetail;
  now: Date;
}

/** Inserts the refund row; null when (order, idempotency) exists already (the unique index decides). */
export async function insertRefund(tx: Queryable, r: NewRefund): Promise<RefundRow | null> {
  const { rows } = await tx.query<RefundRow>(
    `INSERT INTO refunds (id, order_id, payment_id, amount_minor, currency, destination, status, reason, idempotency, created_by, detail, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12)
     ON CONFLICT (order_id, idempotency) DO NOTHING RETURNING *`,
    [r.id, r.orderId, r.paymentId, r.amount.amountMinor, r.amount.currency, r.destination, r.status, r.reason.slice(0, 500),
      r.idempotency, r.createdBy, JSON.stringify(r.detail), r.now],
  );
  return rows[0] ?? null;
}

/**
 * Money captured for an order that had closed (expired, cancelled) before it arrived: kept by the
 * customer as a wallet refund of the whole payment (idempotent per order).
 */
export async function refundLateCaptureToWallet(tx: Queryable, payment: PaymentRow, now: Date): Promise<void> {
  await insertRefund(tx, {
    id: newRefundId(), orderId: payment.order_id, paymentId: payment.id, amount: { amountMinor: payment.amount_minor, currency: payment.currency },
    destination: 'wallet', status: 'succeeded', reason: 'payment captured after the order was closed', idempotency: 'late_capture',
    createdBy: null, detail: {}, now,
  });
  await tx.query(`UPDATE payments SET status = 'refunded', refunded_minor = amount_minor, updated_at = $2 WHERE id = $1`, [payment.id, now]);
}

export async function findRefund(q: Queryable, orderId: string, idempotency: string): Promise<RefundRow | null> {
  const { rows } = await q.query<RefundRow>('SELECT * FROM refunds WHERE order_id = $1 AND idempotency = $2', [orderId, idempotency]);
  return rows[0] ?? null;
}

export async function getRefund(q: Queryable, refundId: string): Promise<RefundRow | null> {
  const { rows } = await q.query<RefundRow>('SELECT * FROM refunds WHERE id = $1', [refundId]);
  return rows[0] ?? null;
}

export async function loadRefund(q: Queryable, refundId: string): Promise<RefundRow> {
  const row = await getRefund(q, refundId);
  if (!row) throw new DomainError('not_found', 'refund_not_found', 'refund not found');
  return row;
}

/** A payment's refunds (or an order's: one payment per order), oldest first. */
export async function refundsOf(q: Queryable, by: { paymentId: string } | { orderId: string }): Promise<RefundRow[]> {
  const [column, id] = 'paymentId' in by ? ['payment_id', by.paymentId] : ['order_id', by.orderId];
  const { rows } = await q.query<RefundRow>(`SELECT * FROM refunds WHERE ${column} = $1 ORDER BY created_at, id LIMIT $2`, [id, REFUNDS_PER_PAYMENT_MAX]);
  return rows;
}

/** Keeps the provider's reference of a refund (the first one it gave). */
export async function recordRefundRef(tx: Queryable, refundId: string, providerRefundRef: string): Promise<void> {
  await tx.query('UPDATE refunds SET provider_refund_ref = COALESCE(provider_refund_ref, $2) WHERE id = $1', [refundId, providerRefundRef]);
}

/**
 * pending → succeeded or failed, with one guarded UPDATE: null when the refund was not pending (a
 * repeat changes nothing). A failed refund also releases its reservation on the payment.
 */
export async function settleRefund(
  tx: Queryable, input: { refundId: string; status: Exclude<RefundStatus, 'pending'>; now: Date; detail?: RefundDetail },
): Promise<RefundRow | null> {
  const { rows } = await tx.query<RefundRow>(
    `UPDATE refunds SET status = $2, updated_at = $3, detail = detail || $4::jsonb WHERE id = $1 AND status = 'pending' RETURNING *`,
    [input.refundId, input.status, input.now, JSON.stringify(input.detail ?? {})],
  );
  const refund = rows[0] ?? null;
  if (refund && input.status === 'failed') await releaseRefund(tx, refund.payment_id, refund.amount_minor, input.now);
  return refund;
}

/** The payment's status from its succeeded refunds: all of it → `refunded`, else `partially_refunded`. True when full. */
export async function settlePaymentRefundState(tx: Queryable, paymentId: string, now: Date): Promise<boolean> {
  const { rows } = await tx.query<{ full: boolean }>(
    `UPDATE payments p SET status = CASE WHEN r.done >= p.amount_minor THEN 'refunded' ELSE 'partially_refunded' END, updated_at = $2
       FROM (SELECT COALESCE(sum(amount_minor) FILTER (WHERE status = 'succeeded'), 0)::bigint AS done FROM refunds WHERE payment_id = $1) r
      WHERE p.id = $1 RETURNING r.done >= p.amount_minor AS full`,
    [paymentId, now],
  );
  return rows[0]?.full ?? false;
}

// ---------------------------------------------------------------------------------------------
// Reads for reconciliation (orders/reconciliation.ts compares them with each provider's books).

/** An external payment with what its refunds to the provider add up to here. */
export interface PaymentForReconciliation {
  id: string;
  order_id: string;
  provider: string;
  provider_ref: string | null;
  amount_minor: number;
  currency: string;
  captured: boolean;
  /** Σ of this payment's refunds to the provider that succeeded / are still pending here. */
  refunded_ok_minor: number;
  refunded_pending_minor: number;
}

/** Payments through a provider (not wallet or voucher) created since `since`, in id order after `afterId`. */
export async function externalPaymentsSince(q: Queryable, since: Date, afterId: string, limit: number): Promise<PaymentForReconciliation[]> {
  const { rows } = await q.query<PaymentForReconciliation>(
    `SELECT p.id, p.order_id, p.provider, p.provider_ref, p.amount_minor, p.currency, p.captured_at IS NOT NULL AS captured,
            COALESCE((SELECT sum(r.amount_minor) FROM refunds r
                       WHERE r.payment_id = p.id AND r.destination = 'provider' AND r.status = 'succeeded'), 0)::bigint AS refunded_ok_minor,
            COALESCE((SELECT sum(r.amount_minor) FROM refunds r
                       WHERE r.payment_id = p.id AND r.destination = 'provider' AND r.status = 'pending'), 0)::bigint AS refunded_pending_minor
       FROM payments p
      WHERE p.provider NOT IN ('wallet', 'voucher') AND p.created_at >= $1 AND p.id > $2
      ORDER BY p.id LIMIT $3`,
    [since, afterId, limit],
  );
  return rows;
}

export interface RecordedPaymentEvent {
  provider: string;
  event_id: string;
  payment_id: string | null;
  order_id: string | null;
  outcome: string;
  summary: Record<string, unknown>;
}

/** Provider events received since `since` whose recorded outcome is one of `outcomes`, oldest first. */
export async function paymentEventsWithOutcome(q: Queryable, outcomes: readonly string[], since: Date, limit: number): Promise<RecordedPaymentEvent[]> {
  const { rows } = await q.query<RecordedPaymentEvent>(
    `SELECT e.provider, e.event_id, e.payment_id, p.order_id, e.outcome, e.summary
       FROM payment_events e LEFT JOIN payments p ON p.id = e.payment_id
      WHERE e.outcome = ANY($1::text[]) AND e.received_at >= $2
      ORDER BY e.received_at, e.event_id LIMIT $3`,
    [outcomes, since, limit],
  );
  return rows;
}

/** Refunds still pending that were recorded before `before`, oldest first. */
export async function refundsPendingSince(q: Queryable, before: Date, limit: number): Promise<RefundRow[]> {
  const { rows } = await q.query<RefundRow>(
    `SELECT * FROM refunds WHERE status = 'pending' AND created_at < $1 ORDER BY created_at, id LIMIT $2`,
    [before, limit],
  );
  return rows;
}
