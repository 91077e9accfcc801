// Fair under load (issue 13): requests are served in arrival order, at most a few at once; what
// cannot be served in time is shed with 503 server_busy and Retry-After — never another 5xx, never
// a hang — and the server serves normally again once the burst has passed. Tiny bounds through
// configuration keep it fast and deterministic.
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type RunningApp } from '../../src/app.ts';
import { openPostgres } from '../../src/db/postgres.ts';
import type { Db } from '../../src/db/types.ts';
import { bindLine } from '../support/catalog-fixtures.ts';
import { buyer, order, plainPlan } from '../support/orders-fixtures.ts';
import { withReplaced } from '../support/provider-stand-ins.ts';
import { createPostgresDatabase, forEachDatabase, testConfig, type Response, type TestContext } from '../support/harness.ts';

const BURST = 40;
const PROVIDER_SLOW_MS = 600;

async function lineViewBurst(ctx: TestContext): Promise<{ token: string; lineId: string; responses: Response[] }> {
  const c = await ctx.customer();
  const line = await bindLine(ctx, c.token);
  const responses = await Promise.all(Array.from({ length: BURST }, () => ctx.get(`/api/v1/lines/${line.id}`, { token: c.token })));
  return { token: c.token, lineId: line.id, responses };
}

function expectShedCleanly(responses: Response[]): void {
  const statuses = responses.map((r) => r.status);
  expect(statuses.every((s) => s === 200 || s === 503), statuses.join(',')).toBe(true);
  const shed = responses.filter((r) => r.status === 503);
  expect(shed.length).toBeGreaterThan(0);
  for (const r of shed) {
    expect(r.json.code).toBe('server_busy');
    expect(String(r.headers['content-type'])).toContain('application/problem+json');
    expect(Number(r.headers['retry-after'])).toBeGreaterThanOrEqual(1);
  }
}

async function expectServedAgain(ctx: TestContext, token: string, lineId: string, atOnce: number): Promise<void> {
  // Every slot came back: as many requests as may be served or wait are all answered.
  const again = await Promise.all(Array.from({ length: atOnce }, () => ctx.get(`/api/v1/lines/${lineId}`, { token })));
  expect(again.map((r) => r.status)).toEqual(Array.from({ length: atOnce }, () => 200));
}

forEachDatabase('shedding when the queue is full', (get) => {
  it('serves one request at a time, lets two wait, and sheds the rest of a burst with 503 server_busy + Retry-After', async () => {
    const ctx = get();
    const { token, lineId, responses } = await lineViewBurst(ctx);
    expectShedCleanly(responses);
    expect(responses.filter((r) => r.status === 200).length).toBeGreaterThanOrEqual(3);
    await expectServedAgain(ctx, token, lineId, 3);
  });

  it('declares 503 on every queued route of the OpenAPI document, not on /metrics', async () => {
    const ctx = get();
    const doc = (await ctx.get('/api/v1/openapi.json')).json as { paths: Record<string, Record<string, { responses: Record<string, unknown> }>> };
    const missing: string[] = [];
    for (const [path, operations] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(operations)) if (path !== '/metrics' && !operation.responses['503']) missing.push(`${method} ${path}`);
    }
    expect(missing).toEqual([]);
    expect(doc.paths['/metrics']?.get?.responses['503']).toBeUndefined();
  });
}, { SIMKEEP_REQUESTS_IN_FLIGHT_MAX: '1', SIMKEEP_REQUEST_QUEUE_MAX: '2' });

forEachDatabase('shedding what waited too long', (get) => {
  it('answers 503 server_busy to requests not admitted within the wait bound, and serves normally afterwards', async () => {
    const ctx = get();
    const b = await buyer(ctx);
    const plan = await plainPlan(ctx, 300);
    // A card order holds the one slot while the payment provider takes its time to answer.
    const sandbox = ctx.providers.byName('sandbox');
    if (!sandbox) throw new Error('no sandbox provider');
    ctx.providers.override('sandbox', withReplaced(sandbox, {
      createPayment: async (input) => {
        await new Promise((r) => setTimeout(r, PROVIDER_SLOW_MS));
        return sandbox.createPayment(input);
      },
    }));
    try {
      const slow = order(ctx, b, { planId: plan.id, paymentMethod: 'card' });
      await new Promise((r) => setTimeout(r, PROVIDER_SLOW_MS / 4));
      const waited = await Promise.all(Array.from({ length: 3 }, () => ctx.get(`/api/v1/lines/${b.lineId}`, { token: b.token })));
      expect(waited.map((r) => r.status)).toEqual([503, 503, 503]);
      expectShedCleanly(waited);
      expect((await slow).status).toBe(201);
    } finally {
      ctx.providers.restore('sandbox');
    }
    await expectServedAgain(ctx, b.token, b.lineId, 1);
  });
}, { SIMKEEP_REQUESTS_IN_FLIGHT_MAX: '1', SIMKEEP_REQUEST_QUEUE_WAIT_MS: '50' });

const hasPostgres = Boolean(process.env.TEST_DATABASE_URL);

describe.runIf(hasPostgres || process.env.CI === 'true')('shedding when PostgreSQL has no free connection', () => {
  let drop: () => Promise<void> = async () => undefined;
  let db: Db | null = null;
  let app: RunningApp | null = null;

  beforeAll(async () => {
    if (!hasPostgres) throw new Error('CI=true but TEST_DATABASE_URL is not set: the PostgreSQL leg cannot run');
    const created = await createPostgresDatabase();
    drop = created.drop;
    db = await openPostgres(created.url, { connectionWaitMs: 1_000 });
    app = await createApp(testConfig(), { db, logger: pino({ level: 'silent' }), startWorker: false });
  });
  afterAll(async () => {
    await app?.close();
    await db?.close();
    await drop();
  });

  it('answers 503 server_busy with Retry-After, not 500, when the pool stays busy past the wait bound', async () => {
    if (!app || !db) throw new Error('not started');
    const pool = db;
    // The pool opens its ten connections first, then every one is kept busy for three seconds: the
    // login's first statement cannot get one within the wait bound (one second).
    await Promise.all(Array.from({ length: 10 }, () => pool.query('SELECT 1')));
    const holders = Array.from({ length: 10 }, () => pool.query('SELECT pg_sleep(3)').then(() => 'held', () => 'shed'));
    await new Promise((r) => setTimeout(r, 300));
    const r = await app.http.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: 'nobody@example.test', password: 'Wrong-password-123' } });
    await Promise.all(holders);
    expect(r.statusCode, r.body).toBe(503);
    expect(r.json().code).toBe('server_busy');
    expect(Number(r.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    const after = await app.http.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: 'nobody@example.test', password: 'Wrong-password-123' } });
    expect(after.statusCode).toBe(401);
  });
});
