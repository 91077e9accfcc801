// Vitest global setup: the portal is built once per test run, and only when web/dist is missing or
// older than its sources — the browser tests, the portal's serving tests and its size budget use it.
import { ensureWebBuild } from '../../scripts/web-build.ts';

export default async function setup(): Promise<void> {
  await ensureWebBuild();
}
