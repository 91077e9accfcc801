// WeChat Pay API v3 (微信支付 APIv3), direct merchant: Native order (`POST /v3/pay/transactions/native`
// → code_url shown as a QR; the default and the `qr` flow), H5 order (`/v3/pay/transactions/h5` →
// h5_url, a phone browser's redirect), JSAPI order (`/v3/pay/transactions/jsapi` → prepay_id, which
// the page inside WeChat pays through WeixinJSBridge with a paySign made here), domestic refunds, and
// the payment notification. Follows the published
// signature rules (https://pay.weixin.qq.com/doc/v3/merchant/4012365336 签名/验签): requests carry
// `WECHATPAY2-SHA256-RSA2048` over `${method}\n${path}\n${ts}\n${nonce}\n${body}\n`; responses and
// notifications are SHA256withRSA over `${ts}\n${nonce}\n${body}\n` with the platform public key;
// notification resources are AEAD_AES_256_GCM with the APIv3 key (tag = last 16 bytes).
import {
  X509Certificate,
  createDecipheriv,
  createPrivateKey,
  createPublicKey,
  createSign,
  createVerify,
  randomBytes,
  type KeyObject,
} from 'node:crypto';
import { DomainError } from '../../domain/errors.ts';
import { isKnownCurrency, money, type Money } from '../../domain/money.ts';
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
  type JsapiPayRequest,
  type PaymentAction,
  type PaymentFlow,
  type PaymentProvider,
  type ProviderPaymentState,
  type ProviderResponse,
  type RefundInput,
  type RefundResult,
  type SavedMethodCharge,
} from './types.ts';

export const WECHAT_PAY_BASE_URL = 'https://api.mch.weixin.qq.com';
/** The published rule: reject a notification whose Wechatpay-Timestamp is more than 5 minutes off. */
const WECHAT_PAY_TIMESTAMP_TOLERANCE_SECONDS = 300;
const WECHAT_PAY_CURRENCY = 'CNY';
const AUTH_SCHEMA = 'WECHATPAY2-SHA256-RSA2048';
const GCM_TAG_BYTES = 16;
const APIV3_KEY_BYTES = 32;
/** WeChat limits `description` to 127 characters. */
const DESCRIPTION_CHARS_MAX = 127;
/** The query answer for an out_trade_no WeChat Pay never saw. */
const ORDER_NOT_EXIST = 'ORDER_NOT_EXIST';

export interface WechatPayProviderOptions {
  mchId: string;
  /** The AppID bound to the merchant; the Native order API requires it. */
  appId?: string;
  /** APIv3 key: exactly 32 ASCII bytes. */
  apiV3Key: string;
  /** Merchant API private key (apiclient_key.pem). */
  privateKeyPem: string;
  /** Serial number of the merchant API certificate, sent as `serial_no`. */
  certSerial: string;
  /**
   * WeChat Pay platform certificate PEM (its serial is then what `Wechatpay-Serial` must name) or
   * the platform public key (微信支付公钥, whose `PUB_KEY_ID_…` only `platformSerial` can give).
   */
  platformPublicKeyPem: string;
  /** When set, `Wechatpay-Serial` must equal it (platform cert serial or `PUB_KEY_ID_…`). */
  platformSerial?: string;
  /** The flows this merchant's products allow (WECHATPAY_FLOWS): Native for `qr`, H5, JSAPI; default all three. */
  flows?: readonly PaymentFlow[];
  /** Default `https://api.mch.weixin.qq.com`. */
  baseUrl?: string;
  /** The time budget of one operation, all its calls together; ≤ 14 000. */
  timeoutMs?: number;
  now?: () => Date;
  nonce?: () => string;
}

export interface WechatPayAuthorizationInput {
  mchId: string;
  certSerial: string;
  privateKey: KeyObject;
  method: string;
  /** Path with query string, e.g. `/v3/pay/transactions/native`. */
  urlPath: string;
  body: string;
  timestampSeconds: number;
  nonce: string;
}

/** The `Authorization` header value of a signed APIv3 request. */
export function wechatPayAuthorization(input: WechatPayAuthorizationInput): string {
  const message = `${input.method}\n${input.urlPath}\n${input.timestampSeconds}\n${input.nonce}\n${input.body}\n`;
  const signature = createSign('RSA-SHA256').update(message, 'utf8').sign(input.privateKey, 'base64');
  return (
    `${AUTH_SCHEMA} mchid="${input.mchId}",nonce_str="${input.nonce}",signature="${signature}",` +
    `timestamp="${input.timestampSeconds}",serial_no="${input.certSerial}"`
  );
}

/** `${timestamp}\n${nonce}\n${body}\n`, the message WeChat Pay signs on responses and notifications. */
export function wechatPayResponseMessage(timestamp: string, nonce: string, body: string): string {
  return `${timestamp}\n${nonce}\n${body}\n`;
}

/** The message a JSAPI paySign covers (JSAPI调起支付签名): `${appId}\n${timeStamp}\n${nonceStr}\n${package}\n`. */
export function wechatPayJsapiMessage(r: Pick<JsapiPayRequest, 'appId' | 'timeStamp' | 'nonceStr' | 'package'>): string {
  return `${r.appId}\n${r.timeStamp}\n${r.nonceStr}\n${r.package}\n`;
}

/** The arguments of getBrandWCPayRequest for one prepay_id, signed SHA256withRSA with the merchant key. */
export function wechatPayJsapiRequest(input: {
  appId: string; prepayId: string; timestampSeconds: number; nonce: string; privateKey: KeyObject;
}): JsapiPayRequest {
  const unsigned = { appId: input.appId, timeStamp: String(input.timestampSeconds), nonceStr: input.nonce, package: `prepay_id=${input.prepayId}` };
  const paySign = createSign('RSA-SHA256').update(wechatPayJsapiMessage(unsigned), 'utf8').sign(input.privateKey, 'base64');
  return { ...unsigned, signType: 'RSA', paySign };
}

/** H5 (Wap) pages come back to `returnUrl` after paying: WeChat appends it to h5_url as `redirect_url`. */
function h5UrlReturningTo(h5Url: string, returnUrl: string): string {
  return `${h5Url}${h5Url.includes('?') ? '&' : '?'}redirect_url=${encodeURIComponent(returnUrl)}`;
}

/** AEAD_AES_256_GCM as WeChat Pay uses it: base64(ciphertext ‖ 16-byte tag), UTF-8 nonce and AAD. */
function decryptWechatPayResource(apiV3Key: string, ciphertextB64: string, nonce: string, associatedData: string): string {
  const data = Buffer.from(ciphertextB64, 'base64');
  if (data.length <= GCM_TAG_BYTES) throw new SignatureError('wechat pay resource too short');
  const decipher = createDecipheriv('aes-256-gcm', Buffer.from(apiV3Key, 'utf8'), Buffer.from(nonce, 'utf8'));
  decipher.setAuthTag(data.subarray(data.length - GCM_TAG_BYTES));
  decipher.setAAD(Buffer.from(associatedData, 'utf8'));
  try {
    return Buffer.concat([decipher.update(data.subarray(0, data.length - GCM_TAG_BYTES)), decipher.final()]).toString('utf8');
  } catch {
    throw new SignatureError('wechat pay resource failed authentication');
  }
}

/** The platform key, and the serial a signature made with it must carry (when it can be known). */
function platformKeyOf(pem: string, configuredSerial: string | undefined): { key: KeyObject; serial: string | undefined } {
  if (pem.includes('BEGIN CERTIFICATE')) {
    const cert = new X509Certificate(pem);
    return { key: cert.publicKey, serial: configuredSerial ?? cert.serialNumber.toUpperCase() };
  }
  return { key: createPublicKey(pem), serial: configuredSerial };
}

/** A non-negative integer amount in fen, or undefined. */
function fen(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : undefined;
}

/**
 * The transaction query (GET /v3/pay/transactions/out-trade-no/{out_trade_no}) as reconciliation
 * reads it. `REFUND` (转入退款) says a refund exists but not how much: refunded stays unknown.
 */
function wechatPayTransactionState(transaction: Record<string, unknown>): ProviderPaymentState {
  const amount = readObject(transaction, 'amount');
  const total = fen(amount?.['total']);
  const currency = readString(amount, 'currency') ?? WECHAT_PAY_CURRENCY;
  const captured: Money | null = total === undefined || !isKnownCurrency(currency) ? null : money(total, currency);
  switch (readString(transaction, 'trade_state')) {
    case 'SUCCESS':
      return { status: 'succeeded', captured, refunded: null };
    case 'REFUND':
      return { status: 'succeeded', captured, refunded: null };
    case 'NOTPAY':
    case 'USERPAYING':
      return { status: 'pending', captured: null, refunded: null };
    case 'CLOSED':
    case 'REVOKED':
    case 'PAYERROR':
      return { status: 'failed', captured: null, refunded: null };
    default:
      return { status: 'unknown', captured: null, refunded: null };
  }
}

export class WechatPayProvider implements PaymentProvider {
  readonly name = 'wechat_pay' as const;
  readonly supportsSavedMethods = false;
  readonly currencies: readonly string[] | null = [WECHAT_PAY_CURRENCY];
  readonly flows: readonly PaymentFlow[];
  private readonly options: WechatPayProviderOptions;
  private readonly privateKey: KeyObject;
  private readonly platformKey: KeyObject;
  /** Undefined only for a bare platform public key without a configured PUB_KEY_ID (see the report). */
  private readonly platformSerial: string | undefined;
  private readonly budgetMs: number;
  private readonly baseUrl: string;
  private readonly now: () => Date;
  private readonly nonce: () => string;

  constructor(options: WechatPayProviderOptions) {
    if (Buffer.byteLength(options.apiV3Key, 'utf8') !== APIV3_KEY_BYTES) {
      throw new Error(`WECHATPAY_API_V3_KEY must be ${APIV3_KEY_BYTES} bytes`);
    }
    this.options = options;
    this.flows = options.flows ?? ['qr', 'h5', 'jsapi'];
    this.privateKey = createPrivateKey(options.privateKeyPem);
    const platform = platformKeyOf(options.platformPublicKeyPem, options.platformSerial);
    this.platformKey = platform.key;
    this.platformSerial = platform.serial;
    this.budgetMs = options.timeoutMs ?? PROVIDER_OPERATION_MS_DEFAULT;
    this.baseUrl = (options.baseUrl ?? WECHAT_PAY_BASE_URL).replace(/\/+$/, '');
    this.now = options.now ?? (() => new Date());
    this.nonce = options.nonce ?? (() => randomBytes(16).toString('hex').toUpperCase());
  }

  /** The AppID bound to the merchant (WECHATPAY_APP_ID), or undefined when orders cannot be opened. */
  get appId(): string | undefined {
    return this.options.appId === '' ? undefined : this.options.appId;
  }

  /**
   * Opens the order in the channel asked for: Native (default and `qr`), H5 (`h5`, needs the payer's
   * IP) or JSAPI (`jsapi`, needs the payer's openid). The same out_trade_no in a retry is WeChat's
   * idempotency: it answers the same order's code_url / h5_url / prepay_id again.
   */
  async createPayment(input: CreatePaymentInput): Promise<CreatedPayment> {
    const appId = this.appId;
    if (appId === undefined) {
      // Not an outage: the merchant set up WeChat Pay without WECHATPAY_APP_ID, which every order API needs.
      throw new ProviderRejectedError('WeChat Pay orders need WECHATPAY_APP_ID', 0, 'configuration');
    }
    this.requireCny(input.amount.currency);
    const order = {
      appid: appId,
      mchid: this.options.mchId,
      description: [...input.description].slice(0, DESCRIPTION_CHARS_MAX).join(''),
      out_trade_no: input.paymentId,
      notify_url: input.notifyUrl,
      amount: { total: input.amount.amountMinor, currency: WECHAT_PAY_CURRENCY },
    };
    const deadline = Deadline.after(this.budgetMs);
    const action = await this.openOrder(deadline, appId, order, input);
    return { providerRef: input.paymentId, action };
  }

  private async openOrder(deadline: Deadline, appId: string, order: Record<string, unknown>, input: CreatePaymentInput): Promise<PaymentAction> {
    if (input.flow === 'h5') {
      const clientIp = input.payer?.clientIp;
      if (clientIp === undefined) throw new ProviderRejectedError('WeChat Pay H5 orders need the payer\'s IP', 0, 'payer_client_ip');
      const body = { ...order, scene_info: { payer_client_ip: clientIp, h5_info: { type: 'Wap' } } };
      const result = await this.call(deadline, 'POST', '/v3/pay/transactions/h5', JSON.stringify(body));
      const h5Url = readString(result, 'h5_url');
      if (h5Url === undefined) throw new ProviderRejectedError('wechat pay answered without h5_url', 200, undefined);
      return { type: 'redirect', url: h5UrlReturningTo(h5Url, input.returnUrl) };
    }
    if (input.flow === 'jsapi') {
      const openid = input.payer?.wechatOpenid;
      if (openid === undefined) throw new ProviderRejectedError('WeChat Pay JSAPI orders need the payer\'s openid', 0, 'payer_openid');
      const body = { ...order, payer: { openid } };
      const result = await this.call(deadline, 'POST', '/v3/pay/transactions/jsapi', JSON.stringify(body));
      const prepayId = readString(result, 'prepay_id');
      if (prepayId === undefined) throw new ProviderRejectedError('wechat pay answered without prepay_id', 200, undefined);
      const jsapi = wechatPayJsapiRequest({
        appId, prepayId, timestampSeconds: Math.floor(this.now().getTime() / 1000), nonce: this.nonce(), privateKey: this.privateKey,
      });
      return { type: 'jsapi', jsapi };
    }
    const result = await this.call(deadline, 'POST', '/v3/pay/transactions/native', JSON.stringify(order));
    const codeUrl = readString(result, 'code_url');
    if (codeUrl === undefined) throw new ProviderRejectedError('wechat pay answered without code_url', 200, undefined);
    return { type: 'qr', qrData: codeUrl };
  }

  async parseNotification(n: IncomingNotification): Promise<NotificationEvent> {
    this.verifySignedMessage(n.headers, n.rawBody, n.now);
    const notification = parseJsonObject(n.rawBody, 'wechat pay notification');
    const eventId = readString(notification, 'id');
    if (eventId === undefined) throw new SignatureError('wechat pay notification without id');
    const eventType = readString(notification, 'event_type');
    if (eventType === 'REFUND.SUCCESS') return this.refundEvent(eventId, this.decryptedResource(notification, 'wechat pay refund'));
    if (eventType !== 'TRANSACTION.SUCCESS') return { type: 'ignored', eventId, reason: `event_type ${eventType ?? 'missing'}` };
    const transaction = this.decryptedResource(notification, 'wechat pay transaction');
    if (readString(transaction, 'mchid') !== this.options.mchId) return { type: 'ignored', eventId, reason: 'mchid is not ours' };
    const paymentId = readString(transaction, 'out_trade_no');
    const providerRef = readString(transaction, 'transaction_id') ?? '';
    if (paymentId === undefined) return { type: 'ignored', eventId, reason: 'no out_trade_no' };
    if (readString(transaction, 'trade_state') !== 'SUCCESS') {
      return { type: 'ignored', eventId, reason: `trade_state ${readString(transaction, 'trade_state') ?? 'missing'}` };
    }
    const amount = readObject(transaction, 'amount');
    const total = amount?.['total'];
    const currency = readString(amount, 'currency') ?? WECHAT_PAY_CURRENCY;
    if (typeof total !== 'number' || !Number.isSafeInteger(total) || total < 0 || !isKnownCurrency(currency)) {
      return { type: 'ignored', eventId, reason: 'transaction amount unreadable' };
    }
    return { type: 'payment_succeeded', eventId, paymentId, providerRef, amount: money(total, currency) };
  }

  /** 接收成功: HTTP 200 or 204; the JSON body is the documented success answer, harmless either way. */
  acknowledge(_event: NotificationEvent): NotificationReply {
    return { status: 200, contentType: 'application/json; charset=utf-8', body: '{"code":"SUCCESS","message":"成功"}' };
  }

  async refund(input: RefundInput): Promise<RefundResult> {
    this.requireCny(input.amount.currency);
    // The query and the refund share one budget (API.md: 503 within 15 s).
    const deadline = Deadline.after(this.budgetMs);
    // The refund API needs the order's original total, which only WeChat Pay holds authoritatively.
    const order = await this.call(deadline, 'GET', this.transactionPath(input.paymentId), '');
    const total = readObject(order, 'amount')?.['total'];
    if (typeof total !== 'number') throw new ProviderRejectedError('wechat pay order without amount.total', 200, undefined);
    const body = {
      out_trade_no: input.paymentId,
      out_refund_no: input.refundId,
      reason: [...input.reason].slice(0, 80).join(''),
      amount: { refund: input.amount.amountMinor, total, currency: WECHAT_PAY_CURRENCY },
    };
    const result = await this.call(deadline, 'POST', '/v3/refund/domestic/refunds', JSON.stringify(body));
    const status = readString(result, 'status');
    if (status === 'CLOSED' || status === 'ABNORMAL') {
      throw new ProviderRejectedError(`wechat pay refund ${status}`, 200, status);
    }
    return { providerRefundRef: readString(result, 'refund_id') ?? input.refundId, status: status === 'SUCCESS' ? 'succeeded' : 'pending' };
  }

  /** The transaction query by our out_trade_no; 404 ORDER_NOT_EXIST → WeChat Pay has no such payment. */
  async lookupPayment(input: LookupPaymentInput): Promise<ProviderPaymentState | null> {
    let transaction: Record<string, unknown>;
    try {
      transaction = await this.call(Deadline.after(this.budgetMs), 'GET', this.transactionPath(input.paymentId), '');
    } catch (err) {
      if (err instanceof ProviderRejectedError && err.httpStatus === 404 && err.providerCode === ORDER_NOT_EXIST) return null;
      throw err;
    }
    return wechatPayTransactionState(transaction);
  }

  /**
   * Not offered: charging without the payer needs WeChat Pay's separately approved contract
   * product (委托代扣 / papay: the payer signs a contract, then pay-by-contract calls).
   * Auto-renewal falls back to a pay-now QR for WeChat Pay.
   */
  async chargeSavedMethod(): Promise<SavedMethodCharge> {
    throw savedMethodUnsupported('wechat_pay');
  }

  private transactionPath(paymentId: string): string {
    return `/v3/pay/transactions/out-trade-no/${encodeURIComponent(paymentId)}?mchid=${encodeURIComponent(this.options.mchId)}`;
  }

  /** The notification's AEAD_AES_256_GCM resource, decrypted with the APIv3 key. */
  private decryptedResource(notification: Record<string, unknown>, what: string): Record<string, unknown> {
    const resource = readObject(notification, 'resource');
    if (readString(resource, 'algorithm') !== 'AEAD_AES_256_GCM') throw new SignatureError('wechat pay resource algorithm unknown');
    const plaintext = decryptWechatPayResource(
      this.options.apiV3Key,
      readString(resource, 'ciphertext') ?? '',
      readString(resource, 'nonce') ?? '',
      readString(resource, 'associated_data') ?? '',
    );
    return parseJsonObject(plaintext, what);
  }

  /**
   * REFUND.SUCCESS (退款结果通知): the decrypted resource names ONE refund by our out_refund_no
   * and carries that refund's amount (`amount.refund`) and the order total (`amount.total`), not
   * the total refunded so far — so the event says which refund it confirms (see types.ts).
   */
  private refundEvent(eventId: string, refund: Record<string, unknown>): NotificationEvent {
    if (readString(refund, 'mchid') !== this.options.mchId) return { type: 'ignored', eventId, reason: 'mchid is not ours' };
    const paymentId = readString(refund, 'out_trade_no');
    const refundId = readString(refund, 'out_refund_no');
    if (paymentId === undefined || refundId === undefined) return { type: 'ignored', eventId, reason: 'refund without out_trade_no / out_refund_no' };
    const status = readString(refund, 'refund_status');
    if (status !== 'SUCCESS') return { type: 'ignored', eventId, reason: `refund_status ${status ?? 'missing'}` };
    const thisRefund = fen(readObject(refund, 'amount')?.['refund']);
    if (thisRefund === undefined) return { type: 'ignored', eventId, reason: 'refund amount unreadable' };
    const providerRef = readString(refund, 'transaction_id') ?? '';
    return { type: 'refund_succeeded', eventId, paymentId, providerRef, refundId, thisRefundAmount: money(thisRefund, WECHAT_PAY_CURRENCY) };
  }

  private requireCny(currency: string): void {
    if (currency !== WECHAT_PAY_CURRENCY) {
      throw new DomainError('validation', 'currency_not_supported', `wechat pay accepts ${WECHAT_PAY_CURRENCY} only, not ${currency}`);
    }
  }

  /** Checks Wechatpay-* headers against `body`; `now` given → also the 5-minute freshness rule. */
  private verifySignedMessage(headers: Record<string, string | undefined>, body: string, now: Date | undefined): void {
    const timestamp = headerValue(headers, 'wechatpay-timestamp');
    const nonce = headerValue(headers, 'wechatpay-nonce');
    const signature = headerValue(headers, 'wechatpay-signature');
    const serial = headerValue(headers, 'wechatpay-serial');
    if (timestamp === undefined || nonce === undefined || signature === undefined || serial === undefined) {
      throw new SignatureError('missing Wechatpay-* signature headers');
    }
    if (!/^\d{1,12}$/.test(timestamp)) throw new SignatureError('malformed Wechatpay-Timestamp');
    if (now !== undefined && Math.abs(Math.floor(now.getTime() / 1000) - Number(timestamp)) > WECHAT_PAY_TIMESTAMP_TOLERANCE_SECONDS) {
      throw new SignatureError('Wechatpay-Timestamp outside the 5 minute window');
    }
    // WeChat names the key it signed with; a serial other than our platform key's is a key we do
    // not hold (rotation, or a forgery) and is refused before any RSA work.
    if (this.platformSerial !== undefined && serial.toUpperCase() !== this.platformSerial.toUpperCase()) {
      throw new SignatureError('Wechatpay-Serial is not the configured platform key');
    }
    const verifier = createVerify('RSA-SHA256').update(wechatPayResponseMessage(timestamp, nonce, body), 'utf8');
    let valid = false;
    try {
      valid = verifier.verify(this.platformKey, signature, 'base64');
    } catch {
      valid = false;
    }
    if (!valid) throw new SignatureError('wechat pay signature invalid');
  }

  private async call(deadline: Deadline, method: 'GET' | 'POST', urlPath: string, body: string): Promise<Record<string, unknown>> {
    const authorization = wechatPayAuthorization({
      mchId: this.options.mchId,
      certSerial: this.options.certSerial,
      privateKey: this.privateKey,
      method,
      urlPath,
      body,
      timestampSeconds: Math.floor(this.now().getTime() / 1000),
      nonce: this.nonce(),
    });
    const response = await fetchProvider('wechat_pay', `${this.baseUrl}${urlPath}`, {
      method,
      headers: {
        authorization,
        accept: 'application/json',
        'user-agent': 'simkeep',
        ...(method === 'POST' ? { 'content-type': 'application/json' } : {}),
      },
      ...(method === 'POST' ? { body } : {}),
    }, deadline);
    return this.verifiedResult(response);
  }

  private verifiedResult(response: ProviderResponse): Record<string, unknown> {
    if (response.status === 429) throw new ProviderUnavailableError('wechat pay rate limited');
    const signed = this.isSignedByPlatform(response);
    if (response.status < 200 || response.status >= 300) {
      let error: Record<string, unknown> | undefined;
      try {
        error = parseJsonObject(response.text, 'wechat pay error');
      } catch {
        error = undefined;
      }
      const code = readString(error, 'code');
      // The code decides outcomes (ORDER_NOT_EXIST → "no such payment"): only WeChat's signed word counts.
      throw new ProviderRejectedError(`wechat pay refused: ${code ?? response.status}`, response.status, signed ? code : undefined);
    }
    // A success answer must be WeChat Pay's own: the same signature rule as notifications.
    if (!signed) throw new ProviderRejectedError('wechat pay response signature invalid', response.status, undefined);
    return response.text === '' ? {} : parseJsonObject(response.text, 'wechat pay response');
  }

  private isSignedByPlatform(response: ProviderResponse): boolean {
    const headers: Record<string, string> = {};
    response.headers.forEach((value, key) => {
      headers[key] = value;
    });
    try {
      this.verifySignedMessage(headers, response.text, undefined);
      return true;
    } catch {
      return false;
    }
  }
}
