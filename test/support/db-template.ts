// Migrated database templates, made once per test run (vitest globalSetup, db-template-setup.ts) so that
// an app a test starts does not pay for PGlite's initdb and every migration again:
//  - PGlite: a migrated data directory dumped with `dumpDataDir()` to a file in the OS temp directory,
//    named by a hash of the migrations and the PGlite version (a changed migration makes a new one;
//    runs with the same migrations share it). Each app loads it into a fresh in-memory database.
//  - PostgreSQL (TEST_DATABASE_URL): a migrated database of this run's own, marked as a template and
//    dropped at teardown; each app's database is `CREATE DATABASE … TEMPLATE` it.
// Only the schema is in a template: the demo seed and the admin account are still made by createApp when
// each app starts (with that app's clock, key and config). Startup and migration tests do not use the
// templates (they open empty databases themselves), so the real path stays tested.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { listMigrations, migrate } from '../../src/db/migrate.ts';
import { openPglite } from '../../src/db/pglite.ts';
import { openPostgres } from '../../src/db/postgres.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The PGlite template's file (a dumpDataDir tarball), or '' when none could be made. */
    pgliteTemplateFile: string;
    /** The PostgreSQL template database's name, or '' without TEST_DATABASE_URL. */
    postgresTemplateDatabase: string;
  }
}

const PGLITE_VERSION = (JSON.parse(readFileSync(fileURLToPath(new URL('../../node_modules/@electric-sql/pglite/package.json', import.meta.url)), 'utf8')) as { version: string }).version;

/** Names the schema: every migration's name and checksum, and the PGlite version that dumps it. */
export function schemaKey(): string {
  const h = createHash('sha256').update(`pglite ${PGLITE_VERSION}\n`);
  for (const m of listMigrations()) h.update(`${m.version} ${m.name} ${m.checksum}\n`);
  return h.digest('hex').slice(0, 16);
}

const TEMPLATE_FILE = /^simkeep-pglite-template-[0-9a-f]{16}\.tar$/;
/** Other schemas' template files unused this long are removed (each is about 45 MB). */
const STALE_TEMPLATE_MS = 24 * 3600_000;

function removeStaleTemplates(keep: string): void {
  for (const name of readdirSync(tmpdir())) {
    const path = join(tmpdir(), name);
    if (!TEMPLATE_FILE.test(name) || path === keep) continue;
    try {
      if (Date.now() - statSync(path).mtimeMs > STALE_TEMPLATE_MS) rmSync(path, { force: true });
    } catch {
      // Removed by a run alongside.
    }
  }
}

/** Makes the PGlite template file unless this schema's is there already; answers its path. */
export async function preparePgliteTemplate(): Promise<string> {
  const file = join(tmpdir(), `simkeep-pglite-template-${schemaKey()}.tar`);
  removeStaleTemplates(file);
  if (existsSync(file)) {
    // Marked as used: only templates no run has used for a day are removed.
    const now = new Date();
    utimesSync(file, now, now);
    return file;
  }
  const dir = mkdtempSync(join(tmpdir(), 'simkeep-pglite-template-'));
  try {
    const db = await openPglite(join(dir, 'pg'));
    try {
      await migrate(db);
    } finally {
      await db.close();
    }
    const raw = await PGlite.create({ dataDir: join(dir, 'pg') });
    const blob = await raw.dumpDataDir('none');
    await raw.close();
    // Written aside and renamed: a run starting alongside never reads half a file.
    const partial = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
    writeFileSync(partial, Buffer.from(await blob.arrayBuffer()));
    renameSync(partial, file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return file;
}

function databaseUrl(base: string, name: string): string {
  const url = new URL(base);
  url.pathname = `/${name}`;
  return url.toString();
}

async function onServer<T>(base: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: base });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/**
 * Makes this run's migrated template database on the server at `base` (TEST_DATABASE_URL); answers its
 * name and how to drop it. Its name carries a random part: concurrent runs never share or drop each other's.
 */
export async function preparePostgresTemplate(base: string): Promise<{ name: string; drop: () => Promise<void> }> {
  const name = `simkeep_tpl_${schemaKey().slice(0, 8)}_${randomBytes(4).toString('hex')}`;
  const drop = () => onServer(base, async (c) => {
    await c.query(`ALTER DATABASE ${name} WITH IS_TEMPLATE false`).catch(() => undefined);
    await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  });
  await onServer(base, (c) => c.query(`CREATE DATABASE ${name}`));
  try {
    const db = await openPostgres(databaseUrl(base, name));
    try {
      await migrate(db);
    } finally {
      await db.close();
    }
    await onServer(base, async (c) => {
      // No one may connect to it from now on: CREATE DATABASE … TEMPLATE refuses a template in use.
      await c.query(`ALTER DATABASE ${name} WITH IS_TEMPLATE true ALLOW_CONNECTIONS false`);
      await c.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [name]);
      for (let i = 0; i < 100; i++) {
        const { rows } = await c.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1', [name]);
        if ((rows[0]?.n ?? 0) === 0) return;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      throw new Error(`template database ${name} still has sessions`);
    });
  } catch (error) {
    await drop();
    throw error;
  }
  return { name, drop };
}
