// How the portal continues a payment in the subscriber's browser (web/src/lib/payment-flow.ts), and
// how it reads a typed top-up amount (never through a float).
import { describe, expect, it } from 'vitest';
import { browserKindOf, paymentFlowFor, paymentStepFor } from '../../web/src/lib/payment-flow.ts';
import { minorUnitsOf } from '../../web/src/features/plans/amount.ts';

const WECHAT = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148 MicroMessenger/8.0.47 NetType/WIFI';
const ANDROID = 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36';
const DESKTOP = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36';

describe('the payment flow chosen from the browser', () => {
  it('tells WeChat, a phone and a desktop apart by the user agent', () => {
    expect(browserKindOf(WECHAT)).toBe('wechat');
    expect(browserKindOf(ANDROID)).toBe('phone');
    expect(browserKindOf(DESKTOP)).toBe('desktop');
  });

  it('goes to the provider page on a redirect, except Alipay inside WeChat, which gets the open-in-browser link', () => {
    const redirect = { type: 'redirect' as const, url: 'https://pay.example/1' };
    expect(paymentStepFor('card', redirect, 'wechat')).toEqual({ kind: 'redirect', url: redirect.url });
    expect(paymentStepFor('alipay', redirect, 'phone')).toEqual({ kind: 'redirect', url: redirect.url });
    expect(paymentStepFor('alipay', redirect, 'wechat')).toEqual({ kind: 'open_in_browser', url: redirect.url });
  });

  it('asks WeChat Pay for JSAPI inside WeChat, H5 on a phone and a QR on a desktop; Alipay for its mobile page except on a desktop; cards nothing', () => {
    expect(paymentFlowFor('wechat_pay', 'wechat')).toBe('jsapi');
    expect(paymentFlowFor('wechat_pay', 'phone')).toBe('h5');
    expect(paymentFlowFor('wechat_pay', 'desktop')).toBe('qr');
    expect(paymentFlowFor('alipay', 'wechat')).toBe('h5');
    expect(paymentFlowFor('alipay', 'phone')).toBe('h5');
    expect(paymentFlowFor('alipay', 'desktop')).toBe('qr');
    for (const method of ['card', 'paypal', 'wallet', 'voucher']) {
      for (const browser of ['wechat', 'phone', 'desktop'] as const) expect(paymentFlowFor(method, browser)).toBeUndefined();
    }
  });

  it('hands a JSAPI action to the WeChat bridge as it came', () => {
    const jsapi = { appId: 'wx1', timeStamp: '1414561699', nonceStr: 'n', package: 'prepay_id=wx2', signType: 'RSA', paySign: 'c2ln' };
    expect(paymentStepFor('wechat_pay', { type: 'jsapi', jsapi }, 'wechat')).toEqual({ kind: 'jsapi', request: jsapi });
    expect(paymentStepFor('wechat_pay', { type: 'jsapi' }, 'wechat')).toEqual({ kind: 'none' });
  });

  it('shows a QR action as a code to scan, and nothing for a paid-at-once order', () => {
    expect(paymentStepFor('wechat_pay', { type: 'qr', qrData: 'weixin://wxpay/bizpayurl?pr=abc' }, 'desktop')).toEqual({ kind: 'qr', qrData: 'weixin://wxpay/bizpayurl?pr=abc' });
    expect(paymentStepFor('wallet', { type: 'none' }, 'phone')).toEqual({ kind: 'none' });
    expect(paymentStepFor('card', undefined, 'phone')).toEqual({ kind: 'none' });
  });
});

describe('a typed top-up amount', () => {
  it('becomes integer minor units from its digits', () => {
    expect(minorUnitsOf('10', 'USD', 'en')).toBe(1000);
    expect(minorUnitsOf('12.5', 'USD', 'en')).toBe(1250);
    expect(minorUnitsOf('0.29', 'USD', 'en')).toBe(29); // 0.29 * 100 is 28.999… as a float
    expect(minorUnitsOf('12,50', 'EUR', 'en')).toBe(1250);
    expect(minorUnitsOf('500', 'JPY', 'zh-CN')).toBe(500);
  });

  it('refuses what is not an amount', () => {
    for (const text of ['', '0', '-5', '1.234', '1e3', 'ten', '12.5.0']) expect(minorUnitsOf(text, 'USD', 'en')).toBeNull();
    expect(minorUnitsOf('5.5', 'JPY', 'en')).toBeNull();
  });
});
