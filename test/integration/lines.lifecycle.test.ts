// A line over a long stretch of time, driven only by the sandbox clock and the worker: the
// lifecycle catches up after "downtime" with every transition stamped at its due instant, and
// allowance buckets that run out of time have their remainder recorded as expired.
import { expect, it } from 'vitest';
import { BYTES_PER_MB, MS_PER_DAY } from '../../src/domain/plan-credit.ts';
import { creditPlan, expireDueBuckets, upsertCarrier, type CreditPlanInput } from '../../src/modules/lines/service.ts';
import { forEachDatabase, type TestContext } from '../support/harness.ts';
import { customerWithLine } from '../support/lines-fixtures.ts';

const GRACE_CARRIER = {
  code: 'test-grace', name: 'Grace Test', country: 'US', currency: 'USD', validityDays: 30, graceDays: 10, suspendDays: 60,
  keepAlive: { rule: 'recharge' as const, everyDays: 30 }, topupGrantsValidity: false,
  paygRates: { default: { dataPerMbMinor: 10, voicePerMinuteMinor: 10, smsPerMessageMinor: 5 } },
};
const PLAN: CreditPlanInput['plan'] = {
  id: 'plan_test_life', name: { en: 'Life 30' }, kind: 'base', validityDays: 30,
  allowances: { dataMb: 100, voiceMin: 10, sms: 5 }, expiryPolicy: 'extend',
};
let serial = 0;

async function creditedLine(ctx: TestContext): Promise<{ lineId: string; creditedAt: Date }> {
  await upsertCarrier(ctx.db, GRACE_CARRIER);
  const { lineId } = await customerWithLine(ctx, { carrier: GRACE_CARRIER.code });
  const creditedAt = ctx.app.deps.clock.now();
  await ctx.db.transaction((tx) =>
    creditPlan(tx, { lineId, orderId: `ord_life_${++serial}`, now: creditedAt, plan: PLAN, bonus: { dataMb: 0, validityDays: 0 } }),
  );
  return { lineId, creditedAt };
}

const atDay = (from: Date, days: number): string => new Date(from.getTime() + days * MS_PER_DAY).toISOString();

forEachDatabase('a line through 200 days of downtime', (get) => {
  it('catches up active → grace → suspended → recycled in one jump, each step stamped at its due instant', async () => {
    const ctx = get();
    const { lineId, creditedAt } = await creditedLine(ctx);
    await ctx.advance(200 * 86_400);
    const { rows } = await ctx.db.query<{ at: Date; from_status: string; to_status: string; reason: string }>(
      'SELECT at, from_status, to_status, reason FROM line_events WHERE line_id = $1 ORDER BY id', [lineId],
    );
    expect(rows.map((r) => [r.from_status, r.to_status, r.reason, r.at.toISOString()])).toEqual([
      ['inventory', 'bound', 'bound', expect.any(String)],
      ['bound', 'active', 'recharged', creditedAt.toISOString()],
      ['active', 'grace', 'validity_expired', atDay(creditedAt, 30)],
      ['grace', 'suspended', 'grace_ended', atDay(creditedAt, 40)],
      ['suspended', 'recycled', 'suspension_ended', atDay(creditedAt, 100)],
    ]);
    const line = await ctx.db.query<{ status: string; lifecycle_due_at: Date | null }>('SELECT status, lifecycle_due_at FROM lines WHERE id = $1', [lineId]);
    expect(line.rows[0]).toEqual({ status: 'recycled', lifecycle_due_at: null });
    // Idempotent: more passes of the worker change nothing.
    await ctx.advance(60);
    const again = await ctx.db.query<{ n: number }>('SELECT count(*)::int AS n FROM line_events WHERE line_id = $1', [lineId]);
    expect(again.rows[0]?.n).toBe(5);
  });

  it('records the unused remainder of every bucket as expired when its time is up, once', async () => {
    const ctx = get();
    const { lineId } = await creditedLine(ctx);
    // 40 MB of the 100 MB used before the plan ran out.
    await ctx.db.query(`UPDATE buckets SET remaining = remaining - $2 WHERE line_id = $1 AND unit = 'data'`, [lineId, 40 * BYTES_PER_MB]);
    await ctx.advance(29 * 86_400);
    const live = await ctx.db.query<{ n: number }>('SELECT count(*)::int AS n FROM buckets WHERE line_id = $1 AND expired_remainder > 0', [lineId]);
    expect(live.rows[0]?.n).toBe(0);

    await ctx.advance(2 * 86_400);
    const { rows } = await ctx.db.query<{ unit: string; total: number; remaining: number; expired_remainder: number }>(
      'SELECT unit, total, remaining, expired_remainder FROM buckets WHERE line_id = $1 ORDER BY unit', [lineId],
    );
    expect(rows).toEqual([
      { unit: 'data', total: 100 * BYTES_PER_MB, remaining: 0, expired_remainder: 60 * BYTES_PER_MB },
      { unit: 'sms', total: 5, remaining: 0, expired_remainder: 5 },
      { unit: 'voice', total: 600, remaining: 0, expired_remainder: 600 },
    ]);
    expect(await expireDueBuckets(ctx.db, ctx.app.deps.clock.now())).toBe(0);
  });
});
