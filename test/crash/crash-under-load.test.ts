// Crash under load: the real server (`src/main.ts`) as a child process on an embedded data
// directory and on a PostgreSQL database, serving concurrent paid journeys — card orders paid on
// the sandbox (its webhooks delivered by the worker, some payments completed twice: duplicate
// webhooks), wallet orders — while it is killed with SIGKILL at random moments and restarted on the
// same data. Afterwards, over SQL: every acknowledged order is there, the ledger balances (wallet =
// postings), each captured payment is credited once, nothing is credited without a capture, and no
// order is left stuck once the worker has run.
//
// Stuck work: a job interrupted by the kill names the killed process's database session; the
// restarted worker hands such jobs back at once (no waiting out the 120 s lease), so no clock
// trick is needed before the stuck check.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { openPglite } from '../../src/db/pglite.ts';
import { openPostgres } from '../../src/db/postgres.ts';
import type { Db } from '../../src/db/types.ts';
import { verifyLedger } from '../../src/modules/ledger/service.ts';
import { planBody } from '../support/catalog-fixtures.ts';
import { ADMIN, createPostgresDatabase, databaseKinds, type DbKind } from '../support/harness.ts';
import { csvOf, nextCard } from '../support/lines-fixtures.ts';

const KILLS = Number(process.env.CRASH_KILLS ?? 3);
const SUBSCRIBERS = 5;
const START_TIMEOUT_MS = 180_000;

interface Server {
  child: ChildProcess;
  url: string;
  exited: Promise<number | null>;
}

function startServer(env: Record<string, string>): Promise<Server> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: process.cwd(), stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      PATH: process.env.PATH ?? '', NODE_ENV: 'development', HOST: '127.0.0.1', PORT: '0', SIMKEEP_SECRET_KEY: 'cd'.repeat(32),
      SIMKEEP_ADMIN_EMAIL: ADMIN.email, SIMKEEP_ADMIN_PASSWORD: ADMIN.password, SIMKEEP_DEMO: '1', SIMKEEP_SANDBOX: '1', SIMKEEP_WORKER: '1',
      SIMKEEP_LOG_LEVEL: 'error', ...env,
    },
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => {
      // Not left behind on a slow machine: a server that never said it listens is stopped here.
      child.kill('SIGKILL');
      reject(new Error(`server did not start within ${START_TIMEOUT_MS} ms: ${output}`));
    }, START_TIMEOUT_MS);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString('utf8');
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve({ child, url: match[1], exited });
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited (${code}) before listening: ${output}`));
    });
  });
}

async function call(base: string, method: string, path: string, body?: unknown, token?: string, headers: Record<string, string> = {}): Promise<{ status: number; json: any }> {
  const res = await fetch(base + path, {
    method, signal: AbortSignal.timeout(15_000),
    headers: { ...(body === undefined ? {} : { 'content-type': typeof body === 'string' ? 'text/csv' : 'application/json' }), ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json: any = null;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: res.status, json };
}

interface Subscriber { token: string; lineId: string }

async function prepare(base: string): Promise<{ planId: string; subscribers: Subscriber[] }> {
  const admin = (await call(base, 'POST', '/api/v1/auth/login', ADMIN)).json.token as string;
  const plan = await call(base, 'POST', '/api/v1/admin/plans', planBody({ price: { amount: 300, currency: 'USD' } }), admin);
  expect(plan.status, JSON.stringify(plan.json)).toBe(201);
  const cards = Array.from({ length: SUBSCRIBERS }, () => nextCard());
  expect((await call(base, 'POST', '/api/v1/admin/sims/import', csvOf(cards), admin)).status).toBe(200);
  const subscribers: Subscriber[] = [];
  for (const card of cards) {
    const reg = await call(base, 'POST', '/api/v1/auth/register', { email: `crash-${randomUUID().slice(0, 8)}@example.test`, password: 'Crash-test-pass-123' });
    expect(reg.status, JSON.stringify(reg.json)).toBe(201);
    const bound = await call(base, 'POST', '/api/v1/lines/bind', { iccid: card.iccid, pin: card.pin }, reg.json.token);
    expect(bound.status, JSON.stringify(bound.json)).toBe(201);
    subscribers.push({ token: reg.json.token, lineId: bound.json.id });
  }
  return { planId: plan.json.id, subscribers };
}

interface Load {
  /** Orders a client was answered 201 for: they must survive any crash. */
  acknowledged: Set<string>;
  /** Requests that found the server down. */
  failures: { count: number };
  stop: () => Promise<void>;
}

/** Each subscriber in a loop: card top-up paid on the sandbox (sometimes twice), then a wallet-paid plan. */
function runLoad(server: () => string, planId: string, subscribers: Subscriber[]): Load {
  let stopping = false;
  const acknowledged = new Set<string>();
  const failures = { count: 0 };
  const journey = async (s: Subscriber): Promise<void> => {
    while (!stopping) {
      try {
        const card = await call(server(), 'POST', '/api/v1/orders', { lineId: s.lineId, topupAmount: { amount: 500, currency: 'USD' }, paymentMethod: 'card' }, s.token, { 'idempotency-key': randomUUID() });
        if (card.status === 201) {
          acknowledged.add(card.json.id);
          const times = Math.random() < 0.3 ? 2 : 1;
          for (let i = 0; i < times; i++) await call(server(), 'POST', `/api/v1/sandbox/payments/${card.json.payment.id}/complete`, { outcome: 'succeeded' });
        }
        const wallet = await call(server(), 'POST', '/api/v1/orders', { lineId: s.lineId, planId, paymentMethod: 'wallet' }, s.token, { 'idempotency-key': randomUUID() });
        if (wallet.status === 201) acknowledged.add(wallet.json.id);
      } catch {
        // The server is down (killed): wait for it to come back.
        failures.count += 1;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  };
  const running = subscribers.map(journey);
  return { acknowledged, failures, stop: async () => { stopping = true; await Promise.all(running); } };
}

/** Lets the worker finish what the crashes interrupted: paid and provisioning orders reach an end. */
async function quiet(base: string): Promise<void> {
  // Interrupted jobs were handed back when the restarted worker saw their session gone.
  const admin = (await call(base, 'POST', '/api/v1/auth/login', ADMIN)).json.token as string;
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 1_000));
    const open = await call(base, 'GET', '/api/v1/admin/orders?status=provisioning&limit=1', undefined, admin);
    const paid = await call(base, 'GET', '/api/v1/admin/orders?status=paid&limit=1', undefined, admin);
    if (open.json.items?.length === 0 && paid.json.items?.length === 0) return;
  }
}

async function checkInvariants(db: Db, acknowledged: ReadonlySet<string>): Promise<void> {
  // Every order a client was told exists (201) is there.
  const { rows: present } = await db.query<{ id: string }>('SELECT id FROM orders WHERE id = ANY($1)', [[...acknowledged]]);
  expect(present.length, 'acknowledged orders present').toBe(acknowledged.size);
  // Journals balance, balances (wallets) equal their postings, no wallet below zero.
  expect(await verifyLedger(db)).toEqual([]);
  // Each captured payment credited once; no credit without a capture.
  const { rows: credits } = await db.query<{ order_id: string; journals: number; payment_status: string | null; method: string }>(
    `SELECT o.id AS order_id, o.payment_method AS method, p.status AS payment_status,
            (SELECT count(*)::int FROM ledger_journals j WHERE j.cause_type = 'order' AND j.cause_id = o.id AND j.kind IN ('order_payment', 'wallet_topup')) AS journals
       FROM orders o LEFT JOIN payments p ON p.order_id = o.id WHERE o.payment_method = 'card'`);
  expect(credits.filter((c) => c.journals > 1), 'credited more than once').toEqual([]);
  expect(credits.filter((c) => c.journals > 0 && c.payment_status !== 'succeeded'), 'credit without capture').toEqual([]);
  expect(credits.filter((c) => c.payment_status === 'succeeded' && c.journals !== 1), 'captured but not credited').toEqual([]);
  // Once the worker has run, no order stays paid or provisioning, and none awaits payment past its deadline.
  const { rows: stuck } = await db.query<{ id: string; status: string }>(
    `SELECT o.id, o.status FROM orders o, sandbox_clock c
      WHERE o.status IN ('paid', 'provisioning') OR (o.status = 'awaiting_payment' AND o.expires_at < now() + c.offset_ms * interval '1 millisecond')`);
  expect(stuck, 'orders stuck after the worker ran').toEqual([]);
}

function kinds(): DbKind[] {
  if (process.env.CI === 'true' && !process.env.TEST_DATABASE_URL) throw new Error('CI=true but TEST_DATABASE_URL is not set: the PostgreSQL leg cannot run');
  return databaseKinds();
}

describe('crash under load', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterAll(async () => {
    // Last in, first out: the server stops before its data directory or database goes.
    for (const c of cleanups.reverse()) await c();
  });

  it.each(kinds())(`survives ${KILLS} SIGKILLs of the server during paid journeys [%s]`, async (kind) => {
    let env: Record<string, string>;
    let openDb: () => Promise<Db>;
    if (kind === 'postgres') {
      const created = await createPostgresDatabase();
      cleanups.push(created.drop);
      env = { DATABASE_URL: created.url };
      openDb = () => openPostgres(created.url);
    } else {
      const dir = mkdtempSync(join(tmpdir(), 'simkeep-crash-'));
      cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
      env = { SIMKEEP_DATA_DIR: dir };
      // The server keeps its cluster in <data dir>/pg (src/db/open.ts).
      openDb = () => openPglite(join(dir, 'pg'));
    }
    let server = await startServer(env);
    cleanups.push(async () => {
      if (server.child.exitCode === null && server.child.signalCode === null) {
        server.child.kill('SIGKILL');
        await server.exited;
      }
    });
    const { planId, subscribers } = await prepare(server.url);
    const load = runLoad(() => server.url, planId, subscribers);
    let survived = 0;
    const restarts: number[] = [];
    for (let k = 0; k < KILLS; k++) {
      await new Promise((r) => setTimeout(r, 1_500 + Math.random() * 3_000));
      server.child.kill('SIGKILL');
      await server.exited;
      const t0 = performance.now();
      server = await startServer(env);
      restarts.push(Math.round(performance.now() - t0));
      survived += 1;
    }
    await new Promise((r) => setTimeout(r, 2_000));
    await load.stop();
    await quiet(server.url);
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    const db = await openDb();
    try {
      await checkInvariants(db, load.acknowledged);
    } finally {
      await db.close();
    }
    console.log(`crash [${kind}]: ${survived} SIGKILLs survived, ${load.acknowledged.size} orders acknowledged, ${load.failures.count} requests failed while down; restarts took ${restarts.join(', ')} ms`);
    expect(survived).toBe(KILLS);
    expect(load.acknowledged.size).toBeGreaterThan(0);
  }, 600_000);
});
