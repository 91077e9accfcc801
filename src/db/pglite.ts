// Embedded PostgreSQL (PGlite, WASM). A single connection: PGlite queues queries itself, and a
// transaction holds the connection until it ends, so inside a transaction only `tx` may be used.
import { PGlite, types, type Transaction } from '@electric-sql/pglite';
import { randomUUID } from 'node:crypto';
import type { Db, QueryResult, Queryable } from './types.ts';

// int8 (counts, bigint amounts) come back as JS numbers, as with node-postgres below: every
// amount we store is a safe integer (checked in domain/money.ts).
const parsers = { [types.INT8]: (value: string) => Number(value) };

/** `counter.statements` counts every statement sent through the wrapper. */
function wrap(q: PGlite | Transaction, counter: { statements: number }): Queryable {
  return {
    async query<R>(sql: string, params: readonly unknown[] = []): Promise<QueryResult<R>> {
      counter.statements++;
      const result = await q.query<R>(sql, params as unknown[]);
      // Like node-postgres: rows returned (SELECT, RETURNING), else rows affected.
      return { rows: result.rows, rowCount: result.rows.length > 0 ? result.rows.length : (result.affectedRows ?? 0) };
    },
    async exec(sql: string): Promise<void> {
      counter.statements++;
      await q.exec(sql);
    },
  };
}

/** `dataDir` null → in memory (tests). */
export async function openPglite(dataDir: string | null, loadDataDir?: Blob): Promise<Db> {
  const pg = await PGlite.create({ dataDir: dataDir ?? undefined, parsers, loadDataDir });
  const counter = { statements: 0 };
  const outer = wrap(pg, counter);
  const sessionTag = `simkeep:${randomUUID()}`;
  return {
    kind: 'pglite',
    sessionTag,
    // One process owns an embedded database: any other tag belongs to a process that has ended.
    isSessionAlive: async (tag: string) => tag === sessionTag,
    query: outer.query,
    exec: outer.exec,
    transaction: <T>(fn: (tx: Queryable) => Promise<T>) => pg.transaction((tx) => fn(wrap(tx, counter))),
    statementsIssued: () => counter.statements,
    close: () => pg.close(),
  };
}
