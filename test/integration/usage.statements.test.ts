import { expect, it } from 'vitest';
import { clearingAccount, postJournal, verifyLedger, walletAccount } from '../../src/modules/ledger/service.ts';
import { ingestRecords } from '../../src/modules/usage/ingest.ts';
import { forEachDatabase, type TestContext } from '../support/harness.ts';
import { creditMonth, customerWithLine } from '../support/lines-fixtures.ts';

/**
 * A usage batch is set-based: the statements it sends do not grow with its records. Here a batch
 * draws from buckets on one line and charges a wallet on another (lines, ids seen, buckets,
 * wallets, records, bucket draws, hourly rollup, the journals with their audit entries (one
 * statement since migration 0030), activity).
 * Unfunded records add one (the lines flagged); allowance alerts add statements only when a bucket
 * crosses 75 % or 90 % — twice in its life.
 */
const BATCH_STATEMENTS_MAX = 9;
const ACTOR = { userId: null, role: 'test' } as const;

let serial = 0;

async function fund(ctx: TestContext, userId: string, amountMinor: number): Promise<void> {
  await ctx.db.transaction((tx) => postJournal(tx, {
    idempotencyKey: `stmt-fund-${userId}`, kind: 'topup', cause: { type: 'order', id: userId }, postedAt: ctx.app.deps.clock.now(),
    lines: [{ account: clearingAccount('sandbox', 'USD'), amountMinor: -amountMinor }, { account: walletAccount(userId, 'USD'), amountMinor }],
  }, ACTOR));
}

forEachDatabase('usage statements', (get) => {
  it(`rates 2 or 2,000 records in the same ${BATCH_STATEMENTS_MAX} statements or fewer`, async () => {
    const ctx = get();
    const withBuckets = await customerWithLine(ctx);
    await creditMonth(ctx, withBuckets.lineId); // 100 MB: 2,000 records of 1 KB stay far below 75 %
    const payg = await customerWithLine(ctx); // no buckets: data is charged to the wallet
    await fund(ctx, payg.customer.user.id, 1_000_000);
    const at = ctx.app.deps.clock.now().toISOString();
    const batch = (size: number) => Array.from({ length: size }, (_, i) => ({
      id: `stmt-${process.pid}-${++serial}`, iccid: (i % 2 === 0 ? withBuckets : payg).card.iccid, type: 'data', quantity: 1_000, startedAt: at,
    }));
    const statements = async (size: number): Promise<number> => {
      // The sandbox clock's 1 s refresh may land inside one batch: the fewest of three is the batch's own.
      const counts: number[] = [];
      for (let i = 0; i < 3; i++) {
        const before = ctx.db.statementsIssued();
        const r = await ingestRecords(ctx.db, batch(size), { now: ctx.app.deps.clock.now(), actor: ACTOR });
        counts.push(ctx.db.statementsIssued() - before);
        expect(r.accepted).toBe(size);
      }
      return Math.min(...counts);
    };
    const small = await statements(2);
    const large = await statements(2_000);
    console.log(`[${ctx.kind}] statements per usage batch: ${small} (2 records), ${large} (2,000 records)`);
    expect(large).toBe(small);
    expect(large).toBeLessThanOrEqual(BATCH_STATEMENTS_MAX);
    const charged = await ctx.db.query<{ n: number }>('SELECT count(*)::int AS n FROM usage_records WHERE line_id = $1 AND charged_minor > 0', [payg.lineId]);
    expect(charged.rows[0]?.n).toBe(3 + 3_000);
    expect(await verifyLedger(ctx.db)).toEqual([]);
  });

  it('raises allowance alerts for 1 bucket or 6 in the same statements, each with its email queued once', async () => {
    const ctx = get();
    const lines = await Promise.all(Array.from({ length: 7 }, async () => {
      const l = await customerWithLine(ctx);
      await creditMonth(ctx, l.lineId); // 10 SMS
      return l;
    }));
    const at = ctx.app.deps.clock.now().toISOString();
    // 8 of 10 SMS: past 75 %, short of 90 %.
    const crossing = (batchLines: typeof lines) => batchLines.flatMap((l) => Array.from({ length: 8 }, () => ({
      id: `stmt-${process.pid}-${++serial}`, iccid: l.card.iccid, type: 'sms', quantity: 1, startedAt: at,
    })));
    const statements = async (batchLines: typeof lines): Promise<number> => {
      const before = ctx.db.statementsIssued();
      const r = await ingestRecords(ctx.db, crossing(batchLines), { now: ctx.app.deps.clock.now(), actor: ACTOR });
      expect(r.accepted).toBe(batchLines.length * 8);
      return ctx.db.statementsIssued() - before;
    };
    const one = await statements(lines.slice(0, 1));
    const six = await statements(lines.slice(1));
    console.log(`[${ctx.kind}] statements per usage batch raising allowance alerts: ${one} (1 bucket), ${six} (6 buckets)`);
    // The sandbox clock's 1 s refresh may land inside one of the two batches.
    expect(Math.abs(six - one)).toBeLessThanOrEqual(1);
    const alerts = await ctx.db.query<{ line_id: string; percent: number; jobs: number }>(
      `SELECT n.line_id, n.percent, (SELECT count(*)::int FROM notification_deliveries d JOIN jobs j ON j.dedupe_key = 'notification:' || n.id || ':email'
                                       WHERE d.notification_id = n.id AND d.channel = 'email' AND j.payload->>'deliveryId' = d.id::text) AS jobs
         FROM notifications n WHERE n.kind = 'allowance_used' AND n.line_id = ANY($1::text[]) ORDER BY n.line_id`,
      [lines.map((l) => l.lineId)],
    );
    expect(alerts.rows).toEqual([...lines].map((l) => l.lineId).sort().map((lineId) => ({ line_id: lineId, percent: 75, jobs: 1 })));
  });
});
