// OWASP API Security Top 10 (2023) — API4 Unrestricted Resource Consumption.
// Every costly thing a client can ask for has a bound: body size (1 MiB, before authentication),
// page size (?limit ≤ 500), login attempts per address, PIN guesses per card and per account
// (across cards), registrations per address, path parameter length. Over the bound: a problem+json
// refusal, with Retry-After where waiting helps, and nothing done. (Registrations are limited by
// default outside sandbox mode; this suite sets the production default, 20 an hour.)
import { expect, it } from 'vitest';
import { forEachDatabase, randomClientAddress } from '../support/harness.ts';
import { bind, nextCard, stock } from '../support/lines-fixtures.ts';

forEachDatabase('OWASP API4: unrestricted resource consumption', (get) => {
  it('refuses a body over 1 MiB with 413, on an anonymous route and an authenticated one', async () => {
    const ctx = get();
    const huge = JSON.stringify({ email: 'x@example.test', password: 'p'.repeat(1_100_000) });
    const anonymous = await ctx.call('POST', '/api/v1/auth/login', { raw: huge, headers: { 'content-type': 'application/json' } });
    expect(anonymous.status).toBe(413);
    expect(anonymous.headers['content-type']).toContain('application/problem+json');
    const c = await ctx.customer();
    const signedIn = await ctx.call('PATCH', '/api/v1/me', { token: c.token, raw: JSON.stringify({ name: 'n'.repeat(1_100_000) }), headers: { 'content-type': 'application/json' } });
    expect(signedIn.status).toBe(413);
  });

  it('bounds page sizes: ?limit over 500, zero, negative or absurd is 400', async () => {
    const ctx = get();
    const c = await ctx.customer();
    const admin = await ctx.adminToken();
    for (const limit of ['501', '0', '-1', '1e9', '99999999999999999999', 'all']) {
      expect((await ctx.get(`/api/v1/orders?limit=${limit}`, { token: c.token })).status, `orders limit=${limit}`).toBe(400);
      expect((await ctx.get(`/api/v1/admin/audit?limit=${limit}`, { token: admin })).status, `audit limit=${limit}`).toBe(400);
    }
    expect((await ctx.get('/api/v1/admin/audit?limit=500', { token: admin })).status).toBe(200);
  });

  it('refuses an over-long path parameter with 414 before any lookup', async () => {
    const ctx = get();
    const c = await ctx.customer();
    const r = await ctx.get(`/api/v1/orders/${'o'.repeat(10_000)}`, { token: c.token });
    expect(r.status).toBe(414);
  });

  it('limits failed logins per address across accounts (30, then 429 with Retry-After)', async () => {
    const ctx = get();
    const ip = randomClientAddress();
    const statuses: number[] = [];
    for (let i = 0; i < 31; i++) {
      statuses.push((await ctx.call('POST', '/api/v1/auth/login', { body: { email: `spray-api4-${i}@example.test`, password: 'Wrong-password-1' }, remoteAddress: ip })).status);
    }
    expect(statuses.slice(0, 30).every((s) => s === 401)).toBe(true);
    expect(statuses[30]).toBe(429);
    ctx.advanceWall(3_600);
  });

  it('limits PIN guesses per account across many cards, not only per card', async () => {
    const ctx = get();
    const cards = Array.from({ length: 5 }, () => nextCard());
    await stock(ctx, ...cards);
    const guesser = await ctx.customer();
    const statuses: number[] = [];
    // Four wrong PINs per card stays under each card's own lock (5), but not under the account's budget.
    for (const card of cards) for (let i = 0; i < 4; i++) statuses.push((await bind(ctx, guesser.token, { iccid: card.iccid, pin: String(1000 + i) })).status);
    expect(statuses.filter((s) => s === 429).length, statuses.join(',')).toBeGreaterThan(0);
    expect(statuses.indexOf(429)).toBeLessThanOrEqual(10);
    // Another subscriber still binds a card the guesser tried: the guesses locked nobody else's purchase.
    const owner = await ctx.customer();
    const untouched = cards[cards.length - 1];
    if (!untouched) throw new Error('no card');
    const bound = await bind(ctx, owner.token, untouched);
    expect(bound.status, bound.text).toBe(201);
    ctx.advanceWall(3_600);
  });

  it('limits registrations per address (429 with Retry-After)', async () => {
    const ctx = get();
    const ip = randomClientAddress();
    let refused = null as null | { status: number; headers: Record<string, unknown> };
    for (let i = 0; i < 25 && !refused; i++) {
      const r = await ctx.call('POST', '/api/v1/auth/register', { body: { email: `reg-api4-${i}@example.test`, password: 'Correct-Horse-Battery-9' }, remoteAddress: ip });
      if (r.status === 429) refused = r;
      else expect(r.status).toBe(201);
    }
    expect(refused?.status).toBe(429);
    expect(Number(refused?.headers['retry-after'])).toBeGreaterThan(0);
  });
}, { SIMKEEP_REGISTER_LIMIT_PER_HOUR: '20' });
