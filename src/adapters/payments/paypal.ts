// PayPal: Orders v2 (`POST /v2/checkout/orders`, intent CAPTURE → payer-action redirect), capture
// refunds, and webhooks verified offline as PayPal publishes it
// (https://developer.paypal.com/api/rest/webhooks/rest/#link-eventheadervalidation): SHA256withRSA
// over `${transmissionId}|${transmissionTime}|${webhookId}|${crc32(body) as unsigned decimal}`,
// checked with the certificate at `paypal-cert-url`. That URL names the key the signature is checked
// with, so it is held to the rule PayPal's own SDKs apply: https on PayPal's API hosts under
// `/v1/notifications/certs/`, and the certificate it serves must be issued to
// `messageverificationcerts[.sandbox].paypal.com`, be valid now and chain to a trusted root.
import { X509Certificate, createVerify, type KeyObject } from 'node:crypto';
import { rootCertificates } from 'node:tls';
import { crc32 } from 'node:zlib';
import { isKnownCurrency, type Money } from '../../domain/money.ts';
import { decimalToMinor, minorToDecimal } from './decimal-amount.ts';
import {
  Deadline,
  PROVIDER_OPERATION_MS_DEFAULT,
  ProviderRejectedError,
  ProviderUnavailableError,
  SignatureError,
  fetchProvider,
  headerValue,
  parseJsonObject,
  readObject,
  readString,
  savedMethodUnsupported,
  type CreatePaymentInput,
  type CreatedPayment,
  type IncomingNotification,
  type LookupPaymentInput,
  type NotificationEvent,
  type NotificationReply,
  type PaymentFlow,
  type PaymentProvider,
  type ProviderPaymentState,
  type RefundInput,
  type RefundResult,
  type SavedMethodCharge,
} from './types.ts';

export const PAYPAL_BASE_URL = 'https://api-m.paypal.com';
const PAYPAL_AUTH_ALGO = 'SHA256withRSA';
/** PayPal rotates few certificates; the cache only needs to hold the current ones. */
const CERT_CACHE_ENTRIES_MAX = 16;
/**
 * A verified certificate is reused this long at most (and never past its notAfter): a certificate
 * PayPal replaces or revokes stops being trusted within the hour, without a fetch per delivery.
 */
export const PAYPAL_CERT_CACHE_TTL_MS = 60 * 60 * 1000;
/** The hosts PayPal serves webhook signing certificates from (live and sandbox), exactly. */
const PAYPAL_CERT_HOSTS: ReadonlySet<string> = new Set(['api.paypal.com', 'api-m.paypal.com', 'api.sandbox.paypal.com', 'api-m.sandbox.paypal.com']);
const PAYPAL_CERT_PATH_PREFIX = '/v1/notifications/certs/';
/** The subject CN of PayPal's signing certificate: live `messageverificationcerts.paypal.com`, or the sandbox's. */
const PAYPAL_SIGNING_CN = /^messageverificationcerts(\.sandbox)?\.paypal\.com$/;
/** Certificates read from one download (leaf and intermediates); PayPal serves two or three. */
const CERT_CHAIN_MAX = 5;
/** Refresh the OAuth token this long before PayPal says it expires. */
const TOKEN_REFRESH_MARGIN_MS = 60_000;
/** PayPal limits custom_id, invoice_id and description to 127 characters. */
const PAYPAL_TEXT_CHARS_MAX = 127;
/**
 * A delivery whose PAYPAL-TRANSMISSION-TIME is further than this from our clock is refused before
 * the certificate is fetched — the same tolerance as Stripe's signature timestamp — so an old
 * (replayed) or forged delivery costs no network call.
 */
export const PAYPAL_TRANSMISSION_TOLERANCE_SECONDS = 300;
/** Bounds the work done on attacker-supplied headers before anything is verified. */
const HEADER_CHARS_MAX = 2_048;
/** Captures, refunds and purchase units read from one order: PayPal orders here carry one unit and one capture. */
const ORDER_ITEMS_MAX = 50;

/** Returns the PEM at a (validated) cert URL within the operation's deadline; tests inject a local one. */
export type FetchCert = (url: string, deadline: Deadline) => Promise<string>;

export interface PaypalProviderOptions {
  clientId: string;
  clientSecret: string;
  /** The id of the webhook configured in the PayPal developer dashboard; part of the signed string. */
  webhookId: string;
  /** Default live `https://api-m.paypal.com`; `PAYPAL_SANDBOX_BASE_URL` for the sandbox. */
  baseUrl?: string;
  /** Returns the PEM at a (validated) cert URL; tests inject a local certificate chain. */
  fetchCert?: FetchCert;
  /** The roots a signing certificate must chain to; default Node's bundled roots (tests: a local CA). */
  trustedCaPems?: readonly string[];
  /** Capture an order when CHECKOUT.ORDER.APPROVED arrives (default true); the capture event then settles. */
  captureOnApproval?: boolean;
  /** The time budget of one operation, all its calls together (token, cert, API); ≤ 14 000. */
  timeoutMs?: number;
  now?: () => Date;
}

/**
 * PayPal's cert URL: https on one of PayPal's API hosts (not any *.paypal.com host, some of which
 * serve other people's content), under /v1/notifications/certs/, default port, nothing else.
 */
export function isAllowedPaypalCertUrl(certUrl: string): boolean {
  let url: URL;
  try {
    url = new URL(certUrl);
  } catch {
    return false;
  }
  return (
    url.protocol === 'https:' &&
    url.port === '' &&
    url.username === '' &&
    url.password === '' &&
    url.search === '' &&
    url.hash === '' &&
    PAYPAL_CERT_HOSTS.has(url.hostname.toLowerCase()) &&
    url.pathname.startsWith(PAYPAL_CERT_PATH_PREFIX) &&
    url.pathname.length > PAYPAL_CERT_PATH_PREFIX.length
  );
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

function validAt(cert: X509Certificate, nowMs: number): boolean {
  return Date.parse(cert.validFrom) <= nowMs && nowMs < Date.parse(cert.validTo);
}

function issued(issuer: X509Certificate, subject: X509Certificate): boolean {
  return subject.checkIssued(issuer) && subject.verify(issuer.publicKey);
}

/**
 * The leaf of a downloaded chain once it is shown to be PayPal's signing certificate: issued to
 * PayPal's signing name, valid now, and linked issuer by issuer (each a CA, each valid now) to one of
 * `roots`. A bare public key or a self-made certificate proves nothing about who signed.
 */
function verifyPaypalCertChain(pem: string, roots: readonly X509Certificate[], now: Date): X509Certificate {
  const blocks = pem.match(PEM_CERTIFICATE) ?? [];
  if (blocks.length === 0) throw new SignatureError('paypal cert url did not serve a certificate');
  if (blocks.length > CERT_CHAIN_MAX) throw new SignatureError('paypal certificate chain too long');
  let chain: X509Certificate[];
  try {
    chain = blocks.map((b) => new X509Certificate(b));
  } catch {
    throw new SignatureError('paypal certificate unreadable');
  }
  const [leaf, ...rest] = chain;
  if (leaf === undefined) throw new SignatureError('paypal cert url did not serve a certificate');
  const cn = /^CN=(.*)$/m.exec(leaf.subject)?.[1] ?? '';
  if (!PAYPAL_SIGNING_CN.test(cn)) throw new SignatureError('paypal certificate is not issued to messageverificationcerts.paypal.com');
  const nowMs = now.getTime();
  let current = leaf;
  for (let depth = 0; depth <= CERT_CHAIN_MAX; depth += 1) {
    if (!validAt(current, nowMs)) throw new SignatureError('paypal certificate chain not valid now');
    if (roots.some((root) => validAt(root, nowMs) && issued(root, current))) return leaf;
    const next = rest.find((c) => c.ca && issued(c, current));
    if (next === undefined) break;
    current = next;
  }
  throw new SignatureError('paypal certificate does not chain to a trusted root');
}

/** The string PayPal signs for a webhook delivery. */
export function paypalSignedString(transmissionId: string, transmissionTime: string, webhookId: string, rawBody: string): string {
  return `${transmissionId}|${transmissionTime}|${webhookId}|${crc32(Buffer.from(rawBody, 'utf8'))}`;
}

function truncate(text: string): string {
  return [...text].slice(0, PAYPAL_TEXT_CHARS_MAX).join('');
}

function paypalMoney(o: Record<string, unknown> | undefined): Money | undefined {
  const value = readString(o, 'value');
  const currency = readString(o, 'currency_code');
  if (value === undefined || currency === undefined || !isKnownCurrency(currency)) return undefined;
  return decimalToMinor(value, currency);
}

function tryParseJsonObject(text: string): Record<string, unknown> | undefined {
  try {
    return parseJsonObject(text, 'paypal error');
  } catch {
    return undefined;
  }
}

/** Unreachable / 5xx → ProviderUnavailableError (PayPal redelivers); a 4xx means the delivery cannot be verified. */
async function defaultFetchCert(url: string, deadline: Deadline): Promise<string> {
  const response = await fetchProvider('paypal', url, { method: 'GET' }, deadline);
  if (response.status !== 200) throw new SignatureError(`paypal cert answered ${response.status}`);
  return response.text;
}

/** The ISO 8601 PAYPAL-TRANSMISSION-TIME, or NaN when it is not one. */
function transmissionTimeMs(value: string): number {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})$/.test(value)) return Number.NaN;
  return Date.parse(value);
}

function objects(value: unknown): Record<string, unknown>[] {
  if (!Array.isArray(value)) return [];
  return value.slice(0, ORDER_ITEMS_MAX).filter((v): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v));
}

/** Σ of PayPal amounts in one currency, exactly (decimal strings → minor units). */
function sumMoney(items: Record<string, unknown>[], currency: string): Money {
  let minor = 0;
  for (const item of items) {
    const m = paypalMoney(readObject(item, 'amount'));
    if (m !== undefined && m.currency === currency) minor += m.amountMinor;
  }
  return { amountMinor: minor, currency };
}

/**
 * An Orders v2 order (GET /v2/checkout/orders/{id}) as reconciliation reads it: captures that
 * completed (later refunds keep them captured) and the refunds that completed.
 */
function paypalOrderState(order: Record<string, unknown>, currency: string): ProviderPaymentState {
  const payments = objects(order['purchase_units']).map((u) => readObject(u, 'payments'));
  const captures = payments.flatMap((p) => objects(p?.['captures']));
  const refunds = payments.flatMap((p) => objects(p?.['refunds']));
  const capturedItems = captures.filter((c) => ['COMPLETED', 'PARTIALLY_REFUNDED', 'REFUNDED'].includes(readString(c, 'status') ?? ''));
  const orderStatus = readString(order, 'status');
  if (capturedItems.length > 0) {
    const capturedCurrency = paypalMoney(readObject(capturedItems[0], 'amount'))?.currency ?? currency;
    const captured = sumMoney(capturedItems, capturedCurrency);
    const refunded = sumMoney(refunds.filter((r) => readString(r, 'status') === 'COMPLETED'), capturedCurrency);
    const full = captured.amountMinor > 0 && refunded.amountMinor >= captured.amountMinor;
    return { status: full ? 'refunded' : 'succeeded', captured, refunded };
  }
  if (orderStatus === 'VOIDED' || captures.some((c) => ['DECLINED', 'FAILED'].includes(readString(c, 'status') ?? ''))) {
    return { status: 'failed', captured: null, refunded: null };
  }
  return { status: 'pending', captured: null, refunded: null };
}

export class PaypalProvider implements PaymentProvider {
  readonly name = 'paypal' as const;
  private readonly options: PaypalProviderOptions;
  readonly supportsSavedMethods = false;
  readonly currencies: readonly string[] | null = null;
  /** PayPal's approval page adapts itself to the device: no flow to choose. */
  readonly flows: readonly PaymentFlow[] = [];
  private readonly baseUrl: string;
  private readonly budgetMs: number;
  private readonly fetchCert: FetchCert;
  private readonly certCache = new Map<string, { key: KeyObject; expiresAtMs: number }>();
  private readonly roots: readonly X509Certificate[];
  private token: { value: string; expiresAtMs: number } | undefined;
  private readonly now: () => Date;

  constructor(options: PaypalProviderOptions) {
    this.options = options;
    this.baseUrl = (options.baseUrl ?? PAYPAL_BASE_URL).replace(/\/+$/, '');
    this.budgetMs = options.timeoutMs ?? PROVIDER_OPERATION_MS_DEFAULT;
    this.fetchCert = options.fetchCert ?? defaultFetchCert;
    this.roots = (options.trustedCaPems ?? rootCertificates).map((pem) => new X509Certificate(pem));
    this.now = options.now ?? (() => new Date());
  }

  async createPayment(input: CreatePaymentInput): Promise<CreatedPayment> {
    const body = {
      intent: 'CAPTURE',
      purchase_units: [
        {
          reference_id: truncate(input.orderId),
          custom_id: truncate(input.paymentId),
          invoice_id: truncate(input.paymentId),
          description: truncate(input.description),
          amount: { currency_code: input.amount.currency, value: minorToDecimal(input.amount) },
        },
      ],
      payment_source: {
        paypal: {
          experience_context: {
            return_url: input.returnUrl,
            cancel_url: input.returnUrl,
            user_action: 'PAY_NOW',
            shipping_preference: 'NO_SHIPPING',
          },
        },
      },
    };
    // One budget for the token and the create call together (API.md: 503 within 15 s).
    const deadline = Deadline.after(this.budgetMs);
    const order = await this.api(deadline, 'POST', '/v2/checkout/orders', body, `create-${input.paymentId}`);
    const orderId = readString(order, 'id');
    const links = Array.isArray(order['links']) ? (order['links'] as unknown[]) : [];
    const approve = links
      .filter((l): l is Record<string, unknown> => typeof l === 'object' && l !== null)
      .find((l) => l['rel'] === 'payer-action' || l['rel'] === 'approve');
    const href = readString(approve, 'href');
    if (orderId === undefined || href === undefined) throw new ProviderRejectedError('paypal order without approval link', 201, undefined);
    return { providerRef: orderId, action: { type: 'redirect', url: href } };
  }

  async parseNotification(n: IncomingNotification): Promise<NotificationEvent> {
    // The cert fetch and an approval's capture share one budget.
    const deadline = Deadline.after(this.budgetMs);
    await this.verifySignature(n, deadline);
    const event = parseJsonObject(n.rawBody, 'paypal webhook event');
    const eventId = readString(event, 'id');
    if (eventId === undefined) throw new SignatureError('paypal event without id');
    const eventType = readString(event, 'event_type') ?? '';
    const resource = readObject(event, 'resource');
    const paymentId = readString(resource, 'custom_id') ?? readString(resource, 'invoice_id');
    switch (eventType) {
      case 'PAYMENT.CAPTURE.COMPLETED': {
        const amount = paypalMoney(readObject(resource, 'amount'));
        const orderId = readString(readObject(readObject(resource, 'supplementary_data'), 'related_ids'), 'order_id');
        const providerRef = orderId ?? readString(resource, 'id') ?? '';
        if (paymentId === undefined) return { type: 'ignored', eventId, reason: 'capture without simkeep custom_id' };
        if (amount === undefined) return { type: 'ignored', eventId, reason: 'capture amount unreadable' };
        return { type: 'payment_succeeded', eventId, paymentId, providerRef, amount };
      }
      case 'PAYMENT.CAPTURE.DENIED':
      case 'PAYMENT.CAPTURE.DECLINED': {
        if (paymentId === undefined) return { type: 'ignored', eventId, reason: 'capture without simkeep custom_id' };
        const providerRef = readString(resource, 'id') ?? '';
        return { type: 'payment_failed', eventId, paymentId, providerRef, reason: eventType.toLowerCase() };
      }
      case 'PAYMENT.CAPTURE.REFUNDED': {
        // The total refunded to date, so repeated or reordered deliveries converge (see types.ts).
        const breakdown = readObject(resource, 'seller_payable_breakdown');
        const amount = paypalMoney(readObject(breakdown, 'total_refunded_amount')) ?? paypalMoney(readObject(resource, 'amount'));
        const providerRef = this.captureIdOf(resource) ?? readString(resource, 'id') ?? '';
        if (paymentId === undefined) return { type: 'ignored', eventId, reason: 'refund without simkeep custom_id' };
        if (amount === undefined) return { type: 'ignored', eventId, reason: 'refund amount unreadable' };
        return { type: 'refund_succeeded', eventId, paymentId, providerRef, amount };
      }
      case 'CHECKOUT.ORDER.APPROVED': {
        const orderId = readString(resource, 'id');
        if (this.options.captureOnApproval === false || orderId === undefined) {
          return { type: 'ignored', eventId, reason: 'order approved; capture left to the caller' };
        }
        // The adapter cannot see simkeep's order, so an approval is captured even when the order
        // expired meanwhile: PAYMENT.CAPTURE.COMPLETED then lands in settlement's late-capture path
        // (credited to the wallet). An outage propagates (→ 503, PayPal redelivers); a refusal is
        // recorded and acknowledged — redelivering it would be refused again.
        const refusal = await this.capture(orderId, deadline);
        if (refusal !== undefined) return { type: 'ignored', eventId, reason: `order approved; capture refused (${refusal})` };
        return { type: 'ignored', eventId, reason: 'order approved and captured; PAYMENT.CAPTURE.COMPLETED settles it' };
      }
      default:
        return { type: 'ignored', eventId, reason: `event_type ${eventType} not used` };
    }
  }

  acknowledge(_event: NotificationEvent): NotificationReply {
    return { status: 200, contentType: 'application/json; charset=utf-8', body: '{"received":true}' };
  }

  async refund(input: RefundInput): Promise<RefundResult> {
    // Token, order lookup and refund share one budget.
    const deadline = Deadline.after(this.budgetMs);
    const captureId = await this.captureIdFor(input.providerRef, deadline);
    const body = {
      amount: { currency_code: input.amount.currency, value: minorToDecimal(input.amount) },
      custom_id: truncate(input.paymentId),
      note_to_payer: [...input.reason].slice(0, 255).join(''),
    };
    const refund = await this.api(deadline, 'POST', `/v2/payments/captures/${encodeURIComponent(captureId)}/refund`, body, `refund-${input.refundId}`);
    const status = readString(refund, 'status');
    if (status === 'CANCELLED' || status === 'FAILED') throw new ProviderRejectedError(`paypal refund ${status}`, 201, status);
    return { providerRefundRef: readString(refund, 'id') ?? input.refundId, status: status === 'COMPLETED' ? 'succeeded' : 'pending' };
  }

  /**
   * GET /v2/checkout/orders/{id}: the captures and refunds PayPal holds for our order. A 404 means
   * PayPal has no such order.
   */
  async lookupPayment(input: LookupPaymentInput): Promise<ProviderPaymentState | null> {
    if (input.providerRef === null) return { status: 'unknown', captured: null, refunded: null };
    const deadline = Deadline.after(this.budgetMs);
    let order: Record<string, unknown>;
    try {
      order = await this.api(deadline, 'GET', `/v2/checkout/orders/${encodeURIComponent(input.providerRef)}`, undefined, undefined);
    } catch (err) {
      if (err instanceof ProviderRejectedError && err.httpStatus === 404) return null;
      throw err;
    }
    return paypalOrderState(order, input.currency);
  }

  /**
   * Not offered: charging a PayPal account without the payer needs PayPal's Vault (a
   * billing-agreement / `vault_id` payment source), a separately enabled product with its own
   * consent flow. Auto-renewal falls back to a pay-now link for PayPal.
   */
  async chargeSavedMethod(): Promise<SavedMethodCharge> {
    throw savedMethodUnsupported('paypal');
  }

  private async verifySignature(n: IncomingNotification, deadline: Deadline): Promise<void> {
    const transmissionId = headerValue(n.headers, 'paypal-transmission-id');
    const transmissionTime = headerValue(n.headers, 'paypal-transmission-time');
    const signature = headerValue(n.headers, 'paypal-transmission-sig');
    const certUrl = headerValue(n.headers, 'paypal-cert-url');
    const authAlgo = headerValue(n.headers, 'paypal-auth-algo');
    if (!transmissionId || !transmissionTime || !signature || !certUrl || !authAlgo) {
      throw new SignatureError('missing paypal-transmission-* headers');
    }
    if ([transmissionId, transmissionTime, signature, certUrl].some((h) => h.length > HEADER_CHARS_MAX)) {
      throw new SignatureError('paypal-transmission-* header too long');
    }
    if (authAlgo !== PAYPAL_AUTH_ALGO) throw new SignatureError(`paypal auth algo ${authAlgo} not accepted`);
    // Every cheap check comes before the fetch: an attacker must not make us fetch arbitrary URLs,
    // nor make us fetch at all with a stale or malformed delivery.
    if (!isAllowedPaypalCertUrl(certUrl)) throw new SignatureError("paypal cert url is not on PayPal's certificate hosts");
    const sentAtMs = transmissionTimeMs(transmissionTime);
    if (!Number.isFinite(sentAtMs)) throw new SignatureError('malformed paypal-transmission-time');
    if (Math.abs(n.now.getTime() - sentAtMs) > PAYPAL_TRANSMISSION_TOLERANCE_SECONDS * 1000) {
      throw new SignatureError('paypal-transmission-time outside the tolerance window');
    }
    const key = await this.certKey(certUrl, n.now, deadline);
    const message = paypalSignedString(transmissionId, transmissionTime, this.options.webhookId, n.rawBody);
    let valid = false;
    try {
      valid = createVerify('RSA-SHA256').update(message, 'utf8').verify(key, signature, 'base64');
    } catch {
      valid = false;
    }
    if (!valid) throw new SignatureError('paypal signature invalid');
  }

  /** The signing key at certUrl: verified once, then reused until the cache entry expires. */
  private async certKey(certUrl: string, now: Date, deadline: Deadline): Promise<KeyObject> {
    const nowMs = now.getTime();
    const cached = this.certCache.get(certUrl);
    if (cached !== undefined && cached.expiresAtMs > nowMs) return cached.key;
    this.certCache.delete(certUrl);
    const leaf = verifyPaypalCertChain(await this.fetchCert(certUrl, deadline), this.roots, now);
    const expiresAtMs = Math.min(Date.parse(leaf.validTo), nowMs + PAYPAL_CERT_CACHE_TTL_MS);
    if (this.certCache.size >= CERT_CACHE_ENTRIES_MAX) this.certCache.clear();
    this.certCache.set(certUrl, { key: leaf.publicKey, expiresAtMs });
    return leaf.publicKey;
  }

  private captureIdOf(refund: Record<string, unknown> | undefined): string | undefined {
    const links = Array.isArray(refund?.['links']) ? (refund['links'] as unknown[]) : [];
    for (const link of links) {
      if (typeof link !== 'object' || link === null) continue;
      const l = link as Record<string, unknown>;
      const href = readString(l, 'href');
      if (l['rel'] === 'up' && href !== undefined && href.includes('/captures/')) return href.split('/').pop();
    }
    return undefined;
  }

  /** providerRef is the order id from createPayment; a capture id (from events) is used as is. */
  private async captureIdFor(providerRef: string, deadline: Deadline): Promise<string> {
    let order: Record<string, unknown>;
    try {
      order = await this.api(deadline, 'GET', `/v2/checkout/orders/${encodeURIComponent(providerRef)}`, undefined, undefined);
    } catch (err) {
      if (err instanceof ProviderRejectedError && err.httpStatus === 404) return providerRef;
      throw err;
    }
    const units = Array.isArray(order['purchase_units']) ? (order['purchase_units'] as unknown[]) : [];
    const first = units[0];
    const payments = typeof first === 'object' && first !== null ? readObject(first as Record<string, unknown>, 'payments') : undefined;
    const captures = Array.isArray(payments?.['captures']) ? (payments['captures'] as unknown[]) : [];
    const capture = captures[0];
    const id = typeof capture === 'object' && capture !== null ? readString(capture as Record<string, unknown>, 'id') : undefined;
    if (id === undefined) throw new ProviderRejectedError(`paypal order ${providerRef} has no capture`, 409, undefined);
    return id;
  }

  /** Captures an approved order; returns PayPal's refusal code when it refuses (an outage throws). */
  private async capture(orderId: string, deadline: Deadline): Promise<string | undefined> {
    try {
      await this.api(deadline, 'POST', `/v2/checkout/orders/${encodeURIComponent(orderId)}/capture`, {}, `capture-${orderId}`);
      return undefined;
    } catch (err) {
      if (!(err instanceof ProviderRejectedError)) throw err;
      // A redelivered APPROVED event after a successful capture: nothing left to do.
      if (err.providerCode === 'ORDER_ALREADY_CAPTURED') return undefined;
      return (err.providerCode ?? String(err.httpStatus)).slice(0, 64);
    }
  }

  private async accessToken(deadline: Deadline): Promise<string> {
    const nowMs = this.now().getTime();
    if (this.token !== undefined && this.token.expiresAtMs > nowMs) return this.token.value;
    const basic = Buffer.from(`${this.options.clientId}:${this.options.clientSecret}`, 'utf8').toString('base64');
    const response = await fetchProvider('paypal', `${this.baseUrl}/v1/oauth2/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: 'grant_type=client_credentials',
    }, deadline);
    if (response.status !== 200) throw new ProviderRejectedError('paypal refused the client credentials', response.status, undefined);
    const json = parseJsonObject(response.text, 'paypal token');
    const value = readString(json, 'access_token');
    const expiresInSeconds = typeof json['expires_in'] === 'number' ? json['expires_in'] : 0;
    if (value === undefined) throw new ProviderRejectedError('paypal token response without access_token', 200, undefined);
    this.token = { value, expiresAtMs: nowMs + expiresInSeconds * 1000 - TOKEN_REFRESH_MARGIN_MS };
    return value;
  }

  private async api(
    deadline: Deadline, method: 'GET' | 'POST', path: string, body: unknown, requestId: string | undefined,
  ): Promise<Record<string, unknown>> {
    const token = await this.accessToken(deadline);
    const headers: Record<string, string> = { authorization: `Bearer ${token}`, accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    // PayPal-Request-Id makes a retried create/capture/refund return the first result instead of repeating it.
    if (requestId !== undefined) headers['paypal-request-id'] = requestId;
    const response = await fetchProvider('paypal', `${this.baseUrl}${path}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    }, deadline);
    if (response.status === 401) this.token = undefined;
    if (response.status === 429) throw new ProviderUnavailableError('paypal rate limited');
    if (response.status < 200 || response.status >= 300) {
      const error = tryParseJsonObject(response.text);
      const details = Array.isArray(error?.['details']) ? (error['details'] as unknown[]) : [];
      const first = details[0];
      const issue = typeof first === 'object' && first !== null ? readString(first as Record<string, unknown>, 'issue') : undefined;
      const code = issue ?? readString(error, 'name');
      throw new ProviderRejectedError(`paypal refused: ${code ?? response.status}`, response.status, code);
    }
    return response.text === '' ? {} : parseJsonObject(response.text, 'paypal response');
  }
}
