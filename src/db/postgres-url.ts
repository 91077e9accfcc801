// DATABASE_URL with several hosts, as libpq and pg_auto_failover write it:
// `postgres://user@h1:5432,h2:5432/db?target_session_attrs=read-write`. node-postgres (its
// pg-connection-string) refuses a host list, so the URL is split here into one single-host URL per
// host, in the URL's order; postgres.ts sends each new connection to the host that last answered
// read-write and moves on down the list when a host refuses or answers read-only.
const URL_SHAPE = /^(postgres(?:ql)?):\/\/(?:([^@/?#]*)@)?([^/?#]*)(\/[^?#]*)?(?:\?([^#]*))?$/;
/** `[v6]`, `[v6]:port`, `host`, `host:port`. */
const HOST_PORT = /^(\[[0-9A-Fa-f:.]+\]|[^:[\]]*)(?::(\d{1,5}))?$/;
const HOST_NAME = /^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$/;
/** A host list longer than this is a typo, not a cluster. */
export const POSTGRES_HOSTS_MAX = 16;
const DEFAULT_PORT = 5432;
/**
 * What simkeep accepts in `target_session_attrs`: it writes on nearly every request, so it always
 * wants the read-write server (libpq's `read-write` and `primary` mean the same here). Absent is
 * taken as read-write too: a process left on a standby would refuse every write.
 */
const READ_WRITE_ATTRS = new Set(['read-write', 'primary']);

export interface PostgresHost {
  /** `host:port` as written, for logs and messages (never the credentials). */
  readonly label: string;
  /** The URL with only this host, for node-postgres. */
  readonly connectionString: string;
}

export class PostgresUrlError extends Error {
  override name = 'PostgresUrlError';
}

function parseHost(text: string, position: number, count: number): string {
  const where = count > 1 ? `host ${position} of ${count} (${JSON.stringify(text)})` : `host ${JSON.stringify(text)}`;
  const match = HOST_PORT.exec(text);
  const name = match?.[1] ?? '';
  if (!match || name === '') throw new PostgresUrlError(`${where}: expected host or host:port`);
  if (!name.startsWith('[') && !HOST_NAME.test(name)) throw new PostgresUrlError(`${where}: not a host name or IP address`);
  const port = match[2] === undefined ? DEFAULT_PORT : Number(match[2]);
  if (port < 1 || port > 65_535) throw new PostgresUrlError(`${where}: port must be 1..65535`);
  return `${name}:${port}`;
}

/** The query string without `target_session_attrs` (simkeep does that check itself, per connection). */
function queryWithoutSessionAttrs(query: string | undefined): string {
  if (query === undefined || query === '') return '';
  const params = new URLSearchParams(query);
  const attrs = params.getAll('target_session_attrs');
  const refused = attrs.find((value) => !READ_WRITE_ATTRS.has(value));
  if (refused !== undefined) {
    throw new PostgresUrlError(`target_session_attrs=${refused}: simkeep needs the read-write server; use read-write (or leave it out)`);
  }
  params.delete('target_session_attrs');
  const rest = params.toString();
  return rest === '' ? '' : `?${rest}`;
}

/**
 * The URL's hosts in order, each as a single-host URL. A URL without a host (a Unix socket given by
 * `?host=/run/postgresql`) is passed through as it is, as one "host".
 */
export function parsePostgresUrl(url: string): PostgresHost[] {
  const match = URL_SHAPE.exec(url);
  if (!match) throw new PostgresUrlError('must be postgres://[user[:password]@]host[:port][,host[:port]…]/database[?options]');
  const [, scheme, userInfo, hostList = '', path = '', query] = match;
  const rest = `${path}${queryWithoutSessionAttrs(query)}`;
  const auth = userInfo === undefined ? '' : `${userInfo}@`;
  if (hostList === '') return [{ label: 'default host', connectionString: `${scheme}://${auth}${rest}` }];
  const texts = hostList.split(',');
  if (texts.length > POSTGRES_HOSTS_MAX) throw new PostgresUrlError(`at most ${POSTGRES_HOSTS_MAX} hosts`);
  const labels = texts.map((text, i) => parseHost(text, i + 1, texts.length));
  const duplicate = labels.find((label, i) => labels.indexOf(label) !== i);
  if (duplicate !== undefined) throw new PostgresUrlError(`${duplicate} is listed twice`);
  return labels.map((label) => ({ label, connectionString: `${scheme}://${auth}${label}${rest}` }));
}
