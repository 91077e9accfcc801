// The HTTP layer's own promises (API.md "Conventions", docs/operations.md): body limits per route,
// 404 before authentication, bodiless routes that shrug at an empty JSON body, problem+json even
// for what Node's HTTP parser refuses, the client address behind a trusted proxy, and logs that
// carry the request id but never a credential.
import { connect } from 'node:net';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createApp, type RunningApp } from '../../src/app.ts';
import type { Db } from '../../src/db/types.ts';
import { LOG_REDACT_PATHS, createLogger } from '../../src/http/logging.ts';
import { isPasswordHashingPrepared } from '../../src/modules/accounts/passwords.ts';
import { ADMIN, forEachDatabase, openTestPglite, randomClientAddress, startTestApp, testConfig, type TestContext } from '../support/harness.ts';
import { csvOf, nextCard } from '../support/lines-fixtures.ts';

const PROBLEM_JSON = /^application\/problem\+json/;
const MIB = 1024 * 1024;

async function cookieSession(ctx: TestContext): Promise<{ cookie: string; csrf: string; token: string }> {
  const c = await ctx.customer();
  const login = await ctx.post('/api/v1/auth/login', { email: c.email, password: c.password });
  const setCookie = ([] as string[]).concat(login.headers['set-cookie'] as string[] | string);
  const session = setCookie.find((s) => s.startsWith('simkeep_session='));
  const csrf = setCookie.find((s) => s.startsWith('simkeep_csrf='));
  return { cookie: [session, csrf].map((s) => s?.split(';')[0]).join('; '), csrf: csrf?.split(';')[0]?.split('=')[1] ?? '', token: login.json.token };
}

forEachDatabase('the HTTP surface', (get) => {
  it('computed the dummy password hash at start, before any unknown-email login', () => {
    expect(isPasswordHashingPrepared()).toBe(true);
  });

  describe('body limits', () => {
    it('refuses a 2 MB text body on an unauthenticated route with 413 problem+json', async () => {
      const ctx = get();
      for (const contentType of ['text/plain', 'text/csv', 'application/x-www-form-urlencoded']) {
        const r = await ctx.call('POST', '/api/v1/auth/login', { raw: 'x'.repeat(2 * MIB), headers: { 'content-type': contentType } });
        expect([contentType, r.status, r.json?.code]).toEqual([contentType, 413, 'body_too_large']);
        expect(r.headers['content-type']).toMatch(PROBLEM_JSON);
      }
    });

    it('still takes a CSV of several megabytes on the SIM import route', async () => {
      const ctx = get();
      const card = nextCard({ form: 'physical' });
      const junk = `${'8'.repeat(19)},310260000000000,+19170000000,1234,physical,us-paygo,\n`;
      const csv = csvOf([card]) + junk.repeat(Math.ceil((3 * MIB) / junk.length));
      expect(csv.length).toBeGreaterThan(3 * MIB);
      const r = await ctx.call('POST', '/api/v1/admin/sims/import', { token: await ctx.adminToken(), raw: csv, headers: { 'content-type': 'text/csv' } });
      expect(r.status, r.text.slice(0, 300)).toBe(200);
      expect(r.json.imported).toBe(1);
      expect(r.json.rejected.length).toBeGreaterThan(0);
    }, 60_000);
  });

  describe('unknown paths', () => {
    it('answer 404 problem+json whatever the credentials, without looking up a token', async () => {
      const ctx = get();
      const { cookie } = await cookieSession(ctx);
      const spy = vi.spyOn(ctx.db, 'query');
      try {
        const cases = [
          await ctx.get('/api/v1/no-such-thing', { headers: { authorization: 'Bearer sk_sess_forged' } }),
          await ctx.get('/api/v1/no-such-thing', { headers: { authorization: 'Basic abc' } }),
          await ctx.post('/api/v1/no-such-thing', { a: 1 }, { headers: { cookie } }),
          await ctx.call('DELETE', '/api/v1/lines/line_x/nothing', { headers: { cookie } }),
        ];
        for (const r of cases) {
          expect([r.status, r.json?.code]).toEqual([404, 'not_found']);
          expect(r.headers['content-type']).toMatch(PROBLEM_JSON);
        }
        const tokenLookups = spy.mock.calls.filter(([sql]) => String(sql).includes('auth_tokens'));
        expect(tokenLookups).toEqual([]);
      } finally {
        spy.mockRestore();
      }
      // A known path still checks the cookie's CSRF header.
      expect((await ctx.patch('/api/v1/me', { name: 'x' }, { headers: { cookie } })).status).toBe(403);
    });
  });

  describe('bodiless routes', () => {
    it('accept a JSON content type with an empty body; routes that take a body still call it malformed', async () => {
      const ctx = get();
      const c = await ctx.customer();
      const admin = await ctx.adminToken();
      const empty = { raw: '', headers: { 'content-type': 'application/json' } };
      const cancel = await ctx.call('POST', '/api/v1/orders/ord_none/cancel', { ...empty, token: c.token });
      expect([cancel.status, cancel.json.code]).not.toEqual([400, 'malformed_json']);
      expect(cancel.status).toBe(404);
      const revoke = await ctx.call('DELETE', '/api/v1/admin/api-tokens/tok_none', { ...empty, token: admin });
      expect([revoke.status, revoke.json.code]).toEqual([404, 'not_found']);
      const logout = await ctx.call('POST', '/api/v1/auth/logout', { ...empty, token: c.token });
      expect(logout.status).toBe(204);
      const login = await ctx.call('POST', '/api/v1/auth/login', empty);
      expect([login.status, login.json.code]).toEqual([400, 'malformed_json']);
    });
  });
});

describe('the client address', () => {
  let plain: { ctx: TestContext; stop: () => Promise<void> };
  let proxied: { ctx: TestContext; stop: () => Promise<void> };
  beforeAll(async () => {
    [plain, proxied] = await Promise.all([startTestApp('pglite'), startTestApp('pglite', { SIMKEEP_TRUST_PROXY: '1' })]);
  });
  afterAll(async () => {
    await plain.stop();
    await proxied.stop();
  });

  // 30 failures are already counted for 203.0.113.7: its next login is refused.
  const exhaust = (db: Db) =>
    db.query(`INSERT INTO rate_limit_counters (key, window_start, count) VALUES ('login:ip:203.0.113.7', now() + interval '1 day', 30)`);
  const loginVia = (ctx: TestContext, forwardedFor: string) =>
    ctx.call('POST', '/api/v1/auth/login', { body: { email: 'someone@example.test', password: 'Wrong-password-1' }, headers: { 'x-forwarded-for': forwardedFor } });

  it('is the socket\'s by default: X-Forwarded-For is ignored', async () => {
    await exhaust(plain.ctx.db);
    expect((await loginVia(plain.ctx, '203.0.113.7')).status).toBe(401);
  });

  it('with SIMKEEP_TRUST_PROXY=1 is the one a proxy on loopback forwards', async () => {
    await exhaust(proxied.ctx.db);
    expect((await loginVia(proxied.ctx, '203.0.113.7')).status).toBe(429);
    expect((await loginVia(proxied.ctx, '198.51.100.20')).status).toBe(401);
    // A client-supplied hop before the proxy's does not help: the proxy appends the real address.
    expect((await loginVia(proxied.ctx, '198.51.100.99, 203.0.113.7')).status).toBe(429);
    // From a socket that is not loopback, X-Forwarded-For is not believed.
    const direct = await proxied.ctx.call('POST', '/api/v1/auth/login', {
      body: { email: 'someone@example.test', password: 'Wrong-password-1' }, headers: { 'x-forwarded-for': '203.0.113.7' }, remoteAddress: randomClientAddress(),
    });
    expect(direct.status).toBe(401);
  });
});

describe('what Node\'s HTTP parser refuses', () => {
  let started: { ctx: TestContext; stop: () => Promise<void> };
  let port = 0;
  beforeAll(async () => {
    started = await startTestApp('pglite');
    await started.ctx.app.http.listen({ port: 0, host: '127.0.0.1' });
    const address = started.ctx.app.http.server.address();
    port = typeof address === 'object' && address ? address.port : 0;
  });
  afterAll(async () => started.stop());

  function raw(request: string): Promise<{ status: number; headers: string; body: string }> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1');
      let data = '';
      socket.setTimeout(10_000, () => socket.destroy(new Error('no answer')));
      socket.on('data', (chunk) => (data += String(chunk)));
      socket.on('error', (error) => (data ? undefined : reject(error)));
      socket.on('close', () => {
        const [head = '', body = ''] = data.split('\r\n\r\n');
        resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]), headers: head, body });
      });
      socket.write(request);
    });
  }

  it.each([
    ['oversized headers', `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, 431, 'headers_too_large'],
    ['a non-numeric Content-Length', 'POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: abc\r\n\r\n{}', 400, 'invalid_content_length'],
    ['two Content-Lengths', 'POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}', 400, 'invalid_content_length'],
    ['a garbled request line', 'GET\x01 / HTTP/1.1\r\nHost: x\r\n\r\n', 400, 'malformed_request'],
  ])('answers %s with problem+json', async (_what, request, status, code) => {
    const r = await raw(request);
    expect(r.status).toBe(status);
    expect(r.headers).toMatch(/content-type: application\/problem\+json/i);
    expect(JSON.parse(r.body)).toMatchObject({ status, code });
  });
});

describe('logs', () => {
  const lines: string[] = [];
  let app: RunningApp;
  let db: Db;
  beforeAll(async () => {
    const sink = new Writable({ write: (chunk: Buffer, _enc, done) => { lines.push(chunk.toString('utf8')); done(); } });
    db = await openTestPglite();
    app = await createApp(testConfig({ SIMKEEP_LOG_LEVEL: 'trace' }), { db, logStream: sink, startWorker: false });
  });
  afterAll(async () => {
    await app.close();
    await db.close();
  });

  it('carry the request id a client sent, which is echoed in X-Request-Id', async () => {
    const r = await app.http.inject({ method: 'GET', url: '/api/v1/me', headers: { 'x-request-id': 'trace-log-77' } });
    expect(r.headers['x-request-id']).toBe('trace-log-77');
    const mine = lines.filter((l) => l.includes('"reqId":"trace-log-77"'));
    expect(mine.length).toBeGreaterThanOrEqual(2); // incoming request and request completed
  });

  it('replace a request id that is too long or oddly shaped, in the logs too', async () => {
    const odd = `evil id\u00e9-${'z'.repeat(200)}`;
    const r = await app.http.inject({ method: 'GET', url: '/healthz', headers: { 'x-request-id': encodeURIComponent(odd).slice(0, 50) + ' <x>' } });
    expect(r.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(lines.some((l) => l.includes(`"reqId":"${String(r.headers['x-request-id'])}"`))).toBe(true);
    expect(lines.join('')).not.toContain('<x>');
  });

  it('never contain a login\'s password, a token or the session cookie', async () => {
    const password = 'Very-Secret-Pass-8842';
    const email = 'logged@example.test';
    await app.http.inject({ method: 'POST', url: '/api/v1/auth/register', payload: { email, password } });
    const ok = await app.http.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password } });
    await app.http.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password: `${password}-wrong` } });
    const token = ok.json().token as string;
    await app.http.inject({ method: 'GET', url: '/api/v1/me', headers: { authorization: `Bearer ${token}`, cookie: `simkeep_session=${token}` } });
    await app.http.inject({ method: 'POST', url: '/api/v1/auth/login', payload: ADMIN });
    const logged = lines.join('');
    expect(logged).toContain('/api/v1/auth/login');
    for (const secret of [password, token, ADMIN.password]) expect(logged).not.toContain(secret);
  });

  it('redact credentials wherever a log call puts them', () => {
    const out: string[] = [];
    const log = createLogger('info', new Writable({ write: (chunk: Buffer, _enc, done) => { out.push(chunk.toString('utf8')); done(); } }));
    log.info({
      req: { headers: { authorization: 'Bearer SECRET-A', cookie: 'simkeep_session=SECRET-B', 'x-csrf-token': 'SECRET-C' } },
      res: { headers: { 'set-cookie': 'simkeep_session=SECRET-D' } },
      body: { email: 'a@b.co', password: 'SECRET-E', pin: 'SECRET-F' },
      input: { token: 'SECRET-G' },
      password: 'SECRET-H',
    }, 'something happened');
    const line = out.join('');
    expect(line).toContain('a@b.co');
    expect(line).not.toMatch(/SECRET-/);
    expect(LOG_REDACT_PATHS).toEqual(expect.arrayContaining(['*.password', '*.token', '*.pin', 'res.headers["set-cookie"]', 'req.headers["x-csrf-token"]']));
  });
});
