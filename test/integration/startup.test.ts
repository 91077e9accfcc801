// `npm start` as a newcomer runs it: the real entry point as a child process.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ADMIN } from '../support/harness.ts';

const ENTRY = ['--import', 'tsx', 'src/main.ts'];

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
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    const proc = run({ SIMKEEP_DATA_DIR: dir, PORT: String(port), SIMKEEP_ADMIN_EMAIL: ADMIN.email, SIMKEEP_ADMIN_PASSWORD: ADMIN.password });
    const base = `http://127.0.0.1:${port}`;
    const t0 = Date.now();
    let healthy = false;
    while (!healthy && Date.now() - t0 < 60_000) {
      healthy = await fetch(`${base}/healthz`).then((r) => r.ok, () => false);
      if (!healthy) await new Promise((r) => setTimeout(r, 200));
    }
    expect(healthy).toBe(true);
    expect(proc.output()).toContain(`listening on http://127.0.0.1:${port}`);
    expect(proc.output()).toContain('demo data: seeded');
    const login = await fetch(`${base}/api/v1/auth/login`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ADMIN),
    });
    expect(login.status).toBe(200);
    proc.child.kill('SIGTERM');
    expect((await proc.exit).code).toBe(0);
    rmSync(dir, { recursive: true, force: true });
  });
});
