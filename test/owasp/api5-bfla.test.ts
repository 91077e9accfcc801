// OWASP API Security Top 10 (2023) — API5 Broken Function Level Authorization.
// Every staff route refuses a customer (403) and an anonymous caller (401); the admin-only ones
// (users, API tokens) refuse an operator too; a partner (carrier) API token reaches none of the
// subscriber routes. Refusals come before the body is read, and nothing is created.
import { expect, it } from 'vitest';
import { ADMIN, forEachDatabase, type TestContext } from '../support/harness.ts';

type Route = [method: string, path: string, body?: unknown];

const STAFF_ROUTES: Route[] = [
  ['GET', '/api/v1/admin/lines'], ['GET', '/api/v1/admin/lines/line_x'], ['POST', '/api/v1/admin/lines/line_x/suspend', { reason: 'x' }],
  ['POST', '/api/v1/admin/lines/line_x/resume', { reason: 'x' }], ['POST', '/api/v1/admin/lines/line_x/terminate', { reason: 'x' }],
  ['GET', '/api/v1/admin/orders'], ['POST', '/api/v1/admin/orders/ord_x/refund', { reason: 'x' }],
  ['GET', '/api/v1/admin/plans'], ['POST', '/api/v1/admin/plans', { code: 'x' }], ['PATCH', '/api/v1/admin/plans/plan_x', { active: false }],
  ['GET', '/api/v1/admin/promotions'], ['POST', '/api/v1/admin/promotions', { code: 'x' }], ['PATCH', '/api/v1/admin/promotions/promo_x', { active: false }],
  ['POST', '/api/v1/admin/vouchers', { count: 1, amount: { amount: 100000, currency: 'USD' } }],
  ['GET', '/api/v1/admin/audit'], ['GET', '/api/v1/admin/carriers'], ['GET', '/api/v1/admin/reconciliation'], ['POST', '/api/v1/admin/reconciliation'],
  ['GET', '/api/v1/admin/notifications/deliveries'], ['POST', '/api/v1/admin/sims/import', 'iccid,imsi,msisdn,pin,form,carrier\n'],
];
const ADMIN_ONLY_ROUTES: Route[] = [
  ['POST', '/api/v1/admin/users', { email: 'mallory@example.test', password: 'Mallory-pass-12345', role: 'admin' }],
  ['GET', '/api/v1/admin/api-tokens'], ['POST', '/api/v1/admin/api-tokens', { name: 'mallory', role: 'operator' }],
  ['DELETE', '/api/v1/admin/api-tokens/tok_x'],
];
const SUBSCRIBER_ROUTES: Route[] = [
  ['POST', '/api/v1/lines/bind', { iccid: '8901260000000000000', pin: '1234' }], ['GET', '/api/v1/lines'], ['GET', '/api/v1/lines/line_x'],
  ['POST', '/api/v1/quotes', { lineId: 'line_x' }], ['POST', '/api/v1/orders', { lineId: 'line_x', topupAmount: { amount: 500, currency: 'USD' }, paymentMethod: 'card' }],
  ['GET', '/api/v1/orders'], ['GET', '/api/v1/wallet'], ['GET', '/api/v1/payment-methods'], ['POST', '/api/v1/payment-methods', { paymentMethod: 'card' }],
  ['GET', '/api/v1/notifications'], ['PATCH', '/api/v1/me/notification-settings', { email: false }],
  ['GET', '/api/v1/payments/wechat/payer?returnTo=/lines'], ['POST', '/api/v1/payments/wechat/payer', { code: 'c', state: 's' }],
];

async function attempt(ctx: TestContext, token: string | undefined, [method, path, body]: Route) {
  const raw = typeof body === 'string' ? { raw: body, headers: { 'content-type': 'text/csv', 'idempotency-key': `bfla-${path}` } } : null;
  return ctx.call(method, path, raw ? { token, ...raw } : { token, ...(body === undefined ? {} : { body }), headers: { 'idempotency-key': `bfla-${method}-${path}` } });
}

async function staffCount(ctx: TestContext): Promise<number> {
  const { rows } = await ctx.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM users WHERE role <> 'customer'`);
  return rows[0]?.n ?? -1;
}

async function login(ctx: TestContext, email: string, password: string): Promise<string> {
  const r = await ctx.post('/api/v1/auth/login', { email, password });
  expect(r.status, r.text).toBe(200);
  return r.json.token;
}

forEachDatabase('OWASP API5: function-level authorization', (get) => {
  it('refuses staff routes to customers (403) and to anonymous callers (401)', async () => {
    const ctx = get();
    const customer = await ctx.customer();
    for (const route of [...STAFF_ROUTES, ...ADMIN_ONLY_ROUTES]) {
      const asCustomer = await attempt(ctx, customer.token, route);
      expect(asCustomer.status, `${route[0]} ${route[1]}: ${asCustomer.text}`).toBe(403);
      expect(asCustomer.json.code).toBe('forbidden');
      expect((await attempt(ctx, undefined, route)).status, `${route[0]} ${route[1]} anonymous`).toBe(401);
    }
  });

  it('refuses admin-only routes to an operator and creates no account or token', async () => {
    const ctx = get();
    const admin = await ctx.adminToken();
    const email = 'operator-api5@example.test';
    const password = 'Operator-pass-api5-long';
    expect((await ctx.post('/api/v1/admin/users', { email, password, role: 'operator' }, { token: admin })).status).toBe(201);
    const operator = await login(ctx, email, password);
    const before = await staffCount(ctx);
    for (const route of ADMIN_ONLY_ROUTES) {
      const r = await attempt(ctx, operator, route);
      expect(r.status, `${route[0]} ${route[1]}: ${r.text}`).toBe(403);
    }
    expect(await staffCount(ctx)).toBe(before);
    // The operator's own staff routes stay open to it.
    expect((await ctx.get('/api/v1/admin/orders', { token: operator })).status).toBe(200);
  });

  it('keeps a carrier API token to the partner interface: every subscriber route answers 403', async () => {
    const ctx = get();
    const created = await ctx.post('/api/v1/admin/api-tokens', { name: 'carrier feed', role: 'carrier' }, { token: await ctx.adminToken() });
    expect(created.status).toBe(201);
    for (const route of [...SUBSCRIBER_ROUTES, ...STAFF_ROUTES.filter(([m]) => m !== 'GET')]) {
      const r = await attempt(ctx, created.json.token, route);
      expect(r.status, `${route[0]} ${route[1]}: ${r.text}`).toBe(403);
    }
    // A role claimed in the request (header, query, body) grants nothing.
    const claimed = await ctx.call('GET', '/api/v1/admin/users?role=admin', { token: created.json.token, headers: { 'x-role': 'admin', 'x-user-role': ADMIN.email } });
    expect([403, 404]).toContain(claimed.status);
  });
});
