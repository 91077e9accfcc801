// Payments: one payment record per order (`payments`), the provider events that changed it
// (`payment_events`, deduplicated by provider event id) and the sandbox provider's own books.
// Invariants: a payment is captured at most once (captured_at set by one guarded UPDATE in the
// order's settlement transaction); refunded_minor never exceeds amount_minor (CHECK); an event id
// takes effect once (payment_events PK, inserted in the same transaction as the effect).
import type { PaymentAction, ProviderName } from '../../adapters/payments/types.ts';
import type { Queryable } from '../../db/types.ts';
import { newId } from '../../domain/ids.ts';
import type { Money } from '../../domain/money.ts';

export type PaymentProviderName = ProviderName | 'wallet' | 'voucher';
export type PaymentStatus = 'pending' | 'succeeded' | 'failed' | 'cancelled' | 'refunded' | 'partially_refunded';

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
  captured_at: Date | null;
  created_at: Date;
}

export interface PaymentView {
  id: string;
  provider: PaymentProviderName;
  status: PaymentStatus;
  amount: { amount: number; currency: string };
  refunded: { amount: number; currency: string };
  action: PaymentAction;
}

export function toPaymentView(p: PaymentRow): PaymentView {
  return {
    id: p.id, provider: p.provider, status: p.status,
    amount: { amount: p.amount_minor, currency: p.currency },
    refunded: { amount: p.refunded_minor, currency: p.currency },
    // Until the provider answered (or for wallet/voucher payments) there is nothing to do.
    action: p.action ?? { type: 'none' },
  };
}

export async function insertPayment(
  tx: Queryable,
  input: { orderId: string; provider: PaymentProviderName; amount: Money; now: Date },
): Promise<string> {
  const id = newId('pay');
  await tx.query(
    `INSERT INTO payments (id, order_id, provider, status, amount_minor, currency, created_at, updated_at)
     VALUES ($1, $2, $3, 'pending', $4, $5, $6, $6)`,
    [id, input.orderId, input.provider, input.amount.amountMinor, input.amount.currency, input.now],
  );
  return id;
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
export async function recordPaymentAction(q: Queryable, paymentId: string, providerRef: string, action: PaymentAction, now: Date): Promise<void> {
  await q.query(
    `UPDATE payments SET provider_ref = COALESCE(provider_ref, $2), action = $3, updated_at = $4 WHERE id = $1`,
    [paymentId, providerRef, JSON.stringify(action), now],
  );
}
