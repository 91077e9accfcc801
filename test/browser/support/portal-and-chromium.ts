// One portal server and one chromium per browser test file, started together before its first test and
// stopped after its last: call `usePortalAndChromium()` at the top of the file's `describeInChromium`
// block and reach both through the answer (`portal.server.baseUrl`, `portal.browser`). The server is the
// whole app on a fresh embedded database migrated from the run's template (portal-server.ts).
import { afterAll, beforeAll } from 'vitest';
import type { Browser } from 'playwright-core';
import { launchChromium, START_TIMEOUT_MS } from './chromium.ts';
import { startPortalServer, type PortalServer, type PortalServerOptions } from './portal-server.ts';

export interface PortalAndChromium {
  readonly server: PortalServer;
  readonly browser: Browser;
}

/** `options` as for startPortalServer; `env` is read when the server starts (a beforeAll registered earlier may fill it). */
export function usePortalAndChromium(options: PortalServerOptions = {}): PortalAndChromium {
  let server: PortalServer | undefined;
  let chromium: Awaited<ReturnType<typeof launchChromium>> | undefined;
  beforeAll(async () => {
    [server, chromium] = await Promise.all([startPortalServer(options), launchChromium()]);
  }, START_TIMEOUT_MS);
  afterAll(async () => {
    await chromium?.close();
    await server?.stop();
  });
  return {
    get server(): PortalServer {
      if (!server) throw new Error('the portal server has not started (usePortalAndChromium’s beforeAll did not run or failed)');
      return server;
    },
    get browser(): Browser {
      if (!chromium) throw new Error('chromium has not started (usePortalAndChromium’s beforeAll did not run or failed)');
      return chromium.browser;
    },
  };
}
