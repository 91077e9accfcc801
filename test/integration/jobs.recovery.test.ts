// Recover in seconds (issue 13): the server is killed with SIGKILL while a provisioning job is
// leased (the simulated carrier takes 10 s to answer), then started again on the same data. The
// job's 120-second lease must not hold the order back: it completes within seconds of the restart,
// on the embedded database and on PostgreSQL.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { withLuhnCheckDigit } from '../../src/domain/luhn.ts';
import { ADMIN, createPostgresDatabase, databaseKinds } from '../support/harness.ts';

/** A fresh embedded database is created, migrated and seeded: seconds alone, longer on a loaded machine. */
const START_WAIT_MS = 90_000;
/** Far below the 120 s lease: interrupted work resumes within seconds of the restart. */
const RESUMED_WITHIN_MS = 10_000;
const SLOW_CARRIER_MS = '10000';

interface Server {
  base: string;
  child: ChildProcess;
  exited: Promise<void>;
}

async function startServer(env: Record<string, string>): Promise<Server> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: {
      PATH: process.env.PATH ?? '', NODE_ENV: 'development', PORT: '0', HOST: '127.0.0.1', SIMKEEP_SECRET_KEY: 'ef'.repeat(32),
      SIMKEEP_ADMIN_EMAIL: ADMIN.email, SIMKEEP_ADMIN_PASSWORD: ADMIN.password, SIMKEEP_DEMO: '1', SIMKEEP_SANDBOX: '1', SIMKEEP_LOG_LEVEL: 'warn', ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d) => (output += String(d)));
  child.stderr?.on('data', (d) => (output += String(d)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + START_WAIT_MS;
  for (;;) {
    const listening = /simkeep listening on (http:\/\/[^\s]+)/.exec(output)?.[1];
    if (listening) return { base: listening, child, exited };
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`server did not start:\n${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function call(base: string, method: string, path: string, token: string | null, body?: unknown, type = 'application/json'): Promise<{ status: number; json: any }> {
  const r = await fetch(base + path, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body === undefined ? {} : { 'content-type': type }), 'idempotency-key': randomUUID() },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await r.text();
  return { status: r.status, json: text ? JSON.parse(text) : null };
}

/** A paid card order whose provisioning job is leased (the order shows `provisioning`). */
async function orderBeingProvisioned(base: string): Promise<{ token: string; orderId: string }> {
  const admin = (await call(base, 'POST', '/api/v1/auth/login', null, ADMIN)).json.token as string;
  const plan = await call(base, 'POST', '/api/v1/admin/plans', admin, {
    code: `recover-${randomUUID().slice(0, 8)}`, name: { en: 'Recovery plan' }, kind: 'base', carriers: ['us-paygo'], regions: ['US'],
    price: { amount: 500, currency: 'USD' }, validityDays: 30, allowances: { dataMb: 10, voiceMin: 0, sms: 0 }, autoRenewable: false,
  });
  expect(plan.status).toBe(201);
  const serial = String(Date.now() % 1e9).padStart(9, '0');
  const iccid = withLuhnCheckDigit(`89012677${serial}1`);
  const csv = `iccid,imsi,msisdn,pin,form,carrier\n${iccid},310260${serial},+1212${serial.slice(0, 7)},4321,physical,us-paygo\n`;
  expect((await call(base, 'POST', '/api/v1/admin/sims/import', admin, csv, 'text/csv')).json.imported).toBe(1);
  const token = (await call(base, 'POST', '/api/v1/auth/register', null, { email: `rec-${randomUUID().slice(0, 8)}@example.test`, password: `Pw-${randomUUID()}` })).json.token as string;
  const line = await call(base, 'POST', '/api/v1/lines/bind', token, { iccid, pin: '4321' });
  expect(line.status).toBe(201);
  const order = await call(base, 'POST', '/api/v1/orders', token, { lineId: line.json.id, planId: plan.json.id, paymentMethod: 'card' });
  expect(order.status).toBe(201);
  expect((await call(base, 'POST', `/api/v1/sandbox/payments/${order.json.payment.id}/complete`, null, { outcome: 'succeeded' })).status).toBe(202);
  await waitForStatus(base, token, order.json.id, 'provisioning', START_WAIT_MS);
  return { token, orderId: order.json.id };
}

async function waitForStatus(base: string, token: string, orderId: string, status: string, withinMs: number): Promise<number> {
  const started = Date.now();
  let seen = '';
  while (Date.now() - started < withinMs) {
    seen = (await call(base, 'GET', `/api/v1/orders/${orderId}`, token)).json.status as string;
    if (seen === status) return Date.now() - started;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`order ${orderId} still ${seen}, not ${status}, after ${withinMs} ms`);
}

describe.each(databaseKinds())('resuming interrupted work after kill -9 [%s]', (kind) => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  it(`completes an order whose provisioning was interrupted within ${RESUMED_WITHIN_MS / 1000} s of the restart, not after the 120 s lease`, async () => {
    let dbEnv: Record<string, string>;
    if (kind === 'postgres') {
      const created = await createPostgresDatabase();
      cleanups.push(created.drop);
      dbEnv = { DATABASE_URL: created.url };
    } else {
      const dir = mkdtempSync(join(tmpdir(), 'simkeep-recover-'));
      cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
      dbEnv = { SIMKEEP_DATA_DIR: dir };
    }
    const first = await startServer({ ...dbEnv, SIMKEEP_SIM_CARRIER_LATENCY_MS: SLOW_CARRIER_MS });
    cleanups.push(() => void first.child.kill('SIGKILL'));
    const { token, orderId } = await orderBeingProvisioned(first.base);
    first.child.kill('SIGKILL');
    await first.exited;

    const second = await startServer({ ...dbEnv, SIMKEEP_SIM_CARRIER_LATENCY_MS: '0' });
    cleanups.push(async () => {
      second.child.kill('SIGTERM');
      await second.exited;
    });
    const tookMs = await waitForStatus(second.base, token, orderId, 'completed', RESUMED_WITHIN_MS);
    expect(tookMs).toBeLessThan(RESUMED_WITHIN_MS);
  }, START_WAIT_MS * 3);
});
