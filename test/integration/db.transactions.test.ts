import { randomUUID } from 'node:crypto';
import { beforeAll, expect, it } from 'vitest';
import { lastStatementOf, pgErrorCode, PG_UNIQUE_VIOLATION } from '../../src/db/types.ts';
import { forEachDatabase } from '../support/harness.ts';

/**
 * Db.transaction on both databases, with the PostgreSQL connection pipelining: BEGIN goes out with
 * the first statement and `lastStatementOf(tx)` sends COMMIT with the last one (src/db/postgres.ts).
 * Whatever the messages share a packet, a transaction stays all or nothing.
 */
forEachDatabase('transactions', (get) => {
  const keys = async (prefix: string): Promise<string[]> =>
    (await get().db.query<{ k: string }>('SELECT k FROM tx_probe WHERE k LIKE $1 ORDER BY k', [`${prefix}%`])).rows.map((r) => r.k);

  beforeAll(async () => {
    await get().db.exec('CREATE TABLE IF NOT EXISTS tx_probe (k text PRIMARY KEY, n integer NOT NULL DEFAULT 0)');
  });

  it('commits with its last statement: both rows are there, and the last one answers with its rows', async () => {
    const p = randomUUID();
    const answer = await get().db.transaction(async (tx) => {
      await tx.query('INSERT INTO tx_probe (k) VALUES ($1)', [`${p}:a`]);
      return lastStatementOf(tx).query<{ k: string }>('INSERT INTO tx_probe (k) VALUES ($1) RETURNING k', [`${p}:b`]);
    });
    expect(answer.rows).toEqual([{ k: `${p}:b` }]);
    expect(await keys(p)).toEqual([`${p}:a`, `${p}:b`]);
  });

  it('a last statement that fails rolls the whole transaction back and throws its own error', async () => {
    const p = randomUUID();
    await get().db.query('INSERT INTO tx_probe (k) VALUES ($1)', [`${p}:taken`]);
    const failed = get().db.transaction(async (tx) => {
      await tx.query('INSERT INTO tx_probe (k) VALUES ($1)', [`${p}:first`]);
      await lastStatementOf(tx).query('INSERT INTO tx_probe (k) VALUES ($1)', [`${p}:taken`]);
    });
    await expect(failed).rejects.toSatisfy((error: unknown) => pgErrorCode(error) === PG_UNIQUE_VIOLATION);
    expect(await keys(p)).toEqual([`${p}:taken`]);
    // The connection is clean afterwards: the next transaction on it works.
    await get().db.transaction((tx) => lastStatementOf(tx).query('INSERT INTO tx_probe (k) VALUES ($1)', [`${p}:after`]));
    expect(await keys(p)).toEqual([`${p}:after`, `${p}:taken`]);
  });

  it('a transaction that throws before its end leaves nothing, with or without statements sent', async () => {
    const p = randomUUID();
    await expect(get().db.transaction(async (tx) => {
      await tx.query('INSERT INTO tx_probe (k) VALUES ($1)', [`${p}:gone`]);
      throw new Error('changed my mind');
    })).rejects.toThrow('changed my mind');
    await expect(get().db.transaction(async () => {
      throw new Error('before any statement');
    })).rejects.toThrow('before any statement');
    expect(await get().db.transaction(async () => 'nothing sent')).toBe('nothing sent');
    expect(await keys(p)).toEqual([]);
  });

  it('statements sent together in one transaction are answered in order, each with its own rows', async () => {
    const p = randomUUID();
    const answers = await get().db.transaction(async (tx) => Promise.all([
      tx.query('INSERT INTO tx_probe (k, n) VALUES ($1, 1) RETURNING n', [`${p}:x`]),
      tx.query('UPDATE tx_probe SET n = n + 1 WHERE k = $1 RETURNING n', [`${p}:x`]),
      lastStatementOf(tx).query('UPDATE tx_probe SET n = n * 10 WHERE k = $1 RETURNING n', [`${p}:x`]),
    ]));
    expect(answers.map((a) => a.rows)).toEqual([[{ n: 1 }], [{ n: 2 }], [{ n: 20 }]]);
  });

  it('on PostgreSQL, nothing can be sent after the last statement; until COMMIT the rows are the transaction’s own', async () => {
    const ctx = get();
    if (ctx.kind !== 'postgres') return; // PGlite commits in-process: its transactions have no `last`.
    const p = randomUUID();
    const late = ctx.db.transaction(async (tx) => {
      await lastStatementOf(tx).query('INSERT INTO tx_probe (k) VALUES ($1)', [`${p}:last`]);
      await tx.query('INSERT INTO tx_probe (k) VALUES ($1)', [`${p}:late`]);
    });
    await expect(late).rejects.toThrow(/nothing can be sent after it/);
    // What was sent with the COMMIT is committed; what came after was never sent.
    expect(await keys(p)).toEqual([`${p}:last`]);
    // BEGIN went out with the first statement: another connection does not see the row before COMMIT.
    let seenFromOutside: string[] = ['not checked'];
    await ctx.db.transaction(async (tx) => {
      await tx.query('INSERT INTO tx_probe (k) VALUES ($1)', [`${p}:open`]);
      seenFromOutside = (await ctx.db.query<{ k: string }>('SELECT k FROM tx_probe WHERE k = $1', [`${p}:open`])).rows.map((r) => r.k);
    });
    expect(seenFromOutside).toEqual([]);
    expect(await keys(`${p}:open`)).toEqual([`${p}:open`]);
  });
});
