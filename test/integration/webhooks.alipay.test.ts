// Alipay async notifications (异步通知) end to end over HTTP, offline: the app holds test keys, the
// notification is form-encoded as Alipay sends it and signed RSA2 over a sign-content string
// written out by hand here (sorted keys, sign/sign_type and empty values left out, decoded values),
// so the test does not share the adapter's own sign-content builder.
import { createSign, randomUUID } from 'node:crypto';
import { expect, it } from 'vitest';
import type { PaymentProvider } from '../../src/adapters/payments/types.ts';
import { forEachDatabase, type TestContext } from '../support/harness.ts';
import { expectLedgerSound, paymentJournals, yuanBuyer } from '../support/orders-fixtures.ts';
import { withReplaced } from '../support/provider-stand-ins.ts';
import { rsaPemPair } from '../support/provider-keys.ts';

const appKeys = rsaPemPair();
const alipayKeys = rsaPemPair();
const APP_ID = '2021000000000077';
const TRADE_NO = '2025030122001400000000077';

function sign(content: string): string {
  return encodeURIComponent(createSign('RSA-SHA256').update(content, 'utf8').sign(alipayKeys.privateKey, 'base64'));
}

/** TRADE_SUCCESS for `paymentId`, as Alipay posts it (keys unsorted, `+` for spaces, one empty value). */
function paidNotification(paymentId: string, notifyId: string, totalAmount = '5.00', appId = APP_ID): string {
  const content =
    `app_id=${appId}&buyer_id=2088102122524333&charset=utf-8&gmt_payment=2025-03-01 12:00:01&notify_id=${notifyId}` +
    `&notify_time=2025-03-01 12:00:02&notify_type=trade_status_sync&out_trade_no=${paymentId}&subject=月租 30天+流量` +
    `&total_amount=${totalAmount}&trade_no=${TRADE_NO}&trade_status=TRADE_SUCCESS&version=1.0`;
  return [
    `notify_time=2025-03-01+12%3A00%3A02`, `trade_status=TRADE_SUCCESS`, `subject=%E6%9C%88%E7%A7%9F+30%E5%A4%A9%2B%E6%B5%81%E9%87%8F`,
    `out_trade_no=${paymentId}`, `total_amount=5.00`, `passback_params=`, `sign_type=RSA2`, `app_id=${appId}`, `charset=utf-8`,
    `notify_type=trade_status_sync`, `trade_no=${TRADE_NO}`, `notify_id=${notifyId}`, `buyer_id=2088102122524333`,
    `gmt_payment=2025-03-01+12%3A00%3A01`, `version=1.0`, `sign=${sign(content)}`,
  ].join('&');
}

/** The refund notification: trade still TRADE_SUCCESS (partial) or TRADE_CLOSED (full), refund_fee = total refunded so far. */
function refundNotification(paymentId: string, notifyId: string, refundFee: string, refundId: string): string {
  const content =
    `app_id=${APP_ID}&charset=utf-8&gmt_refund=2025-03-02 10:00:00.000&notify_id=${notifyId}&notify_time=2025-03-02 10:00:01` +
    `&notify_type=trade_status_sync&out_biz_no=${refundId}&out_trade_no=${paymentId}&refund_fee=${refundFee}&total_amount=5.00` +
    `&trade_no=${TRADE_NO}&trade_status=TRADE_CLOSED&version=1.0`;
  return [
    `app_id=${APP_ID}`, `charset=utf-8`, `gmt_refund=2025-03-02+10%3A00%3A00.000`, `notify_id=${notifyId}`, `notify_time=2025-03-02+10%3A00%3A01`,
    `notify_type=trade_status_sync`, `out_biz_no=${refundId}`, `out_trade_no=${paymentId}`, `refund_fee=${refundFee}`, `total_amount=5.00`,
    `trade_no=${TRADE_NO}`, `trade_status=TRADE_CLOSED`, `version=1.0`, `sign_type=RSA2`, `sign=${sign(content)}`,
  ].join('&');
}

const send = (ctx: TestContext, raw: string) => ctx.call('POST', '/api/v1/webhooks/alipay', { raw, headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' } });

async function alipayOrder(ctx: TestContext) {
  const y = await yuanBuyer(ctx, `cn-ali-${randomUUID().slice(0, 6)}`);
  const created = await ctx.post('/api/v1/orders', { lineId: y.lineId, planId: y.planId, paymentMethod: 'alipay' }, { token: y.token, headers: { 'idempotency-key': randomUUID() } });
  expect(created.status, created.text).toBe(201);
  expect(created.json.payment.provider).toBe('alipay');
  return { token: y.token, orderId: created.json.id as string, paymentId: created.json.payment.id as string };
}

forEachDatabase('Alipay notifications over HTTP (form-encoded, RSA2)', (get) => {
  it('answers the text "success" to a signed TRADE_SUCCESS, pays the order once, and refuses a tampered copy with 400', async () => {
    const ctx = get();
    const o = await alipayOrder(ctx);
    const body = paidNotification(o.paymentId, `n-${randomUUID()}`);
    const tampered = body.replace('total_amount=5.00', 'total_amount=0.05');
    const refused = await send(ctx, tampered);
    expect(refused.status).toBe(400);
    expect(refused.json.code).toBe('invalid_signature');
    expect((await ctx.get(`/api/v1/orders/${o.orderId}`, { token: o.token })).json.status).toBe('awaiting_payment');

    for (let delivery = 0; delivery < 2; delivery++) {
      const r = await send(ctx, body);
      expect(r.status).toBe(200);
      expect(r.headers['content-type']).toMatch(/^text\/plain/);
      expect(r.text).toBe('success');
    }
    await ctx.drain();
    expect((await ctx.get(`/api/v1/orders/${o.orderId}`, { token: o.token })).json.status).toBe('completed');
    expect(await paymentJournals(ctx, o.orderId)).toBe(1);
    await expectLedgerSound(ctx);
  });

  it('acknowledges a notification signed for another app_id with "success" and changes nothing', async () => {
    const ctx = get();
    const o = await alipayOrder(ctx);
    const r = await send(ctx, paidNotification(o.paymentId, `n-${randomUUID()}`, '5.00', '2021999999999999'));
    expect(r.status).toBe(200);
    expect(r.text).toBe('success');
    expect((await ctx.get(`/api/v1/orders/${o.orderId}`, { token: o.token })).json.status).toBe('awaiting_payment');
  });

  it('confirms a pending refund when Alipay notifies the refund, once', async () => {
    const ctx = get();
    const registry = ctx.providers;
    const alipay = registry.byName('alipay') as PaymentProvider;
    // The refund call goes to Alipay's gateway; a stand-in answers "accepted, money not moved yet".
    registry.override('alipay', withReplaced(alipay, { refund: async (i) => ({ providerRefundRef: `${TRADE_NO}/${i.refundId}`, status: 'pending' }) }));
    try {
      const o = await alipayOrder(ctx);
      expect((await send(ctx, paidNotification(o.paymentId, `n-${randomUUID()}`))).text).toBe('success');
      await ctx.drain();
      const refund = await ctx.post(`/api/v1/admin/orders/${o.orderId}/refund`, { reason: 'customer asked' }, { token: await ctx.adminToken(), headers: { 'idempotency-key': randomUUID() } });
      expect(refund.status, refund.text).toBe(202);
      expect(refund.json.status).toBe('pending');
      const notice = refundNotification(o.paymentId, `n-${randomUUID()}`, '5.00', refund.json.id);
      expect((await send(ctx, notice)).text).toBe('success');
      expect((await send(ctx, notice)).text).toBe('success');
      const { rows } = await ctx.db.query<{ status: string }>('SELECT status FROM refunds WHERE id = $1', [refund.json.id]);
      expect(rows[0]?.status).toBe('succeeded');
      expect((await ctx.get(`/api/v1/orders/${o.orderId}`, { token: o.token })).json.status).toBe('refunded');
      await expectLedgerSound(ctx);
    } finally {
      registry.override('alipay', alipay);
    }
  });
}, { ALIPAY_APP_ID: APP_ID, ALIPAY_PRIVATE_KEY: appKeys.privateKey, ALIPAY_PUBLIC_KEY: alipayKeys.publicKey });
