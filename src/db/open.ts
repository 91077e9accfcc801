import { mkdirSync } from 'node:fs';
import type { Config } from '../config.ts';
import { openPglite } from './pglite.ts';
import { openPostgres } from './postgres.ts';
import type { Db } from './types.ts';

export async function openDatabase(database: Config['database']): Promise<Db> {
  if (database.kind === 'postgres') return openPostgres(database.url);
  if (database.dataDir) mkdirSync(database.dataDir, { recursive: true });
  return openPglite(database.dataDir ? `${database.dataDir}/pg` : null);
}
