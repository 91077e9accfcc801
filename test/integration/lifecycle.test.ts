// The process lifecycle of `npm start` on the embedded database: SIGTERM or SIGINT stops it
// cleanly (requests and the current job finished, database closed, exit 0 within 10 s — npm's
// shell must not leave the server running), and while it runs the CLI says plainly that the
// database is in use and by which process, instead of PGlite aborting.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openConfiguredDatabase } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { LOCK_FILE } from '../../src/db/data-dir-lock.ts';

const START_WAIT_MS = 120_000;
const STOP_WITHIN_MS = 10_000;
const NPM = join(dirname(process.execPath), 'npm');

interface Proc {
  child: ReturnType<typeof spawn>;
  output: () => string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function launch(command: string, args: string[], env: Record<string, string>): Proc {
  const child = spawn(command, args, {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? tmpdir(), SIMKEEP_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d) => (out += String(d)));
  child.stderr?.on('data', (d) => (out += String(d)));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return { child, output: () => out, exit };
}

async function untilHealthy(proc: Proc): Promise<string> {
  const t0 = Date.now();
  while (Date.now() - t0 < START_WAIT_MS) {
    const base = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(proc.output())?.[1];
    if (base && (await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(5_000) }).then((r) => r.ok, () => false))) return base;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`not healthy after ${START_WAIT_MS} ms:\n${proc.output()}`);
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function stopWith(proc: Proc, signal: NodeJS.Signals): Promise<{ code: number | null; ms: number }> {
  const t0 = Date.now();
  proc.child.kill(signal);
  const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), STOP_WITHIN_MS + 2_000));
  const result = await Promise.race([proc.exit, timeout]);
  if (result === 'timeout') throw new Error(`still running ${STOP_WITHIN_MS} ms after ${signal}:\n${proc.output()}`);
  return { code: result.code, ms: Date.now() - t0 };
}

describe('npm start on the embedded database', () => {
  const dir = mkdtempSync(join(tmpdir(), 'simkeep-lifecycle-'));
  const env = { SIMKEEP_DATA_DIR: dir, PORT: '0', SIMKEEP_DEMO: '0' };
  const procs: Proc[] = [];
  afterAll(() => {
    for (const p of procs) p.child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('tells the CLI which process holds the database, then stops on SIGTERM with exit 0 within 10 s', async () => {
    const server = launch(NPM, ['start', '--silent'], env);
    procs.push(server);
    await untilHealthy(server);
    const holder = JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')) as { pid: number };
    expect(isRunning(holder.pid)).toBe(true);

    const csv = join(dir, 'cards.csv');
    writeFileSync(csv, 'iccid,imsi,msisdn,pin,form,carrier\n');
    const cli = launch(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'sims', 'import', '--no-progress', csv], env);
    const cliExit = await cli.exit;
    expect(cliExit.code, cli.output()).toBe(1);
    expect(cli.output()).toContain(`in use by process ${holder.pid}`);
    expect(cli.output()).not.toContain('Aborted');
    expect(cli.output(), 'a message, not a stack trace').not.toMatch(/^\s+at /m);

    const stopped = await stopWith(server, 'SIGTERM');
    expect(stopped.code, server.output()).toBe(0);
    expect(stopped.ms).toBeLessThan(STOP_WITHIN_MS);
    // npm's shell did not leave the server behind, and the database was closed (lock released).
    expect(isRunning(holder.pid)).toBe(false);
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
  }, START_WAIT_MS + 60_000);

  it('stops on SIGINT the same way, and the database opens again afterwards', async () => {
    const server = launch(process.execPath, ['--import', 'tsx', 'src/main.ts'], env);
    procs.push(server);
    await untilHealthy(server);
    const stopped = await stopWith(server, 'SIGINT');
    expect(stopped.code, server.output()).toBe(0);
    expect(stopped.ms).toBeLessThan(STOP_WITHIN_MS);
    const { db } = await openConfiguredDatabase(loadConfig({ NODE_ENV: 'test', SIMKEEP_DATA_DIR: dir, SIMKEEP_LOG_LEVEL: 'silent' }));
    try {
      const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM schema_migrations');
      expect(rows[0]?.n).toBeGreaterThan(0);
    } finally {
      await db.close();
    }
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
  }, START_WAIT_MS + 60_000);

  it('takes over a lock left by a process that no longer runs (kill -9)', async () => {
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid: 2 ** 22 + 12_345, command: 'gone', startedAt: '' }));
    const { db } = await openConfiguredDatabase(loadConfig({ NODE_ENV: 'test', SIMKEEP_DATA_DIR: dir, SIMKEEP_LOG_LEVEL: 'silent' }));
    await db.close();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
  }, 60_000);
});
