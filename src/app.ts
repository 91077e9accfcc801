// The composition root's body: config → database → migrations → seed → modules → HTTP + worker.
// `main.ts` calls it to serve; tests call it to get an app on a fresh database.
import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { DestinationStream, Logger } from 'pino';
import { SimulatedCarrier } from './adapters/carriers/simulated.ts';
import type { CarrierAdapter } from './adapters/carriers/types.ts';
import type { AppDeps, RouteModule } from './app-deps.ts';
import { httpUrlOf, type Config } from './config.ts';
import { migrate } from './db/migrate.ts';
import { openDatabase } from './db/open.ts';
import type { Db } from './db/types.ts';
import { createLogger } from './http/logging.ts';
import { buildServer } from './http/server.ts';
import type { App } from './http/types.ts';
import { registerMaintenance } from './jobs/maintenance.ts';
import { Worker } from './jobs/worker.ts';
import { accountsRoutes } from './modules/accounts/routes.ts';
import { calendarRoutes } from './modules/calendar/routes.ts';
import { catalogJobs } from './modules/catalog/jobs.ts';
import { catalogRoutes } from './modules/catalog/routes.ts';
import { autoRenewTerms } from './modules/catalog/service.ts';
import { preparePasswordHashing } from './modules/accounts/passwords.ts';
import { ensureAdmin } from './modules/accounts/service.ts';
import { auditRoutes } from './modules/audit/routes.ts';
import { CarrierRouter } from './modules/carrier-adapters/router.ts';
import { carrierAdaptersRoutes } from './modules/carrier-adapters/routes.ts';
import { AppClock, wallClock, type Clock } from './modules/clock/service.ts';
import { clockRoutes } from './modules/clock/routes.ts';
import { linesJobs } from './modules/lines/jobs.ts';
import { remindersJobs } from './modules/reminders/jobs.ts';
import { linesRoutes } from './modules/lines/routes.ts';
import { notificationsJobs } from './modules/notifications/jobs.ts';
import { notificationsRoutes } from './modules/notifications/routes.ts';
import { ordersAdminRoutes } from './modules/orders/admin-routes.ts';
import { ordersJobs } from './modules/orders/jobs.ts';
import { ORDER_PAYMENT_OUTCOMES } from './modules/orders/payment-outcomes.ts';
import { ordersRoutes } from './modules/orders/routes.ts';
import { paymentsJobs } from './modules/payments/jobs.ts';
import { buildPaymentProviders, type ProviderAdapters } from './modules/payments/registry.ts';
import { deliverOverHttp, type Deliver } from './modules/payments/sandbox-service.ts';
import { paymentsRoutes } from './modules/payments/routes.ts';
import { savedMethodsRoutes } from './modules/payments/saved-methods-routes.ts';
import { wechatPayerRoutes } from './modules/payments/wechat-payer-routes.ts';
import { renewalsBeforeLapse } from './modules/renewals/jobs.ts';
import { ticketsRoutes } from './modules/tickets/routes.ts';
import { usageRoutes } from './modules/usage/routes.ts';
import { seedDemo } from './seed/demo.ts';

// Lines learn about a plan from the catalog through a function composed here, not an import:
// the catalog imports lines (ownership, carriers, credit state), so the arrow cannot go back.
const linesWithCatalog: RouteModule = (app, deps) => linesRoutes(app, deps, (planId) => autoRenewTerms(deps.db, planId));

/** Every module's HTTP routes; a module appears here once. */
const ROUTE_MODULES: readonly RouteModule[] = [accountsRoutes, auditRoutes, clockRoutes, linesWithCatalog, carrierAdaptersRoutes, catalogRoutes, ordersRoutes, ordersAdminRoutes, paymentsRoutes, savedMethodsRoutes, wechatPayerRoutes, notificationsRoutes, usageRoutes, ticketsRoutes, calendarRoutes];

// Auto-renewal runs inside the lifecycle's task, just before it, and holds back the lapse of a period
// it is paying for: a clock jump past an expiry renews the line (when auto-renew can pay) before the
// lifecycle could suspend or recycle it — in every worker, in that order.
const linesWithRenewals = (deps: AppDeps): void => linesJobs(deps, renewalsBeforeLapse(deps));

/** Every module's jobs and periodic tasks. */
const JOB_MODULES: ReadonlyArray<(deps: AppDeps) => void> = [registerMaintenance, linesWithRenewals, ordersJobs, paymentsJobs, catalogJobs, notificationsJobs, remindersJobs];

export interface RunningApp {
  http: App;
  deps: AppDeps;
  /** What start-up did, for the start banner. */
  startup: { migrationsApplied: string[]; seeded: boolean; adminEmail: string | null };
  close(): Promise<void>;
}

export interface CreateAppOptions {
  /** An already open database (tests share one per file). */
  db?: Db;
  logger?: Logger;
  /** Where the app's own logger (level and redaction from config) writes, when no `logger` is given; default stdout. */
  logStream?: DestinationStream;
  /**
   * Listen before the jobs are registered and the worker starts (`npm start`): without
   * SIMKEEP_PUBLIC_URL the public URL is then taken from the address actually bound (PORT=0).
   */
  listen?: { host: string; port: number };
  /** Start the background worker loop (default: config.worker). Tests drive `deps.worker` by hand. */
  startWorker?: boolean;
  /** Replaces or wraps the configured payment adapters (tests: a provider that is down, a fake provider API). */
  paymentProviders?: (configured: Readonly<ProviderAdapters>) => ProviderAdapters;
  /**
   * Stands in for the simulated carrier configured from env — every carrier not configured for the
   * HTTP/JSON adapter (tests: a carrier that fails on demand).
   */
  carrier?: CarrierAdapter;
  /** Wall time (tests: one moved by hand to age a session or a lockout); default the system clock. */
  wallClock?: Clock;
}

/** The key for encryption at rest and signatures: configured, or generated once into the data dir. */
export function resolveSecretKey(config: Config): Buffer {
  if (config.secretKeyHex) return Buffer.from(config.secretKeyHex, 'hex');
  if (config.database.kind === 'postgres' || config.database.dataDir === null) {
    // loadConfig refuses postgres without a key; an in-memory database lives as long as the process.
    return randomBytes(32);
  }
  const file = join(config.database.dataDir, 'secret.key');
  if (existsSync(file)) {
    const hex = readFileSync(file, 'utf8').trim();
    if (!/^[0-9a-f]{64}$/.test(hex)) throw new Error(`${file} does not hold 64 hex characters`);
    return Buffer.from(hex, 'hex');
  }
  mkdirSync(config.database.dataDir, { recursive: true });
  const key = randomBytes(32);
  writeFileSync(file, key.toString('hex') + '\n', { mode: 0o600 });
  return key;
}

/**
 * The database and key exactly as the server opens them (same config, migrated), for commands
 * that work on the data without serving: the CLI. Close the database when done.
 */
export async function openConfiguredDatabase(config: Config): Promise<{ db: Db; secretKey: Buffer }> {
  const secretKey = resolveSecretKey(config);
  const db = await openDatabase(config.database);
  try {
    await migrate(db);
  } catch (error) {
    await db.close();
    throw error;
  }
  return { db, secretKey };
}

/** The server could not bind HOST:PORT (in use, not an address of this machine, not resolvable). */
export class ListenError extends Error {
  override name = 'ListenError';
  constructor(readonly at: { host: string; port: number }, cause: unknown) {
    const reason = cause instanceof Error ? `${(cause as NodeJS.ErrnoException).code ?? cause.name}: ${cause.message}` : String(cause);
    super(`cannot listen on HOST=${at.host} PORT=${at.port} (${reason})`, { cause });
  }
}

export async function createApp(config: Config, options: CreateAppOptions = {}): Promise<RunningApp> {
  const log = options.logger ?? createLogger(config.logLevel, options.logStream);
  // The dummy hash for unknown-email logins, computed now rather than by the first such login.
  const hashingReady = preparePasswordHashing();
  const secretKey = resolveSecretKey(config);
  const db = options.db ?? (await openDatabase(config.database));
  const { applied } = await migrate(db);

  const clock = new AppClock(config.sandbox);
  await clock.refresh(db);

  // The embedded database seeds itself when new, so `npm start` shows a working product at once —
  // never in production, where the demo's public account and coupons need SIMKEEP_DEMO=1.
  const usersBefore = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM users');
  const seed = config.demo ?? (config.env !== 'production' && config.database.kind === 'pglite' && (usersBefore.rows[0]?.n ?? 0) === 0);
  if (seed) await seedDemo({ db, clock, secretKey });
  if (config.admin) await ensureAdmin(db, clock, config.admin);
  await hashingReady;

  const worker = new Worker(db, clock, log);
  // Known for certain only once the server listens (PORT=0); until then the configured one.
  let publicUrl = config.publicUrl;
  let http: App | null = null;
  // While nothing listens (tests, start-up) the sandbox's webhooks go through inject: the same route and signature check.
  const sandboxDelivery: Deliver = async (url, body, headers) => {
    if (http && !http.server.listening) {
      return (await http.inject({ method: 'POST', url: new URL(url).pathname, headers, payload: body })).statusCode;
    }
    return deliverOverHttp(url, body, headers);
  };
  const deps: AppDeps = {
    config, db, clock, secretKey, log, worker, sandboxDelivery, wallClock: options.wallClock ?? wallClock,
    publicUrl: () => publicUrl,
    payments: buildPaymentProviders({ config, db, clock, secretKey, publicUrl: () => publicUrl, adapt: options.paymentProviders }),
    paymentOutcomes: ORDER_PAYMENT_OUTCOMES,
    // Per line's carrier: the HTTP/JSON adapter where an operator configured one, else the simulated carrier.
    carrier: new CarrierRouter({
      db, secretKey, wallClock: options.wallClock ?? wallClock, publicUrl: () => publicUrl,
      simulated: options.carrier ?? new SimulatedCarrier(config.simulatedCarrier),
    }),
  };
  http = await buildServer(deps, ROUTE_MODULES);
  if (options.listen) {
    try {
      await http.listen(options.listen);
    } catch (error) {
      await http.close();
      if (!options.db) await db.close();
      throw new ListenError(options.listen, error);
    }
    const address = http.server.address();
    if (!config.publicUrlExplicit && typeof address === 'object' && address) publicUrl = httpUrlOf(config.host, address.port);
  }
  for (const registerJobs of JOB_MODULES) registerJobs(deps);
  // Every API process keeps its view of the sandbox clock fresh, even without a worker.
  const clockTimer = config.sandbox ? setInterval(() => void clock.refresh(db).catch(() => undefined), 1_000) : null;
  clockTimer?.unref();
  if (options.startWorker ?? config.worker) worker.start();

  let closed = false;
  return {
    http,
    deps,
    startup: { migrationsApplied: applied, seeded: seed, adminEmail: config.admin?.email ?? null },
    async close() {
      if (closed) return;
      closed = true;
      if (clockTimer) clearInterval(clockTimer);
      await http.close();
      await worker.stop();
      if (!options.db) await db.close();
    },
  };
}
