// OWASP API Security Top 10 (2023) — API8 Security Misconfiguration.
// What a scanner looks for: security headers on every answer, no CORS grant to a foreign origin,
// no stack trace or internal path in an error, no framework banner, authenticated answers kept out
// of caches, unusual methods refused, and in production /metrics closed and no sandbox offered.
import { describe, expect, it } from 'vitest';
import { forEachDatabase, type Response } from '../support/harness.ts';

function expectNoInternals(r: Response): void {
  expect(r.text).not.toMatch(/\bat [\w.<>]+ \(|node_modules|\/src\/|stack|Error: |SELECT |syntax error at/i);
}

describe('OWASP API8: security misconfiguration', () => {
  forEachDatabase('any environment', (get) => {
    it('sends the security headers and no framework banner', async () => {
      const ctx = get();
      for (const r of [await ctx.get('/healthz'), await ctx.get('/api/v1/me'), await ctx.get('/api/v1/nope')]) {
        expect(r.headers['x-content-type-options']).toBe('nosniff');
        expect(r.headers['x-frame-options'] ?? r.headers['content-security-policy']).toBeTruthy();
        expect(r.headers['strict-transport-security']).toMatch(/max-age=\d+/);
        expect(r.headers['x-powered-by']).toBeUndefined();
        expect(r.headers['server']).toBeUndefined();
      }
    });

    it('grants no CORS access to a foreign origin, on requests and preflights', async () => {
      const ctx = get();
      const c = await ctx.customer();
      const origin = 'https://evil.example';
      const r = await ctx.get('/api/v1/me', { token: c.token, headers: { origin } });
      expect(r.headers['access-control-allow-origin']).toBeUndefined();
      expect(r.headers['access-control-allow-credentials']).toBeUndefined();
      const preflight = await ctx.call('OPTIONS', '/api/v1/orders', { headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization' } });
      expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
      expect(preflight.status).toBeGreaterThanOrEqual(400);
    });

    it('answers broken requests with problem+json and no stack trace, SQL or internal path', async () => {
      const ctx = get();
      const c = await ctx.customer();
      const answers = [
        await ctx.call('POST', '/api/v1/auth/login', { raw: '{"email": ', headers: { 'content-type': 'application/json' } }),
        await ctx.call('POST', '/api/v1/auth/login', { raw: '{"__proto__": {"x": 1}}', headers: { 'content-type': 'application/json' } }),
        await ctx.call('POST', '/api/v1/orders', { token: c.token, raw: '<xml/>', headers: { 'content-type': 'application/xml' } }),
        await ctx.get("/api/v1/orders/ord_x'%20OR%201=1--", { token: c.token }),
        await ctx.get('/api/v1/orders?limit=%', { token: c.token }),
        await ctx.get('/api/v1/%E0%A4%A', { token: c.token }),
      ];
      for (const r of answers) {
        expect(r.status, r.text).toBeGreaterThanOrEqual(400);
        expect(r.status, r.text).toBeLessThan(500);
        expect(r.headers['content-type']).toContain('application/problem+json');
        expectNoInternals(r);
      }
    });

    it('keeps authenticated answers out of shared caches', async () => {
      const ctx = get();
      const c = await ctx.customer();
      for (const path of ['/api/v1/me', '/api/v1/wallet', '/api/v1/orders', '/api/v1/lines']) {
        expect((await ctx.get(path, { token: c.token })).headers['cache-control'], path).toBe('no-store');
      }
    });

    it('refuses TRACE and other unusual methods without echoing the request', async () => {
      const ctx = get();
      for (const method of ['TRACE', 'PUT', 'CONNECT']) {
        const r = await ctx.call(method, '/api/v1/me', { headers: { 'x-secret': 'echo-me' } });
        expect(r.status, method).toBeGreaterThanOrEqual(400);
        expect(r.text).not.toContain('echo-me');
      }
    });
  });

  forEachDatabase('production', (get) => {
    it('closes /metrics without its token and offers no sandbox route', async () => {
      const ctx = get();
      expect((await ctx.get('/metrics')).status).toBe(404);
      expect((await ctx.get('/metrics', { token: await ctx.adminToken() })).status).toBe(404);
      const doc = await ctx.get('/api/v1/openapi.json');
      expect(Object.keys(doc.json.paths).filter((p) => p.includes('sandbox'))).toEqual([]);
      expect((await ctx.post('/api/v1/sandbox/clock', { advanceSeconds: 86_400 })).status).toBe(404);
    });
  }, { NODE_ENV: 'production', SIMKEEP_SANDBOX: '0' });
});
