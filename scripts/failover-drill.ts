// `npm run test:failover`: losing the database server, drilled on a real HA engine (issue 13). In
// temporary directories on loopback ports it builds a pg_auto_failover formation — a monitor, a
// primary and a synchronous standby — starts two simkeep processes (API + worker, and API only)
// with the multi-host DATABASE_URL, drives paid load (wallet orders, sandbox card orders paid at
// once), kills the primary's machine (SIGKILL to its pg_autoctl and postgres processes), waits for
// the standby's promotion and reports: seconds from the kill to the first successful order, how
// the requests in the gap failed, orders acknowledged vs present afterwards, and the ledger.
// Everything it started is stopped and its directories removed, whatever happens.
//
// Needs pg_autoctl (Debian postgresql-15-auto-failover) and PostgreSQL 15. Run as root (the
// PostgreSQL processes then run as `postgres`) or as a user that may run PostgreSQL.
// Not part of `npm test`: it takes a couple of minutes and a real cluster. Exit 0 when every check held.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { appendFileSync, chownSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { openPostgres } from '../src/db/postgres.ts';
import { verifyLedger } from '../src/modules/ledger/service.ts';
import { demoIccid } from '../src/modules/lines/seed.ts';

const PG_BIN = process.env.PG_BIN ?? '/usr/lib/postgresql/15/bin';
const PG_AUTOCTL = process.env.PG_AUTOCTL ?? '/usr/bin/pg_autoctl';
const REPO = fileURLToPath(new URL('..', import.meta.url));
const DATABASE = 'simkeep';
/** Subscribers placing orders at once, each on its own demo line. */
const BUYERS = Number(process.env.DRILL_BUYERS ?? 6);
const LOAD_BEFORE_KILL_MS = 8_000;
/** Load keeps running this long after the first order succeeds again. */
const LOAD_AFTER_RECOVERY_MS = 8_000;
const RECOVERY_TIMEOUT_MS = 180_000;
/** A client's retry of a 503 (or a refused connection): the same request, same Idempotency-Key. */
const RETRY_PAUSE_MS = 250;
const RETRIES_MAX = 2_000;
const REQUEST_TIMEOUT_MS = 30_000;
/** Jobs that a dead server's sessions held are re-claimed when their lease (120 s) runs out. */
const SETTLE_TIMEOUT_MS = 200_000;

type NodeName = 'monitor' | 'node1' | 'node2';
interface PgNode { name: NodeName; dir: string; pgdata: string; port: number; run: ChildProcess | null }
interface Sample { kind: 'wallet' | 'card' | 'pay'; sentAtMs: number; doneAtMs: number; status: number | 'network' }
interface Buyer { token: string; userId: string; lineId: string; planId: string; currency: string }

const asRoot = userInfo().uid === 0;
const started: ChildProcess[] = [];
const log = (message: string): void => console.log(`[drill ${new Date().toISOString().slice(11, 23)}] ${message}`);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/** The command line that runs `args` as the PostgreSQL user, with the node's own HOME and XDG dirs (pg_autoctl keeps state there). */
function asPostgres(node: PgNode, args: string[]): [string, string[]] {
  const env = [`PATH=${PG_BIN}:/usr/bin:/bin`, `HOME=${node.dir}`, `XDG_CONFIG_HOME=${node.dir}/config`, `XDG_DATA_HOME=${node.dir}/data`, `XDG_RUNTIME_DIR=${node.dir}/run`];
  return asRoot ? ['runuser', ['-u', 'postgres', '--', 'env', ...env, ...args]] : ['env', [...env, ...args]];
}

function pgAutoctl(node: PgNode, args: string[]): Promise<string> {
  const [command, argv] = asPostgres(node, [PG_AUTOCTL, ...args]);
  return new Promise((resolve, reject) => {
    execFile(command, argv, { timeout: 180_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`pg_autoctl ${args.slice(0, 2).join(' ')} (${node.name}) failed: ${stderr.slice(-2_000)}`));
      else resolve(stdout);
    });
  });
}

/** `pg_autoctl run` in a process group of its own: killing the group is losing the machine. */
function runNode(node: PgNode): void {
  const [command, argv] = asPostgres(node, [PG_AUTOCTL, 'run', '--pgdata', node.pgdata]);
  const out = openSync(join(node.dir, 'pg_autoctl.log'), 'a');
  node.run = spawn(command, argv, { detached: true, stdio: ['ignore', out, out] });
  started.push(node.run);
}

async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | null | undefined | false>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => null);
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await sleep(500);
  }
}

async function sql<R>(port: number, database: string, text: string): Promise<R[]> {
  const client = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', database, connectionTimeoutMillis: 3_000 });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return (await client.query(text)).rows as R[];
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function formationStates(monitor: PgNode): Promise<Array<{ nodename: string; nodeport: number; reportedstate: string; goalstate: string }>> {
  return sql(monitor.port, 'pg_auto_failover', 'SELECT nodename, nodeport, reportedstate, goalstate FROM pgautofailover.node ORDER BY nodeid');
}

function newNode(base: string, name: NodeName, port: number): PgNode {
  const dir = join(base, name);
  for (const sub of ['', 'config', 'data', 'run']) mkdirSync(join(dir, sub), { recursive: true });
  if (asRoot) for (const sub of ['', 'config', 'data', 'run']) chownSync(join(dir, sub), pgUid(), pgGid());
  return { name, dir, pgdata: join(dir, 'pgdata'), port, run: null };
}

function pgUid(): number {
  return Number(/^postgres:[^:]*:(\d+):/m.exec(readFileSync('/etc/passwd', 'utf8'))?.[1] ?? NaN);
}
function pgGid(): number {
  return Number(/^postgres:[^:]*:\d+:(\d+):/m.exec(readFileSync('/etc/passwd', 'utf8'))?.[1] ?? NaN);
}

/** A monitor, then a primary, then its synchronous standby, all on loopback with trust auth and no TLS. */
async function buildFormation(base: string): Promise<{ monitor: PgNode; nodes: PgNode[] }> {
  const monitor = newNode(base, 'monitor', await freePort());
  const common = ['--auth', 'trust', '--no-ssl', '--hostname', '127.0.0.1', '--pgctl', `${PG_BIN}/pg_ctl`];
  await pgAutoctl(monitor, ['create', 'monitor', '--pgdata', monitor.pgdata, '--pgport', String(monitor.port), ...common]);
  await pgAutoctl(monitor, ['config', 'set', '--pgdata', monitor.pgdata, 'postgresql.listen_addresses', '127.0.0.1']);
  runNode(monitor);
  await waitFor('the monitor', 60_000, () => sql(monitor.port, 'pg_auto_failover', 'SELECT 1'));
  const monitorUrl = `postgres://autoctl_node@127.0.0.1:${monitor.port}/pg_auto_failover?sslmode=disable`;
  const nodes: PgNode[] = [];
  for (const name of ['node1', 'node2'] as const) {
    const node = newNode(base, name, await freePort());
    await pgAutoctl(node, [
      'create', 'postgres', '--pgdata', node.pgdata, '--pgport', String(node.port), '--listen', '127.0.0.1', '--name', name,
      '--dbname', DATABASE, '--monitor', monitorUrl, ...common,
    ]);
    runNode(node);
    nodes.push(node);
    // The first node runs alone ('single'); with the second, one is 'primary' and one a synchronous 'secondary'.
    const wanted = name === 'node1' ? ['single'] : ['primary', 'secondary'];
    await waitFor(`${name} to join`, 180_000, async () => {
      const states = (await formationStates(monitor)).map((s) => s.reportedstate).sort();
      return JSON.stringify(states) === JSON.stringify(wanted);
    });
  }
  return { monitor, nodes };
}

interface Simkeep { process: ChildProcess; baseUrl: string }

async function startSimkeep(base: string, name: string, env: Record<string, string>): Promise<Simkeep> {
  const out = openSync(join(base, `${name}.log`), 'a');
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: REPO, stdio: ['ignore', 'pipe', out],
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: base, NODE_ENV: 'development', HOST: '127.0.0.1', PORT: '0', SIMKEEP_DEMO: '1', SIMKEEP_LOG_LEVEL: 'warn', ...env },
  });
  started.push(child);
  let banner = '';
  const baseUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start in 120 s (see ${name}.log)`)), 120_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      banner += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(banner);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.once('exit', (code) => reject(new Error(`${name} exited with ${code} (see ${name}.log)`)));
  });
  // Its JSON log lines (warn and up: each 503 database_unavailable) go on to the log file.
  child.stdout?.on('data', (chunk: Buffer) => appendFileSync(join(base, `${name}.log`), chunk));
  return { process: child, baseUrl };
}

// ---- the load: subscribers buying, each request retried on 503 until it is answered ----------

interface Load { samples: Sample[]; acknowledged: Set<string>; stopAtMs: number; unanswered: number }

async function call(baseUrl: string, method: string, path: string, token: string | null, body?: unknown, key?: string): Promise<{ status: number; json: any }> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  if (key) headers['idempotency-key'] = key;
  const r = await fetch(`${baseUrl}/api/v1${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  const text = await r.text();
  let json: any = null;
  try {
    json = JSON.parse(text);
  } catch {
    json = { text };
  }
  return { status: r.status, json };
}

/** Sends until answered for good: 503 and a refused connection are retried as a client would, with the same key. */
async function untilAnswered(load: Load, kind: Sample['kind'], send: () => Promise<{ status: number; json: any }>): Promise<{ status: number; json: any } | null> {
  for (let attempt = 0; attempt < RETRIES_MAX; attempt++) {
    const sentAtMs = Date.now();
    try {
      const r = await send();
      load.samples.push({ kind, sentAtMs, doneAtMs: Date.now(), status: r.status });
      const transient = r.status === 503 || (r.status === 409 && r.json?.code === 'idempotency_key_in_use');
      if (!transient) return r;
    } catch {
      load.samples.push({ kind, sentAtMs, doneAtMs: Date.now(), status: 'network' });
    }
    await sleep(RETRY_PAUSE_MS);
  }
  load.unanswered++;
  return null;
}

async function buyLoop(load: Load, apis: Simkeep[], b: Buyer, lane: number): Promise<void> {
  for (let i = 0; Date.now() < load.stopAtMs; i++) {
    const api = apis[(lane + i) % apis.length] as Simkeep;
    const byCard = i % 2 === 1;
    const key = randomUUID();
    const body = { lineId: b.lineId, planId: b.planId, paymentMethod: byCard ? 'card' : 'wallet' };
    const r = await untilAnswered(load, byCard ? 'card' : 'wallet', () => call(api.baseUrl, 'POST', '/orders', b.token, body, key));
    if (r?.status !== 201) {
      if (r) log(`order answered ${r.status} ${r.json?.code ?? ''}`);
      continue;
    }
    load.acknowledged.add(r.json.id);
    if (byCard) {
      const paymentId = r.json.payment.id as string;
      await untilAnswered(load, 'pay', () => call(api.baseUrl, 'POST', `/sandbox/payments/${paymentId}/complete`, null, { outcome: 'succeeded' }));
    }
  }
}

/** A subscriber with a demo uk-keep card bound, the cheapest plain plan for it, and a wallet topped up by card. */
async function makeBuyer(api: Simkeep, n: number): Promise<Buyer> {
  const email = `drill-${n}-${randomBytes(4).toString('hex')}@example.test`;
  const reg = await call(api.baseUrl, 'POST', '/auth/register', null, { email, password: `Drill-${randomBytes(9).toString('base64url')}`, name: `Drill ${n}` });
  if (reg.status !== 201) throw new Error(`register: ${reg.status} ${JSON.stringify(reg.json)}`);
  const token = reg.json.token as string;
  const bound = await call(api.baseUrl, 'POST', '/lines/bind', token, { iccid: demoIccid('uk-keep', n), pin: '1234' });
  if (bound.status !== 201 && bound.status !== 200) throw new Error(`bind: ${bound.status} ${JSON.stringify(bound.json)}`);
  const plans = await call(api.baseUrl, 'GET', `/plans?lineId=${bound.json.id}`, token);
  const plan = (plans.json.items as Array<{ id: string; kind: string; bundle: unknown; price: { amount: number; currency: string } }>)
    .filter((p) => p.kind === 'base' && p.bundle === null).sort((a, b) => a.price.amount - b.price.amount)[0];
  if (!plan) throw new Error('no base plan for the demo line');
  const topUp = await call(api.baseUrl, 'POST', '/orders', token, { lineId: bound.json.id, topupAmount: { amount: 1_000_000, currency: plan.price.currency }, paymentMethod: 'card' }, randomUUID());
  if (topUp.status !== 201) throw new Error(`top-up: ${topUp.status} ${JSON.stringify(topUp.json)}`);
  await call(api.baseUrl, 'POST', `/sandbox/payments/${topUp.json.payment.id}/complete`, null, { outcome: 'succeeded' });
  await waitFor('the top-up to reach the wallet', 60_000, async () => (await call(api.baseUrl, 'GET', '/wallet', token)).json?.balance?.amount > 0);
  return { token, userId: reg.json.user.id, lineId: bound.json.id, planId: plan.id, currency: plan.price.currency };
}

// ---- the drill -------------------------------------------------------------------------------

function killGroup(child: ChildProcess | null, signal: NodeJS.Signals): void {
  if (child?.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    /* already gone */
  }
}

/** A postmaster left behind (by a killed keeper) would keep its port: stop it by the pid it wrote. */
function killPostmaster(node: PgNode): void {
  const pidFile = join(node.pgdata, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (!Number.isSafeInteger(pid) || pid <= 1) return;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    /* already gone */
  }
}

/** Stops everything started; removes the directory, or only the databases when `keepLogs` (a failed drill). */
async function cleanUp(base: string, pgNodes: PgNode[], simkeeps: Simkeep[], keepLogs = false): Promise<void> {
  for (const s of simkeeps) s.process.kill('SIGTERM');
  await sleep(1_000);
  for (const node of pgNodes) killGroup(node.run, 'SIGTERM');
  await sleep(3_000);
  for (const child of started) killGroup(child, 'SIGKILL');
  for (const s of simkeeps) s.process.kill('SIGKILL');
  for (const node of pgNodes) killPostmaster(node);
  if (!keepLogs) rmSync(base, { recursive: true, force: true });
  else for (const node of pgNodes) rmSync(node.pgdata, { recursive: true, force: true });
}

interface GapFigures {
  secondsFromKillToFirstSuccessfulOrder: number | null;
  failedInGap: number;
  failedInGapByStatus: Record<string, number>;
  allAnswersByStatus: Record<string, number>;
  requests: number;
  unansweredAfterRetries: number;
}

/** Requests answered between the kill and the first order that succeeded after it, by status. */
function summarize(load: Load, killAtMs: number): GapFigures {
  const orders = load.samples.filter((s) => s.kind !== 'pay');
  const firstOk = orders.filter((s) => s.sentAtMs >= killAtMs && s.status === 201).sort((a, b) => a.doneAtMs - b.doneAtMs)[0];
  const gapEndMs = firstOk?.doneAtMs ?? Number.POSITIVE_INFINITY;
  const inGap = load.samples.filter((s) => s.doneAtMs >= killAtMs && s.sentAtMs <= gapEndMs && s.status !== 201 && s.status !== 202);
  const byStatus: Record<string, number> = {};
  for (const s of inGap) byStatus[String(s.status)] = (byStatus[String(s.status)] ?? 0) + 1;
  const all: Record<string, number> = {};
  for (const s of load.samples) all[String(s.status)] = (all[String(s.status)] ?? 0) + 1;
  return {
    secondsFromKillToFirstSuccessfulOrder: firstOk ? Number(((firstOk.doneAtMs - killAtMs) / 1000).toFixed(1)) : null,
    failedInGap: inGap.length, failedInGapByStatus: byStatus, allAnswersByStatus: all, requests: load.samples.length,
    unansweredAfterRetries: load.unanswered,
  };
}

async function verify(url: string, buyers: Buyer[], acknowledged: Set<string>): Promise<Record<string, unknown>> {
  const db = await openPostgres(url);
  try {
    const ids = buyers.map((b) => b.userId);
    // The load buys plans; each buyer's one top-up (before the load) is not counted.
    const present = await db.query<{ id: string }>(`SELECT id FROM orders WHERE user_id = ANY($1::text[]) AND kind = 'plan'`, [ids]);
    const presentIds = new Set(present.rows.map((r) => r.id));
    const lost = [...acknowledged].filter((id) => !presentIds.has(id));
    const unacknowledged = [...presentIds].filter((id) => !acknowledged.has(id));
    const settleStartMs = Date.now();
    const pending = async () => (await db.query<{ status: string; n: number }>(
      `SELECT status, count(*)::int AS n FROM orders WHERE user_id = ANY($1::text[]) GROUP BY status ORDER BY status`, [ids])).rows;
    const settled = await waitFor('every order to settle', SETTLE_TIMEOUT_MS, async () => {
      const rows = await pending();
      return rows.every((r) => ['completed', 'failed', 'refunded', 'cancelled', 'expired'].includes(r.status)) ? rows : null;
    }).catch(async () => ({ stuck: await pending() }));
    return {
      ordersAcknowledged: acknowledged.size, ordersPresent: presentIds.size, acknowledgedButLost: lost, presentButNeverAcknowledged: unacknowledged,
      ledgerProblems: await verifyLedger(db), ordersByStatusAfterSettling: settled, secondsToSettle: Number(((Date.now() - settleStartMs) / 1000).toFixed(1)),
    };
  } finally {
    await db.close();
  }
}

async function drill(base: string, pgNodes: PgNode[], simkeeps: Simkeep[]): Promise<boolean> {
  const t = Date.now();
  const { monitor, nodes } = await buildFormation(base);
  pgNodes.push(monitor, ...nodes);
  log(`formation ready in ${((Date.now() - t) / 1000).toFixed(0)} s: ${JSON.stringify(await formationStates(monitor))}`);
  const url = `postgres://postgres@${nodes.map((n) => `127.0.0.1:${n.port}`).join(',')}/${DATABASE}?target_session_attrs=read-write&sslmode=disable`;
  const env = { DATABASE_URL: url, SIMKEEP_SECRET_KEY: randomBytes(32).toString('hex') };
  simkeeps.push(await startSimkeep(base, 'simkeep-api-worker', { ...env, SIMKEEP_WORKER: '1' }));
  simkeeps.push(await startSimkeep(base, 'simkeep-api', { ...env, SIMKEEP_WORKER: '0' }));
  log(`simkeep on ${simkeeps.map((s) => s.baseUrl).join(' and ')}, DATABASE_URL=${url}`);
  const buyers: Buyer[] = [];
  for (let n = 1; n <= BUYERS; n++) buyers.push(await makeBuyer(simkeeps[n % 2] as Simkeep, n));

  const load: Load = { samples: [], acknowledged: new Set(), stopAtMs: Date.now() + RECOVERY_TIMEOUT_MS, unanswered: 0 };
  const lanes = Promise.all(buyers.map((b, lane) => buyLoop(load, simkeeps, b, lane)));
  await sleep(LOAD_BEFORE_KILL_MS);
  const states = await formationStates(monitor);
  const primary = nodes.find((n) => states.some((s) => s.nodeport === n.port && s.reportedstate === 'primary'));
  if (!primary) throw new Error(`no primary to kill: ${JSON.stringify(states)}`);
  // Losing the machine: the keeper dies with its postgres. SIGKILL to the postmaster alone would
  // only make the keeper restart it in place — a crash, not a failover.
  const killAtMs = Date.now();
  killGroup(primary.run, 'SIGKILL');
  killPostmaster(primary);
  log(`killed ${primary.name} (port ${primary.port}): pg_autoctl and postgres, SIGKILL; ${load.acknowledged.size} orders acknowledged so far`);
  const promoted = await waitFor('the standby to be promoted', RECOVERY_TIMEOUT_MS, async () =>
    (await formationStates(monitor)).find((s) => s.nodeport !== primary.port && ['wait_primary', 'primary'].includes(s.reportedstate)));
  const promotedAtMs = Date.now();
  log(`${promoted.nodename} is ${promoted.reportedstate} ${((promotedAtMs - killAtMs) / 1000).toFixed(1)} s after the kill`);
  await waitFor('an order to succeed after the kill', RECOVERY_TIMEOUT_MS, async () => load.samples.some((s) => s.kind !== 'pay' && s.sentAtMs >= killAtMs && s.status === 201));
  log(`orders succeed again ${((Date.now() - killAtMs) / 1000).toFixed(1)} s after the kill; load goes on for ${LOAD_AFTER_RECOVERY_MS / 1000} s`);
  load.stopAtMs = Math.min(load.stopAtMs, Date.now() + LOAD_AFTER_RECOVERY_MS);
  await lanes;

  const figures = { secondsFromKillToPromotion: Number(((promotedAtMs - killAtMs) / 1000).toFixed(1)), ...summarize(load, killAtMs) };
  const checks = await verify(url, buyers, load.acknowledged);
  console.log(JSON.stringify({ ...figures, ...checks }, null, 2));
  const statuses = Object.keys(figures.failedInGapByStatus);
  return (checks.acknowledgedButLost as string[]).length === 0 && (checks.presentButNeverAcknowledged as string[]).length === 0
    && (checks.ledgerProblems as unknown[]).length === 0 && statuses.every((s) => s === '503') && load.unanswered === 0;
}

async function main(): Promise<void> {
  if (!existsSync(PG_AUTOCTL) || !existsSync(`${PG_BIN}/pg_ctl`)) throw new Error(`needs ${PG_AUTOCTL} and ${PG_BIN}/pg_ctl (Debian: postgresql-15-auto-failover)`);
  const base = mkdtempSync(join(tmpdir(), 'simkeep-failover-'));
  if (asRoot) chownSync(base, pgUid(), pgGid());
  const pgNodes: PgNode[] = [];
  const simkeeps: Simkeep[] = [];
  const interrupted = (): void => void cleanUp(base, pgNodes, simkeeps).finally(() => process.exit(130));
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  let ok = false;
  try {
    ok = await drill(base, pgNodes, simkeeps);
  } finally {
    log('cleaning up');
    await cleanUp(base, pgNodes, simkeeps, !ok);
  }
  log(ok ? 'PASS: every check held' : `FAIL: see the figures above; logs kept in ${base}`);
  process.exit(ok ? 0 : 1);
}

main().catch((error: unknown) => {
  console.error('failover drill failed:', error);
  process.exit(1);
});
