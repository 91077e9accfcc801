import { expect, it } from 'vitest';
import { forEachDatabase } from '../support/harness.ts';
import { customerWithLine } from '../support/lines-fixtures.ts';

interface Route {
  method: 'GET' | 'POST' | 'PATCH';
  path: (lineId: string) => string;
  body?: unknown;
  csv?: string;
}

const CUSTOMER_LINE_ROUTES: Route[] = [
  { method: 'GET', path: (id) => `/api/v1/lines/${id}` },
  { method: 'PATCH', path: (id) => `/api/v1/lines/${id}`, body: { nickname: 'mine now' } },
  { method: 'GET', path: (id) => `/api/v1/lines/${id}/esim` },
];

const CUSTOMER_ROUTES: Route[] = [
  ...CUSTOMER_LINE_ROUTES,
  { method: 'GET', path: () => '/api/v1/lines' },
  { method: 'POST', path: () => '/api/v1/lines/bind', body: { iccid: '89012609900000000021', pin: '1234' } },
];

const ADMIN_ROUTES: Route[] = [
  { method: 'POST', path: () => '/api/v1/admin/sims/import', csv: 'iccid,imsi,msisdn,pin,form,carrier\n' },
  { method: 'GET', path: () => '/api/v1/admin/carriers' },
  { method: 'GET', path: () => '/api/v1/admin/lines' },
  { method: 'GET', path: (id) => `/api/v1/admin/lines/${id}` },
  { method: 'POST', path: (id) => `/api/v1/admin/lines/${id}/suspend` },
  { method: 'POST', path: (id) => `/api/v1/admin/lines/${id}/resume` },
  { method: 'POST', path: (id) => `/api/v1/admin/lines/${id}/terminate` },
];

const describeRoute = (r: Route): string => `${r.method} ${r.path(':id')}`;

forEachDatabase('who may reach a line', (get) => {
  const call = (route: Route, lineId: string, token?: string) =>
    get().call(route.method, route.path(lineId), route.csv !== undefined
      ? { token, raw: route.csv, headers: { 'content-type': 'text/csv' } }
      : { token, body: route.body });

  it.each([...CUSTOMER_ROUTES, ...ADMIN_ROUTES].map((r) => [describeRoute(r), r] as const))('%s answers 401 without a token', async (_name, route) => {
    const { lineId } = await customerWithLine(get());
    const r = await call(route, lineId);
    expect(r.status).toBe(401);
    expect(r.json.code).toBe('unauthenticated');
  });

  it.each(CUSTOMER_LINE_ROUTES.map((r) => [describeRoute(r), r] as const))("%s answers 404 line_not_found for another customer's line", async (_name, route) => {
    const ctx = get();
    const { lineId, customer } = await customerWithLine(ctx, { form: 'esim' });
    const intruder = await ctx.customer();
    const r = await call(route, lineId, intruder.token);
    expect(r.status).toBe(404);
    expect(r.json.code).toBe('line_not_found');
    const missing = await call(route, 'line_doesnotexist', intruder.token);
    expect(missing.text).toBe(r.text);
    const owner = await ctx.get(`/api/v1/lines/${lineId}`, { token: customer.token });
    expect(owner.json.nickname).toBeNull();
  });

  it.each(ADMIN_ROUTES.map((r) => [describeRoute(r), r] as const))('%s answers 403 to a customer', async (_name, route) => {
    const ctx = get();
    const { lineId, customer } = await customerWithLine(ctx);
    const r = await call(route, lineId, customer.token);
    expect(r.status).toBe(403);
    const line = await ctx.get(`/api/v1/lines/${lineId}`, { token: customer.token });
    expect(line.json.status).toBe('bound');
  });
});
