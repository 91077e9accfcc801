// `npm run web:build`, and before every `npm start` (prestart): builds the portal into web/dist
// unless the build is newer than every source it comes from — the web sources, and the src/domain
// rules the portal reuses. One line says what happened.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const WEB = join(ROOT, 'web');
const BUILT_INDEX = join(WEB, 'dist', 'index.html');
/** What a build is made of: a change to any file under these makes web/dist stale. */
const SOURCES = [join(WEB, 'src'), join(WEB, 'index.html'), join(WEB, 'vite.config.ts'), join(WEB, 'tsconfig.json'), join(ROOT, 'src', 'domain')];

function newestChangeMs(path: string): number {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of readdirSync(path, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) newest = Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}

export function webBuildIsFresh(): boolean {
  if (!existsSync(BUILT_INDEX)) return false;
  const builtMs = statSync(BUILT_INDEX).mtimeMs;
  return SOURCES.every((source) => newestChangeMs(source) <= builtMs);
}

/** Builds web/dist when it is missing or older than its sources; `force` builds regardless. */
export async function ensureWebBuild(options: { force?: boolean; log?: (line: string) => void } = {}): Promise<'fresh' | 'built'> {
  const log = options.log ?? ((line: string) => console.log(line));
  if (!options.force && webBuildIsFresh()) return 'fresh';
  const startedMs = performance.now();
  // Imported only when a build is due: vite is not loaded on a start with a fresh build.
  const { build } = await import('vite');
  // Vite takes an inherited NODE_ENV (vitest's `test`, a developer's `development`) as a reason to
  // bundle React's development build: the portal is always built for production.
  const inherited = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  try {
    await build({ configFile: join(WEB, 'vite.config.ts'), mode: 'production', logLevel: 'warn' });
  } finally {
    if (inherited === undefined) delete process.env.NODE_ENV;
    else process.env.NODE_ENV = inherited;
  }
  log(`simkeep: built the portal into web/dist in ${Math.round(performance.now() - startedMs)} ms`);
  return 'built';
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await ensureWebBuild({ force: process.argv.includes('--force') });
}
