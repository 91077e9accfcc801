// OWASP API Security Top 10 (2023) — API2 Broken Authentication.
// Attacks on the login and on tokens: other Unicode spellings of one email (U+0130) share its one
// failure budget; strangers guessing from many addresses cannot lock the owner out, yet are held to
// a crawl; forged, truncated and revoked tokens authenticate nothing; a cookie session needs its
// CSRF header for unsafe requests; sessions end on logout and after 30 days.
import { expect, it } from 'vitest';
import { forEachDatabase, randomClientAddress, type Response, type TestContext } from '../support/harness.ts';

const PASSWORD = 'Correct-Horse-Battery-9';

function loginFrom(ctx: TestContext, ip: string, email: string, password: string): Promise<Response> {
  return ctx.call('POST', '/api/v1/auth/login', { body: { email, password }, remoteAddress: ip });
}

async function account(ctx: TestContext, email: string): Promise<void> {
  const r = await ctx.call('POST', '/api/v1/auth/register', { body: { email, password: PASSWORD }, remoteAddress: randomClientAddress() });
  expect(r.status, r.text).toBe(201);
}

forEachDatabase('OWASP API2: broken authentication', (get) => {
  it('counts every spelling of an email (U+0130 İ, upper case, fullwidth) under the one budget of its account', async () => {
    const ctx = get();
    await account(ctx, 'idil@example.test');
    const ip = randomClientAddress();
    for (const email of ['İdil@example.test', 'IDIL@example.test', 'idil@EXAMPLE.test', 'ｉdil@example.test', 'İDİL@example.test']) {
      expect((await loginFrom(ctx, ip, email, 'Wrong-password-1')).status, email).toBe(401);
    }
    // Budget spent: a sixth spelling gets no fresh one, even with the right password.
    const sixth = await loginFrom(ctx, ip, 'idİl@example.test', PASSWORD);
    expect(sixth.status).toBe(429);
    expect(sixth.json.code).toBe('too_many_attempts');
    expect(Number(sixth.headers['retry-after'])).toBeGreaterThan(0);
    ctx.advanceWall(3_600);
  });

  it('gives strangers no lockout button: the owner logs in from home while guesses from 25 addresses crawl', async () => {
    const ctx = get();
    await account(ctx, 'owner-api2@example.test');
    const home = randomClientAddress();
    expect((await loginFrom(ctx, home, 'owner-api2@example.test', PASSWORD)).status).toBe(200);
    const statuses: number[] = [];
    for (let s = 0; s < 25; s++) {
      const stranger = randomClientAddress();
      for (let i = 0; i < 2; i++) statuses.push((await loginFrom(ctx, stranger, 'owner-api2@example.test', `Guess-${s}-${i}-password`)).status);
    }
    // The account's ceiling lets some guesses reach the password check, then holds the rest.
    expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(20);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(30);
    expect(statuses.every((s) => s === 401 || s === 429)).toBe(true);
    // The owner, from the address it used before, is not locked out.
    expect((await loginFrom(ctx, home, 'owner-api2@example.test', PASSWORD)).status).toBe(200);
    ctx.advanceWall(3_600);
  });

  it('authenticates nothing with a forged, truncated, padded or revoked token', async () => {
    const ctx = get();
    const c = await ctx.customer();
    const forged = [
      `${c.token.slice(0, -1)}${c.token.endsWith('A') ? 'B' : 'A'}`, c.token.slice(0, 10), `${c.token} `, `${c.token}x`, c.token.toUpperCase(),
      'null', 'undefined', '*', "' OR '1'='1", 'a'.repeat(4096),
    ];
    for (const token of forged) {
      const r = await ctx.get('/api/v1/me', { headers: { authorization: `Bearer ${token}` } });
      expect(r.status, token.slice(0, 40)).toBe(401);
      expect(r.json.code).toBe('unauthenticated');
    }
    for (const authorization of [`Basic ${Buffer.from(`${c.email}:${c.password}`).toString('base64')}`, `Token ${c.token}`, c.token]) {
      expect((await ctx.get('/api/v1/me', { headers: { authorization } })).status, authorization.slice(0, 20)).toBe(401);
    }
    expect((await ctx.post('/api/v1/auth/logout', undefined, { token: c.token })).status).toBe(204);
    expect((await ctx.get('/api/v1/me', { token: c.token })).status).toBe(401);
  });

  it('needs the CSRF header for a cookie session\'s unsafe requests; the cookie is HttpOnly', async () => {
    const ctx = get();
    const c = await ctx.customer();
    const login = await ctx.post('/api/v1/auth/login', { email: c.email, password: c.password });
    const cookies = ([] as string[]).concat(login.headers['set-cookie'] as string[] | string);
    const session = cookies.find((s) => s.startsWith('simkeep_session='));
    expect(session).toMatch(/HttpOnly/i);
    const cookie = cookies.map((s) => s.split(';')[0]).join('; ');
    const forged = await ctx.patch('/api/v1/me', { name: 'Mallory' }, { headers: { cookie } });
    expect(forged.status).toBe(403);
    expect(forged.json.code).toBe('csrf_token_invalid');
    expect((await ctx.get('/api/v1/me', { token: c.token })).json.name).not.toBe('Mallory');
  });

  it('ends a session after 30 days of wall time', async () => {
    const ctx = get();
    const c = await ctx.customer();
    ctx.advanceWall(31 * 86_400);
    expect((await ctx.get('/api/v1/me', { token: c.token })).status).toBe(401);
  });
});
