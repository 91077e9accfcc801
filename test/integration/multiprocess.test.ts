// What must hold when several simkeep processes share one PostgreSQL server: each "process" here is
// an app with its own connection pool and session tag, as separate processes would have.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { createApp, type RunningApp } from '../../src/app.ts';
import { migrate } from '../../src/db/migrate.ts';
import { openPostgres } from '../../src/db/postgres.ts';
import type { Db } from '../../src/db/types.ts';
import { runIdempotent } from '../../src/modules/idempotency/service.ts';
import { createPostgresDatabase, testConfig } from '../support/harness.ts';

const hasPostgres = Boolean(process.env.TEST_DATABASE_URL);
const mustRun = process.env.CI === 'true';

describe.runIf(hasPostgres || mustRun)('several processes on one PostgreSQL server', () => {
  let url = '';
  let drop: () => Promise<void> = async () => undefined;
  const dbs: Db[] = [];
  const apps: RunningApp[] = [];

  beforeAll(async () => {
    if (!hasPostgres) throw new Error('CI=true but TEST_DATABASE_URL is not set: the PostgreSQL leg cannot run');
    ({ url, drop } = await createPostgresDatabase());
  });
  afterAll(async () => {
    for (const app of apps) await app.close();
    for (const db of dbs) await db.close();
    await drop();
  });

  async function open(): Promise<Db> {
    const db = await openPostgres(url);
    dbs.push(db);
    return db;
  }

  it('applies migrations once when two processes start together', async () => {
    const [a, b] = await Promise.all([open(), open()]);
    const results = await Promise.all([migrate(a), migrate(b)]);
    const applied = results.flatMap((r) => r.applied);
    const { rows } = await a.query<{ n: number }>('SELECT count(*)::int AS n FROM schema_migrations');
    expect(applied).toHaveLength(rows[0]?.n ?? -1);
    expect(new Set(applied).size).toBe(applied.length);
  });

  it('holds the per-account login limit across processes', async () => {
    for (let i = 0; i < 2; i++) {
      apps.push(await createApp(testConfig(), { db: await open(), logger: pino({ level: 'silent' }), startWorker: false }));
    }
    const [first, second] = apps;
    if (!first || !second) throw new Error('apps not started');
    const register = await first.http.inject({
      method: 'POST', url: '/api/v1/auth/register', payload: { email: 'shared@example.test', password: 'Correct-Horse-Battery-9' },
    });
    expect(register.statusCode).toBe(201);
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const app = i % 2 === 0 ? first : second;
      const r = await app.http.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: 'shared@example.test', password: `Wrong-${i}-password` } });
      statuses.push(r.statusCode);
    }
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
  });

  it('holds the per-account login limit for a parallel burst split across processes', async () => {
    const [first, second] = apps;
    if (!first || !second) throw new Error('apps not started');
    const email = 'burst-shared@example.test';
    const register = await first.http.inject({ method: 'POST', url: '/api/v1/auth/register', payload: { email, password: 'Correct-Horse-Battery-9' } });
    expect(register.statusCode).toBe(201);
    const burst = await Promise.all(Array.from({ length: 24 }, (_, i) =>
      (i % 2 === 0 ? first : second).http.inject({
        method: 'POST', url: '/api/v1/auth/login', remoteAddress: `198.18.7.${i}`, payload: { email, password: `Wrong-${i}-password` },
      })));
    const statuses = burst.map((r) => r.statusCode);
    // 24 addresses, each within its own (account, IP) budget: the account's paced ceiling lets
    // exactly its 20 free attempts reach the password check, whichever process takes them.
    expect(statuses.filter((s) => s === 401)).toHaveLength(20);
    expect(statuses.filter((s) => s === 429)).toHaveLength(4);
  });

  it('holds the per-IP login limit for a parallel burst across accounts and processes', async () => {
    const [first, second] = apps;
    if (!first || !second) throw new Error('apps not started');
    const burst = await Promise.all(Array.from({ length: 40 }, (_, i) =>
      (i % 2 === 0 ? first : second).http.inject({
        method: 'POST', url: '/api/v1/auth/login', remoteAddress: '198.18.9.9', payload: { email: `spray-${i}@example.test`, password: 'Wrong-password-1' },
      })));
    const statuses = burst.map((r) => r.statusCode);
    expect(statuses.filter((s) => s === 401)).toHaveLength(30);
    expect(statuses.filter((s) => s === 429)).toHaveLength(10);
  });

  it('frees an idempotency key whose process died, but not one still being worked on', async () => {
    const alive = await open();
    const dying = await open();
    const input = { scope: 'test', key: 'k-1', fingerprint: 'f' };
    let release: () => void = () => undefined;
    const slow = runIdempotent(alive, input, () => new Promise((resolve) => { release = () => resolve({ status: 201, body: { n: 1 } }); }));
    await new Promise((r) => setTimeout(r, 50));
    await expect(runIdempotent(dying, input, async () => ({ status: 201, body: { n: 2 } }))).rejects.toMatchObject({ code: 'idempotency_key_in_use' });
    release();
    expect((await slow).body).toEqual({ n: 1 });

    // A process takes a key and dies before finishing: its connections close, the key frees up.
    const crashKey = { scope: 'test', key: 'k-2', fingerprint: 'f' };
    const hang = runIdempotent(dying, crashKey, () => new Promise<never>(() => undefined));
    await new Promise((r) => setTimeout(r, 50));
    void hang;
    await dying.close();
    dbs.splice(dbs.indexOf(dying), 1);
    const retried = await runIdempotent(alive, crashKey, async () => ({ status: 201, body: { n: 3 } }));
    expect(retried).toMatchObject({ status: 201, body: { n: 3 }, replayed: false });
  });
});
