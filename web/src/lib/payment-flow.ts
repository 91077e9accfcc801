// Which way a payment continues in this browser. The API has no field to ask a provider for a
// channel (WeChat Pay opens Native orders, answered with a QR; Alipay a page-pay redirect; the
// sandbox, PayPal and Stripe a redirect), so the portal follows the action the server returns and
// adapts what it says around it to where the subscriber is: inside WeChat, on a phone, on a desktop.

/** What the order's `payment.action` holds (the generated Order type satisfies it). */
interface PaymentActionLike {
  type: string;
  url?: string;
  qrData?: string;
}

export const BROWSER_KINDS = ['wechat', 'phone', 'desktop'] as const;
export type BrowserKind = (typeof BROWSER_KINDS)[number];

/** WeChat's in-app browser says `MicroMessenger`; phones say `Mobi`, `Android`, `iPhone` or `iPad`. */
export function browserKindOf(userAgent: string): BrowserKind {
  if (/MicroMessenger/i.test(userAgent)) return 'wechat';
  if (/Mobi|Android|iPhone|iPad|iPod|HarmonyOS/i.test(userAgent)) return 'phone';
  return 'desktop';
}

export function currentBrowserKind(): BrowserKind {
  return browserKindOf(globalThis.navigator?.userAgent ?? '');
}

export type PaymentStep =
  /** Go to the provider's page now. */
  | { kind: 'redirect'; url: string }
  /** Show this code to scan (WeChat Pay Native). */
  | { kind: 'qr'; qrData: string }
  /** WeChat blocks Alipay's pages: the subscriber opens this link in another browser. */
  | { kind: 'open_in_browser'; url: string }
  /** Nothing to do here (wallet, voucher, or already settled). */
  | { kind: 'none' };

export function paymentStepFor(method: string, action: PaymentActionLike | undefined, browser: BrowserKind): PaymentStep {
  if (!action) return { kind: 'none' };
  if (action.type === 'qr' && action.qrData) return { kind: 'qr', qrData: action.qrData };
  if (action.type === 'redirect' && action.url) {
    return method === 'alipay' && browser === 'wechat' ? { kind: 'open_in_browser', url: action.url } : { kind: 'redirect', url: action.url };
  }
  return { kind: 'none' };
}
