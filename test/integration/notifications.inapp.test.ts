// The in-app list and what decides the external channels: one notification per dedupe key, muted
// kinds kept in-app only, read marks, keyset pages, only the caller's; the lines sweep raising
// line_suspended and line_recycled once each; without SMTP_URL the email is only logged.
import { expect, it } from 'vitest';
import { creditPlan, upsertCarrier, type CreditPlanInput } from '../../src/modules/lines/service.ts';
import { NOTIFICATION_KINDS } from '../../src/modules/notifications/kinds.ts';
import { forEachDatabase, type Response, type TestContext } from '../support/harness.ts';
import { customerWithLine } from '../support/lines-fixtures.ts';
import { raise } from '../support/notifications.ts';

async function deliveriesOf(ctx: TestContext, notificationId: string | null): Promise<Array<{ channel: string; status: string }>> {
  const { rows } = await ctx.db.query<{ channel: string; status: string }>(
    'SELECT channel, status FROM notification_deliveries WHERE notification_id = $1 ORDER BY channel', [notificationId],
  );
  return rows;
}

async function jobsOf(ctx: TestContext, notificationId: string | null): Promise<number> {
  const { rows } = await ctx.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM jobs WHERE dedupe_key LIKE $1`, [`notification:${notificationId}:%`]);
  return rows[0]?.n ?? 0;
}

const LAPSE_CARRIER = {
  code: 'test-notify-lapse', name: 'Lapse Test', country: 'US', currency: 'USD', validityDays: 30, graceDays: 10, suspendDays: 60,
  keepAlive: { rule: 'recharge' as const, everyDays: 30 }, topupGrantsValidity: false,
  paygRates: { default: { dataPerMbMinor: 10, voicePerMinuteMinor: 10, smsPerMessageMinor: 5 } },
};
const PLAN: CreditPlanInput['plan'] = {
  id: 'plan_test_notify', name: { en: 'Notify 30' }, kind: 'base', validityDays: 30,
  allowances: { dataMb: 100, voiceMin: 10, sms: 5 }, expiryPolicy: 'extend',
};

forEachDatabase('notifications in the app', (get) => {
  it('keeps one notification per dedupe key: a repeat changes nothing and queues nothing', async () => {
    const ctx = get();
    const customer = await ctx.customer();
    const first = await raise(ctx, { userId: customer.user.id, dedupeKey: 'expiry_reminder:line_x:2026-12-31:7', kind: 'expiry_reminder', daysBefore: 7 });
    const again = await raise(ctx, { userId: customer.user.id, dedupeKey: 'expiry_reminder:line_x:2026-12-31:7', kind: 'expiry_reminder', daysBefore: 7 });
    expect(first).toEqual({ created: true, id: expect.stringMatching(/^ntf_/) });
    expect(again).toEqual({ created: false, id: null });
    const list = await ctx.get('/api/v1/notifications', { token: customer.token });
    expect(list.status).toBe(200);
    expect(list.json.items).toEqual([expect.objectContaining({ id: first.id, kind: 'expiry_reminder', daysBefore: 7, readAt: null })]);
    expect(await deliveriesOf(ctx, first.id)).toEqual([{ channel: 'email', status: 'pending' }]);
    expect(await jobsOf(ctx, first.id)).toBe(1);
  });

  it('keeps a muted kind in the app but sends it nowhere else', async () => {
    const ctx = get();
    const customer = await ctx.customer();
    const muted = await ctx.patch('/api/v1/me/notification-settings', { muted: ['low_balance', 'allowance_used'] }, { token: customer.token });
    expect(muted.status).toBe(200);
    expect(muted.json.muted).toEqual(['low_balance', 'allowance_used']);
    const quiet = await raise(ctx, { userId: customer.user.id, kind: 'low_balance' });
    const loud = await raise(ctx, { userId: customer.user.id, kind: 'refund_issued', data: { amount: { amount: 500, currency: 'USD' } } });
    expect(await deliveriesOf(ctx, quiet.id)).toEqual([]);
    expect(await jobsOf(ctx, quiet.id)).toBe(0);
    expect(await deliveriesOf(ctx, loud.id)).toEqual([{ channel: 'email', status: 'pending' }]);
    const list = await ctx.get('/api/v1/notifications', { token: customer.token });
    expect(list.json.items.map((n: { kind: string }) => n.kind).sort()).toEqual(['low_balance', 'refund_issued']);
    const refused = await ctx.patch('/api/v1/me/notification-settings', { muted: ['not_a_kind'] }, { token: customer.token });
    expect(refused.status).toBe(400);
  });

  it('without SMTP_URL logs the email, marks the delivery logged and keeps the in-app copy', async () => {
    const ctx = get();
    const customer = await ctx.customer();
    const raised = await raise(ctx, { userId: customer.user.id, kind: 'order_completed', orderId: 'ord_test_logged', data: { orderNumber: 'A-1' } });
    await ctx.drain();
    expect(await deliveriesOf(ctx, raised.id)).toEqual([{ channel: 'email', status: 'logged' }]);
    const list = await ctx.get('/api/v1/notifications', { token: customer.token });
    expect(list.json.items).toEqual([expect.objectContaining({ id: raised.id, kind: 'order_completed', orderId: 'ord_test_logged', title: 'Your order is complete' })]);
  });

  it('marks read with 204, once; another user\'s notification is 404', async () => {
    const ctx = get();
    const owner = await ctx.customer();
    const stranger = await ctx.customer();
    const raised = await raise(ctx, { userId: owner.user.id });
    const path = `/api/v1/notifications/${raised.id}/read`;
    expect((await ctx.post(path, undefined, { token: stranger.token })).status).toBe(404);
    expect((await ctx.post('/api/v1/notifications/ntf_nope/read', undefined, { token: owner.token })).status).toBe(404);
    expect((await ctx.post(path, undefined, { token: owner.token })).status).toBe(204);
    const firstRead = (await ctx.get('/api/v1/notifications', { token: owner.token })).json.items[0].readAt;
    expect(firstRead).toEqual(expect.any(String));
    await ctx.advance(60);
    expect((await ctx.post(path, undefined, { token: owner.token })).status).toBe(204);
    expect((await ctx.get('/api/v1/notifications', { token: owner.token })).json.items[0].readAt).toBe(firstRead);
    expect((await ctx.get('/api/v1/notifications', { token: stranger.token })).json.items).toEqual([]);
    expect((await ctx.get('/api/v1/notifications')).status).toBe(401);
  });

  it('pages newest first with limit and cursor, and filters by line', async () => {
    const ctx = get();
    const customer = await ctx.customer();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await raise(ctx, { userId: customer.user.id, lineId: null, data: { balance: { amount: i, currency: 'USD' } } });
      ids.push(r.id ?? '');
      await ctx.advance(1);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 5; page++) {
      const r: Response<{ items: Array<{ id: string }>; nextCursor: string | null }> = await ctx.get(`/api/v1/notifications?limit=2${cursor ? `&cursor=${cursor}` : ''}`, { token: customer.token });
      expect(r.status).toBe(200);
      seen.push(...r.json.items.map((n) => n.id));
      cursor = r.json.nextCursor;
      if (!cursor) break;
    }
    expect(seen).toEqual([...ids].reverse());
    expect((await ctx.get('/api/v1/notifications?limit=501', { token: customer.token })).status).toBe(400);
    const { lineId, customer: owner } = await customerWithLine(ctx);
    const onLine = await raise(ctx, { userId: owner.user.id, kind: 'allowance_used', lineId, percent: 75, data: { unit: 'data' } });
    await raise(ctx, { userId: owner.user.id });
    const filtered = await ctx.get(`/api/v1/notifications?lineId=${lineId}`, { token: owner.token });
    expect(filtered.json.items).toEqual([expect.objectContaining({ id: onLine.id, lineId, percent: 75 })]);
  });

  it('tells the subscriber once when the lifecycle sweep suspends and recycles a line', async () => {
    const ctx = get();
    await upsertCarrier(ctx.db, LAPSE_CARRIER);
    const { lineId, customer } = await customerWithLine(ctx, { carrier: LAPSE_CARRIER.code });
    const now = ctx.app.deps.clock.now();
    await ctx.db.transaction((tx) => creditPlan(tx, { lineId, orderId: 'ord_notify_lapse', now, plan: PLAN, bonus: { dataMb: 0, validityDays: 0 } }));
    // Sessions still age on the sandbox clock (issue 14 moves them to wall time): log in after a jump.
    const relogin = async (): Promise<string> => (await ctx.post('/api/v1/auth/login', { email: customer.email, password: customer.password })).json.token;
    await ctx.advance(45 * 86_400);
    let list = await ctx.get(`/api/v1/notifications?lineId=${lineId}`, { token: await relogin() });
    expect(list.json.items.map((n: { kind: string }) => n.kind)).toEqual(['line_suspended']);
    expect(list.json.items[0].title).toContain('is suspended');
    await ctx.advance(100 * 86_400);
    await ctx.advance(60);
    list = await ctx.get(`/api/v1/notifications?lineId=${lineId}`, { token: await relogin() });
    expect(list.json.items.map((n: { kind: string }) => n.kind)).toEqual(['line_recycled', 'line_suspended']);
  });

  it('lists in the database CHECKs exactly the kinds of the code', async () => {
    const ctx = get();
    const { rows } = await ctx.db.query<{ def: string }>(
      `SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid IN ('notifications'::regclass, 'notification_settings'::regclass)
          AND contype = 'c' AND pg_get_constraintdef(oid) LIKE '%expiry_reminder%'`,
    );
    expect(rows).toHaveLength(2);
    for (const { def } of rows) {
      const listed = [...def.matchAll(/'([a-z_]+)'::text/g)].map((m) => m[1]);
      expect([...new Set(listed)].sort()).toEqual([...NOTIFICATION_KINDS].sort());
    }
  });
});
