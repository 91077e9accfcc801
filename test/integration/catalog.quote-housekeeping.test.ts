// Quotes do not pile up: a day after they expire the worker deletes them (unless an order names
// one), in bounded batches; and one user cannot ask for quotes without limit.
import { describe, expect, it } from 'vitest';
import {
  QUOTES_PER_USER_MAX, QUOTES_WINDOW_SECONDS, QUOTE_CLEANUP_BATCH_MAX, QUOTE_TTL_SECONDS, deleteExpiredQuotes,
} from '../../src/modules/catalog/service.ts';
import { createPlan, placeOrder, quote, subscriberWithLine, type Subscriber } from '../support/catalog-fixtures.ts';
import { forEachDatabase, type TestContext } from '../support/harness.ts';

const DAY_SECONDS = 86_400;

async function quoteExists(ctx: TestContext, id: string): Promise<boolean> {
  return (await ctx.db.query('SELECT 1 FROM quotes WHERE id = $1', [id])).rowCount === 1;
}

async function quotesOf(ctx: TestContext, who: Subscriber): Promise<number> {
  const { rows } = await ctx.db.query<{ n: number }>('SELECT count(*)::int AS n FROM quotes WHERE user_id = $1', [who.userId]);
  return rows[0]?.n ?? -1;
}

async function appNow(ctx: TestContext): Promise<Date> {
  return new Date((await ctx.get('/api/v1/sandbox/clock')).json.now);
}

forEachDatabase('catalog: quote housekeeping', (get) => {
  describe('the expired-quote cleanup', () => {
    it('deletes quotes a day after they expired, keeps younger ones and those an order names', async () => {
      const ctx = get();
      const who = await subscriberWithLine(ctx);
      const plan = await createPlan(ctx);
      const unused = await quote(ctx, who, { planId: plan.id });
      const ordered = await quote(ctx, who, { planId: plan.id });
      expect((await placeOrder(ctx, who, { quoteId: ordered.json.id })).status).toBe(201);
      await ctx.advance(DAY_SECONDS);
      const younger = await quote(ctx, who, { planId: plan.id });
      // Expired a day ago: not yet.
      expect(await quoteExists(ctx, unused.json.id)).toBe(true);

      await ctx.advance(QUOTE_TTL_SECONDS + 60);
      expect(await quoteExists(ctx, unused.json.id)).toBe(false);
      expect(await quoteExists(ctx, ordered.json.id)).toBe(true);
      expect(await quoteExists(ctx, younger.json.id)).toBe(true);

      await ctx.advance(DAY_SECONDS);
      expect(await quoteExists(ctx, younger.json.id)).toBe(false);
      expect(await quoteExists(ctx, ordered.json.id)).toBe(true);
    });

    it(`deletes at most ${QUOTE_CLEANUP_BATCH_MAX} a statement, and the worker works through a backlog`, async () => {
      const ctx = get();
      const who = await subscriberWithLine(ctx);
      const now = await appNow(ctx);
      const longAgo = new Date(now.getTime() - 3 * DAY_SECONDS * 1000);
      await ctx.db.query(
        `INSERT INTO quotes (id, user_id, line_id, kind, topup_amount_minor, currency, subtotal_minor, discount_minor, total_minor, expires_at, created_at)
         SELECT 'quote_backlog' || g, $1, $2, 'topup', 500, 'USD', 500, 0, 500, $3::timestamptz, $3::timestamptz - interval '15 minutes'
           FROM generate_series(1, $4::int) g`,
        [who.userId, who.lineId, longAgo, QUOTE_CLEANUP_BATCH_MAX + 7],
      );
      expect(await deleteExpiredQuotes(ctx.db, now)).toBe(QUOTE_CLEANUP_BATCH_MAX);
      expect(await quotesOf(ctx, who)).toBe(7);
      await ctx.advance(1);
      expect(await quotesOf(ctx, who)).toBe(0);
      expect(await deleteExpiredQuotes(ctx.db, now)).toBe(0);
    });
  });

  describe('asking for quotes', () => {
    it(`allows ${QUOTES_PER_USER_MAX} quotes per user per ${QUOTES_WINDOW_SECONDS} s, then 429 too_many_quotes with Retry-After`, async () => {
      const ctx = get();
      const who = await subscriberWithLine(ctx);
      const other = await subscriberWithLine(ctx);
      const plan = await createPlan(ctx);
      for (let i = 0; i < QUOTES_PER_USER_MAX; i++) {
        const ok = await quote(ctx, who, { planId: plan.id });
        expect(ok.status, ok.text).toBe(200);
      }
      const refused = await quote(ctx, who, { planId: plan.id });
      expect([refused.status, refused.json.code], refused.text).toEqual([429, 'too_many_quotes']);
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
      expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(QUOTES_WINDOW_SECONDS);
      expect(await quotesOf(ctx, who)).toBe(QUOTES_PER_USER_MAX);
      expect((await quote(ctx, other, { planId: plan.id })).status).toBe(200);
      await ctx.advance(QUOTES_WINDOW_SECONDS);
      expect((await quote(ctx, who, { planId: plan.id })).status).toBe(200);
    });
  });
});
