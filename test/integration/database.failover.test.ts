// Losing the database server (issue 13): a request that meets a dead, restarting or demoted server
// answers 503 database_unavailable with Retry-After — never 500 — and leaves nothing half-done; the
// process reconnects by itself, to the next host of a multi-host DATABASE_URL when the first is
// gone. PostgreSQL only: the embedded database cannot be taken away from its own process. The
// real-HA drill (pg_auto_failover) is `npm run test:failover`.
//
// Requests under fault go through `app.http.inject` rather than the harness's `call`: a 503 here is
// the point, and the harness checks answers against the routes' declared statuses.
import { randomUUID } from 'node:crypto';
import { createServer, connect, type Server, type Socket } from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestContext } from '../support/harness.ts';
import { buyer, expectLedgerSound, plainPlan, topUp, type Buyer } from '../support/orders-fixtures.ts';

const hasPostgres = Boolean(process.env.TEST_DATABASE_URL);
const mustRun = process.env.CI === 'true';
const PRICE_MINOR = 100;
const ORDERS_PER_LANE = 25;
const LANES = 4;
/** A request answered 503 is retried with the same Idempotency-Key at most this often. */
const RETRIES_MAX = 100;

/** A TCP relay to the test server that a test can cut, as if its host died: sockets reset, port closed. */
class Relay {
  private readonly sockets = new Set<Socket>();
  private server: Server | null = null;
  connections = 0;
  port = 0;

  constructor(private readonly target: { host: string; port: number }) {}

  async start(): Promise<this> {
    const server = createServer((client) => {
      this.connections++;
      const upstream = connect(this.target.port, this.target.host);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('error', () => undefined);
        s.on('close', () => {
          this.sockets.delete(s);
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.server = server;
    this.port = (server.address() as { port: number }).port;
    return this;
  }

  async kill(): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const s of this.sockets) s.resetAndDestroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

function adminClient(): pg.Client {
  return new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
}

async function admin<T>(run: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = adminClient();
  await c.connect();
  try {
    return await run(c);
  } finally {
    await c.end();
  }
}

/** Ends every session of the app's database but the caller's: what a server restart does to them. */
async function terminateBackends(database: string): Promise<number> {
  return admin(async (c) => {
    const { rowCount } = await c.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [database]);
    return rowCount ?? 0;
  });
}

interface Outcome {
  statuses: number[];
  acknowledged: string[];
  refusals: Array<{ status: number; code: unknown; retryAfter: unknown }>;
}

/** One wallet order under a fixed Idempotency-Key, retried on 503 until the server answers it for good. */
async function orderUntilAnswered(ctx: TestContext, b: Buyer, planId: string, outcome: Outcome): Promise<void> {
  const key = randomUUID();
  for (let attempt = 1; attempt <= RETRIES_MAX; attempt++) {
    const r = await ctx.app.http.inject({
      method: 'POST', url: '/api/v1/orders', payload: { lineId: b.lineId, planId, paymentMethod: 'wallet' },
      headers: { authorization: `Bearer ${b.token}`, 'idempotency-key': key },
    });
    outcome.statuses.push(r.statusCode);
    if (r.statusCode === 201) {
      outcome.acknowledged.push((r.json() as { id: string }).id);
      return;
    }
    outcome.refusals.push({ status: r.statusCode, code: r.json().code, retryAfter: r.headers['retry-after'] });
    if (r.statusCode !== 503) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function ordersOf(ctx: TestContext, b: Buyer): Promise<string[]> {
  const { rows } = await ctx.db.query<{ id: string }>(`SELECT id FROM orders WHERE user_id = $1 AND payment_method = 'wallet' ORDER BY id`, [b.userId]);
  return rows.map((r) => r.id);
}

function expectOnly503DatabaseUnavailable(outcome: Outcome): void {
  for (const refusal of outcome.refusals) expect(refusal).toEqual({ status: 503, code: 'database_unavailable', retryAfter: expect.stringMatching(/^\d+$/) });
}

describe.runIf(hasPostgres || mustRun)('losing the database server [postgres]', () => {
  beforeAll(() => {
    if (!hasPostgres) throw new Error('CI=true but TEST_DATABASE_URL is not set: the PostgreSQL leg cannot run');
  });

  describe('every session of the database terminated mid-load', () => {
    let ctx: TestContext;
    let stop: () => Promise<void> = async () => undefined;
    beforeAll(async () => ({ ctx, stop } = await startTestApp('postgres')));
    afterAll(() => stop());

    it('answers each request 201 or 503 database_unavailable with Retry-After, loses no acknowledged order and recovers without a restart', async () => {
      const b = await buyer(ctx);
      await topUp(ctx, b, LANES * ORDERS_PER_LANE * PRICE_MINOR);
      const plan = await plainPlan(ctx, PRICE_MINOR);
      const { rows } = await ctx.db.query<{ name: string }>('SELECT current_database() AS name');
      const database = rows[0]?.name ?? '';
      const outcome: Outcome = { statuses: [], acknowledged: [], refusals: [] };
      let loading = true;
      const lanes = Array.from({ length: LANES }, async () => {
        for (let i = 0; i < ORDERS_PER_LANE; i++) await orderUntilAnswered(ctx, b, plan.id, outcome);
      });
      const load = Promise.all(lanes).finally(() => (loading = false));
      // Kill the sessions again and again until requests have met it (idle ones die unnoticed).
      let terminations = 0;
      while (loading && (outcome.refusals.length === 0 || terminations < 5)) {
        await new Promise((resolve) => setTimeout(resolve, 30));
        terminations += (await terminateBackends(database)) > 0 ? 1 : 0;
      }
      await load;

      expect(outcome.refusals.length, 'no request met a terminated session').toBeGreaterThan(0);
      expectOnly503DatabaseUnavailable(outcome);
      expect(outcome.acknowledged).toHaveLength(LANES * ORDERS_PER_LANE);
      // Each acknowledged order is there, once; no order exists that was not acknowledged.
      expect(await ordersOf(ctx, b)).toEqual([...outcome.acknowledged].sort());
      const wallet = await ctx.get('/api/v1/wallet', { token: b.token });
      expect(wallet.json.balance.amount, wallet.text).toBe(0);
      await expectLedgerSound(ctx);
    });
  });

  describe('a multi-host DATABASE_URL whose host in use dies', () => {
    let ctx: TestContext;
    let stop: () => Promise<void> = async () => undefined;
    const relays: Relay[] = [];
    let refusedPort = 0;
    beforeAll(async () => {
      const target = new URL(process.env.TEST_DATABASE_URL ?? 'postgres://127.0.0.1');
      for (let i = 0; i < 3; i++) relays.push(await new Relay({ host: target.hostname, port: Number(target.port || 5432) }).start());
      // The first host refuses from the start: connections walk on to the next.
      refusedPort = relays[0]?.port ?? 0;
      await relays[0]?.kill();
      const hosts = relays.map((r) => `127.0.0.1:${r.port}`).join(',');
      ({ ctx, stop } = await startTestApp('postgres', {}, (url) => {
        const u = new URL(url);
        return `postgres://${u.username}${u.password ? `:${u.password}` : ''}@${hosts}${u.pathname}?target_session_attrs=read-write`;
      }));
    });
    afterAll(async () => {
      await stop();
      for (const r of relays) await r.kill();
    });

    it('starts on the first host that answers, and when it dies carries on with the next, with no restart', async () => {
      expect(refusedPort).toBeGreaterThan(0);
      const [, first, second] = relays;
      if (!first || !second) throw new Error('relays not started');
      const b = await buyer(ctx);
      await topUp(ctx, b, 20 * PRICE_MINOR);
      const plan = await plainPlan(ctx, PRICE_MINOR);
      const outcome: Outcome = { statuses: [], acknowledged: [], refusals: [] };
      for (let i = 0; i < 5; i++) await orderUntilAnswered(ctx, b, plan.id, outcome);
      expect([first.connections > 0, second.connections]).toEqual([true, 0]);

      const during = Array.from({ length: 5 }, () => orderUntilAnswered(ctx, b, plan.id, outcome));
      await first.kill();
      await Promise.all(during);
      for (let i = 0; i < 10; i++) await orderUntilAnswered(ctx, b, plan.id, outcome);

      expect(second.connections).toBeGreaterThan(0);
      expectOnly503DatabaseUnavailable(outcome);
      expect(outcome.acknowledged).toHaveLength(20);
      expect(await ordersOf(ctx, b)).toEqual([...outcome.acknowledged].sort());
      await expectLedgerSound(ctx);
    });
  });

  describe('a server that answers read-only (a standby, or a primary being demoted)', () => {
    let ctx: TestContext;
    let stop: () => Promise<void> = async () => undefined;
    let database = '';
    beforeAll(async () => {
      ({ ctx, stop } = await startTestApp('postgres'));
      const { rows } = await ctx.db.query<{ name: string }>('SELECT current_database() AS name');
      database = rows[0]?.name ?? '';
    });
    afterAll(async () => {
      await admin((c) => c.query(`ALTER DATABASE ${database} RESET default_transaction_read_only`));
      await stop();
    });

    it('is not used: requests answer 503 database_unavailable, not 500, and succeed once it is writable again', async () => {
      const b = await buyer(ctx);
      await topUp(ctx, b, 5 * PRICE_MINOR);
      const plan = await plainPlan(ctx, PRICE_MINOR);
      await admin((c) => c.query(`ALTER DATABASE ${database} SET default_transaction_read_only = on`));
      await terminateBackends(database);
      const outcome: Outcome = { statuses: [], acknowledged: [], refusals: [] };
      const key = randomUUID();
      const send = () => ctx.app.http.inject({
        method: 'POST', url: '/api/v1/orders', payload: { lineId: b.lineId, planId: plan.id, paymentMethod: 'wallet' },
        headers: { authorization: `Bearer ${b.token}`, 'idempotency-key': key },
      });
      for (let i = 0; i < 3; i++) {
        const r = await send();
        outcome.refusals.push({ status: r.statusCode, code: r.json().code, retryAfter: r.headers['retry-after'] });
      }
      expectOnly503DatabaseUnavailable(outcome);

      await admin((c) => c.query(`ALTER DATABASE ${database} RESET default_transaction_read_only`));
      const r = await send();
      expect(r.statusCode, r.body).toBe(201);
      // Nothing of the refused attempts was kept: the retry made the one order.
      expect(await ordersOf(ctx, b)).toEqual([(r.json() as { id: string }).id]);
      await expectLedgerSound(ctx);
    });
  });
});
