// Usage batches and wallet orders on the same line at the same time. Rating locks lines, then
// buckets, then wallets; an order takes its wallet in its own transaction and the line (with its
// buckets) when it is provisioned, never both the other way round — so on PostgreSQL nothing
// waits in a cycle: the server's deadlock counter for this test's database stays where it was.
import { randomUUID } from 'node:crypto';
import { expect, it } from 'vitest';
import { forEachDatabase, type TestContext } from '../support/harness.ts';
import { buyer, expectLedgerSound, order, plainPlan, topUp, walletOf } from '../support/orders-fixtures.ts';

const ROUNDS = 12;
const RECORDS_PER_BATCH = 40;
const PRICE_MINOR = 100;

async function deadlocks(ctx: TestContext): Promise<number> {
  if (ctx.db.kind !== 'postgres') return 0;
  // Backends publish their counters when they go idle, at most once a second.
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  const { rows } = await ctx.db.query<{ n: number }>('SELECT deadlocks::int AS n FROM pg_stat_database WHERE datname = current_database()');
  return rows[0]?.n ?? 0;
}

forEachDatabase('usage and wallet orders on one line', (get) => {
  it('run side by side without a deadlock, and every minor unit is accounted for', async () => {
    const ctx = get();
    const b = await buyer(ctx);
    await topUp(ctx, b, 100_000);
    const plan = await plainPlan(ctx, PRICE_MINOR);
    const iccid = (await ctx.db.query<{ iccid: string }>('SELECT iccid FROM lines WHERE id = $1', [b.lineId])).rows[0]?.iccid;
    const carrier = await ctx.post('/api/v1/admin/api-tokens', { name: 'feed', role: 'carrier' }, { token: await ctx.adminToken() });
    const token = carrier.json.token as string;
    const before = await deadlocks(ctx);

    const at = ctx.app.deps.clock.now().toISOString();
    // No buckets yet when the first batches land: data is charged to the wallet, later records may
    // draw from the buckets the provisioned orders grant. Records are in reversed order in every
    // other batch, so the batches also cross each other.
    const batch = (round: number) => {
      const records = Array.from({ length: RECORDS_PER_BATCH }, (_, i) => ({ id: `cc-${randomUUID()}-${round}-${i}`, iccid, type: 'data', quantity: 1_048_576, startedAt: at }));
      return round % 2 === 0 ? records : records.reverse();
    };
    const work = Array.from({ length: ROUNDS }, (_, round) => [
      ctx.post('/api/v1/usage', { records: batch(round) }, { token }).then((r) => ({ what: 'usage', status: r.status, text: r.text })),
      order(ctx, b, { planId: plan.id, paymentMethod: 'wallet' }, randomUUID()).then((r) => ({ what: 'order', status: r.status, text: r.text })),
      ctx.drain().then(() => ({ what: 'drain', status: 0, text: '' })),
    ]).flat();
    const answers = await Promise.all(work);
    for (const a of answers.filter((x) => x.what === 'usage')) expect(a.status, a.text).toBe(200);
    for (const a of answers.filter((x) => x.what === 'order')) expect(a.status, a.text).toBe(201);
    await ctx.drain();

    const charged = await ctx.db.query<{ total: number; n: number }>(
      'SELECT COALESCE(sum(charged_minor), 0)::bigint AS total, count(*)::int AS n FROM usage_records WHERE line_id = $1', [b.lineId]);
    expect(charged.rows[0]?.n).toBe(ROUNDS * RECORDS_PER_BATCH);
    expect(await walletOf(ctx, b)).toBe(100_000 - ROUNDS * PRICE_MINOR - Number(charged.rows[0]?.total));
    await expectLedgerSound(ctx);
    expect(await deadlocks(ctx)).toBe(before);
  });
});
