// Migration 0012 on a database that kept quotes alive by reading `orders`: every quote an order
// names becomes used by its earliest order, and the others stay unused (the cleanup may take them).
import { expect, it } from 'vitest';
import { listMigrations } from '../../src/db/migrate.ts';
import { createPlan, placeOrder, quote, subscriberWithLine } from '../support/catalog-fixtures.ts';
import { forEachDatabase } from '../support/harness.ts';

forEachDatabase('catalog: migration 0012 marks the quotes orders used', (get) => {
  it('marks a quote an order names as used by that order, and no other quote', async () => {
    const ctx = get();
    const who = await subscriberWithLine(ctx);
    const plan = await createPlan(ctx);
    const unused = await quote(ctx, who, { planId: plan.id });
    const ordered = await quote(ctx, who, { planId: plan.id });
    const order = await placeOrder(ctx, who, { quoteId: ordered.json.id });
    expect(order.status).toBe(201);
    const migration = listMigrations().find((m) => m.version === 12);
    if (!migration) throw new Error('migration 0012 is missing');

    // The schema as it was before 0012 (dropping used_at drops the partial index on it too).
    await ctx.db.exec('ALTER TABLE quotes DROP COLUMN used_at, DROP COLUMN used_by_order_id; CREATE INDEX quotes_expires_idx ON quotes (expires_at)');
    await ctx.db.transaction((tx) => tx.exec(migration.sql));

    const { rows } = await ctx.db.query<{ id: string; used_by_order_id: string | null; used: boolean }>(
      'SELECT id, used_by_order_id, used_at IS NOT NULL AS used FROM quotes WHERE id = ANY($1::text[]) ORDER BY id',
      [[unused.json.id, ordered.json.id]],
    );
    expect(Object.fromEntries(rows.map((r) => [r.id, r.used_by_order_id]))).toEqual({
      [unused.json.id]: null, [ordered.json.id]: order.json.id,
    });
  });

  it('marks the quote used when an order is placed on it', async () => {
    const ctx = get();
    const who = await subscriberWithLine(ctx);
    const plan = await createPlan(ctx);
    const ordered = await quote(ctx, who, { planId: plan.id });
    const order = await placeOrder(ctx, who, { quoteId: ordered.json.id });
    const { rows } = await ctx.db.query<{ used_by_order_id: string | null }>('SELECT used_by_order_id FROM quotes WHERE id = $1', [ordered.json.id]);
    expect(rows[0]?.used_by_order_id).toBe(order.json.id);
  });
});
