// The one interface every payment provider adapter implements (SPEC.md "Payments"), the errors the
// HTTP layer maps (SignatureError → 400, ProviderUnavailableError → 503 provider_unavailable), and
// the single network helper that decides what "the provider could not be reached" means.
// Provider-specific rules live in the adapters; nothing here knows a provider's wire format.
import type { Money } from '../../domain/money.ts';

export type ProviderName = 'sandbox' | 'stripe' | 'alipay' | 'wechat_pay' | 'paypal';

export interface PaymentAction {
  type: 'redirect' | 'qr' | 'none';
  url?: string;
  qrData?: string;
}

export interface CreatePaymentInput {
  /** simkeep's own payment id (`pay_…`), sent to the provider as its merchant reference. */
  paymentId: string;
  orderId: string;
  amount: Money;
  description: string;
  returnUrl: string;
  notifyUrl: string;
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
 * `refund_succeeded.amount` is the TOTAL refunded on the payment so far, as the provider reports it
 * (Stripe `charge.amount_refunded`, Alipay `refund_fee`, PayPal `total_refunded_amount`): applying
 * it as "refunded = max(refunded, amount)" is idempotent and independent of delivery order.
 */
export type NotificationEvent =
  | { type: 'payment_succeeded'; eventId: string; paymentId: string; providerRef: string; amount: Money }
  | { type: 'payment_failed'; eventId: string; paymentId: string; providerRef: string; reason: string }
  | { type: 'refund_succeeded'; eventId: string; paymentId: string; providerRef: string; amount: Money }
  | { type: 'ignored'; eventId: string; reason: string };

export interface NotificationReply {
  status: number;
  contentType: string;
  body: string;
}

export interface PaymentProvider {
  readonly name: ProviderName;
  createPayment(input: CreatePaymentInput): Promise<CreatedPayment>;
  /** Verifies the signature FIRST; throws SignatureError (→ 400, nothing changes) when it does not hold. */
  parseNotification(n: IncomingNotification): Promise<NotificationEvent>;
  /** What the provider expects back once an event was accepted. */
  acknowledge(event: NotificationEvent): NotificationReply;
  refund(input: RefundInput): Promise<RefundResult>;
}

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

/** API.md: a provider that cannot be reached → 503 within 15 s, so no single call may wait longer. */
export const PROVIDER_TIMEOUT_MS_MAX = 15_000;
export const PROVIDER_TIMEOUT_MS_DEFAULT = 10_000;
/** Provider answers are small JSON documents; anything bigger is refused rather than buffered. */
export const PROVIDER_RESPONSE_BYTES_MAX = 1_048_576;

export interface ProviderResponse {
  status: number;
  headers: Headers;
  text: string;
}

/**
 * One HTTP call to a provider with a hard timeout. Unreachable, timed out and 5xx all become
 * ProviderUnavailableError; any other status is returned for the adapter to interpret.
 */
export async function fetchProvider(
  providerName: ProviderName,
  url: string,
  init: RequestInit,
  timeoutMs: number = PROVIDER_TIMEOUT_MS_DEFAULT,
): Promise<ProviderResponse> {
  const boundedMs = Math.min(timeoutMs, PROVIDER_TIMEOUT_MS_MAX);
  let response: Response;
  let text: string;
  try {
    response = await fetch(url, { ...init, redirect: 'manual', signal: AbortSignal.timeout(boundedMs) });
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
