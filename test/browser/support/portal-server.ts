// The real server for browser tests: the whole app (API, worker off, demo data) on a fresh embedded
// database (migrated from the run's template), listening on 127.0.0.1 at a free port, serving the portal built by the test setup.
import pino from 'pino';
import { createApp, type RunningApp } from '../../../src/app.ts';
import { openTestPglite, testConfig } from '../../support/harness.ts';

export interface PortalServer {
  baseUrl: string;
  app: RunningApp;
  stop(): Promise<void>;
}

/** `worker: true` runs the background worker too: sandbox webhooks and provisioning, for journeys that pay. */
export async function startPortalServer(options: { worker?: boolean } = {}): Promise<PortalServer> {
  const db = await openTestPglite();
  const app = await createApp(testConfig(), {
    db, logger: pino({ level: 'silent' }), startWorker: options.worker ?? false, listen: { host: '127.0.0.1', port: 0 },
  });
  return {
    baseUrl: app.deps.publicUrl(),
    app,
    async stop() {
      await app.close();
      await db.close();
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
