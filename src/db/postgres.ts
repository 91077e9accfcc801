// A PostgreSQL server through node-postgres. Many processes may share it: transactions that lose a
// serialization race or a deadlock are retried (bounded), so callers see one clean outcome.
import { createHash, randomUUID } from 'node:crypto';
import pg from 'pg';
import { DomainError } from '../domain/errors.ts';
import type { Db, QueryResult, Queryable } from './types.ts';
import { PG_DEADLOCK_DETECTED, PG_SERIALIZATION_FAILURE, pgErrorCode } from './types.ts';

const POOL_MAX_CONNECTIONS = 10;
const TX_MAX_ATTEMPTS = 5;
const STATEMENT_TIMEOUT_MS = 30_000;

/** Without a configured bound: how long a statement waits for a pooled connection before 503 server_busy. */
const CONNECTION_WAIT_MS_DEFAULT = 5_000;
/** pg-pool's error when no connection came free within `connectionTimeoutMillis`. */
const POOL_WAIT_TIMEOUT_MESSAGE = 'timeout exceeded when trying to connect';

/**
 * Every connection busy for longer than the wait bound: the server is overloaded, not broken. Answered
 * 503 server_busy with Retry-After (never 500), and since only the wait failed, nothing was done.
 */
function shedWhenPoolExhausted(error: unknown, connectionWaitMs: number): never {
  if (error instanceof Error && error.message === POOL_WAIT_TIMEOUT_MESSAGE) {
    throw new DomainError('unavailable', 'server_busy', `no database connection came free within ${connectionWaitMs} ms; retry shortly`, {
      retryAfterSeconds: Math.max(1, Math.ceil(connectionWaitMs / 1000)),
    });
  }
  throw error;
}

pg.types.setTypeParser(pg.types.builtins.INT8, (value: string) => Number(value));

/**
 * Hot statements are sent named, so each connection parses and plans them once and then only binds
 * (node-postgres prepares a name on first use per connection). The name is the text's hash; texts
 * beyond STATEMENT_NAMES_MAX (generated SQL) go unnamed rather than grow every connection's cache.
 */
const STATEMENT_NAMES_MAX = 2_000;
const statementNames = new Map<string, string>();

function statementName(sql: string): string | undefined {
  const known = statementNames.get(sql);
  if (known || statementNames.size >= STATEMENT_NAMES_MAX) return known;
  const name = `sk_${createHash('sha1').update(sql).digest('hex').slice(0, 16)}`;
  statementNames.set(sql, name);
  return name;
}

/** `counter.statements` counts every statement sent through the wrapper. */
function wrap(client: pg.Pool | pg.PoolClient, counter: { statements: number }): Queryable {
  return {
    async query<R>(sql: string, params: readonly unknown[] = []): Promise<QueryResult<R>> {
      counter.statements++;
      const result = await client.query({ name: params.length > 0 ? statementName(sql) : undefined, text: sql, values: params as unknown[] });
      return { rows: result.rows as R[], rowCount: result.rowCount ?? result.rows.length };
    },
    async exec(sql: string): Promise<void> {
      counter.statements++;
      await client.query(sql);
    },
  };
}

export async function openPostgres(url: string, options: { connectionWaitMs?: number } = {}): Promise<Db> {
  const sessionTag = `simkeep:${randomUUID()}`;
  const connectionWaitMs = options.connectionWaitMs ?? CONNECTION_WAIT_MS_DEFAULT;
  // Idle connections are kept (idleTimeoutMillis 0), so a live process always shows up in
  // pg_stat_activity under its application_name — which is how others tell it has not died.
  // The pool's queue is FIFO; connectionTimeoutMillis bounds the wait in it (shedWhenPoolExhausted).
  const pool = new pg.Pool({
    connectionString: url, max: POOL_MAX_CONNECTIONS, statement_timeout: STATEMENT_TIMEOUT_MS,
    application_name: sessionTag, idleTimeoutMillis: 0, connectionTimeoutMillis: connectionWaitMs,
  });
  // An idle client that errors (server restart) must not crash the process; the pool replaces it.
  pool.on('error', () => undefined);
  await pool.query('SELECT 1');
  const counter = { statements: 0 };
  const pooled = wrap(pool, counter);
  const outer: Queryable = {
    query: <R>(sql: string, params?: readonly unknown[]) => pooled.query<R>(sql, params).catch((error: unknown) => shedWhenPoolExhausted(error, connectionWaitMs)),
    exec: (sql) => pooled.exec(sql).catch((error: unknown) => shedWhenPoolExhausted(error, connectionWaitMs)),
  };
  return {
    kind: 'postgres',
    sessionTag,
    async isSessionAlive(tag: string): Promise<boolean> {
      if (tag === sessionTag) return true;
      const { rowCount } = await pool.query('SELECT 1 FROM pg_stat_activity WHERE application_name = $1 LIMIT 1', [tag]);
      return (rowCount ?? 0) > 0;
    },
    query: outer.query,
    exec: outer.exec,
    async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      for (let attempt = 1; ; attempt++) {
        const client = await pool.connect().catch((error: unknown) => shedWhenPoolExhausted(error, connectionWaitMs));
        try {
          await client.query('BEGIN');
          const result = await fn(wrap(client, counter));
          await client.query('COMMIT');
          return result;
        } catch (error) {
          await client.query('ROLLBACK').catch(() => undefined);
          const code = pgErrorCode(error);
          const retryable = code === PG_SERIALIZATION_FAILURE || code === PG_DEADLOCK_DETECTED;
          if (!retryable || attempt >= TX_MAX_ATTEMPTS) throw error;
          await new Promise((r) => setTimeout(r, 5 * attempt + Math.random() * 20));
        } finally {
          client.release();
        }
      }
    },
    statementsIssued: () => counter.statements,
    close: () => pool.end(),
  };
}
