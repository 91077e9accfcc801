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
import type { Queryable } from '../../db/types.ts';
import { DomainError, notFound } from '../../domain/errors.ts';
import type { AppDeps } from '../../http/types.ts';
import { SYSTEM_ACTOR } from '../audit/service.ts';
import { confirmRefund, confirmRefundsUpTo, type RefundRow } from '../orders/refunds.ts';
import { capturePayment, failPayment } from '../orders/settlement.ts';
import { paymentProvidersOf } from './registry.ts';

export const WEBHOOK_BODY_LIMIT_BYTES = 256 * 1024;

export interface IncomingWebhook {
  provider: string;
  headers: Record<string, string | undefined>;
  rawBody: string;
}

export async function receiveWebhook(deps: AppDeps, input: IncomingWebhook): Promise<NotificationReply> {
  const provider = paymentProvidersOf(deps).byName(input.provider);
  if (!provider) throw notFound('not_found', `no payment provider ${input.provider}`);
  const event = await verify(provider, input);
  const outcome = await deps.db.transaction((tx) => applyEvent(tx, provider, event, deps.clock.now()));
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
  const base = { providerRef: event.providerRef };
  if (event.type === 'payment_failed') return { ...base, reason: event.reason.slice(0, 200) };
  if (event.type === 'refund_succeeded' && event.refundId !== undefined) {
    const m = event.thisRefundAmount;
    return { ...base, refundId: event.refundId.slice(0, 100), thisRefundAmount: { amount: m.amountMinor, currency: m.currency } };
  }
  return { ...base, amount: { amount: event.amount.amountMinor, currency: event.amount.currency } };
}

/** Dedupe record and effect in the caller's transaction. */
export async function applyEvent(tx: Queryable, provider: PaymentProvider, event: NotificationEvent, now: Date): Promise<string> {
  const paymentId = event.type === 'ignored' ? null : event.paymentId;
  const inserted = await tx.query(
    `INSERT INTO payment_events (provider, event_id, type, payment_id, outcome, summary, received_at)
     VALUES ($1, $2, $3, $4, 'received', $5, $6) ON CONFLICT (provider, event_id) DO NOTHING`,
    [provider.name, event.eventId.slice(0, 255), event.type, paymentId, JSON.stringify(summaryOf(event)), now],
  );
  if (inserted.rowCount === 0) return 'duplicate';
  const outcome = await effectOf(tx, provider, event, now);
  await tx.query('UPDATE payment_events SET outcome = $3 WHERE provider = $1 AND event_id = $2', [provider.name, event.eventId.slice(0, 255), outcome]);
  return outcome;
}

async function effectOf(tx: Queryable, provider: PaymentProvider, event: NotificationEvent, now: Date): Promise<string> {
  const actor = { ...SYSTEM_ACTOR, role: `provider:${provider.name}` };
  switch (event.type) {
    case 'payment_succeeded':
      return capturePayment(tx, { paymentId: event.paymentId, amount: event.amount, providerRef: event.providerRef, provider: provider.name, now, actor });
    case 'payment_failed':
      return failPayment(tx, { paymentId: event.paymentId, provider: provider.name, reason: event.reason, now });
    case 'refund_succeeded': {
      const known = await tx.query('SELECT 1 FROM payments WHERE id = $1 AND provider = $2 FOR UPDATE', [event.paymentId, provider.name]);
      if (known.rowCount === 0) return 'unknown_payment';
      if (event.refundId !== undefined) return confirmOneRefund(tx, event, now);
      return `refunds_confirmed:${await confirmRefundsUpTo(tx, event.paymentId, event.amount, now)}`;
    }
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
  tx: Queryable, event: Extract<RefundSucceededEvent, { refundId: string }>, now: Date,
): Promise<string> {
  const { rows } = await tx.query<RefundRow>('SELECT * FROM refunds WHERE id = $1 AND payment_id = $2', [event.refundId, event.paymentId]);
  const refund = rows[0];
  if (!refund) return 'unknown_refund';
  const m = event.thisRefundAmount;
  if (refund.amount_minor !== m.amountMinor || refund.currency !== m.currency) return 'refund_amount_mismatch';
  // A refund we gave up on (failed) that the provider completed anyway is for reconciliation to report.
  if (refund.status !== 'pending') return refund.status === 'succeeded' ? 'refunds_confirmed:0' : `refund_not_pending:${refund.status}`;
  return `refunds_confirmed:${(await confirmRefund(tx, refund.id, now)) ? 1 : 0}`;
}
