// The signatures of the browser-chosen payment flows: the JSAPI paySign a WeChat page hands to
// WeixinJSBridge, and Alipay's wap.pay redirect, each checked with the public half of the key.
import { createPrivateKey, createVerify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AlipayProvider, alipayRequestSignContent } from '../../src/adapters/payments/alipay.ts';
import { wechatPayJsapiMessage, wechatPayJsapiRequest } from '../../src/adapters/payments/wechat-pay.ts';
import { rsaPemPair } from '../support/provider-keys.ts';

const merchant = rsaPemPair();
const stranger = rsaPemPair();
const alipayApp = rsaPemPair();
const alipayGateway = rsaPemPair();

const verifies = (message: string, signature: string, publicKey: string): boolean =>
  createVerify('RSA-SHA256').update(message, 'utf8').verify(publicKey, signature, 'base64');

describe('the WeChat Pay JSAPI paySign', () => {
  const request = wechatPayJsapiRequest({
    appId: 'wxd678efh567hg6787', prepayId: 'wx201410272009395522657a690389285100', timestampSeconds: 1414561699,
    nonce: '5K8264ILTKCH16CQ2502SI8ZNMTM67VS', privateKey: createPrivateKey(merchant.privateKey),
  });

  it('names the prepay_id as the package and signs appId, timeStamp, nonceStr and package, each followed by a newline', () => {
    expect(request).toMatchObject({
      appId: 'wxd678efh567hg6787', timeStamp: '1414561699', nonceStr: '5K8264ILTKCH16CQ2502SI8ZNMTM67VS',
      package: 'prepay_id=wx201410272009395522657a690389285100', signType: 'RSA',
    });
    expect(wechatPayJsapiMessage(request)).toBe('wxd678efh567hg6787\n1414561699\n5K8264ILTKCH16CQ2502SI8ZNMTM67VS\nprepay_id=wx201410272009395522657a690389285100\n');
    expect(verifies(wechatPayJsapiMessage(request), request.paySign, merchant.publicKey)).toBe(true);
  });

  it('does not verify with another key or for another prepay_id', () => {
    expect(verifies(wechatPayJsapiMessage(request), request.paySign, stranger.publicKey)).toBe(false);
    expect(verifies(wechatPayJsapiMessage({ ...request, package: 'prepay_id=wx-other' }), request.paySign, merchant.publicKey)).toBe(false);
  });
});

describe('Alipay mobile-site pay (alipay.trade.wap.pay)', () => {
  const provider = new AlipayProvider({
    appId: '2021000000000042', privateKeyPem: alipayApp.privateKey, alipayPublicKeyPem: alipayGateway.publicKey,
    now: () => new Date('2026-12-06T08:00:00Z'),
  });
  const input = {
    paymentId: 'pay_wap1', orderId: 'ord_wap1', amount: { amountMinor: 1234, currency: 'CNY' }, description: 'Keep-alive 30 days',
    returnUrl: 'https://simkeep.example/orders/ord_wap1', notifyUrl: 'https://simkeep.example/api/v1/webhooks/alipay',
  };

  it('is a gateway redirect whose parameters the app key signed (RSA2), with QUICK_WAP_WAY and a quit_url', async () => {
    const created = await provider.createPayment({ ...input, flow: 'h5' });
    expect(created.action.type).toBe('redirect');
    const params = Object.fromEntries(new URL(created.action.url ?? '').searchParams);
    expect(params).toMatchObject({
      app_id: '2021000000000042', method: 'alipay.trade.wap.pay', sign_type: 'RSA2', charset: 'utf-8', timestamp: '2026-12-06 16:00:00',
      return_url: input.returnUrl, notify_url: input.notifyUrl,
    });
    expect(JSON.parse(params['biz_content'] ?? '')).toEqual({
      out_trade_no: 'pay_wap1', total_amount: '12.34', subject: 'Keep-alive 30 days', product_code: 'QUICK_WAP_WAY', quit_url: input.returnUrl,
    });
    expect(verifies(alipayRequestSignContent(params), params['sign'] ?? '', alipayApp.publicKey)).toBe(true);
    const tampered = { ...params, biz_content: (params['biz_content'] ?? '').replace('12.34', '0.01') };
    expect(verifies(alipayRequestSignContent(tampered), params['sign'] ?? '', alipayApp.publicKey)).toBe(false);
  });

  it('keeps alipay.trade.page.pay (FAST_INSTANT_TRADE_PAY) when no flow is asked for', async () => {
    const created = await provider.createPayment(input);
    const params = Object.fromEntries(new URL(created.action.url ?? '').searchParams);
    expect(params['method']).toBe('alipay.trade.page.pay');
    expect(JSON.parse(params['biz_content'] ?? '')).toMatchObject({ product_code: 'FAST_INSTANT_TRADE_PAY' });
    expect(verifies(alipayRequestSignContent(params), params['sign'] ?? '', alipayApp.publicKey)).toBe(true);
  });
});
