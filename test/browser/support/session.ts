// A browser context per scenario (its own cookies and language), failing the test on any script the
// Content-Security-Policy blocks or any uncaught page error.
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { Locale } from './pages.ts';

export const VIEWPORTS = {
  mobile: { width: 375, height: 667 },
  desktop: { width: 1280, height: 800 },
} as const;
export type ViewportName = keyof typeof VIEWPORTS;

export interface BrowserSession {
  context: BrowserContext;
  page: Page;
  /** CSP violations and uncaught errors seen so far: a test ends by expecting this to be empty. */
  problems: string[];
  close(): Promise<void>;
}

export async function openSession(browser: Browser, locale: Locale, viewport: ViewportName = 'mobile'): Promise<BrowserSession> {
  const context = await browser.newContext({ locale, viewport: VIEWPORTS[viewport], reducedMotion: 'reduce' });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error' && /Content Security Policy/i.test(message.text())) problems.push(message.text());
  });
  return { context, page, problems, close: () => context.close() };
}

export function uniqueEmail(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}@example.test`;
}
