// WeChat Pay v3 notifications end to end over HTTP, offline: the app holds test credentials, the
// platform key pair is generated here, the resource is encrypted with the APIv3 key as WeChat does.
import { createCipheriv, randomBytes, randomUUID } from 'node:crypto';
import { expect, it } from 'vitest';
import type { PaymentProvider } from '../../src/adapters/payments/types.ts';
import { forEachDatabase } from '../support/harness.ts';
import { withReplaced } from '../support/provider-stand-ins.ts';
import { expectLedgerSound, paymentJournals, yuanBuyer } from '../support/orders-fixtures.ts';
import { rsaPemPair, wechatPlatformHeaders } from '../support/provider-keys.ts';

const merchant = rsaPemPair();
const platform = rsaPemPair();
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
  return signedNotification('TRANSACTION.SUCCESS', '支付成功', transaction, 'transaction', eventId);
}

/** REFUND.SUCCESS (退款结果通知): one refund, named by our out_refund_no, with THIS refund's amount. */
function refundNotification(paymentId: string, refundId: string, refundFen: number, eventId: string): { body: string; headers: Record<string, string> } {
  const refund = {
    mchid: MCH_ID, out_trade_no: paymentId, transaction_id: '4200000000202611230000000001', out_refund_no: refundId, refund_id: `5000${Date.now()}`,
    refund_status: 'SUCCESS', success_time: '2026-11-24T10:00:00+08:00', user_received_account: '支付用户零钱',
    amount: { total: 500, refund: refundFen, payer_total: 500, payer_refund: refundFen },
  };
  return signedNotification('REFUND.SUCCESS', '退款成功', refund, 'refund', eventId);
}

function signedNotification(eventType: string, summary: string, resource: Record<string, unknown>, aad: string, eventId: string): { body: string; headers: Record<string, string> } {
  const nonce = randomBytes(6).toString('hex');
  const body = JSON.stringify({
    id: eventId, create_time: '2026-11-23T12:00:01+08:00', resource_type: 'encrypt-resource', event_type: eventType, summary,
    resource: { original_type: aad, algorithm: 'AEAD_AES_256_GCM', ciphertext: encrypt(JSON.stringify(resource), nonce, aad), associated_data: aad, nonce },
  });
  return { body, headers: wechatPlatformHeaders(platform.privateKey, body) };
}

forEachDatabase('provider webhooks (WeChat Pay v3, signed locally)', (get) => {
  it('verifies the platform signature, decrypts the resource, pays the order once and answers WeChat\'s JSON', async () => {
    const ctx = get();
    const registry = ctx.providers;
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

  it('confirms a refund left PROCESSING when REFUND.SUCCESS names it, once, and only for its exact amount', async () => {
    const ctx = get();
    const registry = ctx.providers;
    const wechat = registry.byName('wechat_pay') as PaymentProvider;
    // WeChat's usual answer to a refund request is PROCESSING: the refund stays pending until notified.
    registry.override('wechat_pay', withReplaced(wechat, {
      createPayment: async () => ({ providerRef: 'wx-prepay', action: { type: 'qr', qrData: 'weixin://wxpay/bizpayurl?pr=test' } }),
      refund: async () => ({ providerRefundRef: `5000${Date.now()}`, status: 'pending' }),
    }));
    const y = await yuanBuyer(ctx, 'cn-wx-refund');
    const created = await ctx.post('/api/v1/orders', { lineId: y.lineId, planId: y.planId, paymentMethod: 'wechat_pay' }, { token: y.token, headers: { 'idempotency-key': randomUUID() } });
    expect(created.status, created.text).toBe(201);
    const paymentId: string = created.json.payment.id;
    const send = (n: { body: string; headers: Record<string, string> }) => ctx.call('POST', '/api/v1/webhooks/wechat_pay', { raw: n.body, headers: n.headers });
    expect((await send(notification(paymentId, 500, `EV-PAY-${Date.now()}`))).status).toBe(200);
    await ctx.drain();
    const admin = await ctx.adminToken();
    const refundOf = async (amount: number) => {
      const r = await ctx.post(`/api/v1/admin/orders/${created.json.id}/refund`, { amount: { amount, currency: 'CNY' }, reason: 'partial' }, { token: admin, headers: { 'idempotency-key': randomUUID() } });
      expect(r.status, r.text).toBe(202);
      expect(r.json.status).toBe('pending');
      return r.json.id as string;
    };
    const statusOf = async (refundId: string) => (await ctx.db.query<{ status: string }>('SELECT status FROM refunds WHERE id = $1', [refundId])).rows[0]?.status;
    const outcomeOf = async (eventId: string) => (await ctx.db.query<{ outcome: string }>("SELECT outcome FROM payment_events WHERE provider = 'wechat_pay' AND event_id = $1", [eventId])).rows[0]?.outcome;

    const first = await refundOf(200);
    // A notification with another amount for that refund confirms nothing (and is recorded for review).
    const wrong = refundNotification(paymentId, first, 300, `EV-RF-${randomUUID()}`);
    expect((await send(wrong)).status).toBe(200);
    expect(await statusOf(first)).toBe('pending');
    expect(await outcomeOf(JSON.parse(wrong.body).id)).toBe('refund_amount_mismatch');

    const ok = refundNotification(paymentId, first, 200, `EV-RF-${randomUUID()}`);
    expect((await send(ok)).status).toBe(200);
    expect((await send(ok)).status).toBe(200);
    expect(await statusOf(first)).toBe('succeeded');
    const again = refundNotification(paymentId, first, 200, `EV-RF-${randomUUID()}`);
    expect((await send(again)).status).toBe(200);
    expect(await outcomeOf(JSON.parse(again.body).id)).toBe('refunds_confirmed:0');
    let order = await ctx.get(`/api/v1/orders/${created.json.id}`, { token: y.token });
    expect(order.json.status).toBe('completed');
    expect(order.json.payment.status).toBe('partially_refunded');

    const second = await refundOf(300);
    expect((await send(refundNotification(paymentId, second, 300, `EV-RF-${randomUUID()}`))).status).toBe(200);
    expect(await statusOf(second)).toBe('succeeded');
    order = await ctx.get(`/api/v1/orders/${created.json.id}`, { token: y.token });
    expect(order.json.status).toBe('refunded');
    expect(order.json.payment.status).toBe('refunded');
    // A refund simkeep never made is acknowledged and changes nothing.
    const stray = refundNotification(paymentId, 'ref_unknown', 100, `EV-RF-${randomUUID()}`);
    expect((await send(stray)).status).toBe(200);
    expect(await outcomeOf(JSON.parse(stray.body).id)).toBe('unknown_refund');
    await expectLedgerSound(ctx);
    registry.override('wechat_pay', wechat);
  });
}, {
  WECHATPAY_MCH_ID: MCH_ID, WECHATPAY_APP_ID: 'wxd678efh567hg6787', WECHATPAY_API_V3_KEY: API_V3_KEY,
  WECHATPAY_PRIVATE_KEY: merchant.privateKey, WECHATPAY_CERT_SERIAL: '5157F09EFDC096DE15EBE81A47057A7232F1B8E1',
  WECHATPAY_PLATFORM_PUBLIC_KEY: platform.publicKey,
});
