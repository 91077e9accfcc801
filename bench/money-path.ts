// The money path against baselines measured in the same run (issue 12's targets):
// - PostgreSQL: pgbench TPC-B (scale 1, 16 clients, 10 s) on the BENCH_DATABASE_URL server, in a
//   scratch database dropped afterwards; PGlite: a plain one-row INSERT loop on the same database.
// - Wallet-paid orders over HTTP: the server in this process, the load (autocannon, 16 connections,
//   a fresh Idempotency-Key per request, 16 customers with funded wallets) in a child process. First
//   the API alone (the worker not started: provisioning waits), then the worker catches up (its
//   jobs/s), then the same load with the worker running in the process, as `npm start` runs.
//   The ledger is measured once the worker has caught up again.
// - postJournal, one transfer per transaction among 1,000 accounts, 10 concurrent transactions;
//   then many journals per transaction (postJournals — the path usage charging takes).
import { execFile, spawn } from 'node:child_process';
import { randomInt, randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import { lastStatementOf, type Db } from '../src/db/types.ts';
import { withLuhnCheckDigit } from '../src/domain/luhn.ts';
import { clearingAccount, postJournal, postJournals, walletAccount, type JournalInput } from '../src/modules/ledger/service.ts';
import type { LoadFigures, LoadPlan } from './load-child.ts';
import { BENCH_ADMIN, expectStatus, startBenchServer } from './support.ts';

const run = promisify(execFile);
const PGBENCH_DB = 'simkeep_bench_pgbench';
const PGBENCH_SECONDS = 10;
export const HTTP_SECONDS = 8;
const HTTP_WARMUP_SECONDS = 2;
export const HTTP_CONNECTIONS = 16;
const CUSTOMERS = 16;
const PRICE_MINOR = 100;
const WALLET_FUNDS_MINOR = 100_000_000;
export const LEDGER_ACCOUNTS = 1_000;
const LEDGER_CONNECTIONS = 10;
const LEDGER_SECONDS = 5;
const BATCH_JOURNALS = 100;
const INSERT_LOOP_SECONDS = 3;
const ACTOR = { userId: null, role: 'bench' } as const;

const fmt = (n: number): string => (Math.round(n * 10) / 10).toLocaleString('en-US');
// Three decimals: 0.246× must not read as the 0.25× it misses.
const versus = (value: number, baseline: number | null, target?: number): string =>
  baseline ? `${(value / baseline).toFixed(3)}×${target === undefined ? '' : ` (target ≥ ${target}×: ${value / baseline >= target ? 'met' : 'missed'})`}` : 'no baseline';

/** pgbench TPC-B TPS on the BENCH_DATABASE_URL server, or null when pgbench is not installed. */
async function pgbenchTps(serverUrl: string): Promise<number | null> {
  try {
    await run('pgbench', ['--version']);
  } catch {
    return null;
  }
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  const url = new URL(serverUrl);
  url.pathname = `/${PGBENCH_DB}`;
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${PGBENCH_DB} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${PGBENCH_DB}`);
    await run('pgbench', ['-i', '-s', '1', '-q', url.toString()]);
    const { stdout } = await run('pgbench', ['-c', '16', '-j', '2', '-T', String(PGBENCH_SECONDS), url.toString()]);
    const tps = /tps = ([\d.]+) \(without initial connection time\)/.exec(stdout)?.[1];
    if (!tps) throw new Error(`pgbench printed no tps:\n${stdout}`);
    return Number(tps);
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${PGBENCH_DB} WITH (FORCE)`).catch(() => undefined);
    await admin.end();
  }
}

/** Plain one-row INSERTs, one statement (and transaction) each, in a loop: PGlite's own ceiling. */
async function insertLoop(db: Db): Promise<number> {
  await db.exec('DROP TABLE IF EXISTS bench_insert_baseline; CREATE TABLE bench_insert_baseline (id bigserial PRIMARY KEY, k text NOT NULL, v bigint NOT NULL)');
  let n = 0;
  const started = performance.now();
  while (performance.now() - started < INSERT_LOOP_SECONDS * 1000) {
    await db.query('INSERT INTO bench_insert_baseline (k, v) VALUES ($1, $2)', [`k${n}`, n]);
    n++;
  }
  const perSecond = n / ((performance.now() - started) / 1000);
  await db.exec('DROP TABLE bench_insert_baseline');
  return perSecond;
}

/** One transfer of 1..100 minor units between two different accounts of the LEDGER_ACCOUNTS. */
export const transfer = (): JournalInput => {
  const a = randomInt(LEDGER_ACCOUNTS);
  const b = (a + 1 + randomInt(LEDGER_ACCOUNTS - 1)) % LEDGER_ACCOUNTS;
  const amountMinor = 1 + randomInt(100);
  return {
    idempotencyKey: `bench:${randomUUID()}`, kind: 'bench_transfer', cause: { type: 'bench', id: 'transfer' }, postedAt: new Date(),
    lines: [{ account: clearingAccount(`bench-${a}`, 'USD'), amountMinor: -amountMinor }, { account: clearingAccount(`bench-${b}`, 'USD'), amountMinor }],
  };
};

/**
 * Journals per second: `connections` loops, each running transactions of `perTx` transfers whose
 * post is the transaction's last statement, as a caller that owns its transaction posts: BEGIN and
 * COMMIT ride in the post's round trip on PostgreSQL (db/types.ts lastStatementOf).
 */
async function journalsPerSecond(db: Db, perTx: number): Promise<number> {
  let journals = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: LEDGER_CONNECTIONS }, async () => {
    while (performance.now() - started < LEDGER_SECONDS * 1000) {
      await db.transaction((tx) => postJournals(lastStatementOf(tx), Array.from({ length: perTx }, transfer), ACTOR));
      journals += perTx;
    }
  }));
  return journals / ((performance.now() - started) / 1000);
}

/** Journals per second, one per transaction and in batches. */
async function benchLedger(db: Db, baseline: number | null, kind: 'pglite' | 'postgres'): Promise<Record<string, string>> {
  const figures: Record<string, string> = {};
  // Accounts exist before timing starts: the first journal of each pair creates them.
  for (let i = 0; i < LEDGER_ACCOUNTS; i += 2) {
    await db.transaction((tx) => postJournal(tx, {
      idempotencyKey: `bench:open:${randomUUID()}`, kind: 'bench_transfer', cause: { type: 'bench', id: 'open' }, postedAt: new Date(),
      lines: [{ account: clearingAccount(`bench-${i}`, 'USD'), amountMinor: -1 }, { account: clearingAccount(`bench-${i + 1}`, 'USD'), amountMinor: 1 }],
    }, ACTOR));
  }
  const single = await journalsPerSecond(db, 1);
  figures['postJournal, 1 per tx'] = `${fmt(single)} journals/s (${LEDGER_ACCOUNTS} accounts, ${LEDGER_CONNECTIONS} concurrent)`;
  figures['  vs baseline '] = versus(single, baseline, kind === 'postgres' ? 1 : undefined);
  const batched = await journalsPerSecond(db, BATCH_JOURNALS);
  figures[`postJournals, ${BATCH_JOURNALS} per tx`] = `${fmt(batched)} journals/s`;
  figures['  vs baseline  '] = versus(batched, baseline, kind === 'postgres' ? 10 : undefined);
  return figures;
}

const DRAIN_TIMEOUT_MS = 120_000;

/** Waits until no job is due or running; how many ran meanwhile and how long it took. */
async function workerCaughtUp(db: Db): Promise<{ jobs: number; seconds: number }> {
  const started = performance.now();
  const count = async (): Promise<number> => {
    const { rows } = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM jobs WHERE status = 'running' OR (status = 'pending' AND run_at <= now())");
    return rows[0]?.n ?? 0;
  };
  const first = await count();
  while ((await count()) > 0) {
    if (performance.now() - started > DRAIN_TIMEOUT_MS) throw new Error(`the worker did not catch up within ${DRAIN_TIMEOUT_MS / 1000} s`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return { jobs: first, seconds: (performance.now() - started) / 1000 };
}

async function call(base: string, method: string, path: string, token: string | null, body?: unknown): Promise<unknown> {
  const response = await fetch(base + path, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return expectStatus(response, method === 'POST' && path !== '/api/v1/auth/login' && !path.endsWith('/import') ? 201 : 200, `${method} ${path}`);
}

/** CUSTOMERS customers, each with a bound line and a funded wallet, and a plan at PRICE_MINOR. */
export async function prepareCustomers(base: string, db: Db): Promise<Omit<LoadPlan, 'url' | 'connections' | 'durationSeconds'>> {
  const admin = ((await call(base, 'POST', '/api/v1/auth/login', null, BENCH_ADMIN)) as { token: string }).token;
  const plan = (await call(base, 'POST', '/api/v1/admin/plans', admin, {
    code: `bench-${randomUUID().slice(0, 8)}`, name: { en: 'Bench plan' }, kind: 'base', carriers: ['us-paygo'], regions: ['US'],
    price: { amount: PRICE_MINOR, currency: 'USD' }, validityDays: 30, allowances: { dataMb: 10, voiceMin: 0, sms: 0 }, autoRenewable: false,
  })) as { id: string };
  const serial = (i: number): string => String((Date.now() % 1e7) * 100 + i).padStart(9, '0');
  const sims = Array.from({ length: CUSTOMERS }, (_, i) => ({ iccid: withLuhnCheckDigit(`89012677${serial(i)}1`), s: serial(i) }));
  const csv = 'iccid,imsi,msisdn,pin,form,carrier\n' + sims.map(({ iccid, s }) => `${iccid},310260${s},+1212${s.slice(2)},4321,physical,us-paygo`).join('\n') + '\n';
  await expectStatus(await fetch(`${base}/api/v1/admin/sims/import`, { method: 'POST', headers: { authorization: `Bearer ${admin}`, 'content-type': 'text/csv' }, body: csv }), 200, 'import');
  const customers: LoadPlan['customers'] = [];
  for (const { iccid } of sims) {
    const email = `bench-${randomUUID().slice(0, 8)}@example.test`;
    const registered = (await call(base, 'POST', '/api/v1/auth/register', null, { email, password: `Pw-${randomUUID()}` })) as { token: string; user: { id: string } };
    const line = (await call(base, 'POST', '/api/v1/lines/bind', registered.token, { iccid, pin: '4321' })) as { id: string };
    await db.transaction((tx) => postJournal(tx, {
      idempotencyKey: `bench:fund:${registered.user.id}`, kind: 'wallet_topup', cause: { type: 'bench', id: registered.user.id }, postedAt: new Date(),
      lines: [{ account: walletAccount(registered.user.id, 'USD'), amountMinor: WALLET_FUNDS_MINOR }, { account: clearingAccount('bench', 'USD'), amountMinor: -WALLET_FUNDS_MINOR }],
    }, ACTOR));
    customers.push({ token: registered.token, lineId: line.id });
  }
  return { customers, planId: plan.id };
}

/** Runs the load child (its own process) and returns its figures. */
export async function loadFromChild(plan: LoadPlan): Promise<LoadFigures> {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./load-child.ts', import.meta.url)), JSON.stringify(plan)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (code !== 0) throw new Error(`load child exited with ${code}`);
  return JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as LoadFigures;
}

export async function benchMoneyPath(kind: 'pglite' | 'postgres'): Promise<Record<string, string>> {
  const figures: Record<string, string> = {};
  let baseline: number | null;
  if (kind === 'postgres') {
    const serverUrl = process.env.BENCH_DATABASE_URL;
    if (!serverUrl) throw new Error('BENCH_DATABASE_URL is not set');
    baseline = await pgbenchTps(serverUrl);
    figures['baseline pgbench TPC-B'] = baseline === null ? 'pgbench is not installed: no baseline' : `${fmt(baseline)} tps (scale 1, 16 clients, ${PGBENCH_SECONDS} s)`;
  } else {
    baseline = null;
  }
  // The worker starts after the first load: that one measures the API process alone, as in a
  // deployment whose workers run elsewhere; the second, with the worker in the process (`npm start`).
  const server = await startBenchServer(kind, { SIMKEEP_SIM_CARRIER_LATENCY_MS: '0', SIMKEEP_WORKER: '0' });
  try {
    const { db, worker } = server.app.deps;
    if (kind === 'pglite') {
      baseline = await insertLoop(db);
      figures['baseline PGlite INSERT loop'] = `${fmt(baseline)} rows/s (one statement each)`;
    }
    // Each load has customers of its own: a line that took thousands of orders a minute ago (and
    // holds their buckets) is not the line a customer orders for.
    const orders = async (label: string): Promise<void> => {
      const prepared = await prepareCustomers(server.base, db);
      // Uncounted: the first seconds of a load also pay for compiling the hot code, opening the
      // pool's connections and their statements' first plans.
      await loadFromChild({ url: server.base, connections: HTTP_CONNECTIONS, durationSeconds: HTTP_WARMUP_SECONDS, ...prepared });
      const load = await loadFromChild({ url: server.base, connections: HTTP_CONNECTIONS, durationSeconds: HTTP_SECONDS, ...prepared });
      if (load.failed > 0) throw new Error(`${load.failed} wallet orders failed; first: ${load.firstError ?? '?'}`);
      figures[`wallet orders over HTTP, ${label}`] = `${fmt(load.perSecond)} orders/s  p50=${load.p50Ms} ms  p99=${load.p99Ms} ms  (${load.ok} in ${load.seconds} s, ${HTTP_CONNECTIONS} conns)`;
      figures[`  vs baseline (${label})`] = versus(load.perSecond, baseline, kind === 'postgres' ? 0.25 : undefined);
    };
    await orders('API alone');
    worker.start();
    const backlog = await workerCaughtUp(db);
    figures['  worker catching up'] = `${backlog.jobs} jobs (provisioning, mail) in ${fmt(backlog.seconds)} s: ${fmt(backlog.jobs / backlog.seconds)} jobs/s`;
    await orders('worker in the process');
    // The ledger is measured once the worker has caught up, as the baseline is on an idle server.
    const drain = await workerCaughtUp(db);
    figures['  worker caught up'] = `${drain.jobs} jobs in ${fmt(drain.seconds)} s after the load`;
    Object.assign(figures, await benchLedger(db, baseline, kind));
    return figures;
  } finally {
    await server.stop();
  }
}
