// Without SMTP_URL an email goes to the log (and the in-app copy is kept); whatever is logged, at
// the most verbose level, while webhooks are set and fail, the webhook secret is not in it.
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type RunningApp } from '../../src/app.ts';
import type { Db } from '../../src/db/types.ts';
import { notify } from '../../src/modules/notifications/service.ts';
import { openTestPglite, testConfig } from '../support/harness.ts';
import { closedLoopbackUrl } from '../support/loopback.ts';

describe('notifications in the log', () => {
  const lines: string[] = [];
  let app: RunningApp;
  let db: Db;

  beforeAll(async () => {
    const sink = new Writable({ write: (chunk: Buffer, _enc, done) => { lines.push(chunk.toString('utf8')); done(); } });
    db = await openTestPglite();
    app = await createApp(testConfig({ SIMKEEP_LOG_LEVEL: 'trace', SIMKEEP_WEBHOOK_ALLOW_PRIVATE: '1' }), { db, logger: pino({ level: 'trace' }, sink), startWorker: false });
  });
  afterAll(async () => {
    await app.close();
    await db.close();
  });

  it('logs the email instead of sending it, and never logs the webhook secret', async () => {
    const registered = await app.http.inject({
      method: 'POST', url: '/api/v1/auth/register', payload: { email: 'notify-logs@example.test', password: 'Notify-Logs-Pass-42!' },
    });
    const { token, user } = registered.json() as { token: string; user: { id: string } };
    const patched = await app.http.inject({
      method: 'PATCH', url: '/api/v1/me/notification-settings', headers: { authorization: `Bearer ${token}` },
      payload: { webhook: { url: `${await closedLoopbackUrl()}/hook` } },
    });
    const secret = (patched.json() as { webhook: { secret: string } }).webhook.secret;
    expect(secret).toMatch(/^whsec_/);
    const raised = await db.transaction((tx) =>
      notify(tx, { now: app.deps.clock.now(), userId: user.id, kind: 'refund_issued', data: { amount: { amount: 700, currency: 'USD' } }, dedupeKey: 'logs:refund:1' }),
    );
    await app.deps.worker.tick(true);

    const logged = lines.join('');
    const emailLine = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => String(l.msg).startsWith('email not sent'));
    expect(emailLine).toMatchObject({ notificationId: raised.id, kind: 'refund_issued', userId: user.id });
    expect(logged).toContain('job failed'); // the webhook's first attempt failed and was logged
    expect(logged).not.toContain(secret);
    const list = await app.http.inject({ method: 'GET', url: '/api/v1/notifications', headers: { authorization: `Bearer ${token}` } });
    expect(list.json()).toMatchObject({ items: [{ id: raised.id, kind: 'refund_issued' }] });
  });
});
