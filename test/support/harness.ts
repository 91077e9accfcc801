// Integration-test harness: every suite runs against embedded PGlite and, when TEST_DATABASE_URL is
// set, against a fresh database on that PostgreSQL server too. With CI=true a missing PostgreSQL is
// a failing test, never a quiet skip. Requests go through Fastify's inject (the full HTTP stack,
// no socket); `listen()` gives a real port where a test needs one. Every answer `call` returns is
// checked against the app's own OpenAPI document (openapi-contract.ts): an undeclared status or a
// body its schema refuses fails the test.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { afterAll, beforeAll, describe, inject, it } from 'vitest';
import pino from 'pino';
import { createApp, type RunningApp } from '../../src/app.ts';
import { loadConfig, type Config } from '../../src/config.ts';
import { migrate } from '../../src/db/migrate.ts';
import { openPglite } from '../../src/db/pglite.ts';
import { openPostgres } from '../../src/db/postgres.ts';
import type { Db } from '../../src/db/types.ts';
import type { Clock } from '../../src/modules/clock/service.ts';
import { SimulatedCarrier } from '../../src/adapters/carriers/simulated.ts';
import { CarrierSwitch, ProviderSwitch } from './provider-stand-ins.ts';
import { ResponseContract, type OpenApiDocument } from './openapi-contract.ts';

export type DbKind = 'pglite' | 'postgres';

export const ADMIN = { email: 'admin@simkeep.test', password: 'Adm1n-k7Qp!zx93-long' };

export interface Response<T = any> {
  status: number;
  json: T;
  text: string;
  headers: Record<string, string | string[] | undefined>;
}

export interface RequestOptions {
  token?: string;
  headers?: Record<string, string>;
  /** A raw body (CSV, form data, malformed JSON); set the content-type header yourself. */
  raw?: string;
  body?: unknown;
  /** The client address the server sees (default 127.0.0.1): per-IP limits key on it. */
  remoteAddress?: string;
}

export interface TestContext {
  kind: DbKind;
  app: RunningApp;
  db: Db;
  /** The app's payment adapters: the configured ones, replaceable by stand-ins (createApp's `paymentProviders`). */
  providers: ProviderSwitch;
  /** The app's carrier: the simulated one, replaceable by a stand-in (createApp's `carrier`). */
  carrier: CarrierSwitch;
  call<T = any>(method: string, path: string, options?: RequestOptions): Promise<Response<T>>;
  get<T = any>(path: string, options?: RequestOptions): Promise<Response<T>>;
  post<T = any>(path: string, body?: unknown, options?: RequestOptions): Promise<Response<T>>;
  patch<T = any>(path: string, body?: unknown, options?: RequestOptions): Promise<Response<T>>;
  /** A session of the configured admin: the last one while the server still takes it, else a new login. */
  adminToken(): Promise<string>;
  /** A new customer with a session token. */
  customer(locale?: 'en' | 'zh-CN'): Promise<{ email: string; password: string; token: string; user: { id: string } }>;
  /** Moves the sandbox clock and runs the worker until no due job is left. */
  advance(seconds: number): Promise<void>;
  /** Runs due jobs and periodic tasks until the queue is quiet. */
  drain(): Promise<void>;
  /** Moves the app's wall clock (sessions, API tokens, login and PIN lockouts age on it), not the sandbox clock. */
  advanceWall(seconds: number): void;
}

/** The app's wall clock in tests: system time plus an offset moved by hand. */
export class TestWallClock implements Clock {
  private offsetMs = 0;
  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }
  advance(seconds: number): void {
    this.offsetMs += seconds * 1000;
  }
}

/** An address in 198.18.0.0/15 (RFC 2544, benchmarking): never a real client. */
export function randomClientAddress(): string {
  const b = randomBytes(3);
  return `198.${18 + ((b[0] ?? 0) & 1)}.${b[1] ?? 0}.${b[2] ?? 0}`;
}

export function databaseKinds(): DbKind[] {
  if (process.env.TEST_DATABASE_URL) return ['pglite', 'postgres'];
  return ['pglite'];
}

/**
 * A fresh database on TEST_DATABASE_URL's server: empty, or with `migrated` a copy of this run's
 * migrated template (db-template.ts; empty when the run has none, and createApp migrates it).
 */
export async function createPostgresDatabase(options: { migrated?: boolean } = {}): Promise<{ url: string; drop: () => Promise<void> }> {
  const base = process.env.TEST_DATABASE_URL;
  if (!base) throw new Error('TEST_DATABASE_URL is not set');
  const name = `simkeep_t_${randomBytes(5).toString('hex')}`;
  const template = options.migrated ? inject('postgresTemplateDatabase') : '';
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query(template ? `CREATE DATABASE ${name} TEMPLATE ${template}` : `CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(base);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: base });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

let pgliteTemplate: Blob | null | undefined;

/**
 * A fresh PGlite database with every migration applied — in memory, or in `dataDir` (a data directory
 * as a server would leave it) — loaded from this run's template (db-template.ts): no initdb, no
 * migration to run. Without a template it is made the long way (migrated here). Tests of migrations
 * and start-up open empty databases themselves.
 */
export async function openTestPglite(dataDir: string | null = null): Promise<Db> {
  if (pgliteTemplate === undefined) {
    const file = inject('pgliteTemplateFile');
    pgliteTemplate = file ? new Blob([readFileSync(file)]) : null;
  }
  if (pgliteTemplate) return openPglite(dataDir, pgliteTemplate);
  const db = await openPglite(dataDir);
  await migrate(db);
  return db;
}

export function testConfig(overrides: Record<string, string> = {}): Config {
  return loadConfig({
    NODE_ENV: 'test',
    SIMKEEP_SECRET_KEY: 'ab'.repeat(32),
    SIMKEEP_ADMIN_EMAIL: ADMIN.email,
    SIMKEEP_ADMIN_PASSWORD: ADMIN.password,
    SIMKEEP_DEMO: '1',
    SIMKEEP_SANDBOX: '1',
    SIMKEEP_WORKER: '0',
    SIMKEEP_LOG_LEVEL: 'silent',
    // Suites fire bursts of 50 requests through inject on a loaded CI machine: only the shedding
    // tests (http.shedding.test.ts) set a bound tight enough to shed.
    SIMKEEP_REQUEST_QUEUE_WAIT_MS: '60000',
    ...overrides,
  });
}

/**
 * `connectVia` (PostgreSQL): the DATABASE_URL the app gets, made from its fresh database's URL — a
 * multi-host URL, or one through a proxy a test can cut.
 */
export async function startTestApp(
  kind: DbKind, env: Record<string, string> = {}, connectVia: (url: string) => string = (url) => url,
): Promise<{ ctx: TestContext; stop: () => Promise<void> }> {
  let db: Db;
  let drop = async (): Promise<void> => undefined;
  if (kind === 'postgres') {
    const created = await createPostgresDatabase({ migrated: true });
    db = await openPostgres(connectVia(created.url));
    drop = created.drop;
  } else {
    db = await openTestPglite();
  }
  const config = testConfig(env);
  const providers = new ProviderSwitch();
  const carrier = new CarrierSwitch(new SimulatedCarrier(config.simulatedCarrier));
  const wall = new TestWallClock();
  const app = await createApp(config, { db, logger: pino({ level: 'silent' }), startWorker: false, paymentProviders: providers.adapt, carrier, wallClock: wall });
  const ctx = makeContext(kind, app, db, providers, carrier, wall);
  return {
    ctx,
    stop: async () => {
      await app.close();
      await db.close();
      await drop();
    },
  };
}

function makeContext(kind: DbKind, app: RunningApp, db: Db, providers: ProviderSwitch, carrier: CarrierSwitch, wall: TestWallClock): TestContext {
  // Compiled on the first call, once every route is registered; schemas compile as operations are met.
  let contract: ResponseContract | null = null;
  let adminSession: string | null = null;
  const call = async <T>(method: string, path: string, options: RequestOptions = {}): Promise<Response<T>> => {
    const headers: Record<string, string> = { ...(options.headers ?? {}) };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    let payload: string | undefined;
    if (options.raw !== undefined) payload = options.raw;
    else if (options.body !== undefined) {
      payload = JSON.stringify(options.body);
      headers['content-type'] ??= 'application/json';
    }
    const res = await app.http.inject({ method: method as 'GET', url: path, headers, payload, remoteAddress: options.remoteAddress });
    let json: T = undefined as T;
    try {
      json = JSON.parse(res.body) as T;
    } catch {
      /* not JSON */
    }
    contract ??= new ResponseContract(app.http.swagger() as unknown as OpenApiDocument);
    contract.check({ method, url: path, status: res.statusCode, headers: res.headers as Response['headers'], body: res.body });
    return { status: res.statusCode, json, text: res.body, headers: res.headers as Response['headers'] };
  };
  const ctx: TestContext = {
    kind,
    app,
    db,
    providers,
    carrier,
    call,
    get: (path, options) => call('GET', path, options),
    post: (path, body, options = {}) => call('POST', path, { ...options, body }),
    patch: (path, body, options = {}) => call('PATCH', path, { ...options, body }),
    async adminToken() {
      // The last session is used again while the server still takes it: a test may have moved a clock
      // past its expiry, logged it out or changed the password, and then the admin logs in afresh.
      // Checked with a plain read (GET /api/v1/me would create the admin's calendar feed), which costs
      // far less than a login's argon2 verification.
      if (adminSession) {
        const check = await call('GET', '/api/v1/admin/audit?limit=1', { token: adminSession });
        if (check.status === 200) return adminSession;
        adminSession = null;
      }
      const r = await call<{ token: string }>('POST', '/api/v1/auth/login', { body: ADMIN });
      if (r.status !== 200) throw new Error(`admin login failed: ${r.status} ${r.text}`);
      adminSession = r.json.token;
      return r.json.token;
    },
    async customer(locale = 'en') {
      const email = `c-${randomBytes(5).toString('hex')}@example.test`;
      const password = `Pw-${randomBytes(9).toString('base64url')}`;
      // Each customer signs up from an address of its own, as real ones do: the per-IP registration
      // limit is for one address signing up many.
      const r = await call<{ token: string; user: { id: string } }>('POST', '/api/v1/auth/register', {
        body: { email, password, name: 'Test Customer', locale }, remoteAddress: randomClientAddress(),
      });
      if (r.status !== 201) throw new Error(`register failed: ${r.status} ${r.text}`);
      return { email, password, token: r.json.token, user: r.json.user };
    },
    async advance(seconds) {
      const r = await call('POST', '/api/v1/sandbox/clock', { body: { advanceSeconds: seconds } });
      if (r.status !== 200) throw new Error(`clock advance failed: ${r.status} ${r.text}`);
      await ctx.drain();
    },
    advanceWall(seconds) {
      wall.advance(seconds);
    },
    async drain() {
      for (let i = 0; i < 20; i++) {
        const ran = await app.deps.worker.tick(i === 0);
        if (ran === 0) return;
      }
    },
  };
  return ctx;
}

/**
 * Declares `fn`'s tests once per database kind, each with its own app and fresh database.
 * In CI (CI=true) the PostgreSQL leg must run: without TEST_DATABASE_URL a failing test says so.
 */
export function forEachDatabase(title: string, fn: (get: () => TestContext) => void, env: Record<string, string> = {}): void {
  if (process.env.CI === 'true' && !process.env.TEST_DATABASE_URL) {
    describe(`${title} [postgres]`, () => {
      it('needs TEST_DATABASE_URL in CI', () => {
        throw new Error('CI=true but TEST_DATABASE_URL is not set: the PostgreSQL leg cannot run');
      });
    });
  }
  for (const kind of databaseKinds()) {
    describe(`${title} [${kind}]`, () => {
      let ctx: TestContext | null = null;
      let stop: (() => Promise<void>) | null = null;
      beforeAll(async () => {
        const started = await startTestApp(kind, env);
        ctx = started.ctx;
        stop = started.stop;
      });
      afterAll(async () => {
        await stop?.();
      });
      fn(() => {
        if (!ctx) throw new Error('test app not started');
        return ctx;
      });
    });
  }
}
