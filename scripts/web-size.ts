// `npm run web:size`: the JavaScript a phone downloads before the portal's first page shows, gzipped —
// the entry with its static imports, plus the page's lazy chunk and the active language's texts.
// Measured for both first pages (login for a visitor, "My lines" for a signed-in subscriber) in both
// languages; the largest is held to FIRST_PAGE_JS_BUDGET_BYTES (test/unit/web-size.test.ts).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { ensureWebBuild } from './web-build.ts';

export const FIRST_PAGE_JS_BUDGET_BYTES = 170 * 1024;
const DIST = fileURLToPath(new URL('../web/dist/', import.meta.url));
const FIRST_PAGES = { login: 'src/features/account/components/login-page.tsx', lines: 'src/features/lines/components/lines-page.tsx' };
const LOCALES = ['en', 'zh-CN'];

interface ManifestChunk {
  file: string;
  isEntry?: boolean;
  imports?: string[];
}
type Manifest = Record<string, ManifestChunk>;

function staticClosure(manifest: Manifest, key: string, into: Set<string>): Set<string> {
  const chunk = manifest[key];
  if (!chunk || into.has(chunk.file)) return into;
  into.add(chunk.file);
  for (const imported of chunk.imports ?? []) staticClosure(manifest, imported, into);
  return into;
}

function gzipBytes(files: Iterable<string>): number {
  let total = 0;
  for (const file of files) if (file.endsWith('.js')) total += gzipSync(readFileSync(join(DIST, file)), { level: 9 }).length;
  return total;
}

export interface FirstPageSize {
  page: string;
  locale: string;
  gzipBytes: number;
}

export async function measureFirstPages(): Promise<FirstPageSize[]> {
  await ensureWebBuild();
  const manifest = JSON.parse(readFileSync(join(DIST, '.vite', 'manifest.json'), 'utf8')) as Manifest;
  const entry = Object.keys(manifest).find((key) => manifest[key]?.isEntry);
  if (!entry) throw new Error('web/dist/.vite/manifest.json names no entry');
  const sizes: FirstPageSize[] = [];
  for (const [page, source] of Object.entries(FIRST_PAGES)) {
    for (const locale of LOCALES) {
      const files = staticClosure(manifest, entry, new Set());
      staticClosure(manifest, source, files);
      for (const key of Object.keys(manifest)) if (key.startsWith(`src/i18n/${locale}/`)) staticClosure(manifest, key, files);
      sizes.push({ page, locale, gzipBytes: gzipBytes(files) });
    }
  }
  return sizes;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const sizes = await measureFirstPages();
  for (const size of sizes) console.log(`${size.page.padEnd(6)} ${size.locale.padEnd(6)} ${(size.gzipBytes / 1024).toFixed(1)} KB gzip`);
  const largest = Math.max(...sizes.map((s) => s.gzipBytes));
  console.log(`largest first page: ${(largest / 1024).toFixed(1)} KB of ${FIRST_PAGE_JS_BUDGET_BYTES / 1024} KB budget`);
  if (largest > FIRST_PAGE_JS_BUDGET_BYTES) process.exit(1);
}
