// What production shows the world (API.md "Configuration"): /metrics behind SIMKEEP_METRICS_TOKEN
// (404 in production without it, open in development), no sandbox route in production's OpenAPI
// document, and `Cache-Control: no-store` on every answer to an authenticated caller.
import { describe, expect, it } from 'vitest';
import { forEachDatabase } from '../support/harness.ts';

const METRICS_TOKEN = 'metrics-token-0123456789abcdef';
const sandboxPaths = (doc: { paths: Record<string, unknown> }) => Object.keys(doc.paths).filter((p) => p.includes('sandbox'));

describe('production surface', () => {
  forEachDatabase('production without SIMKEEP_METRICS_TOKEN', (get) => {
    it('answers 404 at /metrics, whatever the credentials', async () => {
      const ctx = get();
      const r = await ctx.get('/metrics');
      expect(r.status).toBe(404);
      expect(r.headers['content-type']).toContain('application/problem+json');
      expect((await ctx.get('/metrics', { token: await ctx.adminToken() })).status).toBe(404);
    });

    it('lists no sandbox route in the OpenAPI document (they answer 404)', async () => {
      const ctx = get();
      const doc = await ctx.get('/api/v1/openapi.json');
      expect(doc.status).toBe(200);
      expect(sandboxPaths(doc.json)).toEqual([]);
      expect(Object.keys(doc.json.paths)).toContain('/api/v1/orders');
      expect((await ctx.get('/api/v1/sandbox/clock')).status).toBe(404);
    });
  }, { NODE_ENV: 'production', SIMKEEP_SANDBOX: '0' });

  forEachDatabase('production with SIMKEEP_METRICS_TOKEN', (get) => {
    it('serves /metrics only with the bearer token', async () => {
      const ctx = get();
      expect((await ctx.get('/metrics')).status).toBe(401);
      expect((await ctx.get('/metrics', { token: 'wrong-token-0123456789abcdef' })).status).toBe(401);
      // A user's own token is not the metrics token.
      expect((await ctx.get('/metrics', { token: await ctx.adminToken() })).status).toBe(401);
      const ok = await ctx.get('/metrics', { token: METRICS_TOKEN });
      expect(ok.status).toBe(200);
      expect(ok.text).toContain('simkeep_http_requests_total');
    });
  }, { NODE_ENV: 'production', SIMKEEP_SANDBOX: '0', SIMKEEP_METRICS_TOKEN: METRICS_TOKEN });

  forEachDatabase('development', (get) => {
    it('leaves /metrics open and documents the sandbox routes', async () => {
      const ctx = get();
      expect((await ctx.get('/metrics')).status).toBe(200);
      expect(sandboxPaths((await ctx.get('/api/v1/openapi.json')).json).length).toBeGreaterThan(0);
    });

    it('marks authenticated answers no-store, public ones not', async () => {
      const ctx = get();
      const c = await ctx.customer();
      for (const path of ['/api/v1/me', '/api/v1/lines', '/api/v1/wallet', '/api/v1/orders']) {
        const r = await ctx.get(path, { token: c.token });
        expect(r.status, path).toBe(200);
        expect(r.headers['cache-control'], path).toBe('no-store');
      }
      const login = await ctx.post('/api/v1/auth/login', { email: c.email, password: c.password });
      expect(login.status).toBe(200);
      expect(login.headers['cache-control']).toBe('no-store');
      expect((await ctx.get('/healthz')).headers['cache-control']).toBeUndefined();
    });
  });
});
