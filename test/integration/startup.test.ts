// `npm start` as a newcomer runs it: the real entry point as a child process.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
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
    ['PORT', { PORT: '0x10' }],
    ['HOST', { HOST: 'not a host' }],
    ['SIMKEEP_ADMIN_PASSWORD', { SIMKEEP_ADMIN_EMAIL: 'a@b.co', SIMKEEP_ADMIN_PASSWORD: 'password123' }],
    ['ALIPAY_PRIVATE_KEY', { ALIPAY_APP_ID: '2021', ALIPAY_PRIVATE_KEY: 'bm90IGEga2V5', ALIPAY_PUBLIC_KEY: 'bm90IGEga2V5' }],
  ])('exits non-zero naming %s when its value is bad', async (variable, env) => {
    const dataDir = join(tmpdir(), `never-created-${process.pid}`);
    const { code, out } = await run({ SIMKEEP_DATA_DIR: dataDir, ...env }).exit;
    expect(code).toBe(1);
    expect(out).toContain(variable);
    expect(out, 'a configuration message, not a stack trace').not.toMatch(/^\s+at /m);
  });

  it('exits 1 naming HOST and PORT, without a stack trace, when it cannot listen', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const address = blocker.address();
    const taken = typeof address === 'object' && address ? address.port : 0;
    const dir = join(tmpdir(), `simkeep-listen-${process.pid}-${taken}`);
    try {
      const { code, out } = await run({ SIMKEEP_DATA_DIR: dir, PORT: String(taken) }).exit;
      expect(code, out).toBe(1);
      expect(out).toContain(`HOST=127.0.0.1 PORT=${taken}`);
      expect(out).toContain('EADDRINUSE');
      expect(out).not.toMatch(/^\s+at /m);
      // It failed before creating (and seeding) a database it could never serve.
      expect(existsSync(dir)).toBe(false);
      // An address that is not this machine's fails the same way.
      const foreign = await run({ SIMKEEP_DATA_DIR: dir, HOST: '192.0.2.1', PORT: '0' }).exit;
      expect(foreign.code, foreign.out).toBe(1);
      expect(foreign.out).toContain('HOST=192.0.2.1 PORT=0');
      expect(foreign.out).not.toMatch(/^\s+at /m);
    } finally {
      blocker.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, START_WAIT_MS);

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
      // Without SIMKEEP_PUBLIC_URL the public URL is the address actually bound, not port 0.
      expect(proc.output()).toContain(`public URL: ${base}\n`);
      const login = await fetch(`${base}/api/v1/auth/login`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ADMIN),
      });
      expect(login.status).toBe(200);
      // The sandbox's hosted payment page is linked on that URL.
      const json = { 'content-type': 'application/json' };
      const demo = (await (await fetch(`${base}/api/v1/auth/login`, { method: 'POST', headers: json, body: JSON.stringify({ email: 'demo@simkeep.test', password: 'keep-my-number-2026' }) })).json()) as { token: string };
      const auth = { authorization: `Bearer ${demo.token}` };
      const lines = (await (await fetch(`${base}/api/v1/lines`, { headers: auth })).json()) as { items: Array<{ id: string }> };
      const lineId = lines.items[0]?.id ?? '';
      const plans = (await (await fetch(`${base}/api/v1/plans?lineId=${lineId}`, { headers: auth })).json()) as { items: Array<{ id: string; kind: string }> };
      const planId = plans.items.find((p) => p.kind === 'base')?.id;
      const order = await fetch(`${base}/api/v1/orders`, {
        method: 'POST', headers: { ...json, ...auth, 'idempotency-key': `startup-${Date.now()}` }, body: JSON.stringify({ lineId, planId, paymentMethod: 'card' }),
      });
      const placed = (await order.json()) as { payment?: { action?: { url?: string } } };
      expect(order.status, JSON.stringify(placed)).toBe(201);
      expect(placed.payment?.action?.url?.startsWith(`${base}/sandbox/pay/`), placed.payment?.action?.url).toBe(true);
      proc.child.kill('SIGTERM');
      expect((await proc.exit).code).toBe(0);
    } finally {
      proc.child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  }, START_WAIT_MS + 30_000);
});
