import { mkdirSync } from 'node:fs';
import type { Config } from '../config.ts';
import { lockDataDir } from './data-dir-lock.ts';
import { openPglite } from './pglite.ts';
import { openPostgres } from './postgres.ts';
import type { Db } from './types.ts';

/**
 * The configured database. An embedded data dir is locked to this process first (data-dir-lock.ts):
 * a second opener hears which process holds it instead of PGlite aborting; closing releases it.
 */
export async function openDatabase(database: Config['database']): Promise<Db> {
  if (database.kind === 'postgres') return openPostgres(database.url, { connectionWaitMs: database.connectionWaitMs });
  if (!database.dataDir) return openPglite(null);
  mkdirSync(database.dataDir, { recursive: true });
  const release = lockDataDir(database.dataDir);
  let db: Db;
  try {
    db = await openPglite(`${database.dataDir}/pg`);
  } catch (error) {
    release();
    throw error;
  }
  return {
    ...db,
    close: async () => {
      try {
        await db.close();
      } finally {
        release();
      }
    },
  };
}
