// Which way a payment goes in this browser. The portal asks the provider for the channel that fits
// where the subscriber is (POST /orders `paymentFlow`): inside WeChat, WeChat Pay's JSAPI (its own
// in-app cashier); on a phone, the provider's mobile page (H5 / wap); on a desktop, a code to scan
// with the phone. Alipay inside WeChat (which blocks Alipay's pages) gets its mobile page as a link
// to open in another browser. Cards and PayPal choose nothing: their pages fit any device. Success
// is never decided here — the order page waits for the server, which hears it from the provider.

/** What the order's `payment.action` holds (the generated Order type satisfies it). */
interface PaymentActionLike {
  type: string;
  url?: string;
  qrData?: string;
  jsapi?: JsapiRequest;
}

/** The arguments of WeixinJSBridge.invoke('getBrandWCPayRequest', …), as the server signed them. */
export interface JsapiRequest {
  appId: string;
  timeStamp: string;
  nonceStr: string;
  package: string;
  signType: string;
  paySign: string;
}

export const BROWSER_KINDS = ['wechat', 'phone', 'desktop'] as const;
export type BrowserKind = (typeof BROWSER_KINDS)[number];

/** The API's `paymentFlow` values. */
export type PaymentFlow = 'qr' | 'h5' | 'jsapi';

/** WeChat's in-app browser says `MicroMessenger`; phones say `Mobi`, `Android`, `iPhone` or `iPad`. */
export function browserKindOf(userAgent: string): BrowserKind {
  if (/MicroMessenger/i.test(userAgent)) return 'wechat';
  if (/Mobi|Android|iPhone|iPad|iPod|HarmonyOS/i.test(userAgent)) return 'phone';
  return 'desktop';
}

export function currentBrowserKind(): BrowserKind {
  return browserKindOf(globalThis.navigator?.userAgent ?? '');
}

/** The flow to ask for; undefined = the provider's default page (cards, PayPal, wallet, voucher). */
export function paymentFlowFor(method: string, browser: BrowserKind): PaymentFlow | undefined {
  if (method === 'wechat_pay') return browser === 'wechat' ? 'jsapi' : browser === 'phone' ? 'h5' : 'qr';
  // Alipay inside WeChat is opened in another browser on the same phone: its mobile page suits it.
  if (method === 'alipay') return browser === 'desktop' ? 'qr' : 'h5';
  return undefined;
}

export type PaymentStep =
  /** Go to the provider's page now. */
  | { kind: 'redirect'; url: string }
  /** Show this code to scan (WeChat Pay Native, Alipay precreate). */
  | { kind: 'qr'; qrData: string }
  /** Inside WeChat: hand these to WeixinJSBridge (WeChat Pay JSAPI). */
  | { kind: 'jsapi'; request: JsapiRequest }
  /** WeChat blocks Alipay's pages: the subscriber opens this link in another browser. */
  | { kind: 'open_in_browser'; url: string }
  /** Nothing to do here (wallet, voucher, or already settled). */
  | { kind: 'none' };

export function paymentStepFor(method: string, action: PaymentActionLike | undefined, browser: BrowserKind): PaymentStep {
  if (!action) return { kind: 'none' };
  if (action.type === 'qr' && action.qrData) return { kind: 'qr', qrData: action.qrData };
  if (action.type === 'jsapi' && action.jsapi) return { kind: 'jsapi', request: action.jsapi };
  if (action.type === 'redirect' && action.url) {
    return method === 'alipay' && browser === 'wechat' ? { kind: 'open_in_browser', url: action.url } : { kind: 'redirect', url: action.url };
  }
  return { kind: 'none' };
}
