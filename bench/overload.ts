// Fair under load (issue 13): 200 connections reading one line view, the server in its own process
// (`src/main.ts`, as `npm start` runs it) and the load from this one (autocannon's API), so neither
// shares the other's event loop. Prints p50/p99/max latency, answers by status and the requests shed
// (503 server_busy) or left waiting past autocannon's 10 s timeout, on PGlite and PostgreSQL.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { withLuhnCheckDigit } from '../src/domain/luhn.ts';
import { BENCH_ADMIN, expectStatus, freePort, freshPostgresDatabase } from './support.ts';

const CONNECTIONS = 200;
const DURATION_SECONDS = 10;
const START_WAIT_MS = 90_000;

interface ServerProcess {
  base: string;
  /** Log lines the server wrote saying it shed requests. */
  shedLogLines: () => number;
  stop(): Promise<void>;
}

async function startServerProcess(kind: 'pglite' | 'postgres', env: Record<string, string>): Promise<ServerProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'simkeep-overload-'));
  const pgDb = kind === 'postgres' ? await freshPostgresDatabase() : null;
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: {
      PATH: process.env.PATH ?? '', NODE_ENV: 'development', PORT: String(port), HOST: '127.0.0.1', SIMKEEP_PUBLIC_URL: base,
      SIMKEEP_SECRET_KEY: 'cd'.repeat(32), SIMKEEP_ADMIN_EMAIL: BENCH_ADMIN.email, SIMKEEP_ADMIN_PASSWORD: BENCH_ADMIN.password,
      SIMKEEP_DEMO: '1', SIMKEEP_SANDBOX: '1', SIMKEEP_LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn',
      ...(pgDb ? { DATABASE_URL: pgDb.url } : { SIMKEEP_DATA_DIR: dir }), ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d) => {
    output += String(d);
    if (process.env.BENCH_LOG_LEVEL) process.stdout.write(d);
  });
  child.stderr?.on('data', (d) => (output += String(d)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + START_WAIT_MS;
  while (!output.includes('simkeep listening')) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`server did not start:\n${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    base,
    shedLogLines: () => output.split('\n').filter((l) => l.includes('server busy')).length,
    async stop() {
      child.kill('SIGTERM');
      await exited;
      await pgDb?.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A customer with one bound line, through the API. */
async function customerWithLine(base: string): Promise<{ token: string; lineId: string }> {
  const post = (path: string, body: unknown, token?: string, type = 'application/json'): Promise<Response> => fetch(base + path, {
    method: 'POST', headers: { 'content-type': type, ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const admin = ((await expectStatus(await post('/api/v1/auth/login', BENCH_ADMIN), 200, 'admin login')) as { token: string }).token;
  const serial = String(Date.now() % 1e9).padStart(9, '0');
  const iccid = withLuhnCheckDigit(`89012677${serial}1`);
  const csv = `iccid,imsi,msisdn,pin,form,carrier\n${iccid},310260${serial},+1212${serial.slice(0, 7)},4321,physical,us-paygo\n`;
  await expectStatus(await post('/api/v1/admin/sims/import', csv, admin, 'text/csv'), 200, 'import');
  const email = `overload-${randomUUID().slice(0, 8)}@example.test`;
  const token = ((await expectStatus(await post('/api/v1/auth/register', { email, password: `Pw-${randomUUID()}` }), 201, 'register')) as { token: string }).token;
  const line = (await expectStatus(await post('/api/v1/lines/bind', { iccid, pin: '4321' }, token), 201, 'bind')) as { id: string };
  return { token, lineId: line.id };
}

/** The default bounds, then a tight wait bound that makes shedding visible at 200 connections. */
const VARIANTS: Array<{ name: string; env: Record<string, string> }> = [
  { name: 'default bounds (wait 5 s)', env: {} },
  { name: 'SIMKEEP_REQUEST_QUEUE_WAIT_MS=1000', env: { SIMKEEP_REQUEST_QUEUE_WAIT_MS: '1000' } },
];

export async function benchOverload(kind: 'pglite' | 'postgres' = 'pglite'): Promise<Record<string, unknown>> {
  const figures: Record<string, unknown> = {};
  for (const variant of VARIANTS) {
    for (const [what, value] of Object.entries(await overloadOnce(kind, variant.env))) figures[`${variant.name}: ${what}`] = value;
  }
  return figures;
}

async function overloadOnce(kind: 'pglite' | 'postgres', env: Record<string, string>): Promise<Record<string, unknown>> {
  const server = await startServerProcess(kind, env);
  try {
    const { token, lineId } = await customerWithLine(server.base);
    const result = await autocannon({
      url: server.base, connections: CONNECTIONS, duration: DURATION_SECONDS,
      requests: [{ method: 'GET', path: `/api/v1/lines/${lineId}`, headers: { authorization: `Bearer ${token}` } }],
    });
    // The server's own count: requests it shed and answered, whatever the client gave up on.
    const metrics = await (await fetch(`${server.base}/metrics`)).text();
    const counted = (prefix: string, filter = ''): number => metrics.split('\n')
      .filter((l) => l.startsWith(prefix) && l.includes(filter)).reduce((n, l) => n + Number(l.split(' ').pop()), 0);
    const byStatus = Object.fromEntries(Object.entries(result.statusCodeStats).map(([status, s]) => [status, s.count]));
    return {
      [`GET /lines/{id} ×${CONNECTIONS} conns ${DURATION_SECONDS} s`]: {
        answered: result['2xx'] + result.non2xx, okPerSecond: Math.round(result['2xx'] / result.duration),
        p50Ms: result.latency.p50, p99Ms: result.latency.p99, maxMs: result.latency.max,
      },
      'answers by status': byStatus,
      'client timeouts (> 10 s)': result.timeouts,
      'other 5xx': Object.entries(byStatus).filter(([s]) => s.startsWith('5') && s !== '503').reduce((n, [, c]) => n + c, 0),
      'server: shed / answered / shed log lines': `${counted('simkeep_http_shed_total')} / ${counted('simkeep_http_requests_total', 'route="/api/v1/lines/:id"')} / ${server.shedLogLines()}`,
    };
  } finally {
    await server.stop();
  }
}
