import { expect, it } from 'vitest';
import { FIRST_PAGE_JS_BUDGET_BYTES, measureFirstPages } from '../../scripts/web-size.ts';

it('keeps the JavaScript of the portal\'s first page within its gzip budget, in both languages', async () => {
  const sizes = await measureFirstPages();
  expect(sizes.map((s) => `${s.page} ${s.locale}`)).toEqual(['login en', 'login zh-CN', 'lines en', 'lines zh-CN']);
  for (const size of sizes) {
    // A floor too: a measurement that finds no files would pass any budget.
    expect(size.gzipBytes, `${size.page} ${size.locale}`).toBeGreaterThan(50 * 1024);
    expect(size.gzipBytes, `${size.page} ${size.locale}`).toBeLessThanOrEqual(FIRST_PAGE_JS_BUDGET_BYTES);
  }
});
