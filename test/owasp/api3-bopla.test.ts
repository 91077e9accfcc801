// OWASP API Security Top 10 (2023) — API3 Broken Object Property Level Authorization.
// Mass assignment: a client sends the properties it must not set (role, status, amounts, owner,
// numbers) next to the ones it may. They are ignored or refused — never applied — and no answer
// exposes a property the caller must not read (password or token hashes, secrets).
import { expect, it } from 'vitest';
import { forEachDatabase, randomClientAddress } from '../support/harness.ts';
import { buyer, plainPlan } from '../support/orders-fixtures.ts';

const PRIVILEGED = { role: 'admin', status: 'active', userId: 'usr_someone_else', id: 'usr_mine_now', emailVerified: true, isAdmin: true };

forEachDatabase('OWASP API3: object property level authorization', (get) => {
  it('registers a customer whatever role the body claims', async () => {
    const ctx = get();
    const r = await ctx.call('POST', '/api/v1/auth/register', {
      body: { email: 'mass-assign@example.test', password: 'Correct-Horse-Battery-9', ...PRIVILEGED }, remoteAddress: randomClientAddress(),
    });
    expect([201, 400], r.text).toContain(r.status);
    if (r.status === 201) {
      expect(r.json.user.role).toBe('customer');
      expect((await ctx.get('/api/v1/me', { token: r.json.token })).json.role).toBe('customer');
    }
    const { rows } = await ctx.db.query<{ role: string }>(`SELECT role FROM users WHERE lower(email) = 'mass-assign@example.test'`);
    expect(rows.map((u) => u.role).filter((role) => role !== 'customer')).toEqual([]);
  });

  it('changes only name and locale through PATCH /me', async () => {
    const ctx = get();
    const c = await ctx.customer();
    const r = await ctx.patch('/api/v1/me', { name: 'Still Me', email: 'admin@simkeep.test', ...PRIVILEGED }, { token: c.token });
    expect([200, 400], r.text).toContain(r.status);
    const me = await ctx.get('/api/v1/me', { token: c.token });
    expect(me.json).toMatchObject({ id: c.user.id, email: c.email, role: 'customer' });
  });

  it('prices an order from the catalog and starts it unpaid, whatever amount or status the body carries', async () => {
    const ctx = get();
    const b = await buyer(ctx);
    const plan = await plainPlan(ctx, 900);
    const r = await ctx.post('/api/v1/orders', {
      lineId: b.lineId, planId: plan.id, paymentMethod: 'card', amount: { amount: 1, currency: 'USD' }, total: { amount: 1, currency: 'USD' },
      status: 'completed', paidAt: new Date().toISOString(), discount: { amount: 899, currency: 'USD' }, userId: 'usr_someone_else',
    }, { token: b.token, headers: { 'idempotency-key': 'api3-order' } });
    expect([201, 400], r.text).toContain(r.status);
    const { rows } = await ctx.db.query<{ status: string; total_minor: number; user_id: string }>(
      'SELECT status, total_minor::int AS total_minor, user_id FROM orders WHERE line_id = $1', [b.lineId]);
    for (const o of rows) expect(o).toMatchObject({ status: 'awaiting_payment', total_minor: 900, user_id: b.userId });
  });

  it('renames a line but moves no status, number or owner', async () => {
    const ctx = get();
    const b = await buyer(ctx);
    const before = await ctx.get(`/api/v1/lines/${b.lineId}`, { token: b.token });
    const r = await ctx.patch(`/api/v1/lines/${b.lineId}`, {
      nickname: 'work phone', msisdn: '+15550000000', iccid: '8901260000000000000', expiresAt: '2099-01-01T00:00:00Z', ...PRIVILEGED,
    }, { token: b.token });
    expect([200, 400], r.text).toContain(r.status);
    const after = await ctx.get(`/api/v1/lines/${b.lineId}`, { token: b.token });
    const { nickname: _before, ...kept } = before.json;
    const { nickname: _after, ...now } = after.json;
    expect(now).toEqual(kept);
  });

  it('never answers with password or token hashes, whoever asks', async () => {
    const ctx = get();
    const c = await ctx.customer();
    const admin = await ctx.adminToken();
    const answers = [
      await ctx.get('/api/v1/me', { token: c.token }),
      await ctx.post('/api/v1/auth/login', { email: c.email, password: c.password }),
      await ctx.get('/api/v1/admin/api-tokens', { token: admin }),
      await ctx.get('/api/v1/admin/audit', { token: admin }),
    ];
    for (const a of answers) {
      expect(a.status, a.text).toBe(200);
      expect(a.text).not.toMatch(/password_?hash|token_?hash|\$argon2/i);
      expect(a.text).not.toContain(c.password);
    }
  });
});
