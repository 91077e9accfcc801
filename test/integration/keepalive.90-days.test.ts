// Issue 14's "done means": on the sandbox clock, lines walk through 90 days — on PostgreSQL with two
// worker processes sweeping the same database at once (each an app with its own connection pool, as
// in multiprocess.test.ts), on PGlite with one. One line renews from the wallet every period after
// its notice; one without auto-renew gets its reminders, then is suspended and recycled. Every
// notice exists once, every email arrives once at an in-process SMTP server in the subscriber's
// language, and each period has one renewal.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { createApp, type RunningApp } from '../../src/app.ts';
import { openPostgres } from '../../src/db/postgres.ts';
import type { Db } from '../../src/db/types.ts';
import { renewalsOfLine } from '../../src/modules/renewals/service.ts';
import { planBody } from '../support/catalog-fixtures.ts';
import { ADMIN, createPostgresDatabase, databaseKinds, openTestPglite, testConfig, type DbKind } from '../support/harness.ts';
import { csvOf, nextCard, type TestCard } from '../support/lines-fixtures.ts';
import { startSmtpSink, type SmtpSink } from '../support/notifications.ts';

const DAY_S = 86_400;
const WALK_DAYS = 90;

interface Who { email: string; token: string; userId: string; lineId: string }

if (process.env.CI === 'true' && !process.env.TEST_DATABASE_URL) {
  it('needs PostgreSQL in CI (two worker processes)', () => {
    throw new Error('CI=true but TEST_DATABASE_URL is not set: the PostgreSQL leg cannot run');
  });
}

for (const kind of databaseKinds() as DbKind[]) {
  describe(`a 90-day walk [${kind}]`, () => {
    const apps: RunningApp[] = [];
    const dbs: Db[] = [];
    let drop: () => Promise<void> = async () => undefined;
    let sink: SmtpSink;

    beforeAll(async () => {
      sink = await startSmtpSink();
      const config = testConfig({ SMTP_URL: sink.url });
      const logger = pino({ level: 'silent' });
      if (kind === 'postgres') {
        const created = await createPostgresDatabase();
        drop = created.drop;
        for (let i = 0; i < 2; i++) dbs.push(await openPostgres(created.url));
      } else {
        dbs.push(await openTestPglite());
      }
      // Started one after the other: each runs the (idempotent) migrations and demo seed.
      for (const db of dbs) apps.push(await createApp(config, { db, logger, startWorker: false }));
    }, 120_000);
    afterAll(async () => {
      for (const app of apps) await app.close();
      for (const db of dbs) await db.close();
      await drop();
      await sink?.close();
    });

    const first = (): RunningApp => apps[0] as RunningApp;
    async function call(method: 'GET' | 'POST' | 'PATCH', url: string, token?: string, payload?: unknown): Promise<any> {
      const r = await first().http.inject({ method, url, payload: payload as object, headers: token ? { authorization: `Bearer ${token}` } : {} });
      if (r.statusCode >= 300) throw new Error(`${method} ${url}: ${r.statusCode} ${r.body}`);
      return r.body === '' ? null : r.json();
    }

    /** Every process's worker, at once, until none finds anything to do (the sweeps race on purpose). */
    async function drainAll(): Promise<void> {
      for (let i = 0; i < 30; i++) {
        const ran = await Promise.all(apps.map((app) => app.deps.worker.tick(i === 0)));
        if (ran.every((n) => n === 0)) return;
      }
    }

    async function advanceDay(): Promise<void> {
      await call('POST', '/api/v1/sandbox/clock', undefined, { advanceSeconds: DAY_S });
      // The other process learns of the jump as its once-a-second refresh would.
      for (const app of apps) await app.deps.clock.refresh(app.deps.db);
      await drainAll();
    }

    async function subscriber(card: TestCard, locale: 'en' | 'zh-CN'): Promise<Who> {
      const admin = await call('POST', '/api/v1/auth/login', undefined, ADMIN);
      const imported = await first().http.inject({
        method: 'POST', url: '/api/v1/admin/sims/import', payload: csvOf([card]),
        headers: { authorization: `Bearer ${admin.token}`, 'content-type': 'text/csv' },
      });
      expect(imported.json().imported, imported.body).toBe(1);
      const email = `walker-${card.iccid}@example.test`;
      const reg = await call('POST', '/api/v1/auth/register', undefined, { email, password: 'Walk-ninety-days-42', locale });
      const line = await call('POST', '/api/v1/lines/bind', reg.token, { iccid: card.iccid, pin: card.pin });
      return { email, token: reg.token, userId: reg.user.id, lineId: line.id };
    }

    async function topUpByCard(who: Who, amountMinor: number): Promise<void> {
      const o = await first().http.inject({
        method: 'POST', url: '/api/v1/orders', payload: { lineId: who.lineId, topupAmount: { amount: amountMinor, currency: 'USD' }, paymentMethod: 'card' },
        headers: { authorization: `Bearer ${who.token}`, 'idempotency-key': `walk-topup-${who.lineId}` },
      });
      expect(o.statusCode, o.body).toBe(201);
      await call('POST', `/api/v1/sandbox/payments/${o.json().payment.id}/complete`, undefined, { outcome: 'succeeded' });
      await drainAll();
      expect((await call('GET', `/api/v1/orders/${o.json().id}`, who.token)).status).toBe('completed');
    }

    async function lineKinds(who: Who): Promise<string[]> {
      const r = await call('GET', `/api/v1/notifications?lineId=${who.lineId}&limit=500`, who.token);
      return (r.items as Array<{ kind: string; daysBefore?: number }>).reverse()
        .filter((n) => n.kind !== 'order_completed')
        .map((n) => (n.daysBefore ? `${n.kind}:${n.daysBefore}` : n.kind));
    }

    it('renews each period once, reminds once, suspends and recycles, and emails each notice once in its language', async () => {
      // A travel eSIM renewing from the wallet (top-ups grant it no validity): three periods in 90 days.
      const renewer = await subscriber(nextCard({ carrier: 'travel-esim', form: 'physical' }), 'zh-CN');
      await topUpByCard(renewer, 2000);
      const admin = await call('POST', '/api/v1/auth/login', undefined, ADMIN);
      const plan = await call('POST', '/api/v1/admin/plans', admin.token, planBody({ carriers: ['travel-esim'], price: { amount: 500, currency: 'USD' } }));
      const bought = await first().http.inject({
        method: 'POST', url: '/api/v1/orders', payload: { lineId: renewer.lineId, planId: plan.id, paymentMethod: 'wallet' },
        headers: { authorization: `Bearer ${renewer.token}`, 'idempotency-key': `walk-plan-${renewer.lineId}` },
      });
      expect(bought.statusCode, bought.body).toBe(201);
      await drainAll();
      await call('PATCH', `/api/v1/lines/${renewer.lineId}`, renewer.token, { autoRenew: { enabled: true, planId: plan.id } });
      // A US PayGo line kept by one top-up (30 days), then left to lapse.
      const lapser = await subscriber(nextCard({ carrier: 'us-paygo', form: 'physical' }), 'en');
      await topUpByCard(lapser, 1000);

      for (let day = 0; day < WALK_DAYS; day++) await advanceDay();

      expect(await lineKinds(renewer)).toEqual(Array.from({ length: 3 }, () => ['renewal_upcoming', 'renewal_succeeded']).flat());
      const renewals = await renewalsOfLine(dbs[0] as Db, renewer.lineId);
      expect(renewals.map((r) => [r.status, r.path])).toEqual([['succeeded', 'wallet'], ['succeeded', 'wallet'], ['succeeded', 'wallet']]);
      expect(new Set(renewals.map((r) => r.periodEnd)).size).toBe(3);
      expect((await call('GET', '/api/v1/wallet', renewer.token)).balance.amount).toBe(0);
      expect((await call('GET', `/api/v1/lines/${renewer.lineId}`, renewer.token)).status).toBe('active');

      expect(await lineKinds(lapser)).toEqual(['expiry_reminder:7', 'expiry_reminder:3', 'expiry_reminder:1', 'line_suspended', 'line_recycled']);

      // Each notification emailed exactly once, in the subscriber's language.
      for (const who of [renewer, lapser]) {
        const { rows } = await (dbs[0] as Db).query<{ title: string }>('SELECT title FROM notifications WHERE user_id = $1 ORDER BY created_at', [who.userId]);
        const mails = sink.received.filter((m) => m.to.includes(who.email));
        expect(mails.map((m) => m.subject).sort()).toEqual(rows.map((r) => r.title).sort());
      }
      expect(sink.received.filter((m) => m.to.includes(renewer.email)).some((m) => m.subject.includes('已续费'))).toBe(true);
      expect(sink.received.filter((m) => m.to.includes(lapser.email)).some((m) => m.subject.includes('is suspended'))).toBe(true);
    }, 600_000);
  });
}
