// Reminders over the sandbox clock: each expiry / keep-alive reminder once per line, period and
// threshold, in order, however the clock moves and however many sweeps run at once.
import { expect, it } from 'vitest';
import { sendDueReminders } from '../../src/modules/reminders/service.ts';
import { forEachDatabase, type TestContext } from '../support/harness.ts';
import { advanceClockOnly, creditMonth, customerWithLine, relogin } from '../support/lines-fixtures.ts';

const DAY_S = 86_400;

async function kindsOf(ctx: TestContext, customer: { email: string; password: string }, lineId: string): Promise<string[]> {
  const token = await relogin(ctx, customer);
  const r = await ctx.get(`/api/v1/notifications?lineId=${lineId}`, { token });
  expect(r.status, r.text).toBe(200);
  const items = r.json.items as Array<{ kind: string; daysBefore?: number | null; createdAt: string }>;
  // Newest first in the API; read oldest first.
  return items.reverse().map((n) => (n.daysBefore ? `${n.kind}:${n.daysBefore}` : n.kind));
}

forEachDatabase('reminders', (get) => {
  it('a 100-day walk sends 7, 3 and 1 days before the lapse once each, in order, then the lapse notices', async () => {
    const ctx = get();
    const { customer, lineId } = await customerWithLine(ctx, { carrier: 'us-paygo', form: 'physical' });
    await creditMonth(ctx, lineId);
    for (let day = 0; day < 100; day++) await ctx.advance(DAY_S);
    expect(await kindsOf(ctx, customer, lineId)).toEqual([
      'expiry_reminder:7', 'expiry_reminder:3', 'expiry_reminder:1', 'line_suspended', 'line_recycled',
    ]);
  });

  it('a jump sends only the nearest due threshold, and nothing for a period that already lapsed', async () => {
    const ctx = get();
    const { customer, lineId } = await customerWithLine(ctx, { carrier: 'us-paygo', form: 'physical' });
    await creditMonth(ctx, lineId);
    await ctx.advance(28 * DAY_S - 3600); // 2 days and an hour before the lapse
    expect(await kindsOf(ctx, customer, lineId)).toEqual(['expiry_reminder:3']);

    const second = await customerWithLine(ctx, { carrier: 'us-paygo', form: 'physical' });
    await creditMonth(ctx, second.lineId);
    await ctx.advance(200 * DAY_S);
    expect(await kindsOf(ctx, second.customer, second.lineId)).toEqual(['line_suspended', 'line_recycled']);
  });

  it('an activity carrier gets keep-alive reminders before its keep-alive deadline', async () => {
    const ctx = get();
    const { customer, lineId } = await customerWithLine(ctx, { carrier: 'uk-keep', form: 'physical' });
    await creditMonth(ctx, lineId);
    await ctx.advance(172 * DAY_S);
    for (let day = 0; day < 10; day++) await ctx.advance(DAY_S);
    const kinds = await kindsOf(ctx, customer, lineId);
    expect(kinds.slice(0, 3)).toEqual(['keepalive_reminder:7', 'keepalive_reminder:3', 'keepalive_reminder:1']);
  });

  it('concurrent and repeated sweeps raise each reminder once', async () => {
    const ctx = get();
    const lines = [];
    for (let i = 0; i < 3; i++) {
      const l = await customerWithLine(ctx, { carrier: 'us-paygo', form: 'physical' });
      await creditMonth(ctx, l.lineId);
      lines.push(l);
    }
    await advanceClockOnly(ctx, 24 * DAY_S);
    const now = ctx.app.deps.clock.now();
    await Promise.all([sendDueReminders(ctx.db, now), sendDueReminders(ctx.db, now), sendDueReminders(ctx.db, now)]);
    await sendDueReminders(ctx.db, now);
    await ctx.drain();
    for (const l of lines) expect(await kindsOf(ctx, l.customer, l.lineId)).toEqual(['expiry_reminder:7']);
    const { rows } = await ctx.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM notifications WHERE kind = 'expiry_reminder' AND line_id = ANY($1)`, [lines.map((l) => l.lineId)],
    );
    expect(rows[0]?.n).toBe(3);
  });
});
