// OWASP API Security Top 10 (2023) — API1 Broken Object Level Authorization.
// A signed-in subscriber tries every object of another subscriber it can name: lines, their eSIM
// profile and usage, orders, receipts, notifications, saved payment methods. Each answers 404 (the
// object's existence is not leaked, API.md) and nothing of the owner's changes.
import { expect, it } from 'vitest';
import { forEachDatabase, type TestContext } from '../support/harness.ts';
import { raise } from '../support/notifications.ts';
import { buyer, order, plainPlan, type Buyer } from '../support/orders-fixtures.ts';

interface Victim extends Buyer {
  orderId: string;
  planId: string;
  notificationId: string;
  methodId: string;
}

async function victim(ctx: TestContext): Promise<Victim> {
  const b = await buyer(ctx);
  const plan = await plainPlan(ctx, 500);
  const placed = await order(ctx, b, { planId: plan.id, paymentMethod: 'card' });
  expect(placed.status, placed.text).toBe(201);
  const notice = await raise(ctx, { userId: b.userId });
  const setup = await ctx.post('/api/v1/payment-methods', { paymentMethod: 'card' }, { token: b.token });
  expect(setup.status, setup.text).toBe(201);
  const setupId = decodeURIComponent(String(setup.json.action.url).split('/').pop() ?? '');
  expect((await ctx.post(`/api/v1/sandbox/payment-methods/${setupId}/complete`, { behaviour: 'succeeds' })).status).toBe(200);
  const methods = await ctx.get('/api/v1/payment-methods', { token: b.token });
  const methodId = methods.json.items?.[0]?.id ?? methods.json[0]?.id;
  expect(methodId, methods.text).toBeTruthy();
  return { ...b, orderId: placed.json.id, planId: plan.id, notificationId: notice.id ?? '', methodId };
}

forEachDatabase('OWASP API1: object-level authorization', (get) => {
  it("answers 404 for every object of another subscriber, reading or writing, and changes none of them", async () => {
    const ctx = get();
    const owner = await victim(ctx);
    const intruder = await buyer(ctx);
    const attempts: Array<[string, string, unknown?]> = [
      ['GET', `/api/v1/lines/${owner.lineId}`],
      ['PATCH', `/api/v1/lines/${owner.lineId}`, { nickname: 'pwned' }],
      ['GET', `/api/v1/lines/${owner.lineId}/esim`],
      ['GET', `/api/v1/lines/${owner.lineId}/usage`],
      ['GET', `/api/v1/orders/${owner.orderId}`],
      ['GET', `/api/v1/orders/${owner.orderId}/receipt`],
      ['POST', `/api/v1/orders/${owner.orderId}/cancel`],
      ['POST', `/api/v1/notifications/${owner.notificationId}/read`],
      ['PATCH', `/api/v1/payment-methods/${owner.methodId}`, { isDefault: true }],
      ['DELETE', `/api/v1/payment-methods/${owner.methodId}`],
      ['POST', '/api/v1/quotes', { lineId: owner.lineId, planId: owner.planId }],
      ['POST', '/api/v1/orders', { lineId: owner.lineId, topupAmount: { amount: 500, currency: 'USD' }, paymentMethod: 'card' }],
      ['GET', `/api/v1/plans?lineId=${owner.lineId}`],
    ];
    for (const [method, path, body] of attempts) {
      const r = await ctx.call(method, path, { token: intruder.token, ...(body === undefined ? {} : { body }), headers: { 'idempotency-key': `bola-${method}-${path}` } });
      expect(r.status, `${method} ${path}: ${r.text}`).toBe(404);
      expect(r.headers['content-type'], `${method} ${path}`).toContain('application/problem+json');
    }
    // Lists filtered by someone else's line show nothing of theirs.
    for (const path of [`/api/v1/orders?lineId=${owner.lineId}`, `/api/v1/notifications?lineId=${owner.lineId}`]) {
      const r = await ctx.get(path, { token: intruder.token });
      expect([200, 404], `${path}: ${r.text}`).toContain(r.status);
      if (r.status === 200) expect(r.json.items, path).toEqual([]);
    }
    // The owner's objects are as they were.
    expect((await ctx.get(`/api/v1/orders/${owner.orderId}`, { token: owner.token })).json.status).toBe('awaiting_payment');
    expect((await ctx.get(`/api/v1/lines/${owner.lineId}`, { token: owner.token })).json.nickname ?? null).not.toBe('pwned');
    const methods = await ctx.get('/api/v1/payment-methods', { token: owner.token });
    expect(JSON.stringify(methods.json)).toContain(owner.methodId);
    const unread = await ctx.db.query<{ read_at: unknown }>('SELECT read_at FROM notifications WHERE id = $1', [owner.notificationId]);
    expect(unread.rows[0]?.read_at ?? null).toBeNull();
  });

  it('answers the same 404 for an object that does not exist as for one that is not yours', async () => {
    const ctx = get();
    const owner = await victim(ctx);
    const intruder = await buyer(ctx);
    const theirs = await ctx.get(`/api/v1/orders/${owner.orderId}`, { token: intruder.token });
    const nobodys = await ctx.get(`/api/v1/orders/${owner.orderId.slice(0, -2)}zz`, { token: intruder.token });
    expect([theirs.status, theirs.json.code]).toEqual([nobodys.status, nobodys.json.code]);
  });
});
