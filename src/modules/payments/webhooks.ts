// Webhook intake (API.md POST /api/v1/webhooks/{provider}): the signature is checked before
// anything else (SignatureError → 400 invalid_signature, nothing changes); a provider that cannot
// be reached while verifying (PayPal's certificate, the capture of an approved order) → 503
// provider_unavailable, nothing changes and the provider redelivers. Then ONE transaction records
// the event id (payment_events PK — a duplicate delivery finds it and changes nothing) together
// with its effect. Amount mismatches are recorded and never credited; an event about a payment
// simkeep does not know is acknowledged and changes nothing; a failure after a capture changes
// nothing (settlement guards). The reply is what the provider expects (Alipay: `success`).
import {
  ProviderRejectedError, ProviderUnavailableError, SignatureError,
  type NotificationEvent, type NotificationReply, type PaymentProvider, type RefundSucceededEvent,
} from '../../adapters/payments/types.ts';
import type { Logger } from 'pino';
import type { Db, Queryable } from '../../db/types.ts';
import { DomainError, notFound } from '../../domain/errors.ts';
import { toJson, type Money } from '../../domain/money.ts';
import { SYSTEM_ACTOR, type Actor } from '../audit/service.ts';
import type { Clock } from '../clock/service.ts';
import type { PaymentProviders } from './registry.ts';
import { saveMethodFromEvent } from './saved-methods.ts';
import { getPayment, getRefund, refundsOf } from './service.ts';

export const WEBHOOK_BODY_LIMIT_BYTES = 256 * 1024;

/**
 * What a verified event means for the order the payment pays — applied by the orders module
 * (settlement, refunds) inside the intake's transaction, so the event record and its effect commit
 * together. Each answers a short outcome for payment_events; each must be idempotent.
 */
export interface PaymentOutcomes {
  captured(tx: Queryable, input: { paymentId: string; amount: Money; providerRef: string | null; provider: string; now: Date; actor: Actor }): Promise<string>;
  failed(tx: Queryable, input: { paymentId: string; provider: string; reason: string; now: Date }): Promise<string>;
  /** One refund the provider confirmed: pending → succeeded; false when it was not pending. */
  refundConfirmed(tx: Queryable, refundId: string, now: Date): Promise<boolean>;
}

export interface WebhookDeps {
  db: Db;
  clock: Clock;
  log: Logger;
  providers: PaymentProviders;
  outcomes: PaymentOutcomes;
}

export interface IncomingWebhook {
  provider: string;
  headers: Record<string, string | undefined>;
  rawBody: string;
}

export async function receiveWebhook(deps: WebhookDeps, input: IncomingWebhook): Promise<NotificationReply> {
  const provider = deps.providers.byName(input.provider);
  if (!provider) throw notFound('not_found', `no payment provider ${input.provider}`);
  const event = await verify(provider, input);
  const outcome = await deps.db.transaction((tx) => applyEvent(tx, deps.outcomes, provider, event, deps.clock.now()));
  if (outcome === 'amount_mismatch') {
    deps.log.warn({ provider: provider.name, eventId: event.eventId }, 'payment amount mismatch: not credited, recorded for review');
  }
  return provider.acknowledge(event);
}

async function verify(provider: PaymentProvider, input: IncomingWebhook): Promise<NotificationEvent> {
  try {
    // Signatures are made with the provider's wall clock, so they are checked against ours.
    return await provider.parseNotification({ headers: input.headers, rawBody: input.rawBody, now: new Date() });
  } catch (error) {
    if (error instanceof ProviderUnavailableError) {
      throw new DomainError('unavailable', 'provider_unavailable', 'the payment provider cannot be reached to verify this notification; nothing changed, redeliver');
    }
    // A ProviderRejectedError here is an unreadable payload (adapters turn refusals of their own
    // calls, such as a refused capture, into acknowledged `ignored` events).
    if (error instanceof SignatureError || error instanceof ProviderRejectedError) {
      throw new DomainError('bad_request', 'invalid_signature', 'the notification signature does not verify');
    }
    throw error;
  }
}

function summaryOf(event: NotificationEvent): Record<string, unknown> {
  if (event.type === 'ignored') return { reason: event.reason.slice(0, 200) };
  // The method ref is a charging credential at the provider: kept only in saved_payment_methods.
  if (event.type === 'method_saved') return { setupId: event.setupId.slice(0, 100) };
  const base = { providerRef: event.providerRef };
  if (event.type === 'payment_failed') return { ...base, reason: event.reason.slice(0, 200) };
  if (event.type === 'refund_succeeded' && event.refundId !== undefined) {
    const m = event.thisRefundAmount;
    return { ...base, refundId: event.refundId.slice(0, 100), thisRefundAmount: toJson(m) };
  }
  return { ...base, amount: toJson(event.amount) };
}

/** Dedupe record and effect in the caller's transaction. */
export async function applyEvent(tx: Queryable, outcomes: PaymentOutcomes, provider: PaymentProvider, event: NotificationEvent, now: Date): Promise<string> {
  const paymentId = event.type === 'ignored' || event.type === 'method_saved' ? null : event.paymentId;
  const inserted = await tx.query(
    `INSERT INTO payment_events (provider, event_id, type, payment_id, outcome, summary, received_at)
     VALUES ($1, $2, $3, $4, 'received', $5, $6) ON CONFLICT (provider, event_id) DO NOTHING`,
    [provider.name, event.eventId.slice(0, 255), event.type, paymentId, JSON.stringify(summaryOf(event)), now],
  );
  if (inserted.rowCount === 0) return 'duplicate';
  const outcome = await effectOf(tx, outcomes, provider, event, now);
  await tx.query('UPDATE payment_events SET outcome = $3 WHERE provider = $1 AND event_id = $2', [provider.name, event.eventId.slice(0, 255), outcome]);
  return outcome;
}

async function effectOf(tx: Queryable, outcomes: PaymentOutcomes, provider: PaymentProvider, event: NotificationEvent, now: Date): Promise<string> {
  const actor = { ...SYSTEM_ACTOR, role: `provider:${provider.name}` };
  switch (event.type) {
    case 'payment_succeeded':
      return outcomes.captured(tx, { paymentId: event.paymentId, amount: event.amount, providerRef: event.providerRef, provider: provider.name, now, actor });
    case 'payment_failed':
      return outcomes.failed(tx, { paymentId: event.paymentId, provider: provider.name, reason: event.reason, now });
    case 'refund_succeeded': {
      const payment = await getPayment(tx, event.paymentId, { lock: true });
      if (!payment || payment.provider !== provider.name) return 'unknown_payment';
      if (event.refundId !== undefined) return confirmOneRefund(tx, outcomes, event, now);
      return `refunds_confirmed:${await confirmRefundsUpTo(tx, outcomes, event.paymentId, event.amount, now)}`;
    }
    case 'method_saved':
      return saveMethodFromEvent(tx, provider.name, event, now);
    case 'ignored':
      return 'ignored';
  }
}

/**
 * A notification about ONE refund (WeChat Pay): it confirms that refund only if it is ours, on this
 * payment, for exactly this amount. Idempotent: confirmRefund is a guarded pending → succeeded, so
 * a redelivery (or a second event id for the same refund) changes nothing.
 */
async function confirmOneRefund(
  tx: Queryable, outcomes: PaymentOutcomes, event: Extract<RefundSucceededEvent, { refundId: string }>, now: Date,
): Promise<string> {
  const refund = await getRefund(tx, event.refundId);
  if (!refund || refund.payment_id !== event.paymentId) return 'unknown_refund';
  const m = event.thisRefundAmount;
  if (refund.amount_minor !== m.amountMinor || refund.currency !== m.currency) return 'refund_amount_mismatch';
  // A refund we gave up on (failed) that the provider completed anyway is for reconciliation to report.
  if (refund.status !== 'pending') return refund.status === 'succeeded' ? 'refunds_confirmed:0' : `refund_not_pending:${refund.status}`;
  return `refunds_confirmed:${(await outcomes.refundConfirmed(tx, refund.id, now)) ? 1 : 0}`;
}

/**
 * A provider's refund notification carries the payment's TOTAL refunded so far: confirm pending
 * refunds, oldest first, while they fit in that total (idempotent and independent of delivery order).
 */
async function confirmRefundsUpTo(tx: Queryable, outcomes: PaymentOutcomes, paymentId: string, totalRefunded: Money, now: Date): Promise<number> {
  const rows = await refundsOf(tx, { paymentId });
  let coveredMinor = rows.filter((r) => r.status === 'succeeded').reduce((acc, r) => acc + r.amount_minor, 0);
  let confirmed = 0;
  for (const r of rows) {
    if (r.status !== 'pending' || r.currency !== totalRefunded.currency) continue;
    if (coveredMinor + r.amount_minor > totalRefunded.amountMinor) break;
    if (await outcomes.refundConfirmed(tx, r.id, now)) confirmed++;
    coveredMinor += r.amount_minor;
  }
  return confirmed;
}
