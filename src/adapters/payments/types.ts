// The one interface every payment provider adapter implements (SPEC.md "Payments"), the errors the
// HTTP layer maps (SignatureError → 400, ProviderUnavailableError → 503 provider_unavailable), and
// the single network helper that decides what "the provider could not be reached" means.
// Provider-specific rules live in the adapters; nothing here knows a provider's wire format.
import type { Money } from '../../domain/money.ts';

export const PROVIDER_NAMES = ['sandbox', 'stripe', 'alipay', 'wechat_pay', 'paypal'] as const;
export type ProviderName = (typeof PROVIDER_NAMES)[number];

/**
 * What the payer does next: open a page, scan a code, nothing (paid at once, or not started), or —
 * only when the client asked for the `jsapi` flow — call WeChat's in-app bridge with `jsapi`.
 */
export const PAYMENT_ACTION_TYPES = ['redirect', 'qr', 'none', 'jsapi'] as const;

/**
 * The channel a client asks the provider for (POST /orders `paymentFlow`), from where the payer is:
 * `qr` a code to scan on another device (desktop), `h5` the provider's mobile page (a phone's
 * browser), `jsapi` WeChat Pay inside WeChat's own browser. Absent: the provider's default.
 */
export const PAYMENT_FLOWS = ['qr', 'h5', 'jsapi'] as const;
export type PaymentFlow = (typeof PAYMENT_FLOWS)[number];

/**
 * The arguments of `WeixinJSBridge.invoke('getBrandWCPayRequest', …)` (JSAPI调起支付): paySign is
 * RSA-SHA256 over `appId\ntimeStamp\nnonceStr\npackage\n` with the merchant's private key.
 */
export interface JsapiPayRequest {
  appId: string;
  timeStamp: string;
  nonceStr: string;
  package: string;
  signType: 'RSA';
  paySign: string;
}

export interface PaymentAction {
  type: (typeof PAYMENT_ACTION_TYPES)[number];
  url?: string;
  qrData?: string;
  jsapi?: JsapiPayRequest;
}

/** Who is paying, as far as a flow needs it (WeChat H5: the payer's IP; JSAPI: the payer's openid). */
export interface PayerContext {
  clientIp?: string;
  wechatOpenid?: string;
}

export interface CreatePaymentInput {
  /** simkeep's own payment id (`pay_…`), sent to the provider as its merchant reference. */
  paymentId: string;
  orderId: string;
  amount: Money;
  description: string;
  returnUrl: string;
  notifyUrl: string;
  /** The channel asked for; undefined = the provider's default channel. */
  flow?: PaymentFlow;
  payer?: PayerContext;
}

export interface CreatedPayment {
  providerRef: string;
  action: PaymentAction;
}

export interface RefundInput {
  paymentId: string;
  providerRef: string;
  /** simkeep's refund id; used as the provider's idempotency key / merchant refund number. */
  refundId: string;
  amount: Money;
  reason: string;
}

export interface RefundResult {
  providerRefundRef: string;
  status: 'succeeded' | 'pending';
}

export interface IncomingNotification {
  headers: Record<string, string | undefined>;
  rawBody: string;
  now: Date;
}

/**
 * A refund notification comes in one of two shapes, told apart by `refundId`:
 *  - without it, `amount` is the TOTAL refunded on the payment so far, as the provider reports it
 *    (Stripe `charge.amount_refunded`, Alipay `refund_fee`, PayPal `total_refunded_amount`):
 *    applying it as "refunded = max(refunded, amount)" is idempotent and independent of delivery order;
 *  - with it (WeChat Pay `REFUND.SUCCESS`, which names one refund by our `out_refund_no` and carries
 *    only that refund's amount), `thisRefundAmount` is the amount of simkeep refund `refundId`
 *    alone: applying it confirms that one refund (a guarded pending → succeeded), also idempotent.
 */
export type RefundSucceededEvent =
  | { type: 'refund_succeeded'; eventId: string; paymentId: string; providerRef: string; amount: Money; refundId?: undefined }
  | { type: 'refund_succeeded'; eventId: string; paymentId: string; providerRef: string; refundId: string; thisRefundAmount: Money };

/**
 * The customer saved a payment method on the provider's page for simkeep setup `setupId`:
 * `methodRef` is what chargeSavedMethod takes later; card details are what the provider tells.
 */
export interface MethodSavedEvent {
  type: 'method_saved';
  eventId: string;
  setupId: string;
  methodRef: string;
  brand: string | null;
  last4: string | null;
  /** The card's last valid month (UTC): month 1–12 and year, or null when the provider does not say. */
  expiry: { month: number; year: number } | null;
}

export type NotificationEvent =
  | { type: 'payment_succeeded'; eventId: string; paymentId: string; providerRef: string; amount: Money }
  | { type: 'payment_failed'; eventId: string; paymentId: string; providerRef: string; reason: string }
  | RefundSucceededEvent
  | MethodSavedEvent
  | { type: 'ignored'; eventId: string; reason: string };

export interface NotificationReply {
  status: number;
  contentType: string;
  body: string;
}

export interface LookupPaymentInput {
  paymentId: string;
  /** What createPayment returned (null when the provider never answered it). */
  providerRef: string | null;
  currency: string;
}

/**
 * What the provider's own books say about one payment (reconciliation reads it).
 * `captured`: the amount the provider captured, or null when nothing was or its answer does not say;
 * `refunded`: the total refunded to the payer so far, or null when its answer does not carry it.
 * `unknown`: the provider cannot be asked about this payment (e.g. no reference was ever stored).
 */
export interface ProviderPaymentState {
  status: 'pending' | 'succeeded' | 'failed' | 'refunded' | 'unknown';
  captured: Money | null;
  refunded: Money | null;
}

export interface ChargeSavedMethodInput {
  paymentId: string;
  orderId: string;
  amount: Money;
  description: string;
  /** A reusable payment method the provider issued for this customer (format per provider). */
  savedMethodRef: string;
  /**
   * The provider-side idempotency key of this charge (default: derived from paymentId). Auto-renewal
   * derives it from the renewal (line and period), so no retry of that renewal can charge twice.
   */
  idempotencyKey?: string;
}

export interface SavedMethodSetupInput {
  /** simkeep's setup id (`pms_…`): the provider's event names it when the method is saved. */
  setupId: string;
  userId: string;
  /** The provider's customer simkeep already holds for this user, or null to create one. */
  customerRef: string | null;
  successUrl: string;
  cancelUrl: string;
}

export interface SavedMethodSetup {
  /** The customer the method will belong to (new when customerRef was null). */
  customerRef: string;
  /** The provider's session for this setup. */
  providerRef: string;
  url: string;
}

/** A provider with its own hosted page for saving a payment method (Stripe Checkout in setup mode). */
export interface SavedMethodSetupProvider {
  openSavedMethodSetup(input: SavedMethodSetupInput): Promise<SavedMethodSetup>;
}

export function hasSavedMethodSetup(provider: PaymentProvider): provider is PaymentProvider & SavedMethodSetupProvider {
  return typeof (provider as Partial<SavedMethodSetupProvider>).openSavedMethodSetup === 'function';
}

/**
 * `succeeded` / `pending`: the provider's webhook settles it like any payment (the order stays
 * awaiting payment until then); `requires_action`: the customer must act (`action`, when the
 * provider offers a page for it); `declined`: refused, nothing was charged.
 */
export interface SavedMethodCharge {
  providerRef: string;
  status: 'succeeded' | 'pending' | 'requires_action' | 'declined';
  action?: PaymentAction;
}

export interface PaymentProvider {
  readonly name: ProviderName;
  /** Whether chargeSavedMethod can work at all with this provider (see each adapter for why not). */
  readonly supportsSavedMethods: boolean;
  /** The only currencies it settles in, or null for any: lets an order be refused before anything is written. */
  readonly currencies: readonly string[] | null;
  /** The flows createPayment honours; any other is refused before an order is written (422 payment_flow_unavailable). */
  readonly flows: readonly PaymentFlow[];
  createPayment(input: CreatePaymentInput): Promise<CreatedPayment>;
  /** Verifies the signature FIRST; throws SignatureError (→ 400, nothing changes) when it does not hold. */
  parseNotification(n: IncomingNotification): Promise<NotificationEvent>;
  /** What the provider expects back once an event was accepted. */
  acknowledge(event: NotificationEvent): NotificationReply;
  refund(input: RefundInput): Promise<RefundResult>;
  /** Reads the payment from the provider's books; null = the provider has no such payment. */
  lookupPayment(input: LookupPaymentInput): Promise<ProviderPaymentState | null>;
  /**
   * Charges a saved payment method without the customer present (auto-renewal). Idempotent per
   * paymentId on the provider's side. Providers without the capability throw
   * ProviderRejectedError with providerCode `saved_method_unsupported`.
   */
  chargeSavedMethod(input: ChargeSavedMethodInput): Promise<SavedMethodCharge>;
}

const SAVED_METHOD_UNSUPPORTED = 'saved_method_unsupported';

export class SignatureError extends Error {
  override name = 'SignatureError';
}

/** Network failure / timeout / provider 5xx → 503 provider_unavailable (nothing charged, safe to retry). */
export class ProviderUnavailableError extends Error {
  override name = 'ProviderUnavailableError';
}

/** The provider answered and refused (4xx or a business error code): a bug or a config problem, not an outage. */
export class ProviderRejectedError extends Error {
  override name = 'ProviderRejectedError';
  constructor(
    message: string,
    readonly httpStatus: number,
    readonly providerCode: string | undefined,
  ) {
    super(message);
  }
}

/**
 * API.md: a provider that cannot be reached → 503 within 15 s. The budget is per OPERATION (a
 * refund that looks the order up first, a token fetch before a create, a cert fetch before a
 * capture): every HTTP call of one operation shares one Deadline and gets only the time left.
 * 14 s leaves a second for simkeep's own work around the call.
 */
const PROVIDER_OPERATION_MS_MAX = 14_000;
export const PROVIDER_OPERATION_MS_DEFAULT = PROVIDER_OPERATION_MS_MAX;
/** Provider answers are small JSON documents; anything bigger is refused rather than buffered. */
const PROVIDER_RESPONSE_BYTES_MAX = 1_048_576;

/** The end of one provider operation's time budget, on the monotonic clock. */
export class Deadline {
  private constructor(private readonly atMs: number) {}

  /** A deadline `budgetMs` from now, never more than PROVIDER_OPERATION_MS_MAX. */
  static after(budgetMs: number = PROVIDER_OPERATION_MS_DEFAULT): Deadline {
    const bounded = Math.max(0, Math.min(budgetMs, PROVIDER_OPERATION_MS_MAX));
    return new Deadline(performance.now() + bounded);
  }

  remainingMs(): number {
    return Math.max(0, Math.floor(this.atMs - performance.now()));
  }

  /** The time left for the next call; throws ProviderUnavailableError when none is. */
  nextCallMs(providerName: ProviderName): number {
    const remaining = this.remainingMs();
    if (remaining <= 0) throw new ProviderUnavailableError(`${providerName} did not answer within the operation's time budget`);
    return remaining;
  }
}

export interface ProviderResponse {
  status: number;
  headers: Headers;
  text: string;
}

/**
 * One HTTP call to a provider, bounded by what is left of its operation's deadline. Unreachable,
 * timed out and 5xx all become ProviderUnavailableError; any other status is returned for the
 * adapter to interpret.
 */
export async function fetchProvider(
  providerName: ProviderName,
  url: string,
  init: RequestInit,
  deadline: Deadline,
): Promise<ProviderResponse> {
  const timeoutMs = deadline.nextCallMs(providerName);
  let response: Response;
  let text: string;
  try {
    // The signal covers reading the body too: a provider that trickles its answer is cut off.
    response = await fetch(url, { ...init, redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
    text = await response.text();
  } catch (err) {
    // The cause names only the failure kind (ECONNREFUSED, TimeoutError); no credentials are in it.
    const kind = err instanceof Error ? err.name : 'unknown';
    throw new ProviderUnavailableError(`${providerName} unreachable (${kind})`);
  }
  if (response.status >= 500) {
    throw new ProviderUnavailableError(`${providerName} answered ${response.status}`);
  }
  if (text.length > PROVIDER_RESPONSE_BYTES_MAX) {
    throw new ProviderRejectedError(`${providerName} response too large`, response.status, undefined);
  }
  return { status: response.status, headers: response.headers, text };
}

/** For providers without saved-method products: the typed refusal callers can recognise. */
export function savedMethodUnsupported(providerName: ProviderName): ProviderRejectedError {
  return new ProviderRejectedError(`${providerName} cannot charge saved payment methods`, 0, SAVED_METHOD_UNSUPPORTED);
}

/** Headers arrive with arbitrary case from the HTTP layer; providers define them case-insensitively. */
export function headerValue(headers: Record<string, string | undefined>, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === wanted && value !== undefined && value !== '') return value;
  }
  return undefined;
}

/** Parses JSON from a provider or a verified notification; malformed JSON after a valid signature is a provider bug. */
export function parseJsonObject(text: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ProviderRejectedError(`${what} is not JSON`, 0, undefined);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ProviderRejectedError(`${what} is not a JSON object`, 0, undefined);
  }
  return value as Record<string, unknown>;
}

/** A string member of provider JSON, or undefined. */
export function readString(o: Record<string, unknown> | undefined, key: string): string | undefined {
  const v = o?.[key];
  return typeof v === 'string' ? v : undefined;
}

/** A nested object member of provider JSON, or undefined. */
export function readObject(o: Record<string, unknown> | undefined, key: string): Record<string, unknown> | undefined {
  const v = o?.[key];
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}
