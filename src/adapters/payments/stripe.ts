// Card payments through Stripe Checkout Sessions (https://docs.stripe.com/api/checkout/sessions)
// and their webhooks, verified with the SDK's `webhooks.constructEvent` — the published
// `Stripe-Signature: t=…,v1=…` scheme, HMAC-SHA256 over `${t}.${payload}`, 300 s tolerance either
// way (https://docs.stripe.com/webhooks#verify-events; the SDK refuses only stale timestamps, a
// future one is refused here). Amounts are already integer minor units; a signed event whose
// object lacks the fields simkeep reads is acknowledged and ignored, never an error.
import Stripe from 'stripe';
import { isKnownCurrency, money, type Money } from '../../domain/money.ts';
import {
  Deadline,
  PROVIDER_OPERATION_MS_DEFAULT,
  ProviderRejectedError,
  ProviderUnavailableError,
  SignatureError,
  headerValue,
  type ChargeSavedMethodInput,
  type CreatePaymentInput,
  type CreatedPayment,
  type IncomingNotification,
  type LookupPaymentInput,
  type MethodSavedEvent,
  type NotificationEvent,
  type NotificationReply,
  type PaymentFlow,
  type PaymentProvider,
  type ProviderPaymentState,
  type RefundInput,
  type RefundResult,
  type SavedMethodCharge,
  type SavedMethodSetup,
  type SavedMethodSetupInput,
  type SavedMethodSetupProvider,
} from './types.ts';

export const STRIPE_API_BASE_URL = 'https://api.stripe.com';

const STRIPE_SIGNATURE_TOLERANCE_SECONDS = 300;
/** simkeep orders expire after 30 min unpaid (SPEC); Stripe's minimum session lifetime is 30 min. */
const CHECKOUT_SESSION_LIFETIME_SECONDS = 31 * 60;
/** A saved method is `${customerId}:${paymentMethodId}` (Stripe charges a PaymentMethod attached to a Customer). */
const SAVED_METHOD_PATTERN = /^(cus_[A-Za-z0-9]+):((?:pm|card|src)_[A-Za-z0-9_]+)$/;

export interface StripeProviderOptions {
  secretKey: string;
  webhookSecret: string;
  /** e.g. `http://127.0.0.1:12111` for a local fake; default is the SDK's `https://api.stripe.com`. */
  apiBaseUrl?: string;
  /** The time budget of one operation, all its calls together; ≤ 14 000 (API.md: 503 within 15 s). */
  timeoutMs?: number;
  now?: () => Date;
}

export class StripeProvider implements PaymentProvider, SavedMethodSetupProvider {
  readonly name = 'stripe' as const;
  readonly supportsSavedMethods = true;
  readonly currencies: readonly string[] | null = null;
  /** Checkout adapts its own page to the device: no flow to choose. */
  readonly flows: readonly PaymentFlow[] = [];
  private readonly client: Stripe;
  private readonly webhookSecret: string;
  private readonly budgetMs: number;
  private readonly now: () => Date;

  constructor(options: StripeProviderOptions) {
    this.webhookSecret = options.webhookSecret;
    this.now = options.now ?? (() => new Date());
    this.budgetMs = options.timeoutMs ?? PROVIDER_OPERATION_MS_DEFAULT;
    const base = options.apiBaseUrl === undefined ? undefined : new URL(options.apiBaseUrl);
    this.client = new Stripe(options.secretKey, {
      // The fetch client bounds a whole request (body included) by one timeout; Node's http client
      // restarts its idle timer at each stage, so a trickling answer could outlive the budget.
      httpClient: Stripe.createFetchHttpClient(),
      // Each call passes the time left of its operation's deadline; this is only the ceiling.
      timeout: this.budgetMs,
      // A retry would push past the 15 s budget; the caller retries with the same idempotency key.
      maxNetworkRetries: 0,
      telemetry: false,
      ...(base === undefined
        ? {}
        : { host: base.hostname, port: base.port || (base.protocol === 'http:' ? 80 : 443), protocol: base.protocol === 'http:' ? 'http' : 'https' }),
    });
  }

  async createPayment(input: CreatePaymentInput): Promise<CreatedPayment> {
    const deadline = Deadline.after(this.budgetMs);
    const metadata = { paymentId: input.paymentId, orderId: input.orderId };
    const expiresAt = Math.floor(this.now().getTime() / 1000) + CHECKOUT_SESSION_LIFETIME_SECONDS;
    const session = await this.call(deadline, (timeout) =>
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
        { idempotencyKey: `create-${input.paymentId}`, timeout },
      ),
    );
    if (session.url === null) throw new ProviderRejectedError('stripe checkout session has no url', 200, undefined);
    return { providerRef: session.id, action: { type: 'redirect', url: session.url } };
  }

  async parseNotification(n: IncomingNotification): Promise<NotificationEvent> {
    const header = headerValue(n.headers, 'stripe-signature');
    if (header === undefined) throw new SignatureError('missing Stripe-Signature header');
    // The SDK bounds only the age of t; a t ahead of our clock by more than the tolerance is a
    // delivery made to be replayed later (or a broken clock): refused the same way.
    const nowSeconds = n.now.getTime() / 1000;
    if (signedAtSeconds(header).some((t) => t - nowSeconds > STRIPE_SIGNATURE_TOLERANCE_SECONDS)) {
      throw new SignatureError('stripe signature timestamp is in the future');
    }
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
    // Signed, but not an event simkeep can record once (the id is its dedup key): a clean 400.
    if (typeof (event as { id?: unknown }).id !== 'string' || event.id === '') throw new SignatureError('stripe event without an id');
    const setup = savedMethodSetupOf(event);
    if (setup !== null) return this.methodSavedEvent(event, setup.setupId, setup.setupIntentId);
    return mapStripeEvent(event);
  }

  /**
   * Opens a Checkout Session in setup mode (https://docs.stripe.com/payments/save-and-reuse) for
   * the user's Customer, created first when simkeep holds none. Both calls carry idempotency keys
   * (the customer's per user, the session's per setup), so a retried request creates nothing twice.
   */
  async openSavedMethodSetup(input: SavedMethodSetupInput): Promise<SavedMethodSetup> {
    const deadline = Deadline.after(this.budgetMs);
    let customerRef = input.customerRef;
    if (customerRef === null) {
      const customer = await this.call(deadline, (timeout) =>
        this.client.customers.create({ metadata: { userId: input.userId } }, { idempotencyKey: `customer-${input.userId}`, timeout }),
      );
      customerRef = customer.id;
    }
    const customer = customerRef;
    const metadata = { setupId: input.setupId };
    const session = await this.call(deadline, (timeout) =>
      this.client.checkout.sessions.create(
        {
          mode: 'setup',
          customer,
          client_reference_id: input.setupId,
          metadata,
          // Copied onto the SetupIntent, so setup_intent.succeeded maps back too.
          setup_intent_data: { metadata },
          allowed_payment_method_types: ['card'],
          success_url: input.successUrl,
          cancel_url: input.cancelUrl,
        },
        { idempotencyKey: `setup-${input.setupId}`, timeout },
      ),
    );
    if (session.url === null) throw new ProviderRejectedError('stripe setup session has no url', 200, undefined);
    return { customerRef: customer, providerRef: session.id, url: session.url };
  }

  /**
   * What the customer saved: the SetupIntent with its PaymentMethod (brand, last 4, expiry). Asking
   * Stripe rather than trusting the event's object keeps one path for both event kinds; unreachable
   * → 503 and Stripe redelivers; a SetupIntent Stripe does not know (or one without a customer,
   * which could never be charged off-session) is acknowledged and ignored.
   */
  private async methodSavedEvent(event: Stripe.Event, setupId: string, setupIntentId: string): Promise<NotificationEvent> {
    let intent: Stripe.SetupIntent;
    try {
      const deadline = Deadline.after(this.budgetMs);
      intent = await this.call(deadline, (timeout) => this.client.setupIntents.retrieve(setupIntentId, { expand: ['payment_method'] }, { timeout }));
    } catch (err) {
      if (err instanceof ProviderRejectedError) return ignored(event, `setup intent unreadable: ${err.message.slice(0, 100)}`);
      throw err;
    }
    if (intent.status !== 'succeeded') return ignored(event, `setup intent ${intent.status}`);
    const customer = typeof intent.customer === 'string' ? intent.customer : intent.customer?.id;
    const method = intent.payment_method;
    const methodId = typeof method === 'string' ? method : method?.id;
    if (customer === undefined || methodId === undefined) return ignored(event, 'setup intent without customer or payment method');
    const card = typeof method === 'object' && method !== null ? method.card : undefined;
    const saved: MethodSavedEvent = {
      type: 'method_saved', eventId: event.id, setupId, methodRef: `${customer}:${methodId}`,
      brand: card?.brand ?? null, last4: card?.last4 ?? null,
      expiry: card ? { month: card.exp_month, year: card.exp_year } : null,
    };
    return saved;
  }

  acknowledge(_event: NotificationEvent): NotificationReply {
    return { status: 200, contentType: 'application/json; charset=utf-8', body: '{"received":true}' };
  }

  async refund(input: RefundInput): Promise<RefundResult> {
    // One budget for both calls: the session lookup and the refund (API.md: 503 within 15 s).
    const deadline = Deadline.after(this.budgetMs);
    const paymentIntent = await this.paymentIntentOf(input.providerRef, deadline);
    const refund = await this.call(deadline, (timeout) =>
      this.client.refunds.create(
        {
          payment_intent: paymentIntent,
          amount: input.amount.amountMinor,
          metadata: { paymentId: input.paymentId, refundId: input.refundId },
        },
        { idempotencyKey: `refund-${input.refundId}`, timeout },
      ),
    );
    return { providerRefundRef: refund.id, status: refund.status === 'succeeded' ? 'succeeded' : 'pending' };
  }

  /**
   * The Checkout Session (or PaymentIntent) with its PaymentIntent and latest charge expanded:
   * `amount_received` is what was captured, the charge's `amount_refunded` the total refunded.
   */
  async lookupPayment(input: LookupPaymentInput): Promise<ProviderPaymentState | null> {
    const ref = input.providerRef;
    if (ref === null) return { status: 'unknown', captured: null, refunded: null };
    const deadline = Deadline.after(this.budgetMs);
    try {
      if (ref.startsWith('pi_')) {
        const pi = await this.call(deadline, (timeout) => this.client.paymentIntents.retrieve(ref, { expand: ['latest_charge'] }, { timeout }));
        return stateOfIntent(pi);
      }
      const session = await this.call(deadline, (timeout) =>
        this.client.checkout.sessions.retrieve(ref, { expand: ['payment_intent.latest_charge'] }, { timeout }),
      );
      return stateOfSession(session);
    } catch (err) {
      if (err instanceof ProviderRejectedError && err.httpStatus === 404) return null;
      throw err;
    }
  }

  /**
   * An off-session PaymentIntent on the customer's saved PaymentMethod, confirmed at once
   * (https://docs.stripe.com/payments/save-and-reuse#charge-saved-payment-method). A card that
   * needs 3-D Secure answers `authentication_required`: the customer has to come back on-session.
   * The payment_intent.succeeded webhook settles the payment like any other.
   */
  async chargeSavedMethod(input: ChargeSavedMethodInput): Promise<SavedMethodCharge> {
    const match = SAVED_METHOD_PATTERN.exec(input.savedMethodRef);
    const customer = match?.[1];
    const paymentMethod = match?.[2];
    if (customer === undefined || paymentMethod === undefined) {
      throw new ProviderRejectedError('stripe saved method must be "cus_…:pm_…"', 0, 'invalid_saved_method');
    }
    const deadline = Deadline.after(this.budgetMs);
    const metadata = { paymentId: input.paymentId, orderId: input.orderId };
    let pi: Stripe.PaymentIntent;
    try {
      pi = await this.client.paymentIntents.create(
        {
          amount: input.amount.amountMinor,
          currency: input.amount.currency.toLowerCase(),
          customer,
          payment_method: paymentMethod,
          off_session: true,
          confirm: true,
          description: `${input.description} (${input.paymentId})`,
          metadata,
        },
        { idempotencyKey: input.idempotencyKey ?? `charge-${input.paymentId}`, timeout: deadline.nextCallMs('stripe') },
      );
    } catch (err) {
      if (err instanceof Stripe.errors.StripeCardError) {
        const providerRef = err.payment_intent?.id ?? '';
        return { providerRef, status: err.code === 'authentication_required' ? 'requires_action' : 'declined' };
      }
      throw stripeFailure(err);
    }
    return chargeOfIntent(pi);
  }

  /** providerRef is the Checkout Session id from createPayment or a PaymentIntent id from its events. */
  private async paymentIntentOf(providerRef: string, deadline: Deadline): Promise<string> {
    if (providerRef.startsWith('pi_')) return providerRef;
    const session = await this.call(deadline, (timeout) => this.client.checkout.sessions.retrieve(providerRef, {}, { timeout }));
    const pi = session.payment_intent;
    const id = typeof pi === 'string' ? pi : pi?.id;
    if (id === undefined) throw new ProviderRejectedError(`checkout session ${providerRef} has no payment`, 409, undefined);
    return id;
  }

  /** One SDK call with what is left of the operation's deadline as its timeout. */
  private async call<T>(deadline: Deadline, request: (timeoutMs: number) => Promise<T>): Promise<T> {
    const timeoutMs = deadline.nextCallMs('stripe');
    try {
      return await request(timeoutMs);
    } catch (err) {
      throw stripeFailure(err);
    }
  }
}

/** Stripe SDK errors in simkeep's vocabulary: connection trouble and 5xx are outages, the rest refusals. */
function stripeFailure(err: unknown): unknown {
  if (err instanceof Stripe.errors.StripeConnectionError) return new ProviderUnavailableError('stripe unreachable');
  if (err instanceof Stripe.errors.StripeError) {
    const status = err.statusCode ?? 0;
    if (status >= 500 || status === 0) return new ProviderUnavailableError(`stripe answered ${status}`);
    if (status === 429) return new ProviderUnavailableError('stripe rate limited');
    return new ProviderRejectedError(`stripe refused: ${err.code ?? err.type}`, status, err.code);
  }
  return err;
}

function refundedOf(pi: Stripe.PaymentIntent): Money | null {
  const charge = pi.latest_charge;
  if (charge === null || typeof charge === 'string') return null;
  return stripeMoney(charge.amount_refunded, charge.currency) ?? null;
}

function stateOfIntent(pi: Stripe.PaymentIntent): ProviderPaymentState {
  if (pi.status === 'succeeded') {
    const captured = stripeMoney(pi.amount_received, pi.currency) ?? null;
    const refunded = refundedOf(pi);
    const full = captured !== null && refunded !== null && captured.amountMinor > 0 && refunded.amountMinor >= captured.amountMinor;
    return { status: full ? 'refunded' : 'succeeded', captured, refunded };
  }
  if (pi.status === 'canceled') return { status: 'failed', captured: null, refunded: null };
  return { status: 'pending', captured: null, refunded: null };
}

function stateOfSession(session: Stripe.Checkout.Session): ProviderPaymentState {
  const pi = session.payment_intent;
  if (pi !== null && typeof pi !== 'string') return stateOfIntent(pi);
  if (session.payment_status === 'paid') {
    return { status: 'succeeded', captured: stripeMoney(session.amount_total, session.currency) ?? null, refunded: null };
  }
  if (session.status === 'expired') return { status: 'failed', captured: null, refunded: null };
  return { status: 'pending', captured: null, refunded: null };
}

function chargeOfIntent(pi: Stripe.PaymentIntent): SavedMethodCharge {
  switch (pi.status) {
    case 'succeeded':
      return { providerRef: pi.id, status: 'succeeded' };
    case 'processing':
      return { providerRef: pi.id, status: 'pending' };
    case 'requires_action': {
      const url = pi.next_action?.redirect_to_url?.url ?? undefined;
      return { providerRef: pi.id, status: 'requires_action', ...(url ? { action: { type: 'redirect' as const, url } } : {}) };
    }
    default:
      return { providerRef: pi.id, status: 'declined' };
  }
}

/** The `t=` values of a Stripe-Signature header (the SDK checks their format and age). */
function signedAtSeconds(header: string): number[] {
  return header
    .split(',')
    .map((part) => /^\s*t=(\d{1,15})\s*$/.exec(part)?.[1])
    .filter((t): t is string => t !== undefined)
    .map(Number);
}

/**
 * Money from a Stripe object's amount and currency, or undefined when either is missing or odd: the
 * event is signed, but its shape is Stripe's to change, so nothing here may throw on it.
 */
function stripeMoney(amountMinor: unknown, currency: unknown): Money | undefined {
  if (typeof amountMinor !== 'number' || !Number.isSafeInteger(amountMinor) || amountMinor < 0) return undefined;
  if (typeof currency !== 'string') return undefined;
  const code = currency.toUpperCase();
  return isKnownCurrency(code) ? money(amountMinor, code) : undefined;
}

/** metadata.paymentId of a Stripe object, when it carries one. */
function metadataPaymentId(object: { metadata?: Stripe.Metadata | null }): string | undefined {
  return metadataValue(object, 'paymentId');
}

/**
 * A saved-method setup finished: checkout.session.completed in setup mode, or the SetupIntent's own
 * setup_intent.succeeded (Stripe sends both; the setup completes once whichever comes first).
 */
function savedMethodSetupOf(event: Stripe.Event): { setupId: string; setupIntentId: string } | null {
  const object: unknown = (event as { data?: { object?: unknown } }).data?.object;
  if (typeof object !== 'object' || object === null) return null;
  if (event.type === 'checkout.session.completed' && event.data.object.mode === 'setup') {
    const s = event.data.object;
    const setupId = s.client_reference_id ?? metadataValue(s, 'setupId');
    const intent = typeof s.setup_intent === 'string' ? s.setup_intent : s.setup_intent?.id;
    return setupId && intent ? { setupId, setupIntentId: intent } : null;
  }
  if (event.type === 'setup_intent.succeeded') {
    const setupId = metadataValue(event.data.object, 'setupId');
    return setupId && typeof event.data.object.id === 'string' ? { setupId, setupIntentId: event.data.object.id } : null;
  }
  return null;
}

function metadataValue(object: { metadata?: Stripe.Metadata | null }, key: string): string | undefined {
  const value: unknown = object.metadata?.[key];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function ignored(event: Stripe.Event, reason: string): NotificationEvent {
  return { type: 'ignored', eventId: event.id, reason };
}

/** Maps the events simkeep subscribes to; everything else is acknowledged and ignored. */
function mapStripeEvent(event: Stripe.Event): NotificationEvent {
  const eventId = event.id;
  const object: unknown = (event as { data?: { object?: unknown } }).data?.object;
  if (typeof object !== 'object' || object === null) return ignored(event, 'event without a data object');
  switch (event.type) {
    case 'checkout.session.completed':
    case 'checkout.session.async_payment_succeeded': {
      const s = event.data.object;
      const paymentId = s.client_reference_id ?? metadataPaymentId(s);
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
      const paymentId = s.client_reference_id ?? metadataPaymentId(s);
      if (paymentId === undefined || paymentId === null) return ignored(event, 'session without simkeep paymentId');
      const reason = event.type === 'checkout.session.expired' ? 'checkout session expired' : 'async payment failed';
      return { type: 'payment_failed', eventId, paymentId, providerRef: s.id, reason };
    }
    case 'payment_intent.succeeded': {
      const pi = event.data.object;
      const paymentId = metadataPaymentId(pi);
      const amount = stripeMoney(pi.amount_received, pi.currency);
      if (paymentId === undefined) return ignored(event, 'payment intent without simkeep paymentId');
      if (amount === undefined) return ignored(event, 'payment intent amount or currency unknown');
      return { type: 'payment_succeeded', eventId, paymentId, providerRef: pi.id, amount };
    }
    case 'payment_intent.payment_failed':
      // Informational: Checkout sends one for every declined attempt while the customer may still
      // retry in the same session; only checkout.session.expired / async_payment_failed end it.
      return ignored(event, 'payment attempt failed; the checkout session stays open for a retry');
    case 'charge.refunded': {
      const charge = event.data.object;
      const paymentId = metadataPaymentId(charge);
      const amount = stripeMoney(charge.amount_refunded, charge.currency);
      const pi = charge.payment_intent;
      const providerRef = typeof pi === 'string' ? pi : (pi?.id ?? charge.id);
      if (paymentId === undefined) return ignored(event, 'charge without simkeep paymentId');
      if (amount === undefined) return ignored(event, 'charge amount or currency unknown');
      return { type: 'refund_succeeded', eventId, paymentId, providerRef, amount };
    }
    default:
      return ignored(event, `event type ${event.type} not used`);
  }
}
