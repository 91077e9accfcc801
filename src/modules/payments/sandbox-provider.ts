// The built-in sandbox payment provider (API.md "The sandbox payment provider"): it behaves like a
// hosted provider — a payment page at /sandbox/pay/{paymentId}, its own books (sandbox_payments),
// webhooks signed with `Simkeep-Sandbox-Signature` (Stripe's scheme, see sandbox-signature.ts) and
// delivered asynchronously, twice — so the whole paid journey runs offline through the same
// webhook intake, signature check and deduplication as the real providers. Saved payment methods
// are refs the sandbox issued itself (HMAC-tagged, like test cards with a scripted behaviour).
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { SANDBOX_SIGNATURE_HEADER, verifySandboxSignature } from '../../adapters/payments/sandbox-signature.ts';
import {
  ProviderRejectedError, SignatureError, headerValue, parseJsonObject, readObject, readString,
  type ChargeSavedMethodInput, type CreatePaymentInput, type CreatedPayment, type IncomingNotification, type LookupPaymentInput,
  type NotificationEvent, type NotificationReply, type PaymentAction, type PaymentFlow, type PaymentProvider, type ProviderPaymentState, type RefundInput, type RefundResult,
  type SavedMethodCharge,
} from '../../adapters/payments/types.ts';
import { wechatPayJsapiMessage } from '../../adapters/payments/wechat-pay.ts';
import type { Db } from '../../db/types.ts';
import { isKnownCurrency, money } from '../../domain/money.ts';
import type { Clock } from '../clock/service.ts';
import { completeSandboxPayment, type SandboxPaymentRow } from './sandbox-service.ts';

export { newSandboxEventId, sandboxWebhookKey, type SandboxEvent, type SandboxEventType } from './sandbox-events.ts';

/** How a sandbox-issued saved method behaves when charged, like Stripe's test cards. */
export type SandboxSavedMethodBehaviour = 'succeeds' | 'declines' | 'requires_action';
const SAVED_METHOD_BEHAVIOURS: readonly SandboxSavedMethodBehaviour[] = ['succeeds', 'declines', 'requires_action'];
/** sandbox_refunds.status: the sandbox refunds what was captured and not refunded yet, and rejects the rest. */
export const SANDBOX_REFUND_STATUSES = ['succeeded', 'rejected'] as const;
const SAVED_METHOD_PATTERN = /^sbxpm_(succeeds|declines|requires_action)_([0-9a-f]{24})_([0-9a-f]{32})$/;

export class SandboxProvider implements PaymentProvider {
  readonly name = 'sandbox' as const;

  readonly supportsSavedMethods = true;
  readonly currencies: readonly string[] | null = null;
  /** Every flow, so the portal's paths can be walked offline; each still ends on the sandbox's page or its /complete. */
  readonly flows: readonly PaymentFlow[] = ['qr', 'h5', 'jsapi'];

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly webhookKey: Buffer,
    /** Read per payment: the server's address is known only once it listens. */
    private readonly publicUrl: () => string,
  ) {}

  /** Opens the payment on the sandbox's books (idempotent per payment) and points the payer to its page. */
  async createPayment(input: CreatePaymentInput): Promise<CreatedPayment> {
    const providerRef = `sbx_${input.paymentId.slice(4)}`;
    await this.db.query(
      `INSERT INTO sandbox_payments (id, payment_id, amount_minor, currency, description, return_url, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (payment_id) DO NOTHING`,
      [providerRef, input.paymentId, input.amount.amountMinor, input.amount.currency, input.description.slice(0, 200), input.returnUrl, this.clock.now()],
    );
    return { providerRef, action: this.actionFor(input.paymentId, input.flow) };
  }

  /**
   * Like a real provider's channels: the default and `h5` send the payer to the sandbox's page, `qr`
   * shows that page's address as a code to scan, `jsapi` answers WeixinJSBridge arguments whose
   * package names the payment (`prepay_id=sandbox_<paymentId>`): a page's bridge — in tests, one the
   * test injects — pays by POST /sandbox/payments/{paymentId}/complete, as the sandbox page does.
   * The sandbox holds no merchant RSA key: its paySign is an HMAC under its webhook key, which no
   * real WeChat would accept (and no sandbox bridge checks).
   */
  private actionFor(paymentId: string, flow: PaymentFlow | undefined): PaymentAction {
    const page = `${this.publicUrl()}/sandbox/pay/${encodeURIComponent(paymentId)}`;
    if (flow === 'qr') return { type: 'qr', qrData: page };
    if (flow !== 'jsapi') return { type: 'redirect', url: page };
    const unsigned = {
      appId: 'sandbox', timeStamp: String(Math.floor(this.clock.now().getTime() / 1000)), nonceStr: randomBytes(16).toString('hex'),
      package: `prepay_id=sandbox_${paymentId}`,
    };
    const paySign = createHmac('sha256', this.webhookKey).update(wechatPayJsapiMessage(unsigned)).digest('base64');
    return { type: 'jsapi', jsapi: { ...unsigned, signType: 'RSA', paySign } };
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

  /** Reads the sandbox's own books, as a real provider's payment API would answer. */
  async lookupPayment(input: LookupPaymentInput): Promise<ProviderPaymentState | null> {
    const { rows } = await this.db.query<Pick<SandboxPaymentRow, 'status' | 'amount_minor' | 'currency'> & { refunded_minor: number }>(
      'SELECT status, amount_minor, currency, refunded_minor FROM sandbox_payments WHERE payment_id = $1',
      [input.paymentId],
    );
    const row = rows[0];
    if (!row) return null;
    if (row.status !== 'succeeded') return { status: row.status, captured: null, refunded: null };
    const full = row.amount_minor > 0 && row.refunded_minor >= row.amount_minor;
    return { status: full ? 'refunded' : 'succeeded', captured: money(row.amount_minor, row.currency), refunded: money(row.refunded_minor, row.currency) };
  }

  /** A saved-method ref for tests and demos; the sandbox recognises only refs it issued. */
  issueSavedMethod(behaviour: SandboxSavedMethodBehaviour = 'succeeds'): string {
    const nonce = randomBytes(12).toString('hex');
    return `sbxpm_${behaviour}_${nonce}_${this.savedMethodTag(behaviour, nonce)}`;
  }

  /**
   * Charges a sandbox-issued saved method on the sandbox's books, then delivers the same signed
   * webhooks as a page payment (the payer's decision is scripted by the ref). Idempotent per
   * paymentId: the first decision wins (completeSandboxPayment's guarded UPDATE).
   */
  async chargeSavedMethod(input: ChargeSavedMethodInput): Promise<SavedMethodCharge> {
    const behaviour = this.behaviourOf(input.savedMethodRef);
    const created = await this.createPayment({
      paymentId: input.paymentId, orderId: input.orderId, amount: input.amount, description: input.description,
      returnUrl: `${this.publicUrl()}/orders/${encodeURIComponent(input.orderId)}`, notifyUrl: `${this.publicUrl()}/api/v1/webhooks/sandbox`,
    });
    if (behaviour === 'requires_action') return { providerRef: created.providerRef, status: 'requires_action', action: created.action };
    const { status } = await completeSandboxPayment(this.db, this.clock.now(), input.paymentId, behaviour === 'succeeds' ? 'succeeded' : 'failed');
    if (status === 'succeeded') return { providerRef: created.providerRef, status: 'succeeded' };
    if (status === 'failed') return { providerRef: created.providerRef, status: 'declined' };
    return { providerRef: created.providerRef, status: 'requires_action', action: created.action };
  }

  private savedMethodTag(behaviour: SandboxSavedMethodBehaviour, nonce: string): string {
    return createHmac('sha256', this.webhookKey).update(`saved-method:${behaviour}:${nonce}`).digest('hex').slice(0, 32);
  }

  private behaviourOf(ref: string): SandboxSavedMethodBehaviour {
    const match = SAVED_METHOD_PATTERN.exec(ref);
    const behaviour = SAVED_METHOD_BEHAVIOURS.find((b) => b === match?.[1]);
    const nonce = match?.[2];
    const tag = match?.[3];
    const valid = behaviour !== undefined && nonce !== undefined && tag !== undefined &&
      timingSafeEqual(Buffer.from(tag, 'hex'), Buffer.from(this.savedMethodTag(behaviour, nonce), 'hex'));
    if (!valid) throw new ProviderRejectedError('sandbox: no such saved payment method', 400, 'invalid_saved_method');
    return behaviour;
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
