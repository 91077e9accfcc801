// `npm start` as a newcomer runs it: the real entry point as a child process.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ADMIN } from '../support/harness.ts';

const ENTRY = ['--import', 'tsx', 'src/main.ts'];
/** A fresh embedded database is created, migrated and seeded: seconds alone, longer on a loaded CI machine. */
const START_WAIT_MS = 90_000;
const PROBE_TIMEOUT_MS = 5_000;

function run(env: Record<string, string>): { exit: Promise<{ code: number | null; out: string }>; child: ReturnType<typeof spawn>; output: () => string } {
  const child = spawn(process.execPath, ENTRY, { env: { PATH: process.env.PATH ?? '', SIMKEEP_LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += String(d)));
  child.stderr.on('data', (d) => (out += String(d)));
  const exit = new Promise<{ code: number | null; out: string }>((resolve) => child.on('exit', (code) => resolve({ code, out })));
  return { exit, child, output: () => out };
}

describe('starting simkeep', () => {
  it.each([
    ['PORT', { PORT: 'eighty' }],
    ['SIMKEEP_SECRET_KEY', { SIMKEEP_SECRET_KEY: 'short' }],
    ['SIMKEEP_SECRET_KEY', { DATABASE_URL: 'postgres://127.0.0.1:1/x' }],
    ['DATABASE_URL', { DATABASE_URL: 'mysql://x' }],
    ['SIMKEEP_ADMIN_PASSWORD', { SIMKEEP_ADMIN_EMAIL: 'a@b.co' }],
    ['STRIPE_WEBHOOK_SECRET', { STRIPE_SECRET_KEY: 'sk_test_x' }],
  ])('exits non-zero naming %s when its value is bad', async (variable, env) => {
    const { code, out } = await run({ SIMKEEP_DATA_DIR: join(tmpdir(), 'never-created'), ...env }).exit;
    expect(code).toBe(1);
    expect(out).toContain(variable);
  });

  it('serves on a fresh data dir with demo data and the configured admin, then shuts down gracefully', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'simkeep-start-'));
    // PORT=0: the kernel picks a free port and the banner names it, so no guess can collide.
    const proc = run({ SIMKEEP_DATA_DIR: dir, PORT: '0', SIMKEEP_ADMIN_EMAIL: ADMIN.email, SIMKEEP_ADMIN_PASSWORD: ADMIN.password });
    try {
      const t0 = Date.now();
      let base: string | null = null;
      let healthy = false;
      while (!healthy && Date.now() - t0 < START_WAIT_MS) {
        base ??= /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(proc.output())?.[1] ?? null;
        // Each probe has its own deadline: a hung connection must not eat the whole wait.
        if (base) healthy = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) }).then((r) => r.ok, () => false);
        if (!healthy) await new Promise((r) => setTimeout(r, 200));
      }
      expect(healthy, `not healthy after ${Date.now() - t0} ms; output:\n${proc.output()}`).toBe(true);
      expect(proc.output()).toContain('demo data: seeded');
      const login = await fetch(`${base}/api/v1/auth/login`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ADMIN),
      });
      expect(login.status).toBe(200);
      proc.child.kill('SIGTERM');
      expect((await proc.exit).code).toBe(0);
    } finally {
      proc.child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  }, START_WAIT_MS + 30_000);
});
