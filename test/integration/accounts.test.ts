import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.ts';
import { ADMIN, forEachDatabase, randomClientAddress, testConfig, type Response, type TestContext } from '../support/harness.ts';

const strong = 'Correct-Horse-Battery-9';
const DAY_SECONDS = 86_400;
const LOGIN_WINDOW_SECONDS = 15 * 60;

/** A login from a given client address (per-IP limits key on it). */
function loginFrom(ctx: TestContext, ip: string, email: string, password: string): Promise<Response> {
  return ctx.call('POST', '/api/v1/auth/login', { body: { email, password }, remoteAddress: ip });
}

function countStatuses(responses: readonly Response[]): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const r of responses) counts[r.status] = (counts[r.status] ?? 0) + 1;
  return counts;
}

const median = (values: readonly number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

function sessionCookies(login: Response): { cookie: string; csrf: string } {
  const setCookie = ([] as string[]).concat(login.headers['set-cookie'] as string[] | string);
  const session = setCookie.find((c) => c.startsWith('simkeep_session='));
  const csrf = setCookie.find((c) => c.startsWith('simkeep_csrf='));
  return {
    cookie: [session, csrf].map((c) => c?.split(';')[0]).join('; '),
    csrf: csrf?.split(';')[0]?.split('=')[1] ?? '',
  };
}

forEachDatabase('accounts', (get) => {
  describe('registering', () => {
    it('creates a customer and returns a token that works for /me', async () => {
      const ctx = get();
      const r = await ctx.post('/api/v1/auth/register', { email: 'alice@example.test', password: strong, name: 'Alice', locale: 'zh-CN' });
      expect(r.status).toBe(201);
      expect(r.json.user).toMatchObject({ email: 'alice@example.test', name: 'Alice', locale: 'zh-CN', role: 'customer' });
      expect(r.json.token).toMatch(/^sk_sess_/);
      const me = await ctx.get('/api/v1/me', { token: r.json.token });
      expect(me.status).toBe(200);
      expect(me.json).toEqual({
        id: r.json.user.id, email: 'alice@example.test', name: 'Alice', locale: 'zh-CN', role: 'customer',
        calendarFeedUrl: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/api\/v1\/calendar\/feed\/[A-Za-z0-9_-]{43}\.ics$/),
      });
    });

    it('refuses a taken email, whatever its case, with 409 email_taken', async () => {
      const ctx = get();
      await ctx.post('/api/v1/auth/register', { email: 'bob@example.test', password: strong });
      const again = await ctx.post('/api/v1/auth/register', { email: 'BOB@Example.test', password: strong });
      expect(again.status).toBe(409);
      expect(again.json.code).toBe('email_taken');
      expect(again.headers['content-type']).toContain('application/problem+json');
    });

    it('lets exactly one of two simultaneous registrations of one email succeed', async () => {
      const ctx = get();
      for (let round = 0; round < 3; round++) {
        const email = `race-${round}@example.test`;
        const results = await Promise.all([
          ctx.post('/api/v1/auth/register', { email, password: strong }),
          ctx.post('/api/v1/auth/register', { email, password: strong }),
        ]);
        expect(results.map((r) => r.status).sort()).toEqual([201, 409]);
      }
    });

    it.each([
      ['short', 'Sh0rt-pw', /at least 10/],
      ['common', 'password123', /common/],
      ['common, any case', 'PASSWORD123', /common/],
      ['the email', 'carol@example.test', /email/],
      ['ten spaces', ' '.repeat(10), /at least 10/],
      ['padded short', '   Sh0rt-pw   ', /at least 10/],
      ['five emoji (ten UTF-16 units)', '🔑🔑🔑🔑🔑', /at least 10/],
      ['full-width common', 'ｐａｓｓｗｏｒｄ１２３', /common/],
      ['common with spaces around', '  password123  ', /common/],
      ['the email in full-width letters', 'ｃａｒｏｌ＠ｅｘａｍｐｌｅ．ｔｅｓｔ', /email/],
    ])('refuses a %s password with 422 weak_password', async (_what, password, message) => {
      const r = await get().post('/api/v1/auth/register', { email: 'carol@example.test', password });
      expect(r.status).toBe(422);
      expect(r.json.code).toBe('weak_password');
      expect(r.json.errors[0].path).toBe('password');
      expect(r.json.errors[0].message).toMatch(message);
    });

    it('counts characters, not UTF-16 units: ten emoji are a long enough password', async () => {
      const r = await get().post('/api/v1/auth/register', { email: 'emoji@example.test', password: '🔑🐈🌵🚀🎲🧩🛰️🍉🦉🪁' });
      expect(r.status, r.text).toBe(201);
    });

    it('limits registrations per IP (20 an hour), counted atomically, with 429 and Retry-After', async () => {
      const ctx = get();
      const ip = randomClientAddress();
      const burst = await Promise.all(
        Array.from({ length: 25 }, (_, i) => ctx.call('POST', '/api/v1/auth/register', {
          body: { email: `burst-${i}-${ip}@example.test`, password: strong }, remoteAddress: ip,
        })),
      );
      expect(countStatuses(burst)).toEqual({ 201: 20, 429: 5 });
      const refused = burst.find((r) => r.status === 429);
      expect(refused?.json.code).toBe('too_many_registrations');
      expect(refused?.headers['content-type']).toContain('application/problem+json');
      const retryAfter = Number(refused?.headers['retry-after']);
      expect(retryAfter).toBeGreaterThan(3600 - 120);
      expect(retryAfter).toBeLessThanOrEqual(3600);
      // Another address is not affected, and a weak password is refused before anything is counted.
      expect((await ctx.call('POST', '/api/v1/auth/register', { body: { email: `other-${ip}@example.test`, password: strong }, remoteAddress: randomClientAddress() })).status).toBe(201);
      expect((await ctx.call('POST', '/api/v1/auth/register', { body: { email: `weak-${ip}@example.test`, password: 'short' }, remoteAddress: ip })).status).toBe(422);
      ctx.advanceWall(3600 + 1);
      expect((await ctx.call('POST', '/api/v1/auth/register', { body: { email: `later-${ip}@example.test`, password: strong }, remoteAddress: ip })).status).toBe(201);
    });

    it('rejects a malformed email with a 400 problem naming the field', async () => {
      const r = await get().post('/api/v1/auth/register', { email: 'not-an-email', password: strong });
      expect(r.status).toBe(400);
      expect(r.json.code).toBe('invalid_request');
      expect(r.json.errors.some((e: { path: string }) => e.path.includes('email'))).toBe(true);
    });

    it('stores an argon2id hash and only a hash of the token', async () => {
      const ctx = get();
      const r = await ctx.post('/api/v1/auth/register', { email: 'dave@example.test', password: strong });
      const user = await ctx.db.query<{ password_hash: string }>('SELECT password_hash FROM users WHERE id = $1', [r.json.user.id]);
      expect(user.rows[0]?.password_hash).toMatch(/^\$argon2id\$/);
      const tokens = await ctx.db.query<{ token_hash: string }>('SELECT token_hash FROM auth_tokens WHERE user_id = $1', [r.json.user.id]);
      expect(tokens.rows).toHaveLength(1);
      expect(tokens.rows[0]?.token_hash).not.toContain(r.json.token);
      expect(tokens.rows[0]?.token_hash).toMatch(/^[0-9a-f]{64}$/);
    });
  });

  describe('logging in', () => {
    it('answers an unknown email and a wrong password identically with 401 invalid_credentials', async () => {
      const ctx = get();
      await ctx.post('/api/v1/auth/register', { email: 'erin@example.test', password: strong });
      const wrong = await ctx.post('/api/v1/auth/login', { email: 'erin@example.test', password: 'Wrong-password-1' });
      const unknown = await ctx.post('/api/v1/auth/login', { email: 'nobody@example.test', password: 'Wrong-password-1' });
      expect(wrong.status).toBe(401);
      expect(unknown.status).toBe(401);
      expect(wrong.json).toEqual(unknown.json);
      expect(wrong.json.code).toBe('invalid_credentials');
    });

    it('takes as long for an unknown email as for a wrong password (a dummy argon2 verification)', async () => {
      const ctx = get();
      const ip = randomClientAddress();
      await ctx.post('/api/v1/auth/register', { email: 'timing@example.test', password: strong });
      const wrong: number[] = [];
      const unknown: number[] = [];
      // Interleaved, so load on the machine hits both alike; 5 tries stay within the account limit.
      for (let i = 0; i < 5; i++) {
        wrong.push(await timed(() => loginFrom(ctx, ip, 'timing@example.test', `Wrong-password-${i}`)));
        unknown.push(await timed(() => loginFrom(ctx, ip, `nobody-${i}@example.test`, `Wrong-password-${i}`)));
      }
      // Without the dummy verification an unknown email answers in a small fraction of the time (about
      // 1 ms against 20 for an argon2 verification); with it the medians differ by scheduling noise alone,
      // which on a busy machine has reached half (11 against 22 ms over five tries).
      expect(median(unknown), `unknown ${unknown.map(Math.round)} vs wrong ${wrong.map(Math.round)} ms`).toBeGreaterThanOrEqual(0.3 * median(wrong));
    });

    it('answers 5 of 25 simultaneous wrong logins on one account with 401 and the rest with 429', async () => {
      const ctx = get();
      await ctx.post('/api/v1/auth/register', { email: 'burst@example.test', password: strong });
      const ip = randomClientAddress();
      const burst = await Promise.all(Array.from({ length: 25 }, (_, i) => loginFrom(ctx, ip, 'burst@example.test', `Wrong-${i}-password`)));
      expect(countStatuses(burst)).toEqual({ 401: 5, 429: 20 });
      // Locked for the right password too from that address; the owner elsewhere is not locked out.
      expect((await loginFrom(ctx, ip, 'burst@example.test', strong)).status).toBe(429);
      expect((await loginFrom(ctx, randomClientAddress(), 'burst@example.test', strong)).status).toBe(200);
      ctx.advanceWall(LOGIN_WINDOW_SECONDS + 1);
    });

    it('counts every spelling of an email the database matches under one budget (U+0130)', async () => {
      const ctx = get();
      await ctx.post('/api/v1/auth/register', { email: 'ilse@example.test', password: strong });
      const ip = randomClientAddress();
      // JavaScript lower-cases U+0130 (İ) to "i̇", the database to "i": both spellings are the same account.
      const spellings = ['ilse@example.test', 'İlse@example.test', 'ILSE@example.test', 'İLSE@EXAMPLE.TEST', 'ｉlse@example.test'];
      for (const email of spellings) expect((await loginFrom(ctx, ip, email, 'Wrong-password-1')).status, email).toBe(401);
      for (const email of ['İlse@example.test', 'ilse@example.test', 'İLSE@example.test']) {
        expect((await loginFrom(ctx, ip, email, strong)).status, email).toBe(429);
      }
      ctx.advanceWall(LOGIN_WINDOW_SECONDS + 1);
      expect((await loginFrom(ctx, ip, 'İlse@example.test', strong)).status).toBe(200);
    });

    it('does not let strangers lock the owner out, and holds guessing from many addresses to a crawl', async () => {
      const ctx = get();
      await ctx.post('/api/v1/auth/register', { email: 'owner@example.test', password: strong });
      const home = randomClientAddress();
      expect((await loginFrom(ctx, home, 'owner@example.test', strong)).status).toBe(200);
      // Four strangers use up their own budgets (5 each) and the ceiling's 20 free attempts.
      for (let s = 0; s < 4; s++) {
        const stranger = randomClientAddress();
        for (let i = 0; i < 5; i++) expect((await loginFrom(ctx, stranger, 'owner@example.test', `Wrong-${i}-password`)).status).toBe(401);
        expect((await loginFrom(ctx, stranger, 'owner@example.test', strong)).status).toBe(429);
      }
      // A fifth address is held back by the ceiling, even with the right password (it cannot tell a guess from the owner)…
      const fresh = await loginFrom(ctx, randomClientAddress(), 'owner@example.test', strong);
      expect(fresh.status).toBe(429);
      expect(Number(fresh.headers['retry-after'])).toBeGreaterThan(0);
      expect(Number(fresh.headers['retry-after'])).toBeLessThanOrEqual(60);
      // …while the owner's own address logs in.
      expect((await loginFrom(ctx, home, 'owner@example.test', strong)).status).toBe(200);
      // Backoff: one more guess a minute, not a lock.
      ctx.advanceWall(61);
      expect((await loginFrom(ctx, randomClientAddress(), 'owner@example.test', 'Wrong-9-password')).status).toBe(401);
      expect((await loginFrom(ctx, randomClientAddress(), 'owner@example.test', 'Wrong-10-password')).status).toBe(429);
      ctx.advanceWall(3600);
    });

    it('answers 30 of 40 simultaneous wrong logins from one IP across accounts with 401 and the rest with 429', async () => {
      const ctx = get();
      const ip = randomClientAddress();
      const burst = await Promise.all(Array.from({ length: 40 }, (_, i) => loginFrom(ctx, ip, `spray-burst-${i}@example.test`, 'Wrong-password-1')));
      expect(countStatuses(burst)).toEqual({ 401: 30, 429: 10 });
      ctx.advanceWall(LOGIN_WINDOW_SECONDS + 1);
    });

    it('does not count successful logins against the IP', async () => {
      const ctx = get();
      const c = await ctx.customer();
      const ip = randomClientAddress();
      for (let i = 0; i < 35; i++) expect((await loginFrom(ctx, ip, c.email, c.password)).status).toBe(200);
    });

    it('logs in case-insensitively and logout revokes the token', async () => {
      const ctx = get();
      await ctx.post('/api/v1/auth/register', { email: 'frank@example.test', password: strong });
      const r = await ctx.post('/api/v1/auth/login', { email: 'FRANK@example.test', password: strong });
      expect(r.status).toBe(200);
      expect(r.json.user.email).toBe('frank@example.test');
      expect((await ctx.post('/api/v1/auth/logout', undefined, { token: r.json.token })).status).toBe(204);
      const after = await ctx.get('/api/v1/me', { token: r.json.token });
      expect(after.status).toBe(401);
      expect(after.json.code).toBe('unauthenticated');
    });

    it('locks an account after 5 failures with 429 and Retry-After, even for the right password, until the window passes', async () => {
      const ctx = get();
      await ctx.post('/api/v1/auth/register', { email: 'gina@example.test', password: strong });
      for (let i = 0; i < 5; i++) {
        expect((await ctx.post('/api/v1/auth/login', { email: 'gina@example.test', password: `Wrong-${i}-password` })).status).toBe(401);
      }
      const locked = await ctx.post('/api/v1/auth/login', { email: 'gina@example.test', password: strong });
      expect(locked.status).toBe(429);
      expect(locked.json.code).toBe('too_many_attempts');
      expect(Number(locked.headers['retry-after'])).toBeGreaterThan(0);
      expect(Number(locked.headers['retry-after'])).toBeLessThanOrEqual(15 * 60);
      ctx.advanceWall(15 * 60 + 1);
      expect((await ctx.post('/api/v1/auth/login', { email: 'gina@example.test', password: strong })).status).toBe(200);
    });

    it('limits failures per IP across many accounts: the 30th is 401, the 31st 429 with Retry-After of the window', async () => {
      const ctx = get();
      const ip = randomClientAddress();
      const statuses: number[] = [];
      for (let i = 0; i < 30; i++) statuses.push((await loginFrom(ctx, ip, `spray-${i}@example.test`, 'Wrong-password-1')).status);
      expect(statuses).toEqual(Array.from({ length: 30 }, () => 401));
      const refused = await loginFrom(ctx, ip, 'spray-30@example.test', 'Wrong-password-1');
      expect(refused.status).toBe(429);
      expect(refused.json.code).toBe('too_many_attempts');
      const retryAfter = Number(refused.headers['retry-after']);
      expect(retryAfter).toBeGreaterThan(LOGIN_WINDOW_SECONDS - 120);
      expect(retryAfter).toBeLessThanOrEqual(LOGIN_WINDOW_SECONDS);
      // Another address is unaffected.
      expect((await loginFrom(ctx, randomClientAddress(), 'spray-31@example.test', 'Wrong-password-1')).status).toBe(401);
      ctx.advanceWall(LOGIN_WINDOW_SECONDS + 1);
      expect((await loginFrom(ctx, ip, 'spray-32@example.test', 'Wrong-password-1')).status).toBe(401);
    });

    it('sessions last 30 days: still valid at day 29, not at day 31', async () => {
      const ctx = get();
      const c = await ctx.customer();
      ctx.advanceWall(29 * DAY_SECONDS);
      expect((await ctx.get('/api/v1/me', { token: c.token })).status).toBe(200);
      ctx.advanceWall(2 * DAY_SECONDS);
      expect((await ctx.get('/api/v1/me', { token: c.token })).status).toBe(401);
    });

    it('refuses logout with an API token (400 not_a_session) and the token keeps working', async () => {
      const ctx = get();
      const admin = await ctx.adminToken();
      const created = await ctx.post('/api/v1/admin/api-tokens', { name: 'Feed', role: 'carrier' }, { token: admin });
      const r = await ctx.post('/api/v1/auth/logout', undefined, { token: created.json.token });
      expect(r.status).toBe(400);
      expect(r.json.code).toBe('not_a_session');
      expect(r.headers['content-type']).toContain('application/problem+json');
      expect((await ctx.get('/api/v1/me', { token: created.json.token })).status).toBe(200);
    });

    it('accepts logout with a JSON content type and an empty body', async () => {
      const ctx = get();
      const c = await ctx.customer();
      const r = await ctx.call('POST', '/api/v1/auth/logout', { token: c.token, raw: '', headers: { 'content-type': 'application/json' } });
      expect(r.status, r.text).toBe(204);
      expect((await ctx.get('/api/v1/me', { token: c.token })).status).toBe(401);
    });
  });

  describe('cookie sessions', () => {
    it('authenticate by cookie and need the CSRF header for unsafe requests', async () => {
      const ctx = get();
      const c = await ctx.customer();
      const login = await ctx.post('/api/v1/auth/login', { email: c.email, password: c.password });
      const setCookie = ([] as string[]).concat(login.headers['set-cookie'] as string[] | string);
      const session = setCookie.find((s) => s.startsWith('simkeep_session='));
      const csrf = setCookie.find((s) => s.startsWith('simkeep_csrf='));
      expect(session).toMatch(/HttpOnly/i);
      expect(session).toMatch(/SameSite=Lax/i);
      const cookie = [session, csrf].map((s) => s?.split(';')[0]).join('; ');
      const csrfValue = csrf?.split(';')[0]?.split('=')[1] ?? '';
      expect((await ctx.get('/api/v1/me', { headers: { cookie } })).status).toBe(200);
      const forged = await ctx.patch('/api/v1/me', { name: 'Mallory' }, { headers: { cookie } });
      expect(forged.status).toBe(403);
      expect(forged.json.code).toBe('csrf_token_invalid');
      const wrong = await ctx.patch('/api/v1/me', { name: 'Mallory' }, { headers: { cookie, 'x-csrf-token': 'x'.repeat(43) } });
      expect(wrong.status).toBe(403);
      const ok = await ctx.patch('/api/v1/me', { name: 'Real Name' }, { headers: { cookie, 'x-csrf-token': csrfValue } });
      expect(ok.status).toBe(200);
      expect(ok.json.name).toBe('Real Name');
    });

    it('log out with the CSRF header, after which the cookie no longer authenticates', async () => {
      const ctx = get();
      const c = await ctx.customer();
      const { cookie, csrf } = sessionCookies(await ctx.post('/api/v1/auth/login', { email: c.email, password: c.password }));
      expect((await ctx.post('/api/v1/auth/logout', undefined, { headers: { cookie } })).status).toBe(403);
      const out = await ctx.post('/api/v1/auth/logout', undefined, { headers: { cookie, 'x-csrf-token': csrf } });
      expect(out.status).toBe(204);
      const cleared = ([] as string[]).concat(out.headers['set-cookie'] as string[] | string);
      expect(cleared.some((s) => /^simkeep_session=;/.test(s))).toBe(true);
      const after = await ctx.get('/api/v1/me', { headers: { cookie } });
      expect(after.status).toBe(401);
      // The other session of the same customer (the registration token) is still alive.
      expect((await ctx.get('/api/v1/me', { token: c.token })).status).toBe(200);
    });
  });

  describe('roles and API tokens', () => {
    it('forbids customers from operator routes with 403 and unauthenticated callers with 401', async () => {
      const ctx = get();
      const c = await ctx.customer();
      expect((await ctx.get('/api/v1/admin/audit', { token: c.token })).status).toBe(403);
      expect((await ctx.get('/api/v1/admin/audit')).status).toBe(401);
      expect((await ctx.get('/api/v1/me', { token: 'sk_sess_nope' })).status).toBe(401);
      expect((await ctx.get('/api/v1/me', { headers: { authorization: 'Basic abc' } })).status).toBe(401);
    });

    it('lets an admin create a partner API token that authenticates, is audited and can be revoked', async () => {
      const ctx = get();
      const admin = await ctx.adminToken();
      const created = await ctx.post('/api/v1/admin/api-tokens', { name: 'Carrier feed', role: 'carrier' }, { token: admin });
      expect(created.status).toBe(201);
      expect(created.json.token).toMatch(/^sk_api_/);
      const me = await ctx.get('/api/v1/me', { token: created.json.token });
      expect(me.json.role).toBe('carrier');
      expect((await ctx.get('/api/v1/admin/audit', { token: created.json.token })).status).toBe(403);
      const audit = await ctx.get(`/api/v1/admin/audit?target=${created.json.id}`, { token: admin });
      expect(audit.json.items.map((e: { action: string }) => e.action)).toContain('api_token.create');
      expect((await ctx.call('DELETE', `/api/v1/admin/api-tokens/${created.json.id}`, { token: admin })).status).toBe(204);
      expect((await ctx.get('/api/v1/me', { token: created.json.token })).status).toBe(401);
    });

    it('enforces an API token\'s expiresInDays', async () => {
      const ctx = get();
      const admin = await ctx.adminToken();
      const created = await ctx.post('/api/v1/admin/api-tokens', { name: 'Short-lived', role: 'carrier', expiresInDays: 2 }, { token: admin });
      expect(created.status).toBe(201);
      const wallNow = ctx.app.deps.wallClock.now().getTime();
      expect(Date.parse(created.json.expiresAt) - wallNow).toBeGreaterThan(2 * DAY_SECONDS * 1000 - 60_000);
      ctx.advanceWall(DAY_SECONDS);
      expect((await ctx.get('/api/v1/me', { token: created.json.token })).status).toBe(200);
      ctx.advanceWall(DAY_SECONDS + 60);
      expect((await ctx.get('/api/v1/me', { token: created.json.token })).status).toBe(401);
    });

    it('records an API token\'s last use, at most once a minute', async () => {
      const ctx = get();
      const admin = await ctx.adminToken();
      const created = await ctx.post('/api/v1/admin/api-tokens', { name: 'Used', role: 'carrier' }, { token: admin });
      const lastUsed = async (): Promise<string | null> =>
        ((await ctx.get('/api/v1/admin/api-tokens', { token: admin })).json.items as Array<{ id: string; lastUsedAt: string | null }>)
          .find((t) => t.id === created.json.id)?.lastUsedAt ?? null;
      expect(await lastUsed()).toBeNull();
      await ctx.get('/api/v1/me', { token: created.json.token });
      const first = await lastUsed();
      expect(first).not.toBeNull();
      await ctx.get('/api/v1/me', { token: created.json.token });
      expect(await lastUsed()).toBe(first);
      ctx.advanceWall(61);
      await ctx.get('/api/v1/me', { token: created.json.token });
      expect(Date.parse(String(await lastUsed())) - Date.parse(String(first))).toBeGreaterThanOrEqual(61_000);
    });

    it('stamps audit entries with the application clock and the request id', async () => {
      const ctx = get();
      const admin = await ctx.adminToken();
      await ctx.advance(3 * DAY_SECONDS);
      const clockNow = Date.parse((await ctx.get('/api/v1/sandbox/clock')).json.now);
      const created = await ctx.post('/api/v1/admin/api-tokens', { name: 'Stamped', role: 'carrier' }, { token: admin, headers: { 'x-request-id': 'audit-trace-42' } });
      const audit = await ctx.get(`/api/v1/admin/audit?target=${created.json.id}`, { token: admin });
      const entry = audit.json.items[0];
      expect(entry).toMatchObject({ action: 'api_token.create', requestId: 'audit-trace-42' });
      // The sandbox clock runs days ahead of the database's now(): the entry is on the clock.
      expect(Math.abs(Date.parse(entry.at) - clockNow)).toBeLessThan(60_000);
      // A request id that is too long or oddly shaped is replaced, not stored.
      const odd = await ctx.post('/api/v1/admin/api-tokens', { name: 'Odd id', role: 'carrier' }, { token: admin, headers: { 'x-request-id': `x<script>${'y'.repeat(300)}` } });
      expect(odd.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
      const oddEntry = (await ctx.get(`/api/v1/admin/audit?target=${odd.json.id}`, { token: admin })).json.items[0];
      expect(oddEntry.requestId).toBe(odd.headers['x-request-id']);
    });

    it('refuses API token creation to operators (admins only)', async () => {
      const ctx = get();
      const admin = await ctx.adminToken();
      const op = await ctx.post('/api/v1/admin/users', { email: 'op@example.test', password: strong, role: 'operator' }, { token: admin });
      expect(op.status).toBe(201);
      const login = await ctx.post('/api/v1/auth/login', { email: 'op@example.test', password: strong });
      expect((await ctx.post('/api/v1/admin/api-tokens', { name: 'x', role: 'carrier' }, { token: login.json.token })).status).toBe(403);
      expect((await ctx.get('/api/v1/admin/audit', { token: login.json.token })).status).toBe(200);
    });

    it('keeps the configured admin able to log in', async () => {
      const r = await get().post('/api/v1/auth/login', ADMIN);
      expect(r.status).toBe(200);
      expect(r.json.user.role).toBe('admin');
    });
  });

  describe('the HTTP surface', () => {
    it('answers unknown paths, malformed JSON and oversized bodies with problem+json', async () => {
      const ctx = get();
      const nf = await ctx.get('/api/v1/nothing-here');
      expect(nf.status).toBe(404);
      expect(nf.json.code).toBe('not_found');
      const bad = await ctx.call('POST', '/api/v1/auth/login', { raw: '{"email":', headers: { 'content-type': 'application/json' } });
      expect(bad.status).toBe(400);
      expect(bad.json.code).toBe('malformed_json');
      expect(bad.headers['content-type']).toContain('application/problem+json');
      const huge = await ctx.call('POST', '/api/v1/auth/login', {
        raw: JSON.stringify({ email: 'a@b.co', password: 'x'.repeat(2 * 1024 * 1024) }),
        headers: { 'content-type': 'application/json' },
      });
      expect(huge.status).toBe(413);
      expect(huge.json.code).toBe('body_too_large');
    });

    it('serves an OpenAPI 3.1 document listing every route, health and metrics included', async () => {
      const ctx = get();
      const r = await ctx.get('/api/v1/openapi.json');
      expect(r.json.openapi).toMatch(/^3\.1\./);
      const documented = new Set<string>();
      for (const [path, ops] of Object.entries(r.json.paths as Record<string, Record<string, unknown>>)) {
        for (const method of Object.keys(ops)) documented.add(`${method.toUpperCase()} ${path}`);
      }
      const routes = ctx.app.http.registeredRoutes;
      expect(routes.length).toBeGreaterThan(5);
      for (const route of routes) {
        expect(documented).toContain(`${route.method} ${route.url.replace(/:(\w+)/g, '{$1}')}`);
      }
      for (const must of ['GET /healthz', 'GET /metrics', 'GET /api/v1/openapi.json', 'GET /api/v1/admin/audit']) expect(documented).toContain(must);
    });

    it('documents the accounts routes\' status codes, errors as problem+json', async () => {
      const paths = (await get().get('/api/v1/openapi.json')).json.paths;
      const codes = (path: string, method: string): string[] => Object.keys(paths[path][method].responses).sort();
      expect(codes('/api/v1/auth/register', 'post')).toEqual(expect.arrayContaining(['201', '400', '409', '422', '429']));
      expect(codes('/api/v1/auth/login', 'post')).toEqual(expect.arrayContaining(['200', '401', '429']));
      expect(codes('/api/v1/auth/logout', 'post')).toEqual(expect.arrayContaining(['204', '400', '401']));
      expect(codes('/api/v1/me', 'get')).toEqual(expect.arrayContaining(['200', '401']));
      expect(codes('/api/v1/admin/api-tokens/{id}', 'delete')).toEqual(expect.arrayContaining(['204', '404']));
      expect(Object.keys(paths['/api/v1/auth/register'].post.responses['409'].content)).toEqual(['application/problem+json']);
      expect(paths['/api/v1/auth/logout'].post.responses['204'].content).toBeUndefined();
    });

    it('exposes request counts and latency per route on /metrics and echoes a request id', async () => {
      const ctx = get();
      const me = await ctx.get('/api/v1/me', { headers: { 'x-request-id': 'trace-123' } });
      expect(me.headers['x-request-id']).toBe('trace-123');
      const m = await ctx.get('/metrics');
      expect(m.status).toBe(200);
      expect(m.text).toMatch(/simkeep_http_requests_total\{method="GET",route="\/api\/v1\/me",status="401"\} \d+/);
      expect(m.text).toContain('simkeep_http_request_duration_seconds_bucket');
    });

    it('labels metrics with the route pattern, not the URL with its id', async () => {
      const ctx = get();
      const admin = await ctx.adminToken();
      expect((await ctx.call('DELETE', '/api/v1/admin/api-tokens/tok_metrics_xyz', { token: admin })).status).toBe(404);
      const m = await ctx.get('/metrics');
      expect(m.text).toMatch(/simkeep_http_requests_total\{method="DELETE",route="\/api\/v1\/admin\/api-tokens\/:id",status="404"\} \d+/);
      expect(m.text).not.toContain('tok_metrics_xyz');
    });

    it('reports health', async () => {
      expect((await get().get('/healthz')).json).toEqual({ status: 'ok' });
    });
  });

  describe('the sandbox clock', () => {
    it('moves forward only, and everything reads it', async () => {
      const ctx = get();
      const before = Date.parse((await ctx.get('/api/v1/sandbox/clock')).json.now);
      const after = await ctx.post('/api/v1/sandbox/clock', { advanceSeconds: 3600 });
      expect(after.status).toBe(200);
      expect(Date.parse(after.json.now) - before).toBeGreaterThanOrEqual(3600_000);
      expect((await ctx.post('/api/v1/sandbox/clock', { advanceSeconds: -5 })).status).toBe(400);
    });
  });
}, { SIMKEEP_REGISTER_LIMIT_PER_HOUR: '20' });

forEachDatabase('the configured administrator', (get) => {
  it('keeps sessions across a restart with the same password, and ends them when the password changes', async () => {
    const ctx = get();
    const before = await ctx.adminToken();
    const restart = async (password: string): Promise<void> => {
      const app = await createApp(testConfig({ SIMKEEP_ADMIN_PASSWORD: password }), { db: ctx.db, logger: pino({ level: 'silent' }), startWorker: false });
      await app.close();
    };
    await restart(ADMIN.password);
    expect((await ctx.get('/api/v1/me', { token: before })).status).toBe(200);

    await restart('Brand-new-Adm1n-pass!');
    expect((await ctx.get('/api/v1/me', { token: before })).status).toBe(401);
    expect((await ctx.post('/api/v1/auth/login', ADMIN)).status).toBe(401);
    const fresh = await ctx.post('/api/v1/auth/login', { email: ADMIN.email, password: 'Brand-new-Adm1n-pass!' });
    expect(fresh.status).toBe(200);
    const audit = await ctx.get(`/api/v1/admin/audit?target=${fresh.json.user.id}`, { token: fresh.json.token });
    expect(audit.json.items[0]).toMatchObject({ action: 'user.ensure_admin', details: { passwordChanged: true, sessionsRevoked: 1 } });
  });
});
