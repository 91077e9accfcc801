// The enums declared once in the domain are the ones the database's CHECK constraints allow: a
// value added on one side only would be accepted by the API and refused by the table (or the
// reverse).
import { expect, it } from 'vitest';
import { BUCKET_UNITS, EXPIRY_POLICIES, PLAN_KINDS } from '../../src/domain/plan-credit.ts';
import { PROMOTION_KINDS } from '../../src/domain/promotion.ts';
import { forEachDatabase, type TestContext } from '../support/harness.ts';

/** The values a `column IN (...)` CHECK of `table` allows, as PostgreSQL prints it back. */
async function checkedValues(ctx: TestContext, table: string, column: string): Promise<string[]> {
  const { rows } = await ctx.db.query<{ def: string }>(
    `SELECT pg_get_constraintdef(c.oid) AS def FROM pg_constraint c
      WHERE c.conrelid = $1::regclass AND c.contype = 'c' ORDER BY c.conname`,
    [table],
  );
  const inList = new RegExp(`\\(${column} = ANY \\(ARRAY\\[([^\\]]*)\\]\\)\\)`);
  const match = rows.map((r) => inList.exec(r.def)).find((m) => m !== null);
  if (!match?.[1]) throw new Error(`no CHECK (${column} IN (...)) on ${table}`);
  return [...match[1].matchAll(/'([^']*)'/g)].map((m) => m[1] ?? '');
}

forEachDatabase('catalog: enums declared once', (get) => {
  it.each([
    ['plans', 'kind', PLAN_KINDS],
    ['plans', 'expiry_policy', EXPIRY_POLICIES],
    ['promotions', 'kind', PROMOTION_KINDS],
    ['buckets', 'unit', BUCKET_UNITS],
  ] as const)('%s.%s allows exactly the declared values', async (table, column, declared) => {
    expect((await checkedValues(get(), table, column)).sort()).toEqual([...declared].sort());
  });
});
