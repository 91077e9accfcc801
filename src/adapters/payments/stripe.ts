// Card payments through Stripe Checkout Sessions (https://docs.stripe.com/api/checkout/sessions)
// and their webhooks, verified with the SDK's `webhooks.constructEvent` — the published
// `Stripe-Signature: t=…,v1=…` scheme, HMAC-SHA256 over `${t}.${payload}`, 300 s tolerance
// (https://docs.stripe.com/webhooks#verify-events). Amounts are already integer minor units.
import Stripe from 'stripe';
import { isKnownCurrency, money, type Money } from '../../domain/money.ts';
import {
  PROVIDER_TIMEOUT_MS_DEFAULT,
  PROVIDER_TIMEOUT_MS_MAX,
  ProviderRejectedError,
  ProviderUnavailableError,
  SignatureError,
  headerValue,
  type CreatePaymentInput,
  type CreatedPayment,
  type IncomingNotification,
  type NotificationEvent,
  type NotificationReply,
  type PaymentProvider,
  type RefundInput,
  type RefundResult,
} from './types.ts';

export const STRIPE_SIGNATURE_TOLERANCE_SECONDS = 300;
/** simkeep orders expire after 30 min unpaid (SPEC); Stripe's minimum session lifetime is 30 min. */
const CHECKOUT_SESSION_LIFETIME_SECONDS = 31 * 60;

export interface StripeProviderOptions {
  secretKey: string;
  webhookSecret: string;
  /** e.g. `http://127.0.0.1:12111` for a local fake; default is the SDK's `https://api.stripe.com`. */
  apiBaseUrl?: string;
  /** ≤ 15 000 (API.md: 503 within 15 s); default 10 000. */
  timeoutMs?: number;
  now?: () => Date;
}

export class StripeProvider implements PaymentProvider {
  readonly name = 'stripe' as const;
  private readonly client: Stripe;
  private readonly webhookSecret: string;
  private readonly now: () => Date;

  constructor(options: StripeProviderOptions) {
    this.webhookSecret = options.webhookSecret;
    this.now = options.now ?? (() => new Date());
    const base = options.apiBaseUrl === undefined ? undefined : new URL(options.apiBaseUrl);
    this.client = new Stripe(options.secretKey, {
      timeout: Math.min(options.timeoutMs ?? PROVIDER_TIMEOUT_MS_DEFAULT, PROVIDER_TIMEOUT_MS_MAX),
      // A retry would push past the 15 s budget; the caller retries with the same idempotency key.
      maxNetworkRetries: 0,
      telemetry: false,
      ...(base === undefined
        ? {}
        : { host: base.hostname, port: base.port, protocol: base.protocol === 'http:' ? 'http' : 'https' }),
    });
  }

  async createPayment(input: CreatePaymentInput): Promise<CreatedPayment> {
    const metadata = { paymentId: input.paymentId, orderId: input.orderId };
    const expiresAt = Math.floor(this.now().getTime() / 1000) + CHECKOUT_SESSION_LIFETIME_SECONDS;
    const session = await this.call(() =>
      this.client.checkout.sessions.create(
        {
          mode: 'payment',
          client_reference_id: input.paymentId,
          metadata,
          // Copied onto the PaymentIntent (and its charges) so payment_intent.* and charge.* events map back.
          payment_intent_data: { metadata, description: `${input.description} (${input.paymentId})` },
          line_items: [
            {
              quantity: 1,
              price_data: {
                currency: input.amount.currency.toLowerCase(),
                unit_amount: input.amount.amountMinor,
                product_data: { name: input.description },
              },
            },
          ],
          success_url: input.returnUrl,
          cancel_url: input.returnUrl,
          expires_at: expiresAt,
        },
        { idempotencyKey: `create-${input.paymentId}` },
      ),
    );
    if (session.url === null) throw new ProviderRejectedError('stripe checkout session has no url', 200, undefined);
    return { providerRef: session.id, action: { type: 'redirect', url: session.url } };
  }

  async parseNotification(n: IncomingNotification): Promise<NotificationEvent> {
    const header = headerValue(n.headers, 'stripe-signature');
    if (header === undefined) throw new SignatureError('missing Stripe-Signature header');
    let event: Stripe.Event;
    try {
      event = this.client.webhooks.constructEvent(
        n.rawBody,
        header,
        this.webhookSecret,
        STRIPE_SIGNATURE_TOLERANCE_SECONDS,
        undefined,
        n.now.getTime(),
      );
    } catch (err) {
      if (err instanceof Stripe.errors.StripeSignatureVerificationError) throw new SignatureError('stripe signature invalid');
      throw new SignatureError('stripe webhook payload unreadable');
    }
    return mapStripeEvent(event);
  }

  acknowledge(_event: NotificationEvent): NotificationReply {
    return { status: 200, contentType: 'application/json; charset=utf-8', body: '{"received":true}' };
  }

  async refund(input: RefundInput): Promise<RefundResult> {
    const paymentIntent = await this.paymentIntentOf(input.providerRef);
    const refund = await this.call(() =>
      this.client.refunds.create(
        {
          payment_intent: paymentIntent,
          amount: input.amount.amountMinor,
          metadata: { paymentId: input.paymentId, refundId: input.refundId },
        },
        { idempotencyKey: `refund-${input.refundId}` },
      ),
    );
    return { providerRefundRef: refund.id, status: refund.status === 'succeeded' ? 'succeeded' : 'pending' };
  }

  /** providerRef is the Checkout Session id from createPayment or a PaymentIntent id from its events. */
  private async paymentIntentOf(providerRef: string): Promise<string> {
    if (providerRef.startsWith('pi_')) return providerRef;
    const session = await this.call(() => this.client.checkout.sessions.retrieve(providerRef));
    const pi = session.payment_intent;
    const id = typeof pi === 'string' ? pi : pi?.id;
    if (id === undefined) throw new ProviderRejectedError(`checkout session ${providerRef} has no payment`, 409, undefined);
    return id;
  }

  private async call<T>(request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (err) {
      if (err instanceof Stripe.errors.StripeConnectionError) throw new ProviderUnavailableError('stripe unreachable');
      if (err instanceof Stripe.errors.StripeError) {
        const status = err.statusCode ?? 0;
        if (status >= 500 || status === 0) throw new ProviderUnavailableError(`stripe answered ${status}`);
        throw new ProviderRejectedError(`stripe refused: ${err.code ?? err.type}`, status, err.code);
      }
      throw err;
    }
  }
}

function stripeMoney(amountMinor: number | null, currency: string | null): Money | undefined {
  if (amountMinor === null || currency === null) return undefined;
  const code = currency.toUpperCase();
  return isKnownCurrency(code) ? money(amountMinor, code) : undefined;
}

function ignored(event: Stripe.Event, reason: string): NotificationEvent {
  return { type: 'ignored', eventId: event.id, reason };
}

/** Maps the events simkeep subscribes to; everything else is acknowledged and ignored. */
export function mapStripeEvent(event: Stripe.Event): NotificationEvent {
  const eventId = event.id;
  switch (event.type) {
    case 'checkout.session.completed':
    case 'checkout.session.async_payment_succeeded': {
      const s = event.data.object;
      const paymentId = s.client_reference_id ?? s.metadata?.['paymentId'];
      // A completed session with a delayed method (bank debit) is not paid yet; async_payment_succeeded follows.
      if (s.payment_status !== 'paid') return ignored(event, `checkout session ${s.payment_status}`);
      const amount = stripeMoney(s.amount_total, s.currency);
      if (paymentId === undefined || paymentId === null) return ignored(event, 'session without simkeep paymentId');
      if (amount === undefined) return ignored(event, 'session amount or currency unknown');
      return { type: 'payment_succeeded', eventId, paymentId, providerRef: s.id, amount };
    }
    case 'checkout.session.async_payment_failed':
    case 'checkout.session.expired': {
      const s = event.data.object;
      const paymentId = s.client_reference_id ?? s.metadata?.['paymentId'];
      if (paymentId === undefined || paymentId === null) return ignored(event, 'session without simkeep paymentId');
      const reason = event.type === 'checkout.session.expired' ? 'checkout session expired' : 'async payment failed';
      return { type: 'payment_failed', eventId, paymentId, providerRef: s.id, reason };
    }
    case 'payment_intent.succeeded': {
      const pi = event.data.object;
      const paymentId = pi.metadata['paymentId'];
      const amount = stripeMoney(pi.amount_received, pi.currency);
      if (paymentId === undefined) return ignored(event, 'payment intent without simkeep paymentId');
      if (amount === undefined) return ignored(event, 'payment intent currency unknown');
      return { type: 'payment_succeeded', eventId, paymentId, providerRef: pi.id, amount };
    }
    case 'payment_intent.payment_failed': {
      const pi = event.data.object;
      const paymentId = pi.metadata['paymentId'];
      if (paymentId === undefined) return ignored(event, 'payment intent without simkeep paymentId');
      const reason = pi.last_payment_error?.code ?? pi.last_payment_error?.type ?? 'payment failed';
      return { type: 'payment_failed', eventId, paymentId, providerRef: pi.id, reason };
    }
    case 'charge.refunded': {
      const charge = event.data.object;
      const paymentId = charge.metadata['paymentId'];
      const amount = stripeMoney(charge.amount_refunded, charge.currency);
      const pi = charge.payment_intent;
      const providerRef = typeof pi === 'string' ? pi : (pi?.id ?? charge.id);
      if (paymentId === undefined) return ignored(event, 'charge without simkeep paymentId');
      if (amount === undefined) return ignored(event, 'charge currency unknown');
      return { type: 'refund_succeeded', eventId, paymentId, providerRef, amount };
    }
    default:
      return ignored(event, `event type ${event.type} not used`);
  }
}
