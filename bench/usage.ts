// Usage rating throughput and memory (issue 15), the same workload several ways in one run:
// USAGE_BENCH_RECORDS records (default 200,000) over USAGE_BENCH_LINES lines (default 1,000), each
// with data/voice/SMS buckets —
// - one transaction per record (the baseline, on the first USAGE_BENCH_BASELINE records);
// - batches of 10,000 in-process (ingestRecords, what POST /usage runs), with the statements one
//   batch sends;
// - batches of 10,000 over HTTP JSON, two clients, the server in a process of its own;
// - next to the raw-write ceiling: on PostgreSQL a real `COPY … FROM STDIN` of the same rows into a
//   plain table with the same text key (byte-compared, as usage_records.id); on PGlite (no COPY from a client stream) one
//   `INSERT … SELECT generate_series` of as many rows, labelled so.
// Then memory: a USAGE_BENCH_CSV-record (default 1,000,000) CSV feed streamed through POST /usage
// (text/csv) into the server process, and through `simkeep usage ingest` as a child process. RSS
// peaks are the kernel's (VmHWM in /proc; the server's is reset just before the feed), so growth
// is exact, not sampled; the CLI's is compared with the same CLI on a USAGE_BENCH_CSV_SMALL-record
// file (default 10,000), which pays the same start-up.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import type { Db } from '../src/db/types.ts';
import { withLuhnCheckDigit } from '../src/domain/luhn.ts';
import { ingestRecords, type RawRecord } from '../src/modules/usage/ingest.ts';
import { copyFrom } from './copy-in.ts';
import { BENCH_ADMIN, benchEnv, freePort, ratio, startBenchServer } from './support.ts';

const env = (name: string, fallback: number): number => Number(process.env[name] ?? fallback);
const BATCH = 10_000;
const HTTP_CLIENTS = 2;
const ACTOR = { userId: null, role: 'bench' } as const;
const TYPES = ['data', 'voice', 'sms'] as const;
const MB = 1_048_576;

interface Workload {
  iccids: string[];
  at: string;
  record(tag: string, i: number): RawRecord;
}

export async function seedLines(db: Db, lineCount: number, at: string): Promise<Workload> {
  const owner = (await db.query<{ id: string }>('SELECT id FROM users WHERE email = $1', [BENCH_ADMIN.email])).rows[0]?.id ?? '';
  const iccids = Array.from({ length: lineCount }, (_, i) => withLuhnCheckDigit(`894411999${String(i).padStart(9, '0')}`));
  await db.query(
    `INSERT INTO sims (id, iccid, imsi, msisdn, pin_hash, form, carrier_code, status)
     SELECT 'sim_bu' || i, ic, '310999' || lpad(i::text, 9, '0'), NULL, 'x', 'physical', 'us-paygo', 'bound' FROM unnest($1::text[]) WITH ORDINALITY AS t(ic, i)`,
    [iccids]);
  await db.query(
    `INSERT INTO lines (id, sim_id, user_id, iccid, carrier_code, form, status, expires_at)
     SELECT 'line_bu' || i, 'sim_bu' || i, $2, ic, 'us-paygo', 'physical', 'active', now() + interval '30 days' FROM unnest($1::text[]) WITH ORDINALITY AS t(ic, i)`,
    [iccids, owner]);
  await db.query(
    `INSERT INTO buckets (id, line_id, unit, total, remaining, expires_at, source)
     SELECT 'bkt_bu' || l.id || u, l.id, u, 1e15, 1e15, now() + interval '30 days', 'plan'
       FROM lines l CROSS JOIN unnest(ARRAY['data', 'voice', 'sms']) AS u WHERE l.id LIKE 'line_bu%'`);
  const record = (tag: string, i: number): RawRecord => ({
    id: `${tag}-${i}`, iccid: iccids[i % lineCount], type: TYPES[i % 3], quantity: (i % 3 === 0 ? 1_000_000 : i % 3 === 1 ? 61 : 1) + (i % 7), startedAt: at,
  });
  return { iccids, at, record };
}

/** BENCH_VERBOSE=1: each step named on stderr as it starts (the whole run takes minutes). */
const step = (what: string): void => {
  if (process.env.BENCH_VERBOSE === '1') console.error(`usage bench: ${what}`);
};
const rate = (count: number, startedMs: number): number => count / ((performance.now() - startedMs) / 1000);

/**
 * CPU time (ms) the kernel counted for processes: what a batch costs, whatever else loads the
 * machine (wall-clock rates here fall with the load; CPU time hardly does). Linux /proc, 100 ticks/s.
 */
function cpuMsOf(pids: readonly number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // a backend that ended between the two readings counts nothing more
    }
  }
  return ticks * 10;
}

/** This database's PostgreSQL backends, when the server runs on this host (else none: PGlite runs in-process). */
async function backendPids(db: Db): Promise<number[]> {
  if (db.kind !== 'postgres') return [];
  const { rows } = await db.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = current_database()');
  return rows.map((r) => r.pid).filter((pid) => existsSync(`/proc/${pid}/stat`));
}

async function inProcess(db: Db, now: () => Date, w: Workload, records: number, baselineCount: number) {
  let started = performance.now();
  for (let i = 0; i < baselineCount; i++) await ingestRecords(db, [w.record('base', i)], { now: now(), actor: ACTOR });
  const perRecord = rate(baselineCount, started);
  // The fewest of the batches: the sandbox clock's refresh (once a second) counts in the same counter.
  let statements = Number.POSITIVE_INFINITY;
  const pids = await backendPids(db);
  const dbCpuBefore = cpuMsOf(pids);
  const cpuBefore = process.cpuUsage();
  started = performance.now();
  for (let i = 0; i < records; i += BATCH) {
    const batch = Array.from({ length: Math.min(BATCH, records - i) }, (_, j) => w.record('batch', i + j));
    const before = db.statementsIssued();
    const r = await ingestRecords(db, batch, { now: now(), actor: ACTOR });
    statements = Math.min(statements, db.statementsIssued() - before);
    if (r.accepted !== batch.length) throw new Error(`accepted ${r.accepted} of ${batch.length}: ${JSON.stringify(r.rejected.slice(0, 3))}`);
  }
  const batched = rate(records, started);
  const cpu = process.cpuUsage(cpuBefore);
  const batches = Math.ceil(records / BATCH);
  return {
    perRecord, batched, statements,
    nodeCpuMsPerBatch: Math.round((cpu.user + cpu.system) / 1000 / batches), dbCpuMsPerBatch: Math.round((cpuMsOf(pids) - dbCpuBefore) / batches),
  };
}

/** The raw-write ceiling for `rows` usage-shaped rows with a text key, on the same server. */
async function ceiling(db: Db, kind: 'pglite' | 'postgres', databaseUrl: string | undefined, w: Workload, rows: number) {
  await db.exec('DROP TABLE IF EXISTS bench_usage_raw; CREATE TABLE bench_usage_raw (id text COLLATE "C" PRIMARY KEY, line_id text, type text, quantity bigint, started_at timestamptz)');
  try {
    if (kind === 'pglite' || !databaseUrl) {
      const started = performance.now();
      await db.query(`INSERT INTO bench_usage_raw SELECT 'raw-' || g, 'line_bu' || (g % 1000), 'data', g, now() FROM generate_series(1, $1) g`, [rows]);
      return { what: 'INSERT…SELECT generate_series (PGlite: no COPY from a client stream)', perSecond: rate(rows, started) };
    }
    const chunks: Buffer[] = [];
    for (let i = 0; i < rows; i += 1_000) {
      let text = '';
      for (let j = i; j < Math.min(i + 1_000, rows); j++) {
        const r = w.record('copy', j);
        text += `${String(r.id)}\tline_bu${j % w.iccids.length}\t${String(r.type)}\t${String(r.quantity)}\t${w.at}\n`;
      }
      chunks.push(Buffer.from(text));
    }
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      const started = performance.now();
      await copyFrom(client, 'COPY bench_usage_raw (id, line_id, type, quantity, started_at) FROM STDIN', chunks);
      return { what: 'COPY … FROM STDIN', perSecond: rate(rows, started) };
    } finally {
      await client.end();
    }
  } finally {
    await db.exec('DROP TABLE bench_usage_raw');
  }
}

interface ServerChild {
  base: string;
  pid: number;
  command(line: string): Promise<Record<string, number>>;
  stop(): Promise<void>;
}

async function spawnServer(dbEnv: Record<string, string>): Promise<ServerChild> {
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./usage-server.ts', import.meta.url)), JSON.stringify(benchEnv(port, dbEnv, { SIMKEEP_WORKER: '0' }))], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout ?? Readable.from([]) })[Symbol.asyncIterator]();
  const next = async (): Promise<Record<string, number>> => {
    const line = await lines.next();
    if (line.done) throw new Error('the bench server exited');
    return JSON.parse(line.value) as Record<string, number>;
  };
  await next();
  return {
    base: `http://127.0.0.1:${port}`,
    pid: child.pid ?? 0,
    async command(line) {
      child.stdin?.write(`${line}\n`);
      return next();
    },
    async stop() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.stdin?.write('stop\n');
      await exited;
    },
  };
}

async function httpJson(server: ServerChild, w: Workload, records: number): Promise<number> {
  const login = await fetch(`${server.base}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(BENCH_ADMIN) });
  const token = ((await login.json()) as { token: string }).token;
  const bodies: string[] = [];
  for (let i = 0; i < records; i += BATCH) {
    bodies.push(JSON.stringify({ records: Array.from({ length: Math.min(BATCH, records - i) }, (_, j) => w.record('http', i + j)) }));
  }
  const started = performance.now();
  let next = 0;
  await Promise.all(Array.from({ length: HTTP_CLIENTS }, async () => {
    while (next < bodies.length) {
      const body = bodies[next++];
      const r = await fetch(`${server.base}/api/v1/usage`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body });
      if (r.status !== 200) throw new Error(`HTTP ${r.status}: ${await r.text()}`);
    }
  }));
  return rate(records, started);
}

/** A CSV feed generated as it is read, never held whole; bytes, as a request body must be. */
function csvFeed(w: Workload, tag: string, count: number): Readable {
  return Readable.from((function* () {
    yield Buffer.from('id,iccid,type,quantity,startedAt\n');
    for (let i = 0; i < count; i += 1_000) {
      let chunk = '';
      for (let j = i; j < Math.min(i + 1_000, count); j++) {
        const r = w.record(tag, j);
        chunk += `${String(r.id)},${String(r.iccid)},${String(r.type)},${String(r.quantity)},${w.at}\n`;
      }
      yield Buffer.from(chunk);
    }
  })());
}

/** The kernel's figures for a process (Linux), in bytes: resident now and its peak. */
function residentOf(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string): number => Number(/(\d+) kB/.exec(status.split('\n').find((l) => l.startsWith(field)) ?? '')?.[1] ?? 0) * 1024;
  return { rss: kb('VmRSS:'), peak: kb('VmHWM:') };
}

async function httpCsvMemory(server: ServerChild, w: Workload, count: number) {
  const login = await fetch(`${server.base}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(BENCH_ADMIN) });
  const token = ((await login.json()) as { token: string }).token;
  const post = (body: Readable) => fetch(`${server.base}/api/v1/usage`, {
    method: 'POST', headers: { 'content-type': 'text/csv', authorization: `Bearer ${token}` }, body: Readable.toWeb(body) as ReadableStream, duplex: 'half',
  } as RequestInit);
  await post(csvFeed(w, 'warm', 2_000)); // the route, the parser and the pool warmed up first
  await server.command('mark');
  // Writing 5 to clear_refs resets the process's peak RSS (VmHWM) to what it holds now.
  writeFileSync(`/proc/${server.pid}/clear_refs`, '5');
  const before = residentOf(server.pid).rss;
  const started = performance.now();
  const r = await post(csvFeed(w, 'csvhttp', count));
  const summary = (await r.json()) as { accepted: number };
  const perSecond = rate(summary.accepted, started);
  const peak = residentOf(server.pid).peak;
  const { heapPeak = 0 } = await server.command('report');
  return { recordsPerSecond: Math.round(perSecond), accepted: summary.accepted, rssBeforeMb: toMb(before), rssGrowthMb: toMb(peak - before), heapPeakMb: toMb(heapPeak) };
}

const toMb = (bytes: number): number => Math.round(bytes / MB);

/** `simkeep usage ingest FILE --json` as a child; its kernel RSS peak, polled until it exits. */
async function cliIngest(dbEnv: Record<string, string>, file: string): Promise<{ peak: number; recordsPerSecond: number; accepted: number }> {
  const bin = fileURLToPath(new URL('../bin/simkeep.mjs', import.meta.url));
  const child = spawn(process.execPath, [bin, 'usage', 'ingest', file, '--json'], {
    env: { ...process.env, ...benchEnv(0, dbEnv), DATABASE_URL: dbEnv.DATABASE_URL ?? '' }, stdio: ['ignore', 'pipe', 'inherit'],
  });
  let peak = 0;
  const poll = setInterval(() => {
    try {
      peak = Math.max(peak, residentOf(child.pid ?? 0).peak);
    } catch {
      // exited between two polls
    }
  }, 20);
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => { out += chunk.toString(); });
  await new Promise((resolve) => child.once('exit', resolve));
  clearInterval(poll);
  const result = JSON.parse(out) as { accepted: number; recordsPerSecond: number };
  return { peak, recordsPerSecond: result.recordsPerSecond, accepted: result.accepted };
}

async function cliMemory(dbEnv: Record<string, string>, w: Workload, count: number, smallCount: number) {
  const dir = mkdtempSync(join(tmpdir(), 'simkeep-bench-usage-'));
  try {
    const small = join(dir, 'small.csv');
    const large = join(dir, 'large.csv');
    await pipeline(csvFeed(w, 'clismall', smallCount), createWriteStream(small));
    await pipeline(csvFeed(w, 'clilarge', count), createWriteStream(large));
    const a = await cliIngest(dbEnv, small);
    const b = await cliIngest(dbEnv, large);
    return { recordsPerSecond: b.recordsPerSecond, accepted: b.accepted, rssPeakMb: toMb(b.peak), [`rssPeakMb(${smallCount} records)`]: toMb(a.peak), rssGrowthMb: toMb(b.peak - a.peak) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchUsage(kind: 'pglite' | 'postgres'): Promise<Record<string, unknown>> {
  const records = env('USAGE_BENCH_RECORDS', 200_000);
  const lineCount = env('USAGE_BENCH_LINES', 1_000);
  const baselineCount = env('USAGE_BENCH_BASELINE', 2_000);
  const csvCount = env('USAGE_BENCH_CSV', 1_000_000);
  const csvSmall = env('USAGE_BENCH_CSV_SMALL', 10_000);
  const loadAtStart = loadavg()[0] ?? 0;
  const server = await startBenchServer(kind, { SIMKEEP_WORKER: '0' });
  try {
    const { db } = server.app.deps;
    const w = await seedLines(db, lineCount, server.app.deps.clock.now().toISOString());
    step('per-record baseline, then in-process batches');
    const local = await inProcess(db, () => server.app.deps.clock.now(), w, records, baselineCount);
    step('the raw-write ceiling');
    const raw = await ceiling(db, kind, server.env.DATABASE_URL, w, records);
    await server.closeApp();
    step('the server process');
    const child = await spawnServer(server.env);
    let http: number;
    let csvHttp: Record<string, number>;
    try {
      step('HTTP JSON batches');
      http = await httpJson(child, w, records);
      step('HTTP text/csv feed');
      csvHttp = await httpCsvMemory(child, w, csvCount);
    } finally {
      await child.stop();
    }
    step('simkeep usage ingest');
    const cli = await cliMemory(server.env, w, csvCount, csvSmall);
    return {
      workload: `${records} records over ${lineCount} lines, batches of ${BATCH} (baseline on ${baselineCount})`,
      'machine load (1-min average)': `${loadAtStart.toFixed(1)} at the start, ${(loadavg()[0] ?? 0).toFixed(1)} at the end, ${cpus().length} CPUs`,
      'per-record tx (baseline)': { recordsPerSecond: Math.round(local.perRecord) },
      'batched in-process': {
        recordsPerSecond: Math.round(local.batched), vsBaseline: ratio(local.batched, local.perRecord), vsCeiling: ratio(local.batched, raw.perSecond), statementsPerBatch: local.statements,
        // PGlite's work is in the Node figure (same process); PostgreSQL's backends are counted apart.
        nodeCpuMsPerBatch: local.nodeCpuMsPerBatch, ...(kind === 'postgres' ? { dbCpuMsPerBatch: local.dbCpuMsPerBatch } : {}),
        cpuBoundRecordsPerSecond: Math.round(BATCH / ((local.nodeCpuMsPerBatch + local.dbCpuMsPerBatch) / 1000)),
      },
      'batched HTTP JSON (server process)': { recordsPerSecond: Math.round(http), vsBaseline: ratio(http, local.perRecord), vsCeiling: ratio(http, raw.perSecond) },
      [`ceiling: ${raw.what}`]: { rowsPerSecond: Math.round(raw.perSecond) },
      [`POST /usage text/csv, ${csvCount} records`]: csvHttp,
      [`simkeep usage ingest, ${csvCount} records`]: cli,
    };
  } finally {
    await server.stop();
  }
}
