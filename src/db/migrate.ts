// Numbered SQL migrations (src/db/migrations/NNNN_name.sql), applied once, in order, in one
// transaction that first takes an advisory lock — two processes starting together on PostgreSQL
// serialise here and the second finds nothing left to do. A file may end with a check block
// (`DO $$ … RAISE EXCEPTION … $$`) asserting what must now hold.
import { readdirSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Db } from './types.ts';

const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations/', import.meta.url));
const MIGRATION_LOCK_ID = 7_411_020_001;

export interface Migration {
  version: number;
  name: string;
  sql: string;
  checksum: string;
}

const MIGRATION_FILE = /^\d{4}_[a-z0-9_]+\.sql$/;

/**
 * Every file in the directory must be a migration named NNNN_name.sql with a number of its own: a
 * misnamed file (0007-add.sql, 7_add.sql, 0007_Add.SQL) would otherwise be skipped in silence and
 * its schema change never made.
 */
export function listMigrations(dir = MIGRATIONS_DIR): Migration[] {
  const files = readdirSync(dir).sort();
  const misnamed = files.filter((f) => !MIGRATION_FILE.test(f));
  if (misnamed.length > 0) {
    throw new Error(`migrations directory ${dir}: ${misnamed.join(', ')} not named NNNN_name.sql (lower-case letters, digits, _)`);
  }
  const seen = new Map<string, string>();
  for (const file of files) {
    const clash = seen.get(file.slice(0, 4));
    if (clash) throw new Error(`migrations directory ${dir}: ${clash} and ${file} share the number ${file.slice(0, 4)}`);
    seen.set(file.slice(0, 4), file);
  }
  return files.map((file) => {
    const sql = readFileSync(join(dir, file), 'utf8');
    return {
      version: Number(file.slice(0, 4)),
      name: file.slice(5, -4),
      sql,
      checksum: createHash('sha256').update(sql).digest('hex'),
    };
  });
}

export async function migrate(db: Db, migrations = listMigrations()): Promise<{ applied: string[] }> {
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_ID]);
    await tx.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY, name text NOT NULL, checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    const done = await tx.query<{ version: number; checksum: string; name: string }>('SELECT version, name, checksum FROM schema_migrations');
    const byVersion = new Map(done.rows.map((r) => [r.version, r]));
    const applied: string[] = [];
    for (const m of migrations) {
      const previous = byVersion.get(m.version);
      if (previous) {
        if (previous.checksum !== m.checksum) {
          throw new Error(`migration ${m.version}_${m.name} was changed after it was applied; add a new migration instead`);
        }
        continue;
      }
      await tx.exec(m.sql);
      await tx.query('INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)', [m.version, m.name, m.checksum]);
      applied.push(`${m.version}_${m.name}`);
    }
    return { applied };
  });
}
