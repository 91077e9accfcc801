// One small interface over both databases: embedded PGlite and a PostgreSQL server run the same SQL.
// Use cases take a `Queryable` (either the database or an open transaction) so they compose.

type Row = Record<string, unknown>;

export interface QueryResult<R> {
  rows: R[];
  rowCount: number;
}

export interface Queryable {
  query<R = Row>(sql: string, params?: readonly unknown[]): Promise<QueryResult<R>>;
  /** Several statements without parameters (migrations, resets). */
  exec(sql: string): Promise<void>;
}

/**
 * An open transaction. On PostgreSQL it also offers `last`: the same connection for the
 * transaction's last statement, with COMMIT sent right behind it in the same round trip. Row locks
 * that statement takes (a journal's shared revenue account) are then released as soon as the server
 * is done, not when this process next gets round to sending COMMIT — under load, most of a hot lock's
 * hold time. Nothing may be sent after it (an error says so). If it fails, the transaction rolls
 * back as usual. PGlite commits in-process, so it has no `last`: see lastStatementOf.
 */
export interface Tx extends Queryable {
  readonly last?: Queryable;
}

/**
 * Where the transaction `q`'s last statement goes: its `last` when it has one, else `q` itself. Only
 * for the code that owns the transaction and sends nothing after that statement.
 */
export function lastStatementOf(q: Queryable): Queryable {
  // Every Queryable is a Tx without `last`: the widening is safe.
  return (q as Tx).last ?? q;
}

export interface Db extends Queryable {
  readonly kind: 'pglite' | 'postgres';
  /**
   * Runs `fn` in one transaction: committed when it resolves, rolled back when it throws. On
   * PostgreSQL a serialization failure or deadlock is retried a bounded number of times, so `fn`
   * must not have side effects outside the database. Inside, use `tx` only — never the outer db.
   */
  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
  close(): Promise<void>;
  /** Names this process's database sessions (PostgreSQL application_name), unique per process start. */
  readonly sessionTag: string;
  /** Whether the process that tagged its sessions `tag` is still connected (it did not die). */
  isSessionAlive(tag: string): Promise<boolean>;
  /**
   * Statements sent through `query`/`exec` so far, inside transactions too (BEGIN/COMMIT not
   * counted): how tests bound the round trips of one request.
   */
  statementsIssued(): number;
}

/**
 * Awaits statements sent together — on PostgreSQL they go out without waiting for one another — and
 * throws the first failure in the order they were sent. Once one fails the transaction is aborted,
 * and every statement behind it fails for that reason alone (SQLSTATE 25P02), which would hide the
 * cause if it were the one thrown.
 */
export async function settleInSendOrder(sent: ReadonlyArray<Promise<unknown> | undefined>): Promise<void> {
  for (const outcome of await Promise.allSettled(sent)) if (outcome.status === 'rejected') throw outcome.reason;
}

/** PostgreSQL error codes we map to expected outcomes. */
export const PG_UNIQUE_VIOLATION = '23505';
export const PG_CHECK_VIOLATION = '23514';
export const PG_SERIALIZATION_FAILURE = '40001';
export const PG_DEADLOCK_DETECTED = '40P01';

export function pgErrorCode(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error) {
    const code = (error as { code: unknown }).code;
    return typeof code === 'string' ? code : undefined;
  }
  return undefined;
}

/**
 * Put first in a statement that must be planned at every call rather than prepared once per
 * connection: one whose table grows from nothing within a connection's life (usage records). A plan
 * prepared while the table was empty scans it whole, and PostgreSQL's cached generic plan keeps
 * doing so at every size — measured at 10–14 s per 10,000-record duplicate check on 200,000 rows.
 */
export const PLANNED_PER_CALL = '/* planned per call */ ';
