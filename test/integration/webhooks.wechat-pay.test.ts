// WeChat Pay v3 notifications end to end over HTTP, offline: the app holds test credentials, the
// platform key pair is generated here, the resource is encrypted with the APIv3 key as WeChat does.
import { createCipheriv, createSign, generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { expect, it } from 'vitest';
import { wechatPayResponseMessage } from '../../src/adapters/payments/wechat-pay.ts';
import type { PaymentProvider } from '../../src/adapters/payments/types.ts';
import { paymentProvidersOf } from '../../src/modules/payments/registry.ts';
import { forEachDatabase } from '../support/harness.ts';
import { withReplaced } from '../support/provider-stand-ins.ts';
import { expectLedgerSound, paymentJournals, yuanBuyer } from '../support/orders-fixtures.ts';

const pem = () => generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
const merchant = pem();
const platform = pem();
const API_V3_KEY = 'abcdefghijklmnopqrstuvwxyz012345';
const MCH_ID = '1900000109';

function encrypt(plaintext: string, nonce: string, aad: string): string {
  const cipher = createCipheriv('aes-256-gcm', Buffer.from(API_V3_KEY, 'utf8'), Buffer.from(nonce, 'utf8'));
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  return Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]).toString('base64');
}

function notification(paymentId: string, totalFen: number, eventId: string): { body: string; headers: Record<string, string> } {
  const transaction = {
    mchid: MCH_ID, appid: 'wxd678efh567hg6787', out_trade_no: paymentId, transaction_id: `42000${Date.now()}`, trade_type: 'NATIVE',
    trade_state: 'SUCCESS', success_time: '2026-11-23T12:00:00+08:00', amount: { total: totalFen, payer_total: totalFen, currency: 'CNY', payer_currency: 'CNY' },
  };
  const nonce = randomBytes(6).toString('hex');
  const body = JSON.stringify({
    id: eventId, create_time: '2026-11-23T12:00:01+08:00', resource_type: 'encrypt-resource', event_type: 'TRANSACTION.SUCCESS', summary: '支付成功',
    resource: { original_type: 'transaction', algorithm: 'AEAD_AES_256_GCM', ciphertext: encrypt(JSON.stringify(transaction), nonce, 'transaction'), associated_data: 'transaction', nonce },
  });
  const timestamp = String(Math.floor(Date.now() / 1000));
  const headerNonce = randomBytes(16).toString('hex');
  const signature = createSign('RSA-SHA256').update(wechatPayResponseMessage(timestamp, headerNonce, body), 'utf8').sign(platform.privateKey, 'base64');
  return {
    body,
    headers: {
      'content-type': 'application/json', 'wechatpay-timestamp': timestamp, 'wechatpay-nonce': headerNonce,
      'wechatpay-signature': signature, 'wechatpay-serial': 'PUB_KEY_ID_0000',
    },
  };
}


forEachDatabase('provider webhooks (WeChat Pay v3, signed locally)', (get) => {
  it('verifies the platform signature, decrypts the resource, pays the order once and answers WeChat\'s JSON', async () => {
    const ctx = get();
    const registry = paymentProvidersOf(ctx.app.deps);
    const wechat = registry.byName('wechat_pay') as PaymentProvider;
    // Native orders are created over the network; a local stand-in returns the code_url, while every
    // notification still goes through the real adapter.
    registry.override('wechat_pay', withReplaced(wechat, {
      createPayment: async () => ({ providerRef: 'wx-prepay', action: { type: 'qr', qrData: 'weixin://wxpay/bizpayurl?pr=test' } }),
    }));
    const y = await yuanBuyer(ctx, 'cn-wx');
    const created = await ctx.post('/api/v1/orders', { lineId: y.lineId, planId: y.planId, paymentMethod: 'wechat_pay' }, { token: y.token, headers: { 'idempotency-key': randomUUID() } });
    expect(created.status, created.text).toBe(201);
    expect(created.json.payment).toMatchObject({ provider: 'wechat_pay', action: { type: 'qr', qrData: 'weixin://wxpay/bizpayurl?pr=test' } });
    const send = (n: { body: string; headers: Record<string, string> }) => ctx.call('POST', '/api/v1/webhooks/wechat_pay', { raw: n.body, headers: n.headers });

    const good = notification(created.json.payment.id, 500, `EV-${Date.now()}`);
    const tampered = { ...good, body: good.body.replace('支付成功', '支付失败') };
    expect((await send(tampered)).status).toBe(400);
    expect((await ctx.get(`/api/v1/orders/${created.json.id}`, { token: y.token })).json.status).toBe('awaiting_payment');

    const r = await send(good);
    expect(r.status).toBeGreaterThanOrEqual(200);
    expect(r.status).toBeLessThan(300);
    expect((await send(good)).status).toBeLessThan(300);
    await ctx.drain();
    expect((await ctx.get(`/api/v1/orders/${created.json.id}`, { token: y.token })).json.status).toBe('completed');
    expect(await paymentJournals(ctx, created.json.id)).toBe(1);
    await expectLedgerSound(ctx);
  });
}, {
  WECHATPAY_MCH_ID: MCH_ID, WECHATPAY_APP_ID: 'wxd678efh567hg6787', WECHATPAY_API_V3_KEY: API_V3_KEY,
  WECHATPAY_PRIVATE_KEY: merchant.privateKey, WECHATPAY_CERT_SERIAL: '5157F09EFDC096DE15EBE81A47057A7232F1B8E1',
  WECHATPAY_PLATFORM_PUBLIC_KEY: platform.publicKey,
});
