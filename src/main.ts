// `npm start`: one process serving the API and running the worker, on the embedded database in
// SIMKEEP_DATA_DIR or on PostgreSQL with DATABASE_URL. Bad configuration, or an address it cannot
// listen on, exits 1 with a message naming the variable (no stack trace).
import { createServer } from 'node:net';
import { ConfigError, httpUrlOf, loadConfig, type Config } from './config.ts';
import { ListenError, createApp } from './app.ts';
import { DatabaseInUseError } from './db/data-dir-lock.ts';

const SHUTDOWN_GRACE_MS = 10_000;

/**
 * Binds HOST:PORT once and lets go, so an address this machine cannot listen on (in use, not its
 * own) fails in a moment, before the data directory is created or migrated. The real listen
 * afterwards reports a port taken in between the same way.
 */
function probeListen(host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (error) => reject(new ListenError({ host, port }, error)));
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve()));
  });
}

async function main(): Promise<void> {
  const startedAt = performance.now();
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`simkeep: ${error.message}`);
      process.exit(1);
    }
    throw error;
  }
  let app: Awaited<ReturnType<typeof createApp>>;
  try {
    await probeListen(config.host, config.port);
    app = await createApp(config, { listen: { port: config.port, host: config.host } });
  } catch (error) {
    if (error instanceof ListenError || error instanceof DatabaseInUseError) {
      console.error(`simkeep: ${error.message}`);
      process.exit(1);
    }
    throw error;
  }
  const address = app.http.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const where = config.database.kind === 'postgres' ? 'PostgreSQL (DATABASE_URL)' : `embedded PGlite in ${config.database.dataDir}`;
  const lines = [
    `simkeep listening on ${httpUrlOf(config.host, port)}  (${Math.round(performance.now() - startedAt)} ms)`,
    `  public URL: ${app.deps.publicUrl()}`,
    `  database: ${where}; migrations applied now: ${app.startup.migrationsApplied.length}; demo data: ${app.startup.seeded ? 'seeded' : 'not seeded'}`,
    `  worker: ${config.worker ? 'on' : 'off'}; sandbox: ${config.sandbox ? 'on' : 'off'}${app.startup.adminEmail ? `; admin: ${app.startup.adminEmail}` : ''}`,
  ];
  console.log(lines.join('\n'));

  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    app.deps.log.info({ signal }, 'shutting down: finishing requests and the current job');
    const force = setTimeout(() => process.exit(1), SHUTDOWN_GRACE_MS);
    force.unref();
    app.close().then(
      () => process.exit(0),
      (error: unknown) => {
        app.deps.log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  console.error('simkeep: failed to start:', error);
  process.exit(1);
});
