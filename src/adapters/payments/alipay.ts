// Alipay (支付宝) open platform: `alipay.trade.page.pay` (the default: desktop cashier) and
// `alipay.trade.wap.pay` (the `h5` flow: the mobile cashier) as signed gateway redirects (no network),
// `alipay.trade.precreate` (the `qr` flow: a signed call answering `qr_code` to scan with Alipay),
// `alipay.trade.refund` as a signed HTTPS call whose response signature is checked, and the async
// notification (异步通知) verified per https://opendocs.alipay.com/common/02mse7 — RSA2
// (SHA256withRSA) over the URL-decoded params sorted by key, `sign` and `sign_type` excluded.
import { createHash, createPrivateKey, createPublicKey, createSign, createVerify, type KeyObject } from 'node:crypto';
import { DomainError } from '../../domain/errors.ts';
import { decimalToMinor, minorToDecimal } from './decimal-amount.ts';
import {
  Deadline,
  PROVIDER_OPERATION_MS_DEFAULT,
  ProviderRejectedError,
  ProviderUnavailableError,
  SignatureError,
  fetchProvider,
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
  type PaymentAction,
  type PaymentFlow,
  type PaymentProvider,
  type ProviderPaymentState,
  type RefundInput,
  type RefundResult,
  type SavedMethodCharge,
} from './types.ts';

export const ALIPAY_GATEWAY_URL = 'https://openapi.alipay.com/gateway.do';
/** Alipay's domestic acquiring settles in yuan only. */
const ALIPAY_CURRENCY = 'CNY';
/** Alipay's gateway `timestamp` is Beijing time (UTC+8, no DST). */
const BEIJING_OFFSET_MS = 8 * 60 * 60 * 1000;
/** Bounds parsing of an unauthenticated body before its signature is known to hold. */
const NOTIFICATION_PARAMS_MAX = 100;
const SUCCESS_CODE = '10000';
/** Alipay's "service temporarily unavailable" business code: an outage, not a refusal. */
const UNAVAILABLE_CODE = '20000';
/** alipay.trade.query's answer for an out_trade_no Alipay never saw (the payer never opened the cashier). */
const TRADE_NOT_EXIST = 'ACQ.TRADE_NOT_EXIST';

export interface AlipayProviderOptions {
  appId: string;
  /** App private key: PEM (PKCS#8 or PKCS#1) or the bare base64 the Alipay key tool prints. */
  privateKeyPem: string;
  /** Alipay public key (支付宝公钥) for this app: PEM or bare base64 SPKI. */
  alipayPublicKeyPem: string;
  /** The flows this merchant signed up for (ALIPAY_FLOWS): 当面付 for `qr`, 手机网站支付 for `h5`; default both. */
  flows?: readonly PaymentFlow[];
  /** Default: production `https://openapi.alipay.com/gateway.do`. */
  gatewayUrl?: string;
  /** The time budget of one operation; ≤ 14 000 (API.md: 503 within 15 s). */
  timeoutMs?: number;
  now?: () => Date;
}

function loadPrivateKey(text: string): KeyObject {
  if (text.includes('-----BEGIN')) return createPrivateKey(text);
  const der = Buffer.from(text.replace(/\s+/g, ''), 'base64');
  try {
    return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  } catch {
    return createPrivateKey({ key: der, format: 'der', type: 'pkcs1' });
  }
}

function loadPublicKey(text: string): KeyObject {
  if (text.includes('-----BEGIN')) return createPublicKey(text);
  return createPublicKey({ key: Buffer.from(text.replace(/\s+/g, ''), 'base64'), format: 'der', type: 'spki' });
}

/** Request signing content: every non-empty param but `sign`, sorted by key (ASCII), `k=v` joined by `&`, raw values. */
export function alipayRequestSignContent(params: Record<string, string>): string {
  return Object.keys(params)
    .filter((k) => k !== 'sign' && params[k] !== '')
    .sort()
    .map((k) => `${k}=${params[k] ?? ''}`)
    .join('&');
}

/**
 * Notification check content: every param but `sign` and `sign_type`, URL-decoded, empty values
 * left out (Alipay signs only non-empty params, as its SDKs' getSignCheckContentV1 does), sorted by key.
 */
export function alipayNotifySignContent(params: Map<string, string>): string {
  return [...params.keys()]
    .filter((k) => k !== 'sign' && k !== 'sign_type' && params.get(k) !== '')
    .sort()
    .map((k) => `${k}=${params.get(k) ?? ''}`)
    .join('&');
}

function beijingTimestamp(now: Date): string {
  const iso = new Date(now.getTime() + BEIJING_OFFSET_MS).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}`;
}

/**
 * The raw text of `"<key>": {…}` in a gateway response: Alipay signs the exact JSON substring it
 * sent, so re-serialising a parsed object would not verify.
 */
export function extractSignedJson(body: string, key: string): string | undefined {
  const keyAt = body.indexOf(`"${key}"`);
  if (keyAt < 0) return undefined;
  const start = body.indexOf('{', keyAt + key.length + 2);
  if (start < 0) return undefined;
  let depth = 0;
  let inString = false;
  for (let i = start; i < body.length; i += 1) {
    const c = body[i];
    if (inString) {
      if (c === '\\') i += 1;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{') depth += 1;
    else if (c === '}') {
      depth -= 1;
      if (depth === 0) return body.slice(start, i + 1);
    }
  }
  return undefined;
}

export class AlipayProvider implements PaymentProvider {
  readonly name = 'alipay' as const;
  readonly supportsSavedMethods = false;
  readonly currencies: readonly string[] | null = [ALIPAY_CURRENCY];
  /** No `jsapi`: Alipay's pages do not open inside WeChat at all. */
  readonly flows: readonly PaymentFlow[];
  private readonly appId: string;
  private readonly privateKey: KeyObject;
  private readonly alipayPublicKey: KeyObject;
  private readonly gatewayUrl: string;
  private readonly budgetMs: number;
  private readonly now: () => Date;

  constructor(options: AlipayProviderOptions) {
    this.appId = options.appId;
    this.flows = (options.flows ?? ['qr', 'h5']).filter((f) => f !== 'jsapi');
    this.privateKey = loadPrivateKey(options.privateKeyPem);
    this.alipayPublicKey = loadPublicKey(options.alipayPublicKeyPem);
    this.gatewayUrl = options.gatewayUrl ?? ALIPAY_GATEWAY_URL;
    this.budgetMs = options.timeoutMs ?? PROVIDER_OPERATION_MS_DEFAULT;
    this.now = options.now ?? (() => new Date());
  }

  /**
   * Default: alipay.trade.page.pay, the desktop cashier. `h5`: alipay.trade.wap.pay, the mobile
   * cashier (`quit_url` where "back" leads). Both need no call: the payer's browser carries the
   * signed request to the gateway. `qr`: alipay.trade.precreate, whose signed answer holds the code.
   */
  async createPayment(input: CreatePaymentInput): Promise<CreatedPayment> {
    const trade = {
      out_trade_no: input.paymentId,
      total_amount: this.yuan(input.amount.amountMinor, input.amount.currency),
      subject: input.description,
    };
    if (input.flow === 'qr') return { providerRef: input.paymentId, action: await this.precreate(trade, input.notifyUrl) };
    const urls = { notify_url: input.notifyUrl, return_url: input.returnUrl };
    const params = input.flow === 'h5'
      ? this.signedParams('alipay.trade.wap.pay', { ...trade, product_code: 'QUICK_WAP_WAY', quit_url: input.returnUrl }, urls)
      : this.signedParams('alipay.trade.page.pay', { ...trade, product_code: 'FAST_INSTANT_TRADE_PAY' }, urls);
    return { providerRef: input.paymentId, action: { type: 'redirect', url: this.gatewayRedirect(params) } };
  }

  /** A GET to the gateway carrying the signed request: where the payer's browser is sent. */
  private gatewayRedirect(params: Record<string, string>): string {
    const url = new URL(this.gatewayUrl);
    for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
    return url.toString();
  }

  /**
   * alipay.trade.precreate (当面付 扫码): Alipay answers a `qr_code` for the payer to scan. The
   * same out_trade_no again answers the same trade's code, so a retried create is idempotent.
   */
  private async precreate(trade: Record<string, string>, notifyUrl: string): Promise<PaymentAction> {
    const params = this.signedParams('alipay.trade.precreate', trade, { notify_url: notifyUrl });
    const response = await this.gateway(params, Deadline.after(this.budgetMs));
    const { result } = this.verifiedResponse(response.text, 'alipay_trade_precreate_response');
    const code = readString(result, 'code');
    if (code === UNAVAILABLE_CODE) throw new ProviderUnavailableError('alipay precreate temporarily unavailable');
    if (code !== SUCCESS_CODE) {
      const subCode = readString(result, 'sub_code');
      throw new ProviderRejectedError(`alipay refused precreate: ${subCode ?? code ?? 'unknown'}`, response.status, subCode);
    }
    const qrCode = readString(result, 'qr_code');
    if (qrCode === undefined) throw new ProviderRejectedError('alipay precreate answered without qr_code', response.status, undefined);
    return { type: 'qr', qrData: qrCode };
  }

  async parseNotification(n: IncomingNotification): Promise<NotificationEvent> {
    const params = this.verifiedParams(n.rawBody);
    const eventId = params.get('notify_id') ?? '';
    if (eventId === '') {
      const digest = createHash('sha256').update(n.rawBody).digest('hex');
      return { type: 'ignored', eventId: `alipay-body-${digest}`, reason: 'no notify_id' };
    }
    // opendocs: a notification for another app_id must be ignored even though Alipay signed it.
    if (params.get('app_id') !== this.appId) return { type: 'ignored', eventId, reason: 'app_id is not ours' };
    const paymentId = params.get('out_trade_no');
    const providerRef = params.get('trade_no') ?? '';
    if (paymentId === undefined) return { type: 'ignored', eventId, reason: 'no out_trade_no' };
    const status = params.get('trade_status');
    const refundFee = params.get('refund_fee');
    // A refund produces a notification carrying gmt_refund/refund_fee (the total refunded so far);
    // the trade status stays TRADE_SUCCESS for a partial and becomes TRADE_CLOSED for a full refund.
    const refunded = refundFee === undefined ? undefined : decimalToMinor(refundFee, ALIPAY_CURRENCY);
    if (params.has('gmt_refund') || (refunded !== undefined && refunded.amountMinor > 0)) {
      if (refunded === undefined) return { type: 'ignored', eventId, reason: 'refund without refund_fee' };
      return { type: 'refund_succeeded', eventId, paymentId, providerRef, amount: refunded };
    }
    if (status === 'TRADE_SUCCESS' || status === 'TRADE_FINISHED') {
      const total = params.get('total_amount');
      if (total === undefined) return { type: 'ignored', eventId, reason: 'no total_amount' };
      const amount = decimalToMinor(total, ALIPAY_CURRENCY);
      return { type: 'payment_succeeded', eventId, paymentId, providerRef, amount };
    }
    if (status === 'TRADE_CLOSED') {
      return { type: 'payment_failed', eventId, paymentId, providerRef, reason: 'trade closed unpaid' };
    }
    return { type: 'ignored', eventId, reason: `trade_status ${status ?? 'missing'}` };
  }

  /** Alipay keeps re-sending (8 times over 25 h) until the body is exactly `success`. */
  acknowledge(_event: NotificationEvent): NotificationReply {
    return { status: 200, contentType: 'text/plain; charset=utf-8', body: 'success' };
  }

  async refund(input: RefundInput): Promise<RefundResult> {
    const params = this.signedParams('alipay.trade.refund', {
      out_trade_no: input.paymentId,
      refund_amount: this.yuan(input.amount.amountMinor, input.amount.currency),
      // The same out_request_no makes a retried refund idempotent on Alipay's side.
      out_request_no: input.refundId,
      refund_reason: input.reason,
    }, {});
    const response = await this.gateway(params, Deadline.after(this.budgetMs));
    const { result } = this.verifiedResponse(response.text, 'alipay_trade_refund_response');
    const code = readString(result, 'code');
    if (code === UNAVAILABLE_CODE) throw new ProviderUnavailableError('alipay refund temporarily unavailable');
    if (code !== SUCCESS_CODE) {
      const subCode = readString(result, 'sub_code');
      throw new ProviderRejectedError(`alipay refused refund: ${subCode ?? code ?? 'unknown'}`, response.status, subCode);
    }
    // opendocs: only fund_change=Y proves the money moved; otherwise confirm by query/notification.
    const status = readString(result, 'fund_change') === 'Y' ? 'succeeded' : 'pending';
    return { providerRefundRef: `${readString(result, 'trade_no') ?? input.providerRef}/${input.refundId}`, status };
  }

  /**
   * alipay.trade.query (https://opendocs.alipay.com/open/02e7gm): trade_status and total_amount
   * in a signed answer. The query does not report refund totals (`refunded` stays null), except
   * that a trade closed after it was paid (`send_pay_date` set) was refunded in full.
   */
  async lookupPayment(input: LookupPaymentInput): Promise<ProviderPaymentState | null> {
    const params = this.signedParams('alipay.trade.query', { out_trade_no: input.paymentId }, {});
    const response = await this.gateway(params, Deadline.after(this.budgetMs));
    const { result, signed } = this.verifiedResponse(response.text, 'alipay_trade_query_response');
    const code = readString(result, 'code');
    if (code === UNAVAILABLE_CODE) throw new ProviderUnavailableError('alipay query temporarily unavailable');
    if (code !== SUCCESS_CODE) {
      const subCode = readString(result, 'sub_code');
      // "No such trade" decides a reconciliation finding: only Alipay's signed word counts.
      if (subCode === TRADE_NOT_EXIST && signed) return null;
      throw new ProviderRejectedError(`alipay refused query: ${subCode ?? code ?? 'unknown'}`, response.status, subCode);
    }
    const totalText = readString(result, 'total_amount');
    const total = totalText === undefined ? null : decimalToMinor(totalText, ALIPAY_CURRENCY);
    switch (readString(result, 'trade_status')) {
      case 'TRADE_SUCCESS':
      case 'TRADE_FINISHED':
        return { status: 'succeeded', captured: total, refunded: null };
      case 'TRADE_CLOSED':
        if (readString(result, 'send_pay_date') !== undefined) return { status: 'refunded', captured: total, refunded: total };
        return { status: 'failed', captured: null, refunded: null };
      case 'WAIT_BUYER_PAY':
        return { status: 'pending', captured: null, refunded: null };
      default:
        return { status: 'unknown', captured: null, refunded: null };
    }
  }

  /**
   * Not offered: charging without the payer needs Alipay's separately contracted agreement
   * products (周期扣款 / 商家扣款: alipay.user.agreement.page.sign, then alipay.trade.pay with
   * agreement_params). Auto-renewal falls back to a pay-now link for Alipay.
   */
  async chargeSavedMethod(): Promise<SavedMethodCharge> {
    throw savedMethodUnsupported('alipay');
  }

  private async gateway(params: Record<string, string>, deadline: Deadline) {
    return fetchProvider('alipay', this.gatewayUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded;charset=utf-8', accept: 'application/json' },
      body: new URLSearchParams(params).toString(),
    }, deadline);
  }

  private yuan(amountMinor: number, currency: string): string {
    if (currency !== ALIPAY_CURRENCY) {
      throw new DomainError('validation', 'currency_not_supported', `alipay accepts ${ALIPAY_CURRENCY} only, not ${currency}`);
    }
    return minorToDecimal({ amountMinor, currency });
  }

  private signedParams(method: string, bizContent: Record<string, string>, extra: Record<string, string>): Record<string, string> {
    const params: Record<string, string> = {
      app_id: this.appId,
      method,
      format: 'JSON',
      charset: 'utf-8',
      sign_type: 'RSA2',
      timestamp: beijingTimestamp(this.now()),
      version: '1.0',
      ...extra,
      biz_content: JSON.stringify(bizContent),
    };
    const signer = createSign('RSA-SHA256');
    signer.update(alipayRequestSignContent(params), 'utf8');
    params['sign'] = signer.sign(this.privateKey, 'base64');
    return params;
  }

  private verify(content: string, signature: string): boolean {
    const verifier = createVerify('RSA-SHA256');
    verifier.update(content, 'utf8');
    try {
      return verifier.verify(this.alipayPublicKey, signature, 'base64');
    } catch {
      return false;
    }
  }

  private verifiedParams(rawBody: string): Map<string, string> {
    const params = new Map<string, string>();
    const form = new URLSearchParams(rawBody);
    let count = 0;
    for (const [k, v] of form) {
      count += 1;
      // A repeated key would make "the" signed value ambiguous.
      if (count > NOTIFICATION_PARAMS_MAX || params.has(k)) throw new SignatureError('malformed alipay notification');
      params.set(k, v);
    }
    const sign = params.get('sign');
    if (sign === undefined || sign === '') throw new SignatureError('alipay notification without sign');
    const signType = params.get('sign_type');
    if (signType !== undefined && signType !== 'RSA2') throw new SignatureError(`alipay sign_type ${signType} not accepted`);
    if (!this.verify(alipayNotifySignContent(params), sign)) throw new SignatureError('alipay notification signature invalid');
    return params;
  }

  private verifiedResponse(text: string, responseKey: string): { result: Record<string, unknown>; signed: boolean } {
    const json = parseJsonObject(text, 'alipay response');
    const key = readObject(json, responseKey) === undefined ? 'error_response' : responseKey;
    const result = readObject(json, key);
    if (result === undefined) throw new ProviderRejectedError('alipay response without result', 0, undefined);
    const sign = readString(json, 'sign');
    const signedText = extractSignedJson(text, key);
    const signed = sign !== undefined && signedText !== undefined && this.verify(signedText, sign);
    // Only a verified answer may report success; an unsigned refusal changes nothing, so it may pass.
    if (readString(result, 'code') === SUCCESS_CODE && !signed) {
      throw new ProviderRejectedError('alipay response signature invalid', 0, undefined);
    }
    return { result, signed };
  }
}
