// One process at a time on an embedded database: PGlite opens its data directory in-process and a
// second opener corrupts or aborts (`Aborted()`), so whoever opens it — the server or the CLI —
// first writes its pid into `simkeep.pid` in the data dir (created exclusively), and removes it on
// close. A file left by a process that no longer runs (kill -9, a crash) is taken over.
import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const LOCK_FILE = 'simkeep.pid';
/** Taking over a stale file can race another opener doing the same; a couple of rounds settle it. */
const ACQUIRE_ROUNDS_MAX = 3;

export class DatabaseInUseError extends Error {
  override name = 'DatabaseInUseError';
  constructor(readonly dataDir: string, readonly holder: { pid: number; command: string }) {
    super(
      `the embedded database in ${dataDir} is in use by process ${holder.pid} (${holder.command}); ` +
        'stop that process first (PGlite allows one process), or use a PostgreSQL server (DATABASE_URL)',
    );
  }
}

interface Holder {
  pid: number;
  command: string;
  startedAt: string;
}

function readHolder(file: string): Holder | null {
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<Holder>;
    return typeof parsed.pid === 'number' && Number.isSafeInteger(parsed.pid) && parsed.pid > 0
      ? { pid: parsed.pid, command: String(parsed.command ?? 'unknown'), startedAt: String(parsed.startedAt ?? '') }
      : null;
  } catch {
    return null;
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, under another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the data dir for this process or throws DatabaseInUseError; returns the release. */
export function lockDataDir(dataDir: string): () => void {
  const file = join(dataDir, LOCK_FILE);
  const mine: Holder = { pid: process.pid, command: process.argv.slice(1).join(' ').slice(0, 200) || 'node', startedAt: new Date().toISOString() };
  for (let round = 0; round < ACQUIRE_ROUNDS_MAX; round += 1) {
    try {
      writeFileSync(file, JSON.stringify(mine) + '\n', { flag: 'wx', mode: 0o644 });
      return () => {
        // Only our own file: never remove one a later owner wrote.
        if (readHolder(file)?.pid === process.pid) unlinkSync(file);
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = readHolder(file);
    if (holder !== null && isRunning(holder.pid)) {
      throw new DatabaseInUseError(dataDir, holder.pid === process.pid ? { ...holder, command: 'this process' } : holder);
    }
    // Left by a process that has ended, or unreadable: take it over.
    try {
      unlinkSync(file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  const holder = readHolder(file);
  throw new DatabaseInUseError(dataDir, holder ?? { pid: 0, command: 'another process starting up' });
}
