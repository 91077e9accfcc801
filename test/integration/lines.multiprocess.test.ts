// The card PIN lock when several simkeep processes share one PostgreSQL server: each "process" is
// an app with its own connection pool, as separate processes would have (the pattern of
// multiprocess.test.ts). The attempt counter and the lock live in the database, so a guesser
// spreading attempts over processes gets no more than 5.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { createApp, type RunningApp } from '../../src/app.ts';
import { openPostgres } from '../../src/db/postgres.ts';
import type { Db } from '../../src/db/types.ts';
import { ADMIN, createPostgresDatabase, testConfig } from '../support/harness.ts';
import { csvOf, nextCard, type TestCard } from '../support/lines-fixtures.ts';

const hasPostgres = Boolean(process.env.TEST_DATABASE_URL);
const mustRun = process.env.CI === 'true';

describe.runIf(hasPostgres || mustRun)('the PIN lock across processes on one PostgreSQL server', () => {
  let drop: () => Promise<void> = async () => undefined;
  const dbs: Db[] = [];
  const apps: RunningApp[] = [];
  let token = '';

  beforeAll(async () => {
    if (!hasPostgres) throw new Error('CI=true but TEST_DATABASE_URL is not set: the PostgreSQL leg cannot run');
    const created = await createPostgresDatabase();
    drop = created.drop;
    // Started one after the other: both run the (idempotent) migrations and demo seed on start.
    for (let i = 0; i < 2; i++) {
      const db = await openPostgres(created.url);
      dbs.push(db);
      apps.push(await createApp(testConfig(), { db, logger: pino({ level: 'silent' }), startWorker: false }));
    }
    const register = await first().http.inject({
      method: 'POST', url: '/api/v1/auth/register', payload: { email: 'pin-guesser@example.test', password: 'Correct-Horse-Battery-9' },
    });
    expect(register.statusCode).toBe(201);
    token = register.json().token;
  });
  afterAll(async () => {
    for (const app of apps) await app.close();
    for (const db of dbs) await db.close();
    await drop();
  });

  const first = (): RunningApp => {
    const app = apps[0];
    if (!app) throw new Error('apps not started');
    return app;
  };
  const second = (): RunningApp => {
    const app = apps[1];
    if (!app) throw new Error('apps not started');
    return app;
  };

  async function stock(card: TestCard): Promise<void> {
    const login = await first().http.inject({ method: 'POST', url: '/api/v1/auth/login', payload: ADMIN });
    const r = await first().http.inject({
      method: 'POST', url: '/api/v1/admin/sims/import', headers: { authorization: `Bearer ${login.json().token}`, 'content-type': 'text/csv' },
      payload: csvOf([card]),
    });
    expect(r.json().imported, r.body).toBe(1);
  }

  const bind = (app: RunningApp, card: Pick<TestCard, 'iccid' | 'pin'>) =>
    app.http.inject({ method: 'POST', url: '/api/v1/lines/bind', headers: { authorization: `Bearer ${token}` }, payload: { iccid: card.iccid, pin: card.pin } });

  it('locks a card after 5 wrong PINs spread over two processes, for the right PIN on either', async () => {
    const card = nextCard();
    await stock(card);
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await bind(i % 2 === 0 ? first() : second(), { iccid: card.iccid, pin: '0000' })).statusCode);
    expect(statuses).toEqual([404, 404, 404, 404, 404]);
    for (const app of [second(), first()]) {
      const r = await bind(app, card);
      expect(r.statusCode).toBe(423);
      expect(r.json().code).toBe('card_locked');
      expect(Number(r.headers['retry-after'])).toBeGreaterThan(14 * 60);
    }
  });

  it('checks at most 5 of 10 simultaneous wrong PINs sent to two processes', async () => {
    const card = nextCard();
    await stock(card);
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => bind(i % 2 === 0 ? first() : second(), { iccid: card.iccid, pin: String(3000 + i) })),
    );
    expect(results.filter((r) => r.statusCode === 404)).toHaveLength(5);
    const locked = results.filter((r) => r.statusCode === 423);
    expect(locked).toHaveLength(5);
    for (const r of locked) expect(Number(r.headers['retry-after'])).toBeGreaterThan(15 * 60 - 5);
    expect((await bind(second(), card)).statusCode).toBe(423);
    expect((await bind(first(), card)).statusCode).toBe(423);
  });
});
