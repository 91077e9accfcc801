// Time travel logs nobody out (API.md): sessions and API tokens age on wall time, so advancing the
// sandbox clock by 90 days keeps the same session and token working, while lines expire as they should.
import { expect, it } from 'vitest';
import { forEachDatabase } from '../support/harness.ts';
import { creditMonth, customerWithLine } from '../support/lines-fixtures.ts';

const DAY_S = 86_400;

forEachDatabase('time travel', (get) => {
  it('a 90-day advance keeps the session and the API token, and the line lapses on the sandbox clock', async () => {
    const ctx = get();
    const admin = await ctx.adminToken();
    const api = await ctx.post('/api/v1/admin/api-tokens', { name: 'Partner', role: 'carrier', expiresInDays: 30 }, { token: admin });
    expect(api.status, api.text).toBe(201);
    const { customer, lineId } = await customerWithLine(ctx, { carrier: 'us-paygo', form: 'physical' });
    await creditMonth(ctx, lineId);
    for (let i = 0; i < 3; i++) await ctx.advance(30 * DAY_S);
    expect((await ctx.get('/api/v1/me', { token: customer.token })).status).toBe(200);
    expect((await ctx.get('/api/v1/me', { token: admin })).status).toBe(200);
    expect((await ctx.get('/api/v1/me', { token: api.json.token })).status).toBe(200);
    const line = await ctx.get(`/api/v1/lines/${lineId}`, { token: customer.token });
    expect(line.json.status).toBe('recycled');
    // Wall time still ends them: 31 days on, the session and the 30-day token are gone.
    ctx.advanceWall(31 * DAY_S);
    expect((await ctx.get('/api/v1/me', { token: customer.token })).status).toBe(401);
    expect((await ctx.get('/api/v1/me', { token: api.json.token })).status).toBe(401);
  });
});
