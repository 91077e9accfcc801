// Whether an error means "the database server cannot be used right now" rather than "this request
// is wrong" or "this code is wrong": the server died, was shut down, failed over (the host now
// answers read-only), or refused or dropped the connection. Such a failure is answered 503
// database_unavailable with Retry-After (http/problem.ts): the transaction it hit was rolled back
// with the connection, so the request changed nothing that was not committed, and is safe to retry.
import { pgErrorCode } from './types.ts';

/** SQLSTATE class 08: connection exception (08000, 08003, 08006, 08001, 08004, …). */
const PG_CONNECTION_EXCEPTION_CLASS = '08';
const PG_UNAVAILABLE_CODES = new Set([
  '57P01', // admin_shutdown: the server is shutting down, or pg_terminate_backend
  '57P02', // crash_shutdown: another backend crashed, the server is restarting
  '57P03', // cannot_connect_now: starting up, shutting down, or in recovery
  '25006', // read_only_sql_transaction: this host is (now) a standby
]);
/** Socket errors of a server that went away or cannot be reached. */
const SOCKET_ERROR_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
/** node-postgres reports a lost connection with a message and no code. */
const LOST_CONNECTION_MESSAGES = [
  'Connection terminated',
  'Client has encountered a connection error and is not queryable',
  'Client was closed and is not queryable',
  'timeout expired', // the connect timeout
  'Query read timeout', // query_timeout: the server stopped answering (postgres-hosts.ts)
];

/** The host answered, but as a standby: no writes there (postgres.ts checks each new connection). */
export class ReadOnlyHostError extends Error {
  override name = 'ReadOnlyHostError';
  readonly code = '25006';
  constructor(host: string) {
    super(`${host} answers read-only (a standby, or a primary being demoted)`);
  }
}

export function isDatabaseUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = pgErrorCode(error);
  if (code !== undefined) {
    if (PG_UNAVAILABLE_CODES.has(code) || SOCKET_ERROR_CODES.has(code)) return true;
    if (/^[0-9A-Z]{5}$/.test(code)) return code.startsWith(PG_CONNECTION_EXCEPTION_CLASS);
  }
  if (LOST_CONNECTION_MESSAGES.some((m) => error.message.startsWith(m))) return true;
  // A connection attempt that fails on every address (Node's happy eyeballs) reports them together.
  return error instanceof AggregateError && error.errors.some(isDatabaseUnavailable);
}

/** How long a client should wait before retrying: a failover takes seconds, not minutes. */
export const DATABASE_RETRY_AFTER_SECONDS = 2;
