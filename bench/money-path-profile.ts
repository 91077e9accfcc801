// Where a wallet order's time goes: the money-path load (bench/load-child.ts: 16 connections, 16
// customers) against a server running in its OWN process, profiled (V8's CPU profiler, over the
// load window only), on a fresh database of the BENCH_DATABASE_URL server. Prints the orders/s, the
// CPU time per order of the server process and of its PostgreSQL backends (from /proc: figures that
// hold up on a loaded machine better than orders/s do), then the server's top self-time functions
// (KEEP_PROFILE=1 keeps the .cpuprofile for a viewer).
//   BENCH_DATABASE_URL=postgres://… node --import tsx bench/money-path-profile.ts
// Not part of `npm run bench` (a profiled server is slower); a tool for finding the next cut.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import pino from 'pino';
import { createApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { openDatabase } from '../src/db/open.ts';
import { backendCpuMs, benchEnv, freePort, freshPostgresDatabase } from './support.ts';
import { loadFromChild, prepareCustomers, HTTP_CONNECTIONS, HTTP_SECONDS } from './money-path.ts';

const TOP_FUNCTIONS = 25;
const SERVER_ANSWER_TIMEOUT_MS = 120_000;

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Self time per function (name + file:line), largest first, as shares of all samples. */
export function topSelfTime(profile: CpuProfile, top: number): Array<{ share: number; ms: number; fn: string }> {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<string, number>();
  let totalUs = 0;
  profile.samples.forEach((id, i) => {
    const node = byId.get(id);
    const dt = profile.timeDeltas[i] ?? 0;
    totalUs += dt;
    if (!node) return;
    const { functionName, url, lineNumber } = node.callFrame;
    const file = url.replace(/^file:\/\//, '').replace(/^.*\/node_modules\//, '').replace(/^.*\/orderperf\//, '');
    const key = `${functionName || '(anonymous)'} ${file}:${lineNumber + 1}`;
    selfUs.set(key, (selfUs.get(key) ?? 0) + dt);
  });
  return [...selfUs.entries()].sort((a, b) => b[1] - a[1]).slice(0, top)
    .map(([fn, us]) => ({ share: us / totalUs, ms: us / 1000, fn }));
}

type ToServer = 'start' | 'stop';
type FromServer = { ready: true } | { profiled: string; cpuMs: number };

/** The server alone in a child process (`serve` mode below); resolves once it listens. */
async function startServer(env: Record<string, string>, profileDir: string): Promise<{ child: ChildProcess; ask: (m: ToServer) => Promise<FromServer> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), 'serve', profileDir], {
    env: { ...process.env, SERVE_ENV: JSON.stringify(env) }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const next = (): Promise<FromServer> => new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the profiled server did not answer')), SERVER_ANSWER_TIMEOUT_MS);
    child.once('message', (m) => {
      clearTimeout(timer);
      resolve(m as FromServer);
    });
  });
  child.on('exit', (code) => {
    if (code !== 0) console.error(`the profiled server exited with ${code}`);
  });
  await next();
  return { child, ask: (m) => { const answer = next(); child.send(m); return answer; } };
}

async function serve(profileDir: string): Promise<void> {
  const env = JSON.parse(process.env.SERVE_ENV ?? '{}') as Record<string, string>;
  const config = loadConfig(env);
  const app = await createApp(config, { logger: pino({ level: config.logLevel }) });
  await app.http.listen({ port: config.port, host: '127.0.0.1' });
  const session = new Session();
  session.connect();
  let cpuAtStart = process.cpuUsage();
  process.on('message', (m: ToServer) => void (async () => {
    if (m === 'start') {
      await session.post('Profiler.enable');
      await session.post('Profiler.start');
      cpuAtStart = process.cpuUsage();
      process.send?.({ ready: true });
      return;
    }
    const cpu = process.cpuUsage(cpuAtStart);
    const { profile } = await session.post('Profiler.stop');
    const file = join(profileDir, 'server.cpuprofile');
    writeFileSync(file, JSON.stringify(profile));
    process.send?.({ profiled: file, cpuMs: (cpu.user + cpu.system) / 1000 });
    await app.close();
    process.disconnect();
  })());
  process.send?.({ ready: true });
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'simkeep-profile-'));
  const pgDb = await freshPostgresDatabase();
  const database = new URL(pgDb.url).pathname.slice(1);
  const admin = new pg.Client({ connectionString: pgDb.url });
  await admin.connect();
  const port = await freePort();
  const env = benchEnv(port, { DATABASE_URL: pgDb.url }, { SIMKEEP_SIM_CARRIER_LATENCY_MS: '0', ...(process.env.PROFILE_NO_WORKER ? { SIMKEEP_WORKER: '0' } : {}) });
  const server = await startServer(env, dir);
  try {
    const db = await openDatabase(loadConfig(env).database);
    const prepared = await prepareCustomers(`http://127.0.0.1:${port}`, db);
    await db.close();
    await server.ask('start');
    const pgBefore = await backendCpuMs(admin, database);
    const load = await loadFromChild({ url: `http://127.0.0.1:${port}`, connections: HTTP_CONNECTIONS, durationSeconds: HTTP_SECONDS, ...prepared });
    const pgAfter = await backendCpuMs(admin, database);
    const stopped = await server.ask('stop');
    if (!('profiled' in stopped)) throw new Error('the server sent no profile');
    let pgMs = 0;
    for (const [pid, ms] of pgAfter) pgMs += ms - (pgBefore.get(pid) ?? 0);
    console.log(`wallet orders: ${load.perSecond}/s p50=${load.p50Ms} ms p99=${load.p99Ms} ms (${load.ok} ok, ${load.failed} failed)`);
    console.log(`CPU per order: server process ${(stopped.cpuMs / load.ok).toFixed(2)} ms, its PostgreSQL backends ${(pgMs / load.ok).toFixed(2)} ms`);
    const profile = JSON.parse(readFileSync(stopped.profiled, 'utf8')) as CpuProfile;
    for (const { share, ms, fn } of topSelfTime(profile, TOP_FUNCTIONS)) console.log(`${(share * 100).toFixed(1).padStart(5)} %  ${Math.round(ms).toString().padStart(6)} ms  ${fn}`);
    if (process.env.KEEP_PROFILE) console.log(`profile: ${stopped.profiled}`);
  } finally {
    if (server.child.exitCode === null) await new Promise((resolve) => { server.child.once('exit', resolve); setTimeout(() => { server.child.kill(); }, SERVER_ANSWER_TIMEOUT_MS); });
    await admin.end();
    await pgDb.drop();
    if (!process.env.KEEP_PROFILE) rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === 'serve') await serve(process.argv[3] ?? tmpdir());
else {
  // Output piped into `head` that closed early must not end the run before its database is dropped.
  process.stdout.on('error', () => undefined);
  await main();
}
