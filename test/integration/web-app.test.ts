import { describe, expect, it } from 'vitest';
import { PORTAL_CONTENT_SECURITY_POLICY } from '../../src/http/web-app.ts';
import { forEachDatabase } from '../support/harness.ts';

const HTML = { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' };

forEachDatabase('serving the portal', (ctx) => {
  const get = (url: string, headers: Record<string, string> = {}) => ctx().app.http.inject({ method: 'GET', url, headers });

  it('answers / and any page address a browser asks for with the app, under a policy without inline scripts', async () => {
    for (const url of ['/', '/lines', '/lines/bind', '/orders/ord_123?x=1', '/login']) {
      const r = await get(url, HTML);
      expect(r.statusCode, url).toBe(200);
      expect(r.headers['content-type']).toMatch(/^text\/html/);
      expect(r.body).toContain('<div id="root"></div>');
      expect(r.headers['content-security-policy']).toBe(PORTAL_CONTENT_SECURITY_POLICY);
    }
    expect(PORTAL_CONTENT_SECURITY_POLICY).toContain("script-src 'self'");
    expect(PORTAL_CONTENT_SECURITY_POLICY).not.toContain('unsafe-inline');
  });

  it('serves the scripts the page names, cacheable for good since their names carry a content hash', async () => {
    const page = await get('/', HTML);
    const script = /<script type="module" crossorigin src="([^"]+)"/.exec(page.body)?.[1];
    expect(script).toMatch(/^\/assets\/.+\.js$/);
    const r = await get(script as string);
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toMatch(/javascript/);
    expect(r.headers['cache-control']).toContain('immutable');
  });

  it('keeps the API, sandbox and ops paths answering problem+json 404, HTML asked for or not', async () => {
    for (const url of ['/api/v1/nothing-here', '/api', '/sandbox/nothing', '/metrics/x']) {
      const r = await get(url, HTML);
      expect(r.statusCode, url).toBe(404);
      expect(r.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(JSON.parse(r.body).code).toBe('not_found');
    }
  });

  it('answers a non-browser request for an unknown path, and any unsafe method, with the API 404', async () => {
    const plain = await get('/lines', { accept: 'application/json' });
    expect(plain.statusCode).toBe(404);
    expect(JSON.parse(plain.body).code).toBe('not_found');
    const post = await ctx().app.http.inject({ method: 'POST', url: '/lines', headers: HTML });
    expect(post.statusCode).toBe(404);
  });

  it('never sends build metadata or files outside the build', async () => {
    for (const url of ['/.vite/manifest.json', '/../package.json', '/assets/../../package.json', '/%2e%2e/package.json']) {
      const r = await get(url);
      expect(r.statusCode, url).toBeGreaterThanOrEqual(400);
      expect(r.body).not.toContain('"dependencies"');
    }
  });

  it('leaves the OpenAPI document to the API: no portal route is listed', async () => {
    const r = await get('/api/v1/openapi.json');
    const documented = Object.keys(JSON.parse(r.body).paths as Record<string, unknown>);
    expect(documented.filter((path) => !/^\/(api|sandbox)\/|^\/(healthz|metrics)$/.test(path))).toEqual([]);
  });
});

describe('the portal build', () => {
  it('exists after the test setup (built when missing or stale)', async () => {
    const { webBuildIsFresh } = await import('../../scripts/web-build.ts');
    expect(webBuildIsFresh()).toBe(true);
  });
});
