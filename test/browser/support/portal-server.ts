// The real server for browser tests: the whole app (API, worker off, demo data) on a fresh embedded
// database (migrated from the run's template; or a fresh PostgreSQL one), listening on 127.0.0.1 at a free port, serving the portal built by the test setup.
import pino from 'pino';
import { createApp, type RunningApp } from '../../../src/app.ts';
import { openPostgres } from '../../../src/db/postgres.ts';
import type { Db } from '../../../src/db/types.ts';
import { createPostgresDatabase, openTestPglite, testConfig, type DbKind } from '../../support/harness.ts';

export interface PortalServer {
  baseUrl: string;
  app: RunningApp;
  stop(): Promise<void>;
}

export interface PortalServerOptions {
  /** Runs the background worker too: sandbox webhooks and provisioning, for journeys that pay. */
  worker?: boolean;
  /** The embedded database (default), or a fresh PostgreSQL database on TEST_DATABASE_URL's server. */
  database?: DbKind;
  /** Configuration on top of the tests' own (testConfig), read when the server starts. */
  env?: Record<string, string>;
}

export async function startPortalServer(options: PortalServerOptions = {}): Promise<PortalServer> {
  let db: Db;
  let drop = async (): Promise<void> => undefined;
  if (options.database === 'postgres') {
    const created = await createPostgresDatabase({ migrated: true });
    db = await openPostgres(created.url);
    drop = created.drop;
  } else {
    db = await openTestPglite();
  }
  const app = await createApp(testConfig(options.env), {
    db, logger: pino({ level: 'silent' }), startWorker: options.worker ?? false, listen: { host: '127.0.0.1', port: 0 },
  });
  return {
    baseUrl: app.deps.publicUrl(),
    app,
    async stop() {
      await app.close();
      await db.close();
      await drop();
    },
  };
}

/** The demo subscriber (src/seed/demo.ts, README "Demo data"), with a US line already bound and active. */
export const DEMO_SUBSCRIBER = { email: 'demo@simkeep.test', password: 'keep-my-number-2026' };
/** Demo cards nobody has bound yet; every demo PIN is 1234. */
export const DEMO_CARDS = {
  usPhysical: { iccid: '89012609900000000112', pin: '1234' },
  ukEsim: { iccid: '89441109900000000019', pin: '1234' },
  ukPhysical: { iccid: '89441109900000000118', pin: '1234' },
  travelEsim: { iccid: '89852009900000000018', pin: '1234' },
};
