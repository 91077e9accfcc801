// Random usage streams cut into random batches, replayed with duplicates and out of order, end with
// the balances a simple reference rater computes for the records in the order they were first seen.
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { clearingAccount, postJournal, verifyLedger, walletAccount } from '../../src/modules/ledger/service.ts';
import { forEachDatabase, type TestContext } from '../support/harness.ts';
import { creditMonth, customerWithLine } from '../support/lines-fixtures.ts';

type Kind = 'data' | 'voice' | 'sms';
const RATE = { data: 10, voice: 10, sms: 5 }; // us-paygo default zone
const PER = { data: 1_048_576, voice: 60, sms: 1 };
const STEP = { data: 1024, voice: 60, sms: 1 };

function referenceRate(start: { data: number; voice: number; sms: number; wallet: number }, records: Array<{ type: Kind; quantity: number }>) {
  const left = { ...start };
  for (const r of records) {
    let units = Math.ceil(r.quantity / STEP[r.type]) * STEP[r.type];
    const fromBucket = Math.min(units, left[r.type]);
    left[r.type] -= fromBucket;
    units -= fromBucket;
    if (units > 0) {
      const price = Math.ceil((units * RATE[r.type]) / PER[r.type]);
      if (price <= left.wallet) left.wallet -= price;
    }
  }
  return left;
}

let run = 0;

forEachDatabase('usage property', (get) => {
  it('replayed batches with duplicates, in any order, charge once and match the reference rater', async () => {
    const ctx: TestContext = get();
    const admin = await ctx.adminToken();
    const token = (await ctx.post('/api/v1/admin/api-tokens', { name: 'Feed', role: 'carrier' }, { token: admin })).json.token as string;
    await fc.assert(fc.asyncProperty(
      fc.array(fc.oneof(
        fc.record({ type: fc.constant<Kind>('data'), quantity: fc.integer({ min: 0, max: 40_000_000 }) }),
        fc.record({ type: fc.constant<Kind>('voice'), quantity: fc.integer({ min: 0, max: 400 }) }),
        fc.record({ type: fc.constant<Kind>('sms'), quantity: fc.integer({ min: 0, max: 4 }) }),
      ), { minLength: 1, maxLength: 40 }),
      fc.array(fc.integer({ min: 1, max: 8 }), { minLength: 1, maxLength: 10 }),
      fc.integer({ min: 0, max: 300 }),
      fc.integer({ min: 0, max: 1_000_000 }),
      async (stream, cuts, walletMinor, seed) => {
        run += 1;
        const { lineId, card, customer } = await customerWithLine(ctx);
        await creditMonth(ctx, lineId); // 100 MB, 10 min, 10 SMS
        if (walletMinor > 0) {
          await ctx.db.transaction((tx) => postJournal(tx, {
            idempotencyKey: `prop-fund-${run}-${lineId}`, kind: 'topup', cause: { type: 'test', id: lineId }, postedAt: ctx.app.deps.clock.now(),
            lines: [{ account: clearingAccount('sandbox', 'USD'), amountMinor: -walletMinor }, { account: walletAccount(customer.user.id, 'USD'), amountMinor: walletMinor }],
          }, { userId: null, role: 'system' }));
        }
        const at = ctx.app.deps.clock.now().toISOString();
        const records = stream.map((r, i) => ({ id: `p${run}-${lineId}-${i}`, iccid: card.iccid, startedAt: at, ...r }));
        // Cut into batches, shuffle them, then replay a few of them again (duplicates).
        const batches: (typeof records)[] = [];
        let pos = 0;
        for (let i = 0; pos < records.length; i += 1) {
          const size = cuts[i % cuts.length] ?? 1;
          batches.push(records.slice(pos, pos + size));
          pos += size;
        }
        let s = seed;
        const rand = () => { s = (s * 1_103_515_245 + 12_345) % 2 ** 31; return s / 2 ** 31; };
        batches.sort(() => rand() - 0.5);
        const sent = [...batches, ...batches.filter(() => rand() < 0.5).map((b) => [...b].reverse())];
        const firstSeen: typeof records = [];
        const seen = new Set<string>();
        let accepted = 0;
        for (const batch of sent) {
          for (const r of batch) if (!seen.has(r.id)) { seen.add(r.id); firstSeen.push(r); }
          const res = await ctx.post('/api/v1/usage', { records: batch }, { token });
          expect(res.status).toBe(200);
          accepted += res.json.accepted as number;
        }
        expect(accepted).toBe(records.length);
        const expected = referenceRate({ data: 100 * 1_048_576, voice: 600, sms: 10, wallet: walletMinor }, firstSeen);
        const got = Object.fromEntries((await ctx.db.query<{ unit: string; remaining: number }>('SELECT unit, remaining FROM buckets WHERE line_id = $1', [lineId])).rows.map((r) => [r.unit, Number(r.remaining)]));
        const wallet = await ctx.get('/api/v1/wallet', { token: customer.token });
        expect({ ...got, wallet: wallet.json.balance.amount }).toEqual(expected);
        const charged = await ctx.db.query<{ total: number }>('SELECT COALESCE(sum(charged_minor), 0)::bigint AS total FROM usage_records WHERE line_id = $1', [lineId]);
        expect(Number(charged.rows[0]?.total)).toBe(walletMinor - expected.wallet);
      },
    ), { numRuns: 4 });
    expect(await verifyLedger(ctx.db)).toEqual([]);
  }, 240_000);
});
