// OWASP API Security Top 10 (2023) — API9 Improper Inventory Management.
// The published inventory is the served one: the OpenAPI document lists exactly the routes the
// server answers (no forgotten or shadow route, no documented route that is not there), and in
// production nothing of the sandbox (test payments, the movable clock) is served or listed.
import { describe, expect, it } from 'vitest';
import { forEachDatabase, type TestContext } from '../support/harness.ts';

const DEBUG_PATHS = ['/debug', '/admin', '/api/v0/orders', '/api/v2/orders', '/api/v1/internal', '/.env', '/api/v1/graphql', '/docs', '/api/v1/admin/debug'];

async function documentedAndServed(ctx: TestContext): Promise<{ documented: string[]; served: string[]; hidden: string[] }> {
  const doc = await ctx.get('/api/v1/openapi.json');
  expect(doc.status).toBe(200);
  const documented = Object.entries(doc.json.paths as Record<string, Record<string, unknown>>)
    .flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`)).sort();
  const routes = ctx.app.http.registeredRoutes;
  const key = (r: { method: string; url: string }) => `${r.method} ${r.url.replace(/:(\w+)/g, '{$1}')}`;
  return { documented, served: routes.filter((r) => !r.hidden).map(key).sort(), hidden: routes.filter((r) => r.hidden).map(key).sort() };
}

/** Calls an operation with placeholder parameters: true when a route answered, not the not-found handler. */
async function answered(ctx: TestContext, operation: string): Promise<boolean> {
  const [method = 'GET', template = '/'] = operation.split(' ');
  const r = await ctx.call(method, template.replace(/\{[^}]+\}/g, 'x'), method === 'GET' ? {} : { body: {} });
  return !(r.status === 404 && String(r.json?.detail ?? '').startsWith('no route'));
}

describe('OWASP API9: improper inventory management', () => {
  forEachDatabase('development', (get) => {
    it('documents exactly the routes it serves, and serves every documented one', async () => {
      const ctx = get();
      const { documented, served } = await documentedAndServed(ctx);
      expect(documented).toEqual(served);
      for (const operation of documented) expect(await answered(ctx, operation), operation).toBe(true);
    });

    it('serves no undocumented debug, legacy or future version path', async () => {
      const ctx = get();
      for (const path of DEBUG_PATHS) {
        const r = await ctx.get(path);
        expect(r.status, path).toBe(404);
        expect(r.json.code).toBe('not_found');
      }
    });
  });

  forEachDatabase('production', (get) => {
    it('lists no sandbox route, and every sandbox route answers 404 to anyone', async () => {
      const ctx = get();
      const { documented, served, hidden } = await documentedAndServed(ctx);
      expect(documented).toEqual(served);
      expect(documented.filter((o) => o.toLowerCase().includes('sandbox'))).toEqual([]);
      expect(hidden.length).toBeGreaterThan(0);
      const admin = await ctx.adminToken();
      for (const operation of hidden) {
        const [method = 'GET', template = '/'] = operation.split(' ');
        const path = template.replace(/\{[^}]+\}/g, 'pay_x');
        const r = await ctx.call(method, path, { token: admin, ...(method === 'GET' ? {} : { body: { outcome: 'succeeded', advanceSeconds: 60, behaviour: 'succeeds' } }) });
        expect(r.status, `${operation}: ${r.text}`).toBe(404);
      }
    });
  }, { NODE_ENV: 'production', SIMKEEP_SANDBOX: '0' });
});
