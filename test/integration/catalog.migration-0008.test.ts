// Migration 0008 on a database that already ran the bug it fixes: a line that got the first-recharge
// bonus twice keeps both redemptions (credited, counted), and the earliest one holds the line's grant.
import { expect, it } from 'vitest';
import { listMigrations } from '../../src/db/migrate.ts';
import { createPlan, createPromotion, subscriberWithLine } from '../support/catalog-fixtures.ts';
import { forEachDatabase } from '../support/harness.ts';

forEachDatabase('catalog: migration 0008 backfills one first-recharge grant per line', (get) => {
  it('marks the earliest reserved first-recharge redemption of each line, every released one, and nothing else', async () => {
    const ctx = get();
    const who = await subscriberWithLine(ctx);
    const other = await subscriberWithLine(ctx);
    const plan = await createPlan(ctx);
    const first = await createPromotion(ctx, { kind: 'first_recharge_bonus', value: 10, planIds: [plan.id] });
    const discount = await createPromotion(ctx, { kind: 'percent_off', value: 10, planIds: [plan.id] });
    const migration = listMigrations().find((m) => m.version === 8);
    if (!migration) throw new Error('migration 0008 is missing');

    // The schema as it was before 0008, and the rows the bug left behind.
    await ctx.db.exec('ALTER TABLE promotion_redemptions DROP COLUMN first_recharge_line_id CASCADE; DROP INDEX IF EXISTS orders_quote_idx;');
    const rows: Array<[string, string, string, string, string, string]> = [
      [first.id, 'ord_legacy_b', who.userId, who.lineId, 'reserved', '2026-01-02T00:00:00Z'],
      [first.id, 'ord_legacy_a', who.userId, who.lineId, 'reserved', '2026-01-01T00:00:00Z'],
      [first.id, 'ord_legacy_c', who.userId, who.lineId, 'released', '2026-01-03T00:00:00Z'],
      [discount.id, 'ord_legacy_a', who.userId, who.lineId, 'reserved', '2026-01-01T00:00:00Z'],
      [first.id, 'ord_legacy_d', other.userId, other.lineId, 'reserved', '2026-01-04T00:00:00Z'],
    ];
    for (const r of rows) {
      await ctx.db.query(
        'INSERT INTO promotion_redemptions (promotion_id, order_id, user_id, line_id, status, created_at) VALUES ($1, $2, $3, $4, $5, $6)', r,
      );
    }

    await ctx.db.transaction((tx) => tx.exec(migration.sql));

    const { rows: after } = await ctx.db.query<{ promotion_id: string; order_id: string; first_recharge_line_id: string | null }>(
      'SELECT promotion_id, order_id, first_recharge_line_id FROM promotion_redemptions WHERE order_id LIKE $1 ORDER BY order_id, promotion_id',
      ['ord_legacy_%'],
    );
    const marked = Object.fromEntries(after.map((r) => [`${r.order_id}/${r.promotion_id === first.id ? 'first' : 'discount'}`, r.first_recharge_line_id]));
    expect(marked).toEqual({
      'ord_legacy_a/first': who.lineId,
      'ord_legacy_a/discount': null,
      'ord_legacy_b/first': null,
      'ord_legacy_c/first': who.lineId,
      'ord_legacy_d/first': other.lineId,
    });
    // From now on the index holds: no second grant for either line.
    await expect(ctx.db.query(
      `INSERT INTO promotion_redemptions (promotion_id, order_id, user_id, line_id, status, created_at, first_recharge_line_id)
       VALUES ($1, 'ord_legacy_e', $2, $3, 'reserved', now(), $3)`,
      [first.id, other.userId, other.lineId],
    )).rejects.toMatchObject({ code: '23505' });
  });
});
