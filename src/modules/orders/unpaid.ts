// Closing an order before its money arrived — cancelled by the customer, expired after the payment
// window, failed (the provider declined or refused to create the payment): one path for all three.
import type { Queryable } from '../../db/types.ts';
import { releasePromotions } from '../catalog/service.ts';
import { closePendingPayment, paymentOfOrder } from '../payments/service.ts';
import { transitionOrder, type OrderRow } from './records.ts';

export type UnpaidClosing = 'cancelled' | 'expired' | 'failed';

/**
 * awaiting_payment → `to` with one guarded UPDATE, in the caller's transaction; then the pending
 * payment is closed (cancelled, or failed) and the order's promotions released. Null when the order
 * was no longer awaiting payment: nothing changed (a capture, or another closing, got there first).
 * Lock order as in settlement: the payment row, then the order (pass `paymentLocked` when held).
 */
export async function closeUnpaidOrder(
  tx: Queryable, input: { orderId: string; to: UnpaidClosing; now: Date; detail?: string; paymentLocked?: boolean },
): Promise<OrderRow | null> {
  if (!input.paymentLocked) await paymentOfOrder(tx, input.orderId, { lock: true });
  const closed = await transitionOrder(tx, { orderId: input.orderId, from: ['awaiting_payment'], to: input.to, now: input.now, detail: input.detail ?? null });
  if (!closed) return null;
  await closePendingPayment(tx, { orderId: input.orderId, status: input.to === 'failed' ? 'failed' : 'cancelled', now: input.now });
  await releasePromotions(tx, input.orderId);
  return closed;
}
