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

  /** Refunds on the sandbox's books; refuses more than was captured there, like a real provider. */
  async refund(input: RefundInput): Promise<RefundResult> {
    const { rowCount } = await this.db.query(
      `UPDATE sandbox_payments SET refunded_minor = refunded_minor + $2
        WHERE payment_id = $1 AND status = 'succeeded' AND refunded_minor + $2 <= amount_minor`,
      [input.paymentId, input.amount.amountMinor],
    );
    if (rowCount === 0) throw new ProviderRejectedError('sandbox: nothing refundable on this payment', 400, 'not_refundable');
    return { providerRefundRef: `sbx_re_${input.refundId.slice(4)}`, status: 'succeeded' };
  }
}
