import { describe, expect, it } from 'vitest';
import { ADMIN, forEachDatabase } from '../support/harness.ts';

const strong = 'Correct-Horse-Battery-9';

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
      expect(me.json).toEqual({ id: r.json.user.id, email: 'alice@example.test', name: 'Alice', locale: 'zh-CN', role: 'customer' });
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
    ])('refuses a %s password with 422 weak_password', async (_what, password, message) => {
      const r = await get().post('/api/v1/auth/register', { email: 'carol@example.test', password });
      expect(r.status).toBe(422);
      expect(r.json.code).toBe('weak_password');
      expect(r.json.errors[0].path).toBe('password');
      expect(r.json.errors[0].message).toMatch(message);
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
      await ctx.advance(15 * 60 + 1);
      expect((await ctx.post('/api/v1/auth/login', { email: 'gina@example.test', password: strong })).status).toBe(200);
    });

    it('limits failures per IP across many accounts', async () => {
      const ctx = get();
      let last = 0;
      for (let i = 0; i < 31; i++) {
        last = (await ctx.call('POST', '/api/v1/auth/login', {
          body: { email: `spray-${i}@example.test`, password: 'Wrong-password-1' },
          headers: {},
        })).status;
      }
      expect(last).toBe(429);
      await ctx.advance(15 * 60 + 1);
    });

    it('sessions expire after 30 days', async () => {
      const ctx = get();
      const c = await ctx.customer();
      await ctx.advance(31 * 86_400);
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

    it('serves an OpenAPI 3.1 document listing every API route', async () => {
      const ctx = get();
      const r = await ctx.get('/api/v1/openapi.json');
      expect(r.json.openapi).toMatch(/^3\.1\./);
      const documented = new Set<string>();
      for (const [path, ops] of Object.entries(r.json.paths as Record<string, Record<string, unknown>>)) {
        for (const method of Object.keys(ops)) documented.add(`${method.toUpperCase()} ${path}`);
      }
      const routes = ctx.app.http.registeredRoutes.filter((route) => !route.hidden && route.url.startsWith('/api/v1'));
      expect(routes.length).toBeGreaterThan(5);
      for (const route of routes) {
        expect(documented).toContain(`${route.method} ${route.url.replace(/:(\w+)/g, '{$1}')}`);
      }
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
});
