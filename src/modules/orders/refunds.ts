// Refunds: partial or full, to the original provider or to the wallet, by an operator or as the
// automatic compensation of a failed provisioning. Guards, in the use case under the payment's row
// lock: never more than was captured (refunded_minor is reserved when the refund is recorded, and
// a CHECK holds it ≤ amount); one refund per (order, idempotency) (unique); the ledger journal is
// posted when the refund is recorded (key `refund:{id}`) and reversed (`refund:{id}:reversal`) if
// the provider then refuses — so the books never show money that did not move. The provider call
// happens between two transactions, never inside one.
import { ProviderRejectedError, ProviderUnavailableError } from '../../adapters/payments/types.ts';
import type { Db, Queryable } from '../../db/types.ts';
import { DomainError, conflict, validation } from '../../domain/errors.ts';
import { newId } from '../../domain/ids.ts';
import { money, type Money } from '../../domain/money.ts';
import { recordAudit, SYSTEM_ACTOR, type Actor } from '../audit/service.ts';
import type { Clock } from '../clock/service.ts';
import { postJournal, systemAccount, walletAccount, type AccountRef } from '../ledger/service.ts';
import type { PaymentProviders } from '../payments/registry.ts';
import { paymentOfOrder, type PaymentRow } from '../payments/service.ts';
import { loadOrder, transitionOrder, type OrderRow } from './records.ts';
import { paymentSourceAccount } from './postings.ts';

export type RefundDestination = 'provider' | 'wallet';
export const REFUNDS_PER_PAYMENT_MAX = 100;

export interface RefundRow {
  id: string;
  order_id: string;
  payment_id: string;
  amount_minor: number;
  currency: string;
  destination: RefundDestination;
  status: 'pending' | 'succeeded' | 'failed';
  reason: string;
  idempotency: string;
  provider_refund_ref: string | null;
  created_by: string | null;
  created_at: Date;
}

export interface RefundView {
  id: string;
  orderId: string;
  paymentId: string;
  amount: { amount: number; currency: string };
  destination: RefundDestination;
  status: RefundRow['status'];
  reason: string;
  createdAt: string;
}

export const toRefundView = (r: RefundRow): RefundView => ({
  id: r.id, orderId: r.order_id, paymentId: r.payment_id, amount: { amount: r.amount_minor, currency: r.currency },
  destination: r.destination, status: r.status, reason: r.reason, createdAt: r.created_at.toISOString(),
});

export interface RefundDeps {
  db: Db;
  clock: Clock;
  providers: PaymentProviders;
}

export interface RefundInput {
  orderId: string;
  amount?: Money;
  reason: string;
  destination?: RefundDestination;
  /** The operator's Idempotency-Key, or the automatic cause (`auto:provisioning_failed`). */
  idempotency: string;
  actor: Actor;
}

/** Records the refund (and its journal), then — for provider refunds — asks the provider. */
export async function refundOrder(deps: RefundDeps, input: RefundInput): Promise<RefundView> {
  const refund = await deps.db.transaction((tx) => recordRefund(tx, input, deps.clock.now()));
  if (refund.status !== 'pending') return toRefundView(refund);
  const payment = await paymentOfOrder(deps.db, refund.order_id);
  const provider = payment ? deps.providers.byName(payment.provider) : null;
  try {
    if (!payment || !provider) throw new ProviderRejectedError(`no adapter for ${payment?.provider ?? 'the payment'}`, 0, undefined);
    const result = await provider.refund({
      paymentId: payment.id, providerRef: payment.provider_ref ?? payment.id, refundId: refund.id,
      amount: money(refund.amount_minor, refund.currency), reason: refund.reason,
    });
    await deps.db.query('UPDATE refunds SET provider_refund_ref = $2 WHERE id = $1', [refund.id, result.providerRefundRef]);
    if (result.status === 'succeeded') await deps.db.transaction((tx) => confirmRefund(tx, refund.id, deps.clock.now()));
  } catch (error) {
    await deps.db.transaction((tx) => abandonRefund(tx, refund.id, deps.clock.now()));
    if (error instanceof ProviderUnavailableError) {
      throw new DomainError('unavailable', 'provider_unavailable', 'the payment provider cannot be reached; nothing was refunded, retry');
    }
    if (error instanceof ProviderRejectedError) throw validation('refund_rejected', `the provider refused the refund: ${error.message}`);
    throw error;
  }
  const { rows } = await deps.db.query<RefundRow>('SELECT * FROM refunds WHERE id = $1', [refund.id]);
  return toRefundView(rows[0] ?? refund);
}

function resolveDestination(order: OrderRow, payment: PaymentRow, requested: RefundDestination | undefined): RefundDestination {
  const external = payment.provider !== 'wallet' && payment.provider !== 'voucher';
  const destination = requested ?? (external ? 'provider' : 'wallet');
  if (destination === 'provider' && !external) {
    throw validation('refund_destination_invalid', `a ${payment.provider} payment can only be refunded to the wallet`);
  }
  if (destination === 'wallet' && order.kind === 'topup') {
    throw validation('refund_destination_invalid', 'a top-up is already in the wallet: refund it to the provider');
  }
  return destination;
}

/** Where the refunded money comes from and goes to (see postings.ts). */
function refundLines(order: OrderRow, payment: PaymentRow, destination: RefundDestination, amountMinor: number): Array<{ account: AccountRef; amountMinor: number }> {
  const from = order.kind === 'plan' ? systemAccount('revenue', order.currency) : walletAccount(order.user_id, order.currency);
  const to = destination === 'wallet' ? walletAccount(order.user_id, order.currency) : paymentSourceAccount(payment.provider, order.user_id, order.currency);
  return [{ account: from, amountMinor: -amountMinor }, { account: to, amountMinor }];
}

async function recordRefund(tx: Queryable, input: RefundInput, now: Date): Promise<RefundRow> {
  const prior = await tx.query<RefundRow>('SELECT * FROM refunds WHERE order_id = $1 AND idempotency = $2', [input.orderId, input.idempotency]);
  if (prior.rows[0]) return prior.rows[0];
  const order = await loadOrder(tx, input.orderId, { lock: true });
  const payment = await paymentOfOrder(tx, order.id, { lock: true });
  if (!payment || payment.captured_at === null) throw conflict('order_not_refundable', `an order that is ${order.status} has no captured payment`);
  const refundableMinor = payment.amount_minor - payment.refunded_minor;
  if (input.amount && input.amount.currency !== payment.currency) throw validation('currency_mismatch', `the payment is in ${payment.currency}`);
  const amountMinor = input.amount?.amountMinor ?? refundableMinor;
  if (!Number.isSafeInteger(amountMinor) || amountMinor <= 0 || amountMinor > refundableMinor) {
    throw validation('refund_exceeds_captured', `at most ${refundableMinor} minor units of this payment can still be refunded`);
  }
  const destination = resolveDestination(order, payment, input.destination);
  const id = newId('ref');
  await tx.query('UPDATE payments SET refunded_minor = refunded_minor + $2, updated_at = $3 WHERE id = $1', [payment.id, amountMinor, now]);
  const { rows } = await tx.query<RefundRow>(
    `INSERT INTO refunds (id, order_id, payment_id, amount_minor, currency, destination, status, reason, idempotency, created_by, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) RETURNING *`,
    [id, order.id, payment.id, amountMinor, payment.currency, destination, destination === 'wallet' ? 'succeeded' : 'pending',
      input.reason.slice(0, 500), input.idempotency, input.actor.userId, now],
  );
  await postJournal(tx, {
    idempotencyKey: `refund:${id}`, kind: 'refund', cause: { type: 'refund', id }, postedAt: now,
    lines: refundLines(order, payment, destination, amountMinor),
  }, input.actor);
  await recordAudit(tx, input.actor, {
    action: 'refund.create', targetType: 'order', targetId: order.id, at: now,
    details: { refundId: id, amount: { amount: amountMinor, currency: payment.currency }, destination, reason: input.reason.slice(0, 200) },
  });
  if (destination === 'wallet') await settleRefundState(tx, order.id, payment.id, now);
  const refund = rows[0];
  if (!refund) throw new Error('refund insert returned no row');
  return refund;
}

/** The payment's and order's status once a refund succeeded: full → `refunded`. */
async function settleRefundState(tx: Queryable, orderId: string, paymentId: string, now: Date): Promise<void> {
  const { rows } = await tx.query<{ done: number; amount: number }>(
    `SELECT COALESCE(sum(r.amount_minor) FILTER (WHERE r.status = 'succeeded'), 0)::bigint AS done, p.amount_minor AS amount
       FROM payments p LEFT JOIN refunds r ON r.payment_id = p.id WHERE p.id = $1 GROUP BY p.amount_minor`,
    [paymentId],
  );
  const done = rows[0]?.done ?? 0;
  const full = done >= (rows[0]?.amount ?? 0);
  await tx.query(`UPDATE payments SET status = $2, updated_at = $3 WHERE id = $1`, [paymentId, full ? 'refunded' : 'partially_refunded', now]);
  if (full) await transitionOrder(tx, { orderId, from: ['paid', 'provisioning', 'completed', 'failed'], to: 'refunded', now });
}

/** The provider confirmed: pending → succeeded (guarded UPDATE, so a repeat changes nothing). */
export async function confirmRefund(tx: Queryable, refundId: string, now: Date): Promise<boolean> {
  const { rows } = await tx.query<RefundRow>(
    `UPDATE refunds SET status = 'succeeded', updated_at = $2 WHERE id = $1 AND status = 'pending' RETURNING *`,
    [refundId, now],
  );
  const refund = rows[0];
  if (!refund) return false;
  await settleRefundState(tx, refund.order_id, refund.payment_id, now);
  return true;
}

/** The provider refused or could not be reached: release the reservation and reverse the journal. */
async function abandonRefund(tx: Queryable, refundId: string, now: Date): Promise<void> {
  const { rows } = await tx.query<RefundRow>(
    `UPDATE refunds SET status = 'failed', updated_at = $2 WHERE id = $1 AND status = 'pending' RETURNING *`,
    [refundId, now],
  );
  const refund = rows[0];
  if (!refund) return;
  await tx.query('UPDATE payments SET refunded_minor = refunded_minor - $2, updated_at = $3 WHERE id = $1', [refund.payment_id, refund.amount_minor, now]);
  const { rows: postings } = await tx.query<{ code: string; kind: AccountRef['kind']; owner_id: string | null; amount_minor: number; currency: string }>(
    `SELECT a.code, a.kind, a.owner_id, p.amount_minor, p.currency FROM ledger_journals j
       JOIN ledger_postings p ON p.journal_id = j.id JOIN ledger_accounts a ON a.id = p.account_id
      WHERE j.idempotency_key = $1`,
    [`refund:${refundId}`],
  );
  await postJournal(tx, {
    idempotencyKey: `refund:${refundId}:reversal`, kind: 'refund_reversal', cause: { type: 'refund', id: refundId }, postedAt: now,
    lines: postings.map((p) => ({ account: accountRefOf(p), amountMinor: -p.amount_minor })),
  }, SYSTEM_ACTOR);
}

function accountRefOf(p: { code: string; kind: AccountRef['kind']; owner_id: string | null; currency: string }): AccountRef {
  if (p.kind === 'wallet') return walletAccount(p.owner_id ?? '', p.currency);
  if (p.kind === 'provider_clearing') return { kind: p.kind, currency: p.currency, provider: p.code.split(':')[1] ?? '' };
  return systemAccount(p.kind, p.currency);
}

/**
 * A provider's refund notification carries the payment's TOTAL refunded so far: confirm pending
 * refunds, oldest first, while they fit in that total (idempotent and independent of delivery order).
 */
export async function confirmRefundsUpTo(tx: Queryable, paymentId: string, totalRefunded: Money, now: Date): Promise<number> {
  const { rows } = await tx.query<RefundRow>(
    'SELECT * FROM refunds WHERE payment_id = $1 ORDER BY created_at, id LIMIT $2',
    [paymentId, REFUNDS_PER_PAYMENT_MAX],
  );
  let coveredMinor = rows.filter((r) => r.status === 'succeeded').reduce((acc, r) => acc + r.amount_minor, 0);
  let confirmed = 0;
  for (const r of rows) {
    if (r.status !== 'pending' || r.currency !== totalRefunded.currency) continue;
    if (coveredMinor + r.amount_minor > totalRefunded.amountMinor) break;
    if (await confirmRefund(tx, r.id, now)) confirmed++;
    coveredMinor += r.amount_minor;
  }
  return confirmed;
}

export async function listRefunds(q: Queryable, orderId: string): Promise<RefundView[]> {
  const { rows } = await q.query<RefundRow>('SELECT * FROM refunds WHERE order_id = $1 ORDER BY created_at, id LIMIT $2', [orderId, REFUNDS_PER_PAYMENT_MAX]);
  return rows.map(toRefundView);
}

export const AUTO_REFUND_PROVISIONING = 'auto:provisioning_failed';

/**
 * The compensation of a provisioning that finally failed: the order is marked failed, then refunded
 * in full to the original provider — or to the wallet when the provider cannot take it back.
 * A top-up paid by voucher stays in the wallet (it is money the customer can already use).
 */
export async function compensateFailedProvisioning(deps: RefundDeps, orderId: string, error: string): Promise<void> {
  const now = deps.clock.now();
  await deps.db.transaction((tx) =>
    transitionOrder(tx, { orderId, from: ['paid', 'provisioning'], to: 'failed', now, detail: `provisioning failed: ${error.slice(0, 160)}` }),
  );
  const order = await loadOrder(deps.db, orderId);
  const payment = await paymentOfOrder(deps.db, orderId);
  if (!payment || payment.captured_at === null || payment.amount_minor === payment.refunded_minor) return;
  if (order.kind === 'topup' && payment.provider === 'voucher') return;
  const base = { orderId, reason: 'provisioning failed', actor: SYSTEM_ACTOR };
  try {
    await refundOrder(deps, { ...base, idempotency: AUTO_REFUND_PROVISIONING });
  } catch (refundError) {
    if (order.kind === 'topup') throw refundError; // a top-up's money already sits in the wallet
    await refundOrder(deps, { ...base, destination: 'wallet', idempotency: `${AUTO_REFUND_PROVISIONING}:wallet` });
  }
}
