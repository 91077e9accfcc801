// What the OpenAPI fuzzer found, pinned: each case answered a status its operation did not declare.
// - A body-reading route sent a body without (or with an unknown) content type answered 415, and
//   one over the limit 413, on routes that declared neither: every route that reads a body now does.
// - A public route (health, login, a provider's webhook) answered 401 to a stale or malformed
//   Authorization header it never asked for: public routes now ignore credentials.
// - A route without a query (or body) schema answered 400 invalid_text, undeclared, to a NUL in a
//   query parameter it never reads: only declared input is judged.
import { expect, it } from 'vitest';
import { forEachDatabase } from '../support/harness.ts';

forEachDatabase('fuzz findings', (get) => {
  it.each([
    ['POST', '/api/v1/quotes'], ['POST', '/api/v1/admin/plans'], ['PATCH', '/api/v1/me/notification-settings'], ['POST', '/api/v1/payment-methods'],
  ])('%s %s declares the 415 it answers to a body of no known content type', async (method, path) => {
    const ctx = get();
    const token = await ctx.adminToken();
    // The harness fails the call if the status is not declared by the operation.
    const r = await ctx.call(method, path, { token, raw: '{', headers: { 'content-type': 'application/x-unknown' } });
    expect(r.status).toBe(415);
    expect(r.json.code).toBe('unsupported_media_type');
  });

  it('declares the 413 a body-reading route answers to a body over the limit', async () => {
    const ctx = get();
    const r = await ctx.call('POST', '/api/v1/quotes', { token: await ctx.adminToken(), raw: JSON.stringify({ lineId: 'x'.repeat(1_100_000) }), headers: { 'content-type': 'application/json' } });
    expect(r.status).toBe(413);
  });

  it.each(['Bearer ', 'Bearer sk_sess_stale', 'Basic YTpi'])('answers public routes as usual with Authorization: %s', async (authorization) => {
    const ctx = get();
    expect((await ctx.call('GET', '/healthz', { headers: { authorization } })).status).toBe(200);
    expect((await ctx.call('GET', '/api/v1/openapi.json', { headers: { authorization } })).status).toBe(200);
    const c = await ctx.customer();
    const login = await ctx.call('POST', '/api/v1/auth/login', { body: { email: c.email, password: c.password }, headers: { authorization } });
    expect(login.status).toBe(200);
    // A protected route still refuses the same header.
    expect((await ctx.call('GET', '/api/v1/me', { headers: { authorization } })).status).toBe(401);
  });

  it('judges only the input a route declares: a NUL in an unread query parameter is ignored, in a read one refused', async () => {
    const ctx = get();
    const c = await ctx.customer();
    expect((await ctx.get('/healthz?cursor=%00')).status).toBe(200);
    expect((await ctx.get('/api/v1/me?x=%00', { token: c.token })).status).toBe(200);
    const read = await ctx.get('/api/v1/orders?cursor=%00', { token: c.token });
    expect([read.status, read.json.code]).toEqual([400, 'invalid_text']);
  });

  it('refuses a text/csv usage feed whose first line is not a CSV header (fuzz: 500)', async () => {
    const ctx = get();
    const r = await ctx.call('POST', '/api/v1/usage', { token: await ctx.adminToken(), raw: '{"":false}', headers: { 'content-type': 'text/csv' } });
    expect(r.status).toBe(422);
  });
});
