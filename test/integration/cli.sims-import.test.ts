import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPglite } from '../../src/db/pglite.ts';
import { hashPin, upsertCarrier } from '../../src/modules/lines/service.ts';
import { DEMO_CARRIERS } from '../../src/modules/lines/seed.ts';
import { CSV_HEADER, csvRow, nextCard } from '../support/lines-fixtures.ts';
import { openTestPglite } from '../support/harness.ts';

const run = promisify(execFile);
const BIN = join(import.meta.dirname, '../../bin/simkeep.mjs');
const KEY_HEX = 'cd'.repeat(32);

describe('simkeep sims import (CLI)', () => {
  let dir = '';
  const env = (): NodeJS.ProcessEnv => ({ ...process.env, SIMKEEP_DATA_DIR: dir, SIMKEEP_SECRET_KEY: KEY_HEX, DATABASE_URL: '' });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'simkeep-cli-'));
    // The data directory as a server would have left it: migrated, with the carriers configured.
    const db = await openTestPglite(join(dir, 'pg'));
    for (const carrier of DEMO_CARRIERS) await upsertCarrier(db, carrier);
    await db.close();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('imports a CSV file into the configured database and reports rejected rows', async () => {
    const esim = nextCard();
    const physical = nextCard({ form: 'physical', carrier: 'uk-keep', msisdn: '+447700900123' });
    const good = [esim, physical];
    const file = join(dir, 'inventory.csv');
    writeFileSync(file, [CSV_HEADER, csvRow(esim), `${nextCard().iccid},x,,1,esim,us-paygo,`, csvRow(physical)].join('\n'));
    const { stdout } = await run(process.execPath, [BIN, 'sims', 'import', file, '--json'], { env: env(), timeout: 60_000 });
    expect(JSON.parse(stdout)).toEqual({ imported: 2, rejected: [{ line: 3, code: 'invalid_imsi' }], rejectedCount: 1, rows: 3 });

    const db = await openPglite(join(dir, 'pg'));
    try {
      const { rows } = await db.query<{ iccid: string; pin_hash: string }>('SELECT iccid, pin_hash FROM sims ORDER BY iccid');
      expect(rows.map((r) => r.iccid)).toEqual(good.map((c) => c.iccid).sort());
      // Hashed with the configured key: the server will accept these PINs.
      const key = Buffer.from(KEY_HEX, 'hex');
      for (const r of rows) expect(r.pin_hash).toBe(hashPin(key, r.iccid, '4821'));
      const audit = await db.query<{ actor_role: string; details: unknown }>(`SELECT actor_role, details FROM audit_log WHERE action = 'sims.import'`);
      expect(audit.rows).toEqual([{ actor_role: 'cli', details: { rows: 3, imported: 2, rejected: 1 } }]);
    } finally {
      await db.close();
    }
  });

  it('says plainly when the file cannot be read, exits 1 and touches nothing', async () => {
    const missing = join(dir, 'no-such.csv');
    const failed = await run(process.execPath, [BIN, 'sims', 'import', missing], { env: env() }).then(
      () => null, (error: { code: number; stderr: string }) => error);
    expect(failed?.code).toBe(1);
    expect(failed?.stderr).toContain(`cannot read ${missing}: no such file`);
  });

  it('explains every command with --help', async () => {
    const top = await run(process.execPath, [BIN, '--help'], { env: env() });
    expect(top.stdout).toContain('sims');
    const importHelp = await run(process.execPath, [BIN, 'sims', 'import', '--help'], { env: env() });
    expect(importHelp.stdout).toContain('iccid,imsi,msisdn,pin,form,carrier');
  });
});
