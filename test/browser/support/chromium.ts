// Debian's chromium driven by playwright-core. Missing chromium skips the browser tests locally and
// fails them with CI=true (.ci/run installs it), never a quiet pass.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { describe, it } from 'vitest';

export const CHROMIUM_PATH = '/usr/bin/chromium';
/** The flags the browser runs with, and only these (plus a fresh profile and Playwright's pipe). */
export const CHROMIUM_FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

/**
 * A fresh server (migrations, demo data) and a browser: seconds on an idle machine, minutes on a
 * shared one running other suites.
 */
export const START_TIMEOUT_MS = 300_000;
/** One scenario, several pages: generous for the same reason. */
const TEST_TIMEOUT_MS = 180_000;

export function describeInChromium(title: string, fn: () => void): void {
  if (existsSync(CHROMIUM_PATH)) {
    describe(title, { timeout: TEST_TIMEOUT_MS }, fn);
  } else if (process.env.CI === 'true') {
    describe(title, () => {
      it(`needs ${CHROMIUM_PATH} in CI`, () => {
        throw new Error(`CI=true but ${CHROMIUM_PATH} is missing: .ci/run installs Debian's chromium`);
      });
    });
  } else {
    describe.skip(`${title} (no ${CHROMIUM_PATH})`, fn);
  }
}

export async function launchChromium(): Promise<{ browser: Browser; close: () => Promise<void> }> {
  const profile = mkdtempSync(join(tmpdir(), 'simkeep-chromium-'));
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    // Playwright's own defaults are left out so the flags above are the whole command line; the
    // pipe is how Playwright talks to the browser.
    ignoreDefaultArgs: true,
    args: [...CHROMIUM_FLAGS, `--user-data-dir=${profile}`, '--remote-debugging-pipe'],
  });
  return {
    browser,
    async close() {
      await browser.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
