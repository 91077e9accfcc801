// Roles on subscriber routes (API.md "Partner (carrier) interface"): a `carrier` API token is a
// partner system's credential and reaches only the partner interface — every subscriber route
// answers it 403 `forbidden`, before its body is read.
import { expect, it } from 'vitest';
import { forEachDatabase } from '../support/harness.ts';

const SUBSCRIBER_ROUTES: ReadonlyArray<[string, string, unknown?]> = [
  ['POST', '/api/v1/lines/bind', { iccid: '8901260000000000000', pin: '1234' }],
  ['GET', '/api/v1/lines'],
  ['GET', '/api/v1/lines/line_x'],
  ['PATCH', '/api/v1/lines/line_x', { nickname: 'x' }],
  ['GET', '/api/v1/lines/line_x/esim'],
  ['GET', '/api/v1/plans'],
  ['POST', '/api/v1/quotes', { lineId: 'line_x', planId: 'plan_x' }],
  ['POST', '/api/v1/orders', { lineId: 'line_x', planId: 'plan_x', paymentMethod: 'wallet' }],
  ['GET', '/api/v1/orders'],
  ['GET', '/api/v1/orders/ord_x'],
  ['POST', '/api/v1/orders/ord_x/cancel'],
  ['GET', '/api/v1/orders/ord_x/receipt'],
  ['GET', '/api/v1/wallet'],
  ['PATCH', '/api/v1/me', { name: 'x' }],
];

forEachDatabase('a carrier token on subscriber routes', (get) => {
  it('answers 403 forbidden on every subscriber route', async () => {
    const ctx = get();
    const admin = await ctx.adminToken();
    const created = await ctx.post('/api/v1/admin/api-tokens', { name: 'Carrier feed', role: 'carrier' }, { token: admin });
    expect(created.status).toBe(201);
    const carrier: string = created.json.token;
    for (const [method, path, body] of SUBSCRIBER_ROUTES) {
      const r = await ctx.call(method, path, { token: carrier, ...(body === undefined ? {} : { body }), headers: { 'idempotency-key': `k-${path}` } });
      expect(r.status, `${method} ${path}: ${r.text}`).toBe(403);
      expect(r.json.code, `${method} ${path}`).toBe('forbidden');
    }
    // Who am I stays open to it; a subscriber's own routes stay open to subscribers.
    expect((await ctx.get('/api/v1/me', { token: carrier })).json.role).toBe('carrier');
    const c = await ctx.customer();
    expect((await ctx.get('/api/v1/lines', { token: c.token })).status).toBe(200);
    expect((await ctx.get('/api/v1/wallet', { token: c.token })).status).toBe(200);
  });
});
