// The error half of the HTTP contract (API.md "Conventions"), route by route: every protected route
// answers 401 to a stranger whatever the body, every POST/PATCH route answers a malformed or
// mistyped body with 400 problem+json and a stable code, and text the database cannot store, an
// undecodable URL, an over-long id or a forged page cursor is a 4xx — never a 500.
import { describe, expect, it } from 'vitest';
import { forEachDatabase, type Response, type TestContext } from '../support/harness.ts';
import { bindLine, createPlan, createPromotion } from '../support/catalog-fixtures.ts';

const PROBLEM_JSON = /^application\/problem\+json/;

function expectProblem(r: Response, status: number, code?: string | RegExp): void {
  expect(r.status, r.text).toBe(status);
  expect(r.headers['content-type']).toMatch(PROBLEM_JSON);
  expect(r.json.status).toBe(status);
  expect(r.json.code).toMatch(/^[a-z][a-z0-9_]*$/);
  if (code !== undefined) expect(r.json.code).toMatch(typeof code === 'string' ? new RegExp(`^${code}$`) : code);
}

type Who = 'customer' | 'staff' | 'admin';

/** Every protected API.md route in scope, with a body that is valid in shape (ids are placeholders). */
const PROTECTED: ReadonlyArray<{ method: string; url: string; who: Who; body?: unknown; csv?: boolean }> = [
  { method: 'POST', url: '/api/v1/auth/logout', who: 'customer' },
  { method: 'GET', url: '/api/v1/me', who: 'customer' },
  { method: 'PATCH', url: '/api/v1/me', who: 'customer', body: { name: 'x' } },
  { method: 'POST', url: '/api/v1/lines/bind', who: 'customer', body: { iccid: '89012609900000000021', pin: '1234' } },
  { method: 'GET', url: '/api/v1/lines', who: 'customer' },
  { method: 'GET', url: '/api/v1/lines/line_x', who: 'customer' },
  { method: 'PATCH', url: '/api/v1/lines/line_x', who: 'customer', body: { nickname: 'x' } },
  { method: 'GET', url: '/api/v1/lines/line_x/esim', who: 'customer' },
  { method: 'GET', url: '/api/v1/plans', who: 'customer' },
  { method: 'POST', url: '/api/v1/quotes', who: 'customer', body: { lineId: 'line_x', planId: 'plan_x' } },
  { method: 'POST', url: '/api/v1/orders', who: 'customer', body: { lineId: 'line_x', planId: 'plan_x', paymentMethod: 'card' } },
  { method: 'GET', url: '/api/v1/orders', who: 'customer' },
  { method: 'GET', url: '/api/v1/orders/ord_x', who: 'customer' },
  { method: 'POST', url: '/api/v1/orders/ord_x/cancel', who: 'customer' },
  { method: 'GET', url: '/api/v1/orders/ord_x/receipt', who: 'customer' },
  { method: 'GET', url: '/api/v1/wallet', who: 'customer' },
  { method: 'POST', url: '/api/v1/admin/sims/import', who: 'staff', csv: true },
  { method: 'GET', url: '/api/v1/admin/carriers', who: 'staff' },
  { method: 'GET', url: '/api/v1/admin/plans', who: 'staff' },
  { method: 'POST', url: '/api/v1/admin/plans', who: 'staff', body: { code: 'x' } },
  { method: 'PATCH', url: '/api/v1/admin/plans/plan_x', who: 'staff', body: { active: false } },
  { method: 'GET', url: '/api/v1/admin/promotions', who: 'staff' },
  { method: 'POST', url: '/api/v1/admin/promotions', who: 'staff', body: { title: { en: 'x' }, kind: 'percent_off', value: 1 } },
  { method: 'PATCH', url: '/api/v1/admin/promotions/promo_x', who: 'staff', body: { active: false } },
  { method: 'GET', url: '/api/v1/admin/orders', who: 'staff' },
  { method: 'POST', url: '/api/v1/admin/orders/ord_x/refund', who: 'staff', body: { reason: 'x' } },
  { method: 'GET', url: '/api/v1/admin/lines', who: 'staff' },
  { method: 'GET', url: '/api/v1/admin/lines/line_x', who: 'staff' },
  { method: 'POST', url: '/api/v1/admin/lines/line_x/suspend', who: 'staff', body: { reason: 'x' } },
  { method: 'POST', url: '/api/v1/admin/lines/line_x/resume', who: 'staff' },
  { method: 'POST', url: '/api/v1/admin/lines/line_x/terminate', who: 'staff' },
  { method: 'POST', url: '/api/v1/admin/vouchers', who: 'staff', body: { count: 1, amount: { amount: 100, currency: 'USD' } } },
  { method: 'GET', url: '/api/v1/admin/audit', who: 'staff' },
  { method: 'POST', url: '/api/v1/admin/users', who: 'admin', body: { email: 'x@example.test', password: 'abcdefghijk-9', role: 'operator' } },
  { method: 'POST', url: '/api/v1/admin/api-tokens', who: 'admin', body: { name: 'x', role: 'carrier' } },
];

/** Bodies no JSON route accepts: a 400 with `malformed_json` (not JSON) or `invalid_request` (wrong shape). */
const BAD_BODIES: ReadonlyArray<{ label: string; contentType: string; raw?: string; code: string }> = [
  { label: 'truncated JSON', contentType: 'application/json', raw: '{"a":', code: 'malformed_json' },
  { label: 'an empty JSON body', contentType: 'application/json', raw: '', code: 'malformed_json' },
  { label: 'prototype pollution', contentType: 'application/json', raw: '{"__proto__":{"x":1}}', code: 'malformed_json' },
  { label: 'a JSON array', contentType: 'application/json', raw: '[]', code: 'invalid_request' },
  { label: 'a JSON number', contentType: 'application/json', raw: '42', code: 'invalid_request' },
  { label: 'a JSON string', contentType: 'application/json', raw: '"x"', code: 'invalid_request' },
  { label: 'JSON sent as text/plain', contentType: 'text/plain', raw: '{"a":1}', code: 'invalid_request' },
  { label: 'CSV', contentType: 'text/csv', raw: 'a,b\n1,2\n', code: 'invalid_request' },
  { label: 'a form', contentType: 'application/x-www-form-urlencoded', raw: 'a=b', code: 'invalid_request' },
];

/** JSON routes that need a body, as a customer or an operator would call them. */
function bodyRoutes(ids: Ids): ReadonlyArray<{ method: string; url: string; who: Who | null }> {
  return [
    { method: 'POST', url: '/api/v1/auth/register', who: null },
    { method: 'POST', url: '/api/v1/auth/login', who: null },
    { method: 'PATCH', url: '/api/v1/me', who: 'customer' },
    { method: 'POST', url: '/api/v1/lines/bind', who: 'customer' },
    { method: 'PATCH', url: `/api/v1/lines/${ids.lineId}`, who: 'customer' },
    { method: 'POST', url: '/api/v1/quotes', who: 'customer' },
    { method: 'POST', url: '/api/v1/orders', who: 'customer' },
    { method: 'POST', url: '/api/v1/admin/plans', who: 'staff' },
    { method: 'PATCH', url: `/api/v1/admin/plans/${ids.planId}`, who: 'staff' },
    { method: 'POST', url: '/api/v1/admin/promotions', who: 'staff' },
    { method: 'PATCH', url: `/api/v1/admin/promotions/${ids.promotionId}`, who: 'staff' },
    { method: 'POST', url: `/api/v1/admin/orders/ord_x/refund`, who: 'staff' },
    { method: 'POST', url: '/api/v1/admin/vouchers', who: 'staff' },
    { method: 'POST', url: '/api/v1/admin/users', who: 'admin' },
    { method: 'POST', url: '/api/v1/admin/api-tokens', who: 'admin' },
    { method: 'POST', url: '/api/v1/sandbox/clock', who: null },
    { method: 'POST', url: '/api/v1/sandbox/payments/pay_x/complete', who: null },
  ];
}

interface Ids {
  lineId: string;
  planId: string;
  promotionId: string;
}

forEachDatabase('the error contract', (get) => {
  let customerToken = '';
  let staffToken = '';
  let ids: Ids = { lineId: '', planId: '', promotionId: '' };

  const tokenFor = async (ctx: TestContext, who: Who | null): Promise<string | undefined> => {
    if (who === null) return undefined;
    if (!customerToken) {
      customerToken = (await ctx.customer()).token;
      staffToken = await ctx.adminToken();
      const line = await bindLine(ctx, customerToken);
      const plan = await createPlan(ctx);
      const promotion = await createPromotion(ctx, { kind: 'percent_off', value: 1, couponCode: `CONTRACT${Date.now()}` });
      ids = { lineId: line.id, planId: plan.id, promotionId: promotion.id };
    }
    return who === 'customer' ? customerToken : staffToken;
  };

  describe('unauthenticated requests', () => {
    it.each(PROTECTED)('$method $url answers 401 problem+json with or without a body', async (route) => {
      const ctx = get();
      const bodies = route.csv
        ? [{ raw: 'iccid\n', headers: { 'content-type': 'text/csv' } }, {}]
        : [route.body === undefined ? {} : { body: route.body }, { raw: '{"broken":', headers: { 'content-type': 'application/json' } }, {}];
      for (const options of bodies) expectProblem(await ctx.call(route.method, route.url, options), 401, 'unauthenticated');
    });

    it('a customer calling an operator route gets 403 forbidden, whatever the body', async () => {
      const ctx = get();
      const token = await tokenFor(ctx, 'customer');
      expectProblem(await ctx.call('POST', '/api/v1/admin/sims/import', { token, raw: 'x', headers: { 'content-type': 'text/csv' } }), 403, 'forbidden');
      expectProblem(await ctx.post('/api/v1/admin/plans', { nonsense: true }, { token }), 403, 'forbidden');
    });
  });

  describe('malformed and mistyped bodies', () => {
    it('every JSON route answers each bad body with 400 and a stable code', async () => {
      const ctx = get();
      await tokenFor(ctx, 'customer');
      for (const route of bodyRoutes(ids)) {
        const token = await tokenFor(ctx, route.who);
        for (const bad of BAD_BODIES) {
          const r = await ctx.call(route.method, route.url, { token, raw: bad.raw, headers: { 'content-type': bad.contentType } });
          expect([route.method, route.url, bad.label, r.status, r.json?.code]).toEqual([route.method, route.url, bad.label, 400, bad.code]);
          expect(r.headers['content-type']).toMatch(PROBLEM_JSON);
        }
        const missing = await ctx.call(route.method, route.url, { token });
        expect([route.url, 'no body', missing.status, missing.json?.code]).toEqual([route.url, 'no body', 400, 'invalid_request']);
      }
    });

    it('refuses money that is not an integer count of minor units', async () => {
      const ctx = get();
      const token = await tokenFor(ctx, 'customer');
      for (const amount of ['100', null]) {
        const r = await ctx.post('/api/v1/orders', { lineId: ids.lineId, topupAmount: { amount, currency: 'USD' }, paymentMethod: 'card' }, { token });
        expectProblem(r, 400, 'invalid_request');
        expect(r.json.errors[0].path).toBe('topupAmount.amount');
      }
      // A number that is no amount of minor units: the catalog's 422 invalid_amount, as on POST /quotes.
      for (const amount of [0.5, 1e20]) {
        const r = await ctx.post('/api/v1/orders', { lineId: ids.lineId, topupAmount: { amount, currency: 'USD' }, paymentMethod: 'card' }, { token });
        expectProblem(r, 422, 'invalid_amount');
        expect(r.json.errors[0].path).toBe('topupAmount.amount');
      }
      const staff = await tokenFor(ctx, 'staff');
      expectProblem(await ctx.post('/api/v1/admin/vouchers', { count: 1, amount: { amount: 0.5, currency: 'USD' } }, { token: staff }), 400, 'invalid_request');
    });
  });

  describe('text the database cannot store', () => {
    // Each of these answered 500 (PostgreSQL 22021 / 22P05) before the request guard existed.
    it.each([
      ['NUL', 'a\u0000b'],
      ['an unpaired surrogate', 'a\ud800b'],
    ])('refuses %s in bodies, path ids and query strings with 400 invalid_text', async (_label, text) => {
      const ctx = get();
      const customer = await tokenFor(ctx, 'customer');
      const staff = await tokenFor(ctx, 'staff');
      const admin = await tokenFor(ctx, 'admin');
      const cases: Array<[string, string, string | undefined, unknown]> = [
        ['POST', '/api/v1/auth/login', undefined, { email: text, password: 'whatever-long' }],
        ['PATCH', `/api/v1/lines/${ids.lineId}`, customer, { nickname: text }],
        ['POST', '/api/v1/admin/api-tokens', admin, { name: text, role: 'carrier' }],
        ['POST', `/api/v1/admin/lines/${ids.lineId}/suspend`, staff, { reason: text }],
        ['POST', '/api/v1/admin/plans', staff, { code: 'x', name: { en: text } }],
        ['POST', '/api/v1/admin/promotions', staff, { title: { en: text }, kind: 'percent_off', value: 1 }],
        ['POST', '/api/v1/admin/promotions', staff, { title: { [text]: 'x' }, kind: 'percent_off', value: 1 }],
        ['POST', '/api/v1/admin/orders/ord_x/refund', staff, { reason: text }],
      ];
      for (const [method, url, token, body] of cases) {
        const r = await ctx.call(method, url, { token, body });
        expect([method, url, r.status, r.json?.code]).toEqual([method, url, 400, 'invalid_text']);
        expect(r.headers['content-type']).toMatch(PROBLEM_JSON);
      }
      if (text.includes('\u0000')) {
        const encoded = 'a%00b';
        for (const [url, token] of [
          [`/api/v1/lines/${encoded}`, customer], [`/api/v1/orders/${encoded}`, customer], [`/api/v1/orders?lineId=${encoded}`, customer],
          [`/api/v1/plans?lineId=${encoded}`, customer], [`/api/v1/admin/lines/${encoded}`, staff], [`/api/v1/admin/audit?actor=${encoded}`, staff],
        ] as const) {
          expectProblem(await ctx.get(url, { token }), 400, 'invalid_text');
        }
        expectProblem(await ctx.post(`/api/v1/sandbox/payments/${encoded}/complete`, { outcome: 'succeeded' }), 400, 'invalid_text');
      }
    });
  });

  describe('URLs and query strings', () => {
    it('answers an undecodable URL and an over-long id with problem+json', async () => {
      const ctx = get();
      const token = await tokenFor(ctx, 'customer');
      expectProblem(await ctx.get('/api/v1/lines/%ZZ', { token }), 400, 'invalid_url');
      expectProblem(await ctx.get(`/api/v1/orders/${'a'.repeat(300)}`, { token }), 414, 'path_parameter_too_long');
    });

    it('refuses a page cursor it did not hand out and limits outside 1..500', async () => {
      const ctx = get();
      const customer = await tokenFor(ctx, 'customer');
      const staff = await tokenFor(ctx, 'staff');
      for (const [url, token] of [
        ['/api/v1/lines', customer], ['/api/v1/orders', customer], ['/api/v1/admin/orders', staff], ['/api/v1/admin/lines', staff],
        ['/api/v1/admin/plans', staff], ['/api/v1/admin/promotions', staff], ['/api/v1/admin/audit', staff], ['/api/v1/admin/reconciliation', staff],
      ] as const) {
        for (const query of ['cursor=garbage', 'limit=0', 'limit=501', 'limit=abc', 'limit=1.5']) {
          const r = await ctx.get(`${url}?${query}`, { token });
          expect([url, query, r.status, r.json?.code]).toEqual([url, query, 400, 'invalid_request']);
        }
      }
    });
  });
});

forEachDatabase('lists', (get) => {
  it('pages a subscriber\'s lines with limit and cursor: {items, nextCursor}', async () => {
    const ctx = get();
    const { token } = await ctx.customer();
    const bound = [await bindLine(ctx, token), await bindLine(ctx, token), await bindLine(ctx, token)].map((l) => l.id).sort();
    const first = await ctx.get('/api/v1/lines?limit=2', { token });
    expect(first.status, first.text).toBe(200);
    expect(first.json.items.map((l: { id: string }) => l.id)).toEqual(bound.slice(0, 2));
    expect(first.json.nextCursor).toBe(bound[1]);
    const second = await ctx.get(`/api/v1/lines?limit=2&cursor=${first.json.nextCursor}`, { token });
    expect(second.json).toMatchObject({ items: [{ id: bound[2] }], nextCursor: null });
    const all = await ctx.get('/api/v1/lines', { token });
    expect(all.json.items).toHaveLength(3);
    expect(all.json.nextCursor).toBeNull();
  });

  it('documents a request body for every POST and PATCH route that takes one (CSV for the SIM import)', async () => {
    const ctx = get();
    const doc = (await ctx.get('/api/v1/openapi.json')).json;
    const bodiless = new Set(['POST /api/v1/auth/logout', 'POST /api/v1/orders/{id}/cancel', 'POST /api/v1/admin/reconciliation', 'POST /api/v1/notifications/{id}/read',
      'POST /api/v1/tickets/{id}/close', 'POST /api/v1/admin/tickets/{id}/close', 'POST /api/v1/me/calendar-feed/rotate']);
    const routes = ctx.app.http.registeredRoutes.filter((r) => !r.hidden && (r.method === 'POST' || r.method === 'PATCH'));
    for (const route of routes) {
      const path = route.url.replace(/:(\w+)/g, '{$1}');
      if (bodiless.has(`${route.method} ${path}`)) continue;
      // Usage reads its body as a stream (JSON or a CSV feed of any length): its description names both.
      if (`${route.method} ${path}` === 'POST /api/v1/usage') continue;
      expect([route.method, path, Boolean(doc.paths[path]?.[route.method.toLowerCase()]?.requestBody)]).toEqual([route.method, path, true]);
    }
    expect(Object.keys(doc.paths['/api/v1/admin/sims/import'].post.requestBody.content)).toEqual(['text/csv']);
  });

  it('answers the catalog and the carrier list in the list shape', async () => {
    const ctx = get();
    const { token } = await ctx.customer();
    const plans = await ctx.get('/api/v1/plans?region=US', { token });
    expect(plans.json.items.length).toBeGreaterThan(0);
    expect(plans.json.nextCursor).toBeNull();
    const carriers = await ctx.get('/api/v1/admin/carriers', { token: await ctx.adminToken() });
    expect(carriers.json.items.length).toBeGreaterThan(0);
    expect(carriers.json.nextCursor).toBeNull();
  });
});
