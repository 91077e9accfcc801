// Settling a payment's outcome against its order — the heart of "pay once, credit once". A capture
// is ONE transaction: the payment's guarded capture, the order's guarded `awaiting_payment → paid`,
// the ledger journal (idempotency key `order:{id}:payment`) and the provisioning request in the
// outbox. Credit is granted only here, only for a captured payment whose amount matches, and once:
// three independent guards (payments.captured_at, the order's status check, the journal key).
// A capture for an order that is no longer awaiting payment (expired, cancelled, failed) is not
// lost: the money is credited to the customer's wallet and recorded as a wallet refund.
// Lock order, everywhere an order and its payment change together: the payment row, then the order.
import { lastStatementOf, settleInSendOrder, type Queryable } from '../../db/types.ts';
import { enqueue } from '../../jobs/queue.ts';
import { invariant } from '../../domain/invariant.ts';
import { moneyJson, toJson, type Money } from '../../domain/money.ts';
import { recordAudit, type Actor } from '../audit/service.ts';
import { postJournal, postJournals, systemAccount, walletAccount, type JournalInput } from '../ledger/service.ts';
import { getPayment, markPaymentCaptured, markPaymentFailed, refundLateCaptureToWallet, type PaymentRow } from '../payments/service.ts';
import { addOrderEvent, transitionOrder, type OrderRow } from './records.ts';
import { orderDestinationAccount, paymentSourceAccount } from './postings.ts';
import { closeUnpaidOrder } from './unpaid.ts';
import { noticeOrderOutcome } from './notices.ts';

export const PROVISIONING_QUEUE = 'provisioning';
declare module '../../jobs/queue.ts' {
  interface JobPayloads {
    /** Provision a paid order at the carrier (written by the capture transaction). */
    provisioning: { orderId: string };
  }
}
/** 2 + 4 + 8 + 16 + 32 + 64 s of backoff before the order is refunded. */
export const PROVISIONING_MAX_ATTEMPTS = 7;

export type CaptureOutcome = 'captured' | 'already_captured' | 'unknown_payment' | 'amount_mismatch' | 'late_capture_to_wallet';

export interface CaptureInput {
  paymentId: string;
  amount: Money;
  providerRef?: string | null;
  /** When set, the payment must belong to this provider (a Stripe event cannot settle a sandbox payment). */
  provider?: string;
  now: Date;
  actor: Actor;
}

/** Applies a captured payment inside the caller's transaction. Idempotent: see the module header. */
export async function capturePayment(tx: Queryable, input: CaptureInput): Promise<CaptureOutcome> {
  const payment = await getPayment(tx, input.paymentId, { lock: true });
  if (!payment || (input.provider !== undefined && payment.provider !== input.provider)) return 'unknown_payment';
  if (payment.amount_minor !== input.amount.amountMinor || payment.currency !== input.amount.currency) {
    // Never credit a different amount than the order's: record it for an operator to resolve.
    await recordAudit(tx, input.actor, {
      action: 'payment.amount_mismatch', targetType: 'payment', targetId: payment.id, at: input.now,
      details: { expected: moneyJson(payment.amount_minor, payment.currency), received: toJson(input.amount) },
    });
    return 'amount_mismatch';
  }
  if (!(await markPaymentCaptured(tx, { paymentId: payment.id, providerRef: input.providerRef, now: input.now }))) return 'already_captured';

  const order = await transitionOrder(tx, { orderId: payment.order_id, from: ['awaiting_payment'], to: 'paid', now: input.now });
  if (!order) {
    await creditLateCapture(tx, payment, input);
    return 'late_capture_to_wallet';
  }
  await settlePaidOrder(tx, order, { ...payment, status: 'succeeded', captured_at: input.now }, input);
  return 'captured';
}

/**
 * The credit of an order that just became paid with its captured payment, in the transaction that
 * recorded both: the journal (keyed per order, so once) and the provisioning request. Called by
 * capturePayment, and by placeOrder for an order created paid (wallet, voucher, free). With
 * `endsTransaction` the caller owns the transaction and sends nothing after this: the journals go out
 * with its COMMIT (db/types.ts lastStatementOf), so the shared accounts they lock are held for the
 * server's work only.
 */
export async function settlePaidOrder(
  tx: Queryable, order: OrderRow, payment: PaymentRow, input: { now: Date; actor: Actor }, options: { endsTransaction?: boolean } = {},
): Promise<void> {
  invariant(payment.captured_at !== null && order.status === 'paid' && payment.order_id === order.id, 'credit only for a captured payment of a paid order');
  // The outbox row first: the journal locks shared accounts (revenue) until the commit, so every
  // statement after it makes every other order wait longer. Both are sent at once (neither needs
  // the other's answer); one transaction either way.
  await settleInSendOrder([
    enqueue(tx, {
      queue: PROVISIONING_QUEUE, payload: { orderId: order.id }, runAt: input.now,
      dedupeKey: `provision:${order.id}`, maxAttempts: PROVISIONING_MAX_ATTEMPTS,
    }),
    postJournals(options.endsTransaction ? lastStatementOf(tx) : tx, orderPaymentJournals(order, payment, input.now), input.actor),
  ]);
}

/** The payment's journal and the promotion's wallet bonus, as one batch (one statement). */
function orderPaymentJournals(order: OrderRow, payment: PaymentRow, now: Date): JournalInput[] {
  const journals: JournalInput[] = [];
  const total = order.total_minor;
  if (total > 0) {
    journals.push({
      idempotencyKey: `order:${order.id}:payment`, kind: order.kind === 'plan' ? 'order_payment' : 'wallet_topup',
      cause: { type: 'order', id: order.id }, postedAt: now,
      lines: [
        { account: paymentSourceAccount(payment.provider, order.user_id, order.currency), amountMinor: -total },
        { account: orderDestinationAccount(order.kind, order.user_id, order.currency), amountMinor: total },
      ],
    });
  }
  const bonusMinor = order.bonus.walletCreditMinor;
  if (bonusMinor > 0) {
    journals.push({
      idempotencyKey: `order:${order.id}:bonus`, kind: 'promotion_bonus', cause: { type: 'order', id: order.id }, postedAt: now,
      lines: [
        { account: systemAccount('promotions_expense', order.currency), amountMinor: -bonusMinor },
        { account: walletAccount(order.user_id, order.currency), amountMinor: bonusMinor },
      ],
    });
  }
  return journals;
}

/** The order was closed before the money arrived: the customer keeps it as wallet balance. */
async function creditLateCapture(tx: Queryable, payment: PaymentRow, input: CaptureInput): Promise<void> {
  const { rows } = await tx.query<{ user_id: string; status: string }>('SELECT user_id, status FROM orders WHERE id = $1', [payment.order_id]);
  const order = rows[0];
  if (!order || payment.amount_minor === 0) return;
  await refundLateCaptureToWallet(tx, payment, input.now);
  await postJournal(tx, {
    idempotencyKey: `order:${payment.order_id}:late-capture`, kind: 'late_capture_credit',
    cause: { type: 'order', id: payment.order_id }, postedAt: input.now,
    lines: [
      { account: paymentSourceAccount(payment.provider, order.user_id, payment.currency), amountMinor: -payment.amount_minor },
      { account: walletAccount(order.user_id, payment.currency), amountMinor: payment.amount_minor },
    ],
  }, input.actor);
  await addOrderEvent(tx, payment.order_id, input.now, order.status, `payment arrived after the order was ${order.status}: credited to the wallet`);
}

export type FailOutcome = 'failed' | 'ignored' | 'unknown_payment';

/** A declined payment fails its order (still awaiting payment). A failure after a capture changes nothing. */
export async function failPayment(
  tx: Queryable,
  input: { paymentId: string; provider?: string; reason: string; now: Date },
): Promise<FailOutcome> {
  const payment = await getPayment(tx, input.paymentId, { lock: true });
  if (!payment || (input.provider !== undefined && payment.provider !== input.provider)) return 'unknown_payment';
  if (!(await markPaymentFailed(tx, payment.id, input.now))) return 'ignored';
  await closeUnpaidOrder(tx, { orderId: payment.order_id, to: 'failed', now: input.now, detail: input.reason.slice(0, 200), paymentLocked: true });
  await noticeOrderOutcome(tx, payment.order_id, 'failed', input.now, input.reason);
  return 'failed';
}
