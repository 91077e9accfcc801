// Refunds: partial or full, to the original provider or to the wallet, by an operator or as the
// automatic compensation of a failed provisioning. Guards, in the use case under the payment's row
// lock: never more than was captured (refunded_minor is reserved when the refund is recorded —
// pending refunds count — and a CHECK holds it ≤ amount); one refund per (order, idempotency)
// (looked up under the lock, unique index as backstop); the ledger journal is posted when the refund
// is recorded (key `refund:{id}`) and reversed (`refund:{id}:reversal`) only if the provider
// definitely refuses — so the books never show money that did not move, nor forget money that did.
// The provider call happens between two transactions, never inside one. A provider that cannot be
// reached (or whose answer is lost) leaves the refund `pending`, its reservation held: a job written
// in the recording transaction (outbox) re-drives the call with the SAME refund id — providers
// deduplicate on it — with exponential backoff, a bounded number of times.
// Money only: a refund never takes back a plan's buckets or validity (the operator suspends or
// terminates the line separately); a wallet bonus that came with the order is taken back in
// proportion, never below a zero wallet (the shortfall is kept in the refund's detail).
// The refund rows and the payment's reservation are the payments module's (reserveRefund,
// insertRefund, settleRefund); the journals and their reversal are the ledger's.
import { ProviderRejectedError, type PaymentProvider, type RefundResult } from '../../adapters/payments/types.ts';
import type { Db, Queryable } from '../../db/types.ts';
import { DomainError, conflict, validation } from '../../domain/errors.ts';
import { invariant } from '../../domain/invariant.ts';
import { money, moneyJson, mulDivHalfUp, type Money } from '../../domain/money.ts';
import { cancelJob, enqueue } from '../../jobs/queue.ts';
import { recordAudit, SYSTEM_ACTOR, type Actor } from '../audit/service.ts';
import { releasePromotions } from '../catalog/service.ts';
import type { Clock } from '../clock/service.ts';
import { isJournalPosted, postJournal, reverseJournal, systemAccount, walletAccount, walletBalance, type AccountRef } from '../ledger/service.ts';
import {
  getPayment, findRefund, insertRefund, loadRefund, newRefundId, paymentOfOrder, recordRefundRef, refundsOf,
  reserveRefund, settlePaymentRefundState, settleRefund,
  type PaymentProviders, type PaymentRow, type RefundDestination, type RefundDetail, type RefundRow,
} from '../payments/service.ts';
import { loadOrder, transitionOrder, type OrderRow } from './records.ts';
import { paymentSourceAccount } from './postings.ts';
import { noticeOrderOutcome, noticeRefundIssued } from './notices.ts';
import type { RefundView } from './schemas.ts';

export { loadRefund, type RefundDestination, type RefundRow };
export const REFUND_PROVIDER_QUEUE = 'refund_provider';
declare module '../../jobs/queue.ts' {
  interface JobPayloads {
    /** Re-drive a pending provider refund whose answer did not arrive. */
    refund_provider: { refundId: string };
  }
}
/**
 * Job attempts at a provider refund whose answer did not arrive: backoff 2, 4, 8 … s, capped at the
 * worker's hour — about five hours of provider outage before the dead letter asks an operator.
 */
export const REFUND_PROVIDER_ATTEMPTS_MAX = 16;
/** The request makes the first provider call itself; its job (the safety net for a crash) waits this long. */
export const REFUND_RETRY_FIRST_DELAY_SECONDS = 30;
const refundJobKey = (refundId: string): string => `refund:${refundId}`;

export type { RefundView };

export const toRefundView = (r: RefundRow): RefundView => ({
  id: r.id, orderId: r.order_id, paymentId: r.payment_id, amount: moneyJson(r.amount_minor, r.currency),
  destination: r.destination, status: r.status, reason: r.reason,
  ...(r.detail.bonusReversedMinor !== undefined ? { bonusReversed: moneyJson(r.detail.bonusReversedMinor, r.currency) } : {}),
  ...(r.detail.bonusShortfallMinor ? { bonusShortfall: moneyJson(r.detail.bonusShortfallMinor, r.currency) } : {}),
  createdAt: r.created_at.toISOString(), updatedAt: r.updated_at.toISOString(),
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

const refundRejected = (reason: string): DomainError => validation('refund_rejected', `the provider refused the refund: ${reason}`);

/**
 * Records the refund (and its journal), then — for provider refunds — asks the provider once.
 * The answer: `succeeded`, or `pending` when the provider could not be reached (its job retries),
 * or 422 refund_rejected when the provider definitely refused (the refund is reversed). A repeat of
 * an already recorded refund answers its current state and calls no provider.
 */
export async function refundOrder(deps: RefundDeps, input: RefundInput): Promise<RefundView> {
  const { refund, created } = await deps.db.transaction((tx) => recordRefund(tx, input, deps.clock.now()));
  // A repeat answers what the first call came to: refused again, or the refund as it stands.
  if (!created && refund.status === 'failed') throw refundRejected(refund.detail.rejectedReason ?? 'refused');
  if (!created || refund.status !== 'pending') return toRefundView(refund);
  const outcome = await driveProviderRefund(deps, refund.id);
  if (outcome.kind === 'rejected') throw refundRejected(outcome.reason);
  return toRefundView(await loadRefund(deps.db, refund.id));
}

export type DriveOutcome =
  | { kind: 'succeeded' | 'accepted' }
  | { kind: 'unavailable' | 'rejected'; reason: string }
  | { kind: 'settled'; status: RefundRow['status'] };

/**
 * One provider call for a pending refund, always with the refund's own id (the provider's
 * idempotency key). Only a definite refusal (ProviderRejectedError, or the adapter's own 4xx before
 * any call) reverses the refund; a timeout, an outage or an unreadable answer may hide a refund the
 * provider made, so the refund stays pending and its reservation keeps the money from being refunded twice.
 */
export async function driveProviderRefund(deps: RefundDeps, refundId: string): Promise<DriveOutcome> {
  const refund = await loadRefund(deps.db, refundId);
  if (refund.status !== 'pending') return { kind: 'settled', status: refund.status };
  const payment = await getPayment(deps.db, refund.payment_id);
  const provider = payment ? deps.providers.byName(payment.provider) : null;
  let result: RefundResult;
  try {
    if (!payment || !provider) throw new ProviderRejectedError(`no adapter for ${payment?.provider ?? 'the payment'}`, 0, undefined);
    result = await callProvider(provider, payment, refund);
  } catch (error) {
    const reason = error instanceof Error ? error.message.slice(0, 200) : String(error).slice(0, 200);
    if (!isDefiniteRefusal(error)) return { kind: 'unavailable', reason };
    await deps.db.transaction((tx) => abandonRefund(tx, refund.id, deps.clock.now(), reason));
    return { kind: 'rejected', reason };
  }
  await deps.db.transaction(async (tx) => {
    await recordRefundRef(tx, refund.id, result.providerRefundRef);
    if (result.status === 'succeeded') await confirmRefund(tx, refund.id, deps.clock.now());
    // Accepted (pending at the provider) ends the job too: the provider's refund webhook confirms it.
    else await cancelJob(tx, refundJobKey(refund.id));
  });
  return { kind: result.status === 'succeeded' ? 'succeeded' : 'accepted' };
}

function callProvider(provider: PaymentProvider, payment: PaymentRow, refund: RefundRow): Promise<RefundResult> {
  return provider.refund({
    paymentId: payment.id, providerRef: payment.provider_ref ?? payment.id, refundId: refund.id,
    amount: money(refund.amount_minor, refund.currency), reason: refund.reason,
  });
}

/** The provider answered no, or the adapter refused before calling (e.g. 422 currency_not_supported). */
function isDefiniteRefusal(error: unknown): boolean {
  return error instanceof ProviderRejectedError || (error instanceof DomainError && (error.kind === 'validation' || error.kind === 'bad_request'));
}

/**
 * The refund job (outbox, written with the refund): re-drives a pending provider refund until the
 * provider answers. Throws while the provider is unreachable, so the worker retries with backoff.
 */
export async function retryProviderRefund(deps: RefundDeps, refundId: string): Promise<DriveOutcome> {
  const outcome = await driveProviderRefund(deps, refundId);
  if (outcome.kind === 'unavailable') throw new Error(`refund ${refundId} still pending: ${outcome.reason}`);
  const refund = await loadRefund(deps.db, refundId);
  // A refused automatic refund still owes the customer: to the wallet instead (idempotent by its key).
  if (refund.status === 'failed' && refund.idempotency === AUTO_REFUND_PROVISIONING) await refundToWalletInstead(deps, refund.order_id);
  return outcome;
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

async function recordRefund(tx: Queryable, input: RefundInput, now: Date): Promise<{ refund: RefundRow; created: boolean }> {
  // Payment, then order: the order settlement locks them in (a capture racing a refund cannot deadlock).
  const payment = await paymentOfOrder(tx, input.orderId, { lock: true });
  const order = await loadOrder(tx, input.orderId, { lock: true });
  // Under the locks: two requests with one key cannot both get past this (the unique index is the backstop).
  const prior = await findRefund(tx, input.orderId, input.idempotency);
  if (prior) return { refund: prior, created: false };
  if (!payment || payment.captured_at === null) throw conflict('order_not_refundable', `an order that is ${order.status} has no captured payment`);
  const refundableMinor = payment.amount_minor - payment.refunded_minor;
  if (input.amount && input.amount.currency !== payment.currency) throw validation('currency_mismatch', `the payment is in ${payment.currency}`);
  const amountMinor = input.amount?.amountMinor ?? refundableMinor;
  if (!Number.isSafeInteger(amountMinor) || amountMinor <= 0 || amountMinor > refundableMinor) {
    throw validation('refund_exceeds_captured', `at most ${refundableMinor} minor units of this payment can still be refunded`);
  }
  const destination = resolveDestination(order, payment, input.destination);
  const id = newRefundId();
  await reserveRefund(tx, payment.id, amountMinor, now);
  await postJournal(tx, {
    idempotencyKey: `refund:${id}`, kind: 'refund', cause: { type: 'refund', id }, postedAt: now,
    lines: refundLines(order, payment, destination, amountMinor),
  }, input.actor);
  const detail = await takeBackBonus(tx, { order, payment, refundId: id, amountMinor, now, actor: input.actor });
  const refund = await insertRefund(tx, {
    id, orderId: order.id, paymentId: payment.id, amount: money(amountMinor, payment.currency), destination,
    status: destination === 'wallet' ? 'succeeded' : 'pending', reason: input.reason, idempotency: input.idempotency,
    createdBy: input.actor.userId, detail, now,
  });
  // Under the payment's lock the look-up above saw no refund with this key: the unique index cannot refuse it.
  invariant(refund, 'a refund with this idempotency was recorded under the lock');
  await recordAudit(tx, input.actor, {
    action: 'refund.create', targetType: 'order', targetId: order.id, at: now,
    details: { refundId: id, amount: moneyJson(amountMinor, payment.currency), destination, reason: input.reason.slice(0, 200), ...detail },
  });
  if (destination === 'wallet') await settleRefundState(tx, order.id, payment.id, now);
  if (destination === 'wallet') await noticeRefundIssued(tx, id, now);
  else {
    // The safety net of the provider call that follows this commit (a crash, a lost answer).
    await enqueue(tx, {
      queue: REFUND_PROVIDER_QUEUE, payload: { refundId: id }, runAt: new Date(now.getTime() + REFUND_RETRY_FIRST_DELAY_SECONDS * 1000),
      dedupeKey: refundJobKey(id), maxAttempts: REFUND_PROVIDER_ATTEMPTS_MAX,
    });
  }
  return { refund, created: true };
}

/**
 * Takes back the refund's share of the wallet bonus the order brought (a first-recharge bonus on a
 * top-up): bonus × refunded-so-far / paid, half-up, less what earlier refunds took — so a full
 * refund takes it all. Never below a zero wallet: what the wallet cannot cover is the shortfall.
 */
async function takeBackBonus(
  tx: Queryable, input: { order: OrderRow; payment: PaymentRow; refundId: string; amountMinor: number; now: Date; actor: Actor },
): Promise<RefundDetail> {
  const { order, payment } = input;
  const bonusMinor = order.bonus.walletCreditMinor;
  if (!(bonusMinor > 0) || payment.amount_minor === 0) return {};
  if (!(await isJournalPosted(tx, `order:${order.id}:bonus`))) return {};
  const bonus = money(bonusMinor, order.currency);
  const dueMinor = mulDivHalfUp(bonus, payment.refunded_minor + input.amountMinor, payment.amount_minor).amountMinor
    - mulDivHalfUp(bonus, payment.refunded_minor, payment.amount_minor).amountMinor;
  if (dueMinor <= 0) return {};
  const leftMinor = (await walletBalance(tx, order.user_id, order.currency)).amountMinor;
  const reversedMinor = Math.max(0, Math.min(dueMinor, leftMinor));
  if (reversedMinor > 0) {
    await postJournal(tx, {
      idempotencyKey: `refund:${input.refundId}:bonus`, kind: 'promotion_bonus_reversal', cause: { type: 'refund', id: input.refundId }, postedAt: input.now,
      lines: [
        { account: walletAccount(order.user_id, order.currency), amountMinor: -reversedMinor },
        { account: systemAccount('promotions_expense', order.currency), amountMinor: reversedMinor },
      ],
    }, input.actor);
  }
  return { bonusReversedMinor: reversedMinor, bonusShortfallMinor: dueMinor - reversedMinor };
}

/** The payment's and order's status once a refund succeeded: full → `refunded`. */
async function settleRefundState(tx: Queryable, orderId: string, paymentId: string, now: Date): Promise<void> {
  const full = await settlePaymentRefundState(tx, paymentId, now);
  if (full) await transitionOrder(tx, { orderId, from: ['paid', 'provisioning', 'completed', 'failed'], to: 'refunded', now });
}

/** The provider confirmed: pending → succeeded (guarded UPDATE, so a repeat changes nothing). */
export async function confirmRefund(tx: Queryable, refundId: string, now: Date): Promise<boolean> {
  const refund = await settleRefund(tx, { refundId, status: 'succeeded', now });
  if (!refund) return false;
  await settleRefundState(tx, refund.order_id, refund.payment_id, now);
  await noticeRefundIssued(tx, refund.id, now);
  await cancelJob(tx, refundJobKey(refund.id));
  return true;
}

/** The journals a refund posts when it is recorded; each is reversed if the provider refuses. */
const refundJournalKeys = (refundId: string): string[] => [`refund:${refundId}`, `refund:${refundId}:bonus`];

/** The provider definitely refused: release the reservation and reverse the refund's journals (guarded UPDATE). */
async function abandonRefund(tx: Queryable, refundId: string, now: Date, reason: string): Promise<void> {
  const refund = await settleRefund(tx, { refundId, status: 'failed', now, detail: { rejectedReason: reason } });
  if (!refund) return;
  for (const key of refundJournalKeys(refundId)) {
    await reverseJournal(tx, { journalKey: key, reversalKey: `${key}:reversal`, kind: 'refund_reversal', cause: { type: 'refund', id: refundId }, postedAt: now }, SYSTEM_ACTOR);
  }
  await cancelJob(tx, refundJobKey(refundId));
}

export async function listRefunds(q: Queryable, orderId: string): Promise<RefundView[]> {
  return (await refundsOf(q, { orderId })).map(toRefundView);
}

export const AUTO_REFUND_PROVISIONING = 'auto:provisioning_failed';
const AUTO_REFUND_TO_WALLET = `${AUTO_REFUND_PROVISIONING}:wallet`;

/**
 * The compensation of a provisioning that finally failed: the order is marked failed and its
 * promotions released (one transaction), then refunded in full to the original provider — or to the
 * wallet when the provider refuses. A top-up goes back out of the wallet as far as it is still
 * there (what was spent meanwhile is not refunded); one paid by voucher stays in the wallet (it is
 * money the customer can already use). Idempotent: every step is guarded, so it may run again.
 */
export async function compensateFailedProvisioning(deps: RefundDeps, orderId: string, error: string): Promise<void> {
  const now = deps.clock.now();
  await deps.db.transaction(async (tx) => {
    const failed = await transitionOrder(tx, { orderId, from: ['paid', 'provisioning'], to: 'failed', now, detail: `provisioning failed: ${error.slice(0, 160)}` });
    if (failed) await releasePromotions(tx, orderId);
    if (failed) await noticeOrderOutcome(tx, orderId, 'failed', now, 'provisioning failed');
  });
  const order = await loadOrder(deps.db, orderId);
  const payment = await paymentOfOrder(deps.db, orderId);
  if (!payment || payment.captured_at === null || payment.amount_minor === payment.refunded_minor) return;
  if (order.kind === 'topup' && payment.provider === 'voucher') return;
  const amount = order.kind === 'topup' ? await topupStillInWallet(deps.db, order, payment) : undefined;
  if (amount?.amountMinor === 0) return;
  let refund: RefundView | null;
  try {
    refund = await refundOrder(deps, { orderId, amount, reason: 'provisioning failed', idempotency: AUTO_REFUND_PROVISIONING, actor: SYSTEM_ACTOR });
  } catch (refundError) {
    if (!(refundError instanceof DomainError && refundError.code === 'refund_rejected')) throw refundError;
    refund = null;
  }
  if (refund === null || refund.status === 'failed') await refundToWalletInstead(deps, orderId);
}

/** What of a failed top-up is left to give back: the wallet may have spent some of it meanwhile. */
async function topupStillInWallet(q: Queryable, order: OrderRow, payment: PaymentRow): Promise<Money> {
  const balance = await walletBalance(q, order.user_id, order.currency);
  return money(Math.max(0, Math.min(payment.amount_minor - payment.refunded_minor, balance.amountMinor)), order.currency);
}

/** A plan whose provider refused the automatic refund is refunded to the wallet; a top-up is already there. */
async function refundToWalletInstead(deps: RefundDeps, orderId: string): Promise<void> {
  const order = await loadOrder(deps.db, orderId);
  if (order.kind === 'topup') return;
  await refundOrder(deps, { orderId, reason: 'provisioning failed', destination: 'wallet', idempotency: AUTO_REFUND_TO_WALLET, actor: SYSTEM_ACTOR });
}
