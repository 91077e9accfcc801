// Helpers shared by the benchmarks: a real listening server on 127.0.0.1 and a bounded,
// concurrent request loop. Figures are always reported against a baseline measured in the same run.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import pino from 'pino';
import { createApp, type RunningApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';

export const BENCH_ADMIN = { email: 'bench-admin@simkeep.test', password: 'Bench-Adm1n-k7Qp!zx93' };

export interface BenchServer {
  app: RunningApp;
  base: string;
  /** The environment this server was configured from: another process opens the same database with it. */
  env: Record<string, string>;
  /** Closes the app, keeping its database (PGlite's data directory is one process's at a time). */
  closeApp(): Promise<void>;
  stop(): Promise<void>;
}

/** The configuration environment of a bench server on `port` over the database `dbEnv` names. */
export function benchEnv(port: number, dbEnv: Record<string, string>, env: Record<string, string> = {}): Record<string, string> {
  const base = `http://127.0.0.1:${port}`;
  return {
    NODE_ENV: 'development', PORT: String(port), HOST: '127.0.0.1', SIMKEEP_PUBLIC_URL: base, SIMKEEP_SECRET_KEY: 'cd'.repeat(32),
    SIMKEEP_ADMIN_EMAIL: BENCH_ADMIN.email, SIMKEEP_ADMIN_PASSWORD: BENCH_ADMIN.password,
    SIMKEEP_DEMO: '1', SIMKEEP_SANDBOX: '1', SIMKEEP_LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'silent', ...dbEnv, ...env,
  };
}

/** A fresh database on the BENCH_DATABASE_URL server, so runs never touch anything else there. */
export async function freshPostgresDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const base = process.env.BENCH_DATABASE_URL;
  if (!base) throw new Error('BENCH_DATABASE_URL is not set');
  const name = `simkeep_bench_${randomBytes(4).toString('hex')}`;
  const admin = async (sql: string): Promise<void> => {
    const client = new pg.Client({ connectionString: base });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(base);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const address = s.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/**
 * A server on PGlite in a temp dir, or on a fresh database of the BENCH_DATABASE_URL server. It
 * listens on a port chosen up front so SIMKEEP_PUBLIC_URL is right: the sandbox posts its webhooks there.
 */
export async function startBenchServer(kind: 'pglite' | 'postgres', env: Record<string, string> = {}): Promise<BenchServer> {
  const dir = mkdtempSync(join(tmpdir(), 'simkeep-bench-'));
  const pgDb = kind === 'postgres' ? await freshPostgresDatabase() : null;
  const dbEnv: Record<string, string> = pgDb ? { DATABASE_URL: pgDb.url } : { SIMKEEP_DATA_DIR: dir };
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const config = loadConfig(benchEnv(port, dbEnv, env));
  const app = await createApp(config, { logger: pino({ level: config.logLevel }) });
  await app.http.listen({ port, host: '127.0.0.1' });
  let open = true;
  const closeApp = async (): Promise<void> => {
    if (open) await app.close();
    open = false;
  };
  return {
    app,
    base,
    env: { ...dbEnv, ...env },
    closeApp,
    async stop() {
      await closeApp();
      await pgDb?.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface Throughput {
  requests: number;
  seconds: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
}

/** Runs `once` with `concurrency` workers until `count` calls are done; bounded by count. */
export async function measure(count: number, concurrency: number, once: (i: number) => Promise<void>): Promise<Throughput> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const i = next++;
        const t0 = performance.now();
        await once(i);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const pct = (p: number): number => Math.round((latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? 0) * 10) / 10;
  return { requests: count, seconds, perSecond: Math.round(count / seconds), p50Ms: pct(0.5), p99Ms: pct(0.99) };
}

export async function expectStatus(response: Response, status: number, what: string): Promise<unknown> {
  const text = await response.text();
  if (response.status !== status) throw new Error(`${what}: expected ${status}, got ${response.status} ${text.slice(0, 200)}`);
  return text ? JSON.parse(text) : null;
}

export const ratio = (value: number, baseline: number): string => `${(value / baseline).toFixed(2)}×`;

/** Linux's USER_HZ: /proc/<pid>/stat counts CPU time in these. */
const CLOCK_TICKS_PER_SECOND = 100;

/** utime + stime of a process in ms (Linux /proc), 0 when it is gone. */
export function processCpuMs(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/** CPU ms used so far by each PostgreSQL backend connected to `database` (the server must be local). */
export async function backendCpuMs(admin: pg.Client, database: string): Promise<Map<number, number>> {
  const { rows } = await admin.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = $1', [database]);
  return new Map(rows.map(({ pid }) => [pid, processCpuMs(pid)]));
}
