// The built-in sandbox payment provider (API.md "The sandbox payment provider"): it behaves like a
// hosted provider — a payment page at /sandbox/pay/{paymentId}, its own books (sandbox_payments),
// webhooks signed with `Simkeep-Sandbox-Signature` (Stripe's scheme, see sandbox-signature.ts) and
// delivered asynchronously, twice — so the whole paid journey runs offline through the same
// webhook intake, signature check and deduplication as the real providers.
import { createHmac, randomBytes } from 'node:crypto';
import { SANDBOX_SIGNATURE_HEADER, verifySandboxSignature } from '../../adapters/payments/sandbox-signature.ts';
import {
  ProviderRejectedError, SignatureError, headerValue, parseJsonObject, readObject, readString,
  type CreatePaymentInput, type CreatedPayment, type IncomingNotification, type NotificationEvent, type NotificationReply,
  type PaymentProvider, type RefundInput, type RefundResult,
} from '../../adapters/payments/types.ts';
import type { Queryable } from '../../db/types.ts';
import { isKnownCurrency, money } from '../../domain/money.ts';
import type { Clock } from '../clock/service.ts';

export type SandboxEventType = 'payment.succeeded' | 'payment.failed';

/** The webhook body the sandbox delivers (and signs). */
export interface SandboxEvent {
  id: string;
  type: SandboxEventType;
  paymentId: string;
  amount: { amount: number; currency: string };
  createdAt: string;
}

/** The signing key is derived from the server key, so no extra secret needs configuring. */
export function sandboxWebhookKey(secretKey: Buffer): Buffer {
  return createHmac('sha256', secretKey).update('sandbox-webhook').digest();
}

export function newSandboxEventId(): string {
  return `evt_${randomBytes(12).toString('hex')}`;
}

export class SandboxProvider implements PaymentProvider {
  readonly name = 'sandbox' as const;

  constructor(
    private readonly db: Queryable,
    private readonly clock: Clock,
    private readonly webhookKey: Buffer,
    private readonly publicUrl: string,
  ) {}

  /** Opens the payment on the sandbox's books (idempotent per payment) and points the payer to its page. */
  async createPayment(input: CreatePaymentInput): Promise<CreatedPayment> {
    const providerRef = `sbx_${input.paymentId.slice(4)}`;
    await this.db.query(
      `INSERT INTO sandbox_payments (id, payment_id, amount_minor, currency, description, return_url, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (payment_id) DO NOTHING`,
      [providerRef, input.paymentId, input.amount.amountMinor, input.amount.currency, input.description.slice(0, 200), input.returnUrl, this.clock.now()],
    );
    return { providerRef, action: { type: 'redirect', url: `${this.publicUrl}/sandbox/pay/${encodeURIComponent(input.paymentId)}` } };
  }

  async parseNotification(n: IncomingNotification): Promise<NotificationEvent> {
    verifySandboxSignature(this.webhookKey, headerValue(n.headers, SANDBOX_SIGNATURE_HEADER), n.rawBody, n.now);
    const body = parseJsonObject(n.rawBody, 'sandbox event');
    const eventId = readString(body, 'id');
    const paymentId = readString(body, 'paymentId');
    const type = readString(body, 'type');
    const amount = readObject(body, 'amount');
    const amountMinor = amount?.['amount'];
    const currency = readString(amount, 'currency');
    if (eventId === undefined) throw new SignatureError('sandbox event without id');
    if (paymentId === undefined) return { type: 'ignored', eventId, reason: 'no paymentId' };
    const providerRef = `sbx_${paymentId.slice(4)}`;
    if (type === 'payment.failed') return { type: 'payment_failed', eventId, paymentId, providerRef, reason: 'declined on the sandbox page' };
    if (type !== 'payment.succeeded') return { type: 'ignored', eventId, reason: `event type ${type ?? 'missing'}` };
    if (typeof amountMinor !== 'number' || !Number.isSafeInteger(amountMinor) || currency === undefined || !isKnownCurrency(currency)) {
      return { type: 'ignored', eventId, reason: 'amount unreadable' };
    }
    return { type: 'payment_succeeded', eventId, paymentId, providerRef, amount: money(amountMinor, currency) };
  }

  acknowledge(_event: NotificationEvent): NotificationReply {
    return { status: 200, contentType: 'application/json; charset=utf-8', body: '{"received":true}' };
  }

  /**
   * Refunds on the sandbox's books; refuses more than was captured there, like a real provider.
   * Idempotent per refund id (the provider's idempotency key): a repeat answers what the first call
   * did and adds nothing — simkeep re-drives a refund whose answer was lost with the same id. One
   * statement, so it is safe against concurrent calls: the payment row is locked first, and the
   * refund id's primary key lets only one of two racing calls insert (the other finds it).
   */
  async refund(input: RefundInput): Promise<RefundResult> {
    await this.db.query(
      `WITH pay AS (
         SELECT payment_id, status = 'succeeded' AND refunded_minor + $2 <= amount_minor AS refundable
           FROM sandbox_payments WHERE payment_id = $1 FOR UPDATE),
       ins AS (
         INSERT INTO sandbox_refunds (id, payment_id, amount_minor, currency, status, created_at)
         SELECT $3, pay.payment_id, $2, $4, CASE WHEN pay.refundable THEN 'succeeded' ELSE 'rejected' END, $5 FROM pay
         ON CONFLICT (id) DO NOTHING RETURNING payment_id, status)
       UPDATE sandbox_payments s SET refunded_minor = s.refunded_minor + $2
         FROM ins WHERE s.payment_id = ins.payment_id AND ins.status = 'succeeded'`,
      [input.paymentId, input.amount.amountMinor, input.refundId, input.amount.currency, this.clock.now()],
    );
    const { rows } = await this.db.query<{ status: string; amount_minor: number; currency: string }>(
      'SELECT status, amount_minor, currency FROM sandbox_refunds WHERE id = $1 AND payment_id = $2',
      [input.refundId, input.paymentId],
    );
    const done = rows[0];
    if (!done || done.status !== 'succeeded') throw new ProviderRejectedError('sandbox: nothing refundable on this payment', 400, 'not_refundable');
    if (done.amount_minor !== input.amount.amountMinor || done.currency !== input.amount.currency) {
      throw new ProviderRejectedError('sandbox: this refund id was used with another amount', 400, 'idempotency_mismatch');
    }
    return { providerRefundRef: `sbx_re_${input.refundId.slice(4)}`, status: 'succeeded' };
  }
}
