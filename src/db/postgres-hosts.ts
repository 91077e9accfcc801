// Which server new connections go to, when DATABASE_URL lists several (a primary and its standbys
// under pg_auto_failover or Patroni): the one that last answered read-write. Every new connection
// is checked (`SHOW transaction_read_only`); a host that refuses the connection or answers
// read-only passes the turn to the next one in the URL's order, round and round, so after a
// failover connections find the promoted standby by themselves — no restart, no DNS change.
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { ReadOnlyHostError } from './availability.ts';
import type { PostgresHost } from './postgres-url.ts';

/** A host that neither answers nor refuses (a dead machine, a dropped route) is given up on after this. */
const CONNECT_TIMEOUT_MS = 5_000;
/** Dead peers on idle pooled connections are noticed by TCP keepalive rather than by the next query. */
const KEEPALIVE_INITIAL_DELAY_MS = 10_000;
/**
 * A query the server has not answered this long after its own statement_timeout would have ended
 * it: the server is gone without a word (a dead machine sends no reset), so give up on the connection.
 */
const SILENT_SERVER_MARGIN_MS = 5_000;

type ConnectCallback = Parameters<pg.Client['connect']>[0];

function newSessionTag(): string {
  return `simkeep:${randomUUID()}`;
}

export class PrimaryTracker {
  private turn = 0;
  private tag = newSessionTag();

  constructor(readonly hosts: readonly PostgresHost[]) {
    if (hosts.length === 0) throw new Error('PrimaryTracker: no host');
  }

  /** The host new connections go to. */
  get current(): PostgresHost {
    return this.hosts[this.turn] ?? (this.hosts[0] as PostgresHost);
  }

  /**
   * Names this process's sessions (application_name): idempotency keys record it, and a key whose
   * owner's sessions are all gone is taken over by a retry (modules/idempotency).
   */
  get sessionTag(): string {
    return this.tag;
  }

  /** `host` refused a connection or answered read-only: new connections try the next one. */
  leave(host: PostgresHost): void {
    if (this.current === host) this.turn = (this.turn + 1) % this.hosts.length;
  }

  /**
   * The server dropped our connections (it died, restarted or failed over). Later connections get a
   * new session tag: otherwise an idempotency key claimed by a request that failed with the old
   * server would look owned by a live session — ours, reconnected — and stay "in use" for its whole
   * lease instead of being taken over by the client's retry.
   */
  connectionsLost(): void {
    this.tag = newSessionTag();
  }

  /** A pg.Client class for pg.Pool's `Client` option: each instance connects to the current host, read-write or not at all. */
  clientClass(): new (config?: pg.ClientConfig) => pg.Client {
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the class below is built per tracker
    const tracker = this;
    return class TrackedClient extends pg.Client {
      private readonly target: PostgresHost;

      constructor(config: pg.ClientConfig = {}) {
        const target = tracker.current;
        super({
          ...config, connectionString: target.connectionString, application_name: tracker.sessionTag,
          connectionTimeoutMillis: config.connectionTimeoutMillis || CONNECT_TIMEOUT_MS,
          keepAlive: true, keepAliveInitialDelayMillis: KEEPALIVE_INITIAL_DELAY_MS,
          query_timeout: config.query_timeout || (typeof config.statement_timeout === 'number' ? config.statement_timeout + SILENT_SERVER_MARGIN_MS : undefined),
        });
        this.target = target;
        // pg-pool listens for errors only on idle connections: one checked out whose server goes
        // away between two queries would emit 'error' unheard and crash the process. Heard here;
        // the next query on it fails as unavailable and the pool drops it.
        this.on('error', () => tracker.connectionsLost());
      }

      override connect(): Promise<pg.Client>;
      override connect(callback: ConnectCallback): void;
      override connect(callback?: ConnectCallback): Promise<pg.Client> | void {
        const connected = this.connectReadWrite();
        if (callback === undefined) return connected;
        const done = callback as (error: Error | null) => void;
        connected.then(() => done(null), (error: Error) => done(error));
      }

      private async connectReadWrite(): Promise<pg.Client> {
        try {
          await super.connect();
        } catch (error) {
          tracker.leave(this.target);
          throw error;
        }
        let readWrite: boolean;
        try {
          const { rows } = await super.query<{ transaction_read_only: string }>('SHOW transaction_read_only');
          readWrite = rows[0]?.transaction_read_only === 'off';
        } catch (error) {
          await this.end().catch(() => undefined);
          throw error;
        }
        if (readWrite) return this;
        tracker.leave(this.target);
        await this.end().catch(() => undefined);
        throw new ReadOnlyHostError(this.target.label);
      }
    };
  }
}
