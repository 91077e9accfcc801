// The eSIM Matching ID is a secret (SPEC): whatever the server logs at its most verbose level while
// cards are imported (good and bad rows), bound and installed, the Matching ID is not in it.
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type RunningApp } from '../../src/app.ts';
import type { Db } from '../../src/db/types.ts';
import { ADMIN, openTestPglite, testConfig } from '../support/harness.ts';
import { csvOf, nextCard } from '../support/lines-fixtures.ts';

describe('the Matching ID in logs', () => {
  const lines: string[] = [];
  let app: RunningApp;
  let db: Db;

  beforeAll(async () => {
    const sink = new Writable({ write: (chunk: Buffer, _enc, done) => { lines.push(chunk.toString('utf8')); done(); } });
    db = await openTestPglite();
    app = await createApp(testConfig({ SIMKEEP_LOG_LEVEL: 'trace' }), { db, logger: pino({ level: 'trace' }, sink), startWorker: false });
  });
  afterAll(async () => {
    await app.close();
    await db.close();
  });

  it('never appears, at any log level, on import, bind and install', async () => {
    const call = async (method: 'GET' | 'POST', url: string, token: string | null, payload?: unknown, contentType = 'application/json') => {
      const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
      if (payload !== undefined) headers['content-type'] = contentType;
      const body = typeof payload === 'string' ? payload : payload === undefined ? undefined : JSON.stringify(payload);
      return app.http.inject({ method, url, headers, payload: body });
    };
    const admin = (await call('POST', '/api/v1/auth/login', null, ADMIN)).json().token as string;
    const card = nextCard({ form: 'esim', activationCode: 'LPA:1$smdp.example.com$TOPSECRET-MATCHING-7731' });
    const bad = nextCard({ form: 'esim', activationCode: 'LPA:2$smdp.example.com$TOPSECRET-BADROW-7731' });
    const imported = await call('POST', '/api/v1/admin/sims/import', admin, csvOf([card, bad]), 'text/csv');
    expect(imported.json()).toMatchObject({ imported: 1, rejected: [{ line: 3, code: 'invalid_activation_code' }] });
    const registered = await call('POST', '/api/v1/auth/register', null, { email: 'esim-logs@example.test', password: 'Esim-Logs-Pass-42!' });
    const token = registered.json().token as string;
    const bound = await call('POST', '/api/v1/lines/bind', token, { iccid: card.iccid, pin: card.pin });
    expect(bound.statusCode).toBe(201);
    const esim = await call('GET', `/api/v1/lines/${bound.json().id}/esim`, token);
    expect(esim.json().activationCode).toBe(card.activationCode);

    const logged = lines.join('');
    expect(logged.length).toBeGreaterThan(0); // the sink did receive the request logs
    expect(logged).not.toContain('TOPSECRET');
  });
});
