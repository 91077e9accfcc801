import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nextCard } from '../support/lines-fixtures.ts';
import { openTestPglite } from '../support/harness.ts';

const run = promisify(execFile);
const BIN = join(import.meta.dirname, '../../bin/simkeep.mjs');
const KEY_HEX = 'cd'.repeat(32);

describe('simkeep usage ingest (CLI)', () => {
  let dir = '';
  const env = (): NodeJS.ProcessEnv => ({ ...process.env, SIMKEEP_DATA_DIR: dir, SIMKEEP_SECRET_KEY: KEY_HEX, DATABASE_URL: '' });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'simkeep-cli-usage-'));
    const db = await openTestPglite(join(dir, 'pg'));
    await db.close();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads the file as a stream, lists rejected records with their reason and prints records/s', async () => {
    const file = join(dir, 'feed.csv');
    const iccid = nextCard().iccid;
    writeFileSync(file, ['type,quantity,id,startedAt,iccid', `data,10,r1,2026-01-01T00:00:00Z,${iccid}`, 'sms,1,r2,yesterday,' + iccid].join('\n'));
    // Every record rejected: exit status 2, the result still printed.
    const failed = await run(process.execPath, [BIN, 'usage', 'ingest', file, '--json'], { env: env(), timeout: 60_000 }).then(
      () => null, (error: { code: number; stdout: string }) => error);
    expect(failed?.code).toBe(2);
    const result = JSON.parse(failed?.stdout ?? '{}');
    expect(result).toMatchObject({
      accepted: 0, duplicates: 0, rejectedCount: 2,
      rejected: [{ index: 1, id: 'r2', code: 'invalid_started_at' }, { index: 0, id: 'r1', code: 'unknown_line' }],
    });
    expect(result.recordsPerSecond).toBeGreaterThan(0);
    const help = await run(process.execPath, [BIN, 'usage', 'ingest', '--help'], { env: env(), timeout: 60_000 });
    expect(help.stdout).toContain('startedAt is RFC 3339');
  });
});
