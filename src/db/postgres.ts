// A PostgreSQL server through node-postgres. Many processes may share it: transactions that lose a
// serialization race or a deadlock are retried (bounded), so callers see one clean outcome. With
// several hosts in DATABASE_URL, connections go to the read-write one and follow it when it fails
// over (postgres-hosts.ts); a request that meets the failover fails cleanly (availability.ts).
import { createHash } from 'node:crypto';
import pg from 'pg';
import { DomainError } from '../domain/errors.ts';
import { isDatabaseUnavailable } from './availability.ts';
import { PrimaryTracker } from './postgres-hosts.ts';
import { parsePostgresUrl } from './postgres-url.ts';
import type { Db, QueryResult, Queryable, Tx } from './types.ts';
import { PG_DEADLOCK_DETECTED, PG_SERIALIZATION_FAILURE, PLANNED_PER_CALL, pgErrorCode } from './types.ts';

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
function poolExhausted(error: unknown, connectionWaitMs: number): DomainError | undefined {
  if (!(error instanceof Error) || error.message !== POOL_WAIT_TIMEOUT_MESSAGE) return undefined;
  return new DomainError('unavailable', 'server_busy', `no database connection came free within ${connectionWaitMs} ms; retry shortly`, {
    retryAfterSeconds: Math.max(1, Math.ceil(connectionWaitMs / 1000)),
  });
}

function shedWhenPoolExhausted(error: unknown, connectionWaitMs: number): never {
  throw poolExhausted(error, connectionWaitMs) ?? error;
}

pg.types.setTypeParser(pg.types.builtins.INT8, (value: string) => Number(value));

/**
 * Hot statements are sent named, so each connection parses and plans them once and then only binds
 * (node-postgres prepares a name on first use per connection). The name is the text's hash; texts
 * beyond STATEMENT_NAMES_MAX (generated SQL) go unnamed rather than grow every connection's cache,
 * and so do texts that start with PLANNED_PER_CALL (types.ts).
 */
const STATEMENT_NAMES_MAX = 2_000;
const statementNames = new Map<string, string>();

function statementName(sql: string): string | undefined {
  if (sql.startsWith(PLANNED_PER_CALL)) return undefined;
  const known = statementNames.get(sql);
  if (known || statementNames.size >= STATEMENT_NAMES_MAX) return known;
  const name = `sk_${createHash('sha1').update(sql).digest('hex').slice(0, 16)}`;
  statementNames.set(sql, name);
  return name;
}

/**
 * `counter.statements` counts every statement sent through the wrapper; `onError` sees every
 * failure (postgres-hosts.ts learns from it that the server went away).
 */
function wrap(client: pg.Pool | pg.PoolClient, counter: { statements: number }, onError: (error: unknown) => void): Queryable {
  return {
    async query<R>(sql: string, params: readonly unknown[] = []): Promise<QueryResult<R>> {
      counter.statements++;
      try {
        const result = await client.query({ name: params.length > 0 ? statementName(sql) : undefined, text: sql, values: params as unknown[] });
        return { rows: result.rows as R[], rowCount: result.rowCount ?? result.rows.length };
      } catch (error) {
        onError(error);
        throw error;
      }
    },
    async exec(sql: string): Promise<void> {
      counter.statements++;
      await client.query(sql).catch((error: unknown) => {
        onError(error);
        throw error;
      });
    },
  };
}

/**
 * A pooled connection, walking the URL's hosts once if the current one refuses or is read-only:
 * nothing was sent yet, so trying the next host is safe. Every connection busy past the wait bound
 * is overload, not a lost server: 503 server_busy, and the hosts are left alone.
 */
async function acquire(pool: pg.Pool, hostCount: number, onError: (error: unknown) => void, connectionWaitMs: number): Promise<pg.PoolClient> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await pool.connect();
    } catch (error) {
      const busy = poolExhausted(error, connectionWaitMs);
      if (busy !== undefined) throw busy;
      onError(error);
      if (attempt >= hostCount || !isDatabaseUnavailable(error)) throw error;
    }
  }
}

/**
 * One transaction on a pipelining connection (the pool's clients are made with `pipeline: true`).
 * BEGIN goes out with the first statement, and `last` sends COMMIT with the transaction's last
 * statement (types.ts Tx), each pair in one write to the socket: one packet, one wakeup of the
 * server's backend, one round trip. A transaction of n statements costs n round trips, or n + 1
 * without `last`, instead of n + 2; one that sends nothing sends no BEGIN or COMMIT either.
 */
class PipelinedTransaction {
  private begun: Promise<unknown> | null = null;
  private committed: Promise<unknown> | null = null;
  readonly tx: Tx;

  constructor(private readonly client: pg.PoolClient, statements: Queryable) {
    this.tx = {
      query: <R>(sql: string, params?: readonly unknown[]) => this.send(() => statements.query<R>(sql, params), false),
      exec: (sql: string) => this.send(() => statements.exec(sql), false),
      last: {
        query: <R>(sql: string, params?: readonly unknown[]) => this.send(() => statements.query<R>(sql, params), true),
        exec: (sql: string) => this.send(() => statements.exec(sql), true),
      },
    };
  }

  /** COMMIT, unless `last` sent it already or nothing was sent at all. */
  async commit(): Promise<void> {
    if (this.begun === null) return;
    this.committed ??= this.client.query('COMMIT');
    await Promise.all([this.begun, this.committed]);
  }

  /**
   * Sends a statement (`submit` writes it synchronously: the connection pipelines), with BEGIN
   * before it if it is the first and COMMIT after it if it is the last; its answer once every
   * message sent with it is answered. BEGIN fails only with its connection, and then so does every
   * statement behind it; each waits for BEGIN's answer all the same, so none is taken as done
   * without it. A failed statement aborts the transaction, and the server answers the COMMIT sent
   * behind it with a rollback.
   */
  private async send<R>(submit: () => Promise<R>, last: boolean): Promise<R> {
    if (this.committed) throw new Error('the transaction was committed with its last statement: nothing can be sent after it');
    const stream = (this.client as unknown as pg.Client).connection.stream;
    stream.cork();
    let begun: Promise<unknown>, sent: Promise<R>;
    try {
      begun = this.begun ??= this.client.query('BEGIN');
      sent = submit();
      if (last) this.committed = this.client.query('COMMIT');
    } finally {
      stream.uncork();
    }
    const answers = await Promise.allSettled([begun, sent, this.committed ?? begun]);
    for (const answer of answers) if (answer.status === 'rejected') throw answer.reason;
    return sent;
  }
}

export async function openPostgres(url: string, options: { connectionWaitMs?: number } = {}): Promise<Db> {
  const hosts = new PrimaryTracker(parsePostgresUrl(url));
  const connectionWaitMs = options.connectionWaitMs ?? CONNECTION_WAIT_MS_DEFAULT;
  const noteError = (error: unknown): void => {
    if (isDatabaseUnavailable(error)) hosts.connectionsLost();
  };
  // Idle connections are kept (idleTimeoutMillis 0), so a live process always shows up in
  // pg_stat_activity under its application_name — which is how others tell it has not died.
  // Each connection takes the host and the application_name (the session tag) from `hosts`.
  // The pool's queue is FIFO; connectionTimeoutMillis bounds the wait in it (shedWhenPoolExhausted).
  const pool = new pg.Pool({
    max: POOL_MAX_CONNECTIONS, statement_timeout: STATEMENT_TIMEOUT_MS, idleTimeoutMillis: 0, Client: hosts.clientClass(),
    // Statements are sent without waiting for the answer to the one before (PipelinedTransaction).
    pipeline: true,
    connectionTimeoutMillis: connectionWaitMs,
  });
  // An idle client that errors (server restart, failover) must not crash the process; the pool drops it.
  pool.on('error', noteError);
  const first = await acquire(pool, hosts.hosts.length, noteError, connectionWaitMs);
  first.release();
  const counter = { statements: 0 };
  const pooled = wrap(pool, counter, noteError);
  const outer: Queryable = {
    query: <R>(sql: string, params?: readonly unknown[]) => pooled.query<R>(sql, params).catch((error: unknown) => shedWhenPoolExhausted(error, connectionWaitMs)),
    exec: (sql) => pooled.exec(sql).catch((error: unknown) => shedWhenPoolExhausted(error, connectionWaitMs)),
  };
  return {
    kind: 'postgres',
    get sessionTag() {
      return hosts.sessionTag;
    },
    async isSessionAlive(tag: string): Promise<boolean> {
      if (tag === hosts.sessionTag) return true;
      const { rowCount } = await pool.query('SELECT 1 FROM pg_stat_activity WHERE application_name = $1 LIMIT 1', [tag]);
      return (rowCount ?? 0) > 0;
    },
    query: outer.query,
    exec: outer.exec,
    async transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
      for (let attempt = 1; ; attempt++) {
        const client = await acquire(pool, hosts.hosts.length, noteError, connectionWaitMs);
        // A connection the server dropped (or that found the host read-only) is not given back to the pool.
        let broken: Error | undefined;
        try {
          const transaction = new PipelinedTransaction(client, wrap(client, counter, noteError));
          const result = await fn(transaction.tx);
          await transaction.commit();
          return result;
        } catch (error) {
          noteError(error);
          if (isDatabaseUnavailable(error)) broken = error as Error;
          // Not retried when the server went away: a lost COMMIT may have committed, and the
          // caller's retry (idempotency key, guarded UPDATE) is what can tell. (After a failed
          // `last` statement its pipelined COMMIT already rolled back: this ROLLBACK is a no-op.)
          await client.query('ROLLBACK').catch(() => undefined);
          const code = pgErrorCode(error);
          const retryable = code === PG_SERIALIZATION_FAILURE || code === PG_DEADLOCK_DETECTED;
          if (!retryable || attempt >= TX_MAX_ATTEMPTS) throw error;
          await new Promise((r) => setTimeout(r, 5 * attempt + Math.random() * 20));
        } finally {
          client.release(broken);
        }
      }
    },
    statementsIssued: () => counter.statements,
    close: () => pool.end(),
  };
}
